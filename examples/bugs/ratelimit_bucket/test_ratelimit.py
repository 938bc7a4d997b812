import pytest

from ratelimit import TokenBucket


def test_burst_up_to_capacity():
    bucket = TokenBucket(3, refill_per_sec=1.0)
    assert [bucket.try_acquire(0.0) for _ in range(4)] == [True, True, True, False]


def test_refill_over_time():
    bucket = TokenBucket(2, refill_per_sec=2.0)
    assert bucket.try_acquire(0.0, cost=2)
    assert not bucket.try_acquire(0.25)
    assert bucket.try_acquire(0.5)


def test_cost_larger_than_tokens():
    bucket = TokenBucket(5, refill_per_sec=1.0)
    assert bucket.try_acquire(0.0, cost=4)
    assert not bucket.try_acquire(0.0, cost=2)
    assert bucket.tokens == 1.0


def test_wait_time():
    bucket = TokenBucket(4, refill_per_sec=2.0)
    assert bucket.wait_time(0.0) == 0.0
    assert bucket.try_acquire(0.0, cost=4)
    assert bucket.wait_time(0.0, cost=3) == 1.5


def test_never_above_capacity():
    bucket = TokenBucket(2, refill_per_sec=10.0)
    bucket.try_acquire(0.0)
    bucket._refill(100.0)
    assert bucket.tokens == 2.0


def test_invalid():
    with pytest.raises(ValueError):
        TokenBucket(0, 1.0)
