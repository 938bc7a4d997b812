import pytest

from checkout_queue import average_wait, idle_time, longest_wait, simulate

ARRIVALS = [0.0, 1.0, 2.0, 10.0]
SERVICE = [3.0, 2.0, 1.0, 1.0]


def test_simulate():
    assert simulate(ARRIVALS, SERVICE) == [0.0, 2.0, 3.0, 0.0]


def test_average_wait():
    assert average_wait(ARRIVALS, SERVICE) == 1.25


def test_average_wait_nobody_waits():
    assert average_wait([0.0, 5.0], [1.0, 1.0]) == 0.0


def test_average_wait_single_customer_queue():
    assert average_wait([0.0, 0.0], [4.0, 1.0]) == 2.0


def test_average_wait_empty():
    assert average_wait([], []) == 0.0


def test_longest_and_idle():
    assert longest_wait(ARRIVALS, SERVICE) == 3.0
    assert idle_time(ARRIVALS, SERVICE) == 4.0
    with pytest.raises(ValueError):
        simulate([1.0], [])
