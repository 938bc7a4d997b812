def f(items):
    for x in items:
    return x
