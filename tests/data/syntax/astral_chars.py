def f():
    s = "🙂 ü"
    return s ) + 1
