def countdown(n):
    steps = 0
    while n != 0:
        n -= 2
        steps += 1
    return steps
