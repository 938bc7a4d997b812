def f():
    return 'abc
