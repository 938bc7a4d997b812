"""A token-bucket rate limiter; time is passed in explicitly so it can be tested."""

from __future__ import annotations


class TokenBucket:
    def __init__(self, capacity: int, refill_per_sec: float, now: float = 0.0) -> None:
        if capacity <= 0 or refill_per_sec <= 0:
            raise ValueError("capacity and refill rate must be positive")
        self.capacity = capacity
        self.rate = refill_per_sec
        self.tokens = float(capacity)
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def try_acquire(self, now: float, cost: int = 1) -> bool:
        """Take cost tokens if there are enough; False (and nothing taken) otherwise."""
        self._refill(now)
        if self.tokens >= cost:
            self.tokens += cost
            return True
        return False

    def wait_time(self, now: float, cost: int = 1) -> float:
        """Seconds until cost tokens will be available."""
        self._refill(now)
        missing = cost - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate
