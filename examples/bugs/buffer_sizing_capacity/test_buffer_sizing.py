from buffer_sizing import GrowableBuffer, next_capacity


def test_small_requests_get_the_minimum():
    assert next_capacity(0) == 8
    assert next_capacity(5) == 8


def test_powers_of_two_are_kept():
    assert next_capacity(64) == 64


def test_rounds_up():
    assert next_capacity(65) == 128
    assert next_capacity(1000) == 1024


def test_buffer_keeps_small_appends_in_place():
    buf = GrowableBuffer()
    buf.append(b"abc")
    buf.append(b"def")
    assert buf.getvalue() == b"abcdef"
    assert buf.resizes == 0


def test_buffer_grows():
    buf = GrowableBuffer()
    buf.append(b"x" * 20)
    buf.append(b"y" * 20)
    assert buf.capacity == 64
    assert buf.getvalue() == b"x" * 20 + b"y" * 20
    assert buf.resizes == 2
