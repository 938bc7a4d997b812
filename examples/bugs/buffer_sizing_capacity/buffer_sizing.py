"""A byte buffer that grows in powers of two, like the ones behind list.append."""

from __future__ import annotations

MIN_CAPACITY = 8


def next_capacity(needed: int) -> int:
    """The smallest power of two that is >= needed, and at least MIN_CAPACITY."""
    capacity = 0
    while capacity < needed:
        capacity *= 2
    return max(capacity, MIN_CAPACITY)


class GrowableBuffer:
    def __init__(self) -> None:
        self._data = bytearray(MIN_CAPACITY)
        self.size = 0
        self.resizes = 0

    @property
    def capacity(self) -> int:
        return len(self._data)

    def append(self, chunk: bytes) -> None:
        end = self.size + len(chunk)
        if end > self.capacity:
            bigger = bytearray(next_capacity(end))
            bigger[:self.size] = self._data[:self.size]
            self._data = bigger
            self.resizes += 1
        self._data[self.size:end] = chunk
        self.size = end

    def getvalue(self) -> bytes:
        return bytes(self._data[:self.size])
