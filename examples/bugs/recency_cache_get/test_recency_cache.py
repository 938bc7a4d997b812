import pytest

from recency_cache import LRUCache


def test_put_and_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("b", "none") == "none"


def test_evicts_least_recently_put():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache
    assert len(cache) == 2


def test_get_refreshes_an_entry():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "a" in cache
    assert "b" not in cache


def test_recency_order():
    cache = LRUCache(3)
    for key in "xyz":
        cache.put(key, key.upper())
    cache.get("x")
    cache.put("y", "Y2")
    assert cache.keys_by_recency() == ["z", "x", "y"]


def test_hit_rate():
    cache = LRUCache(1)
    cache.put("k", 0)
    cache.get("k")
    cache.get("q")
    assert cache.hit_rate() == 0.5


def test_invalid_capacity():
    with pytest.raises(ValueError):
        LRUCache(0)
