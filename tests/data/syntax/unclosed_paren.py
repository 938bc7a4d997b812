def total(xs):
    return sum(x for x in xs
