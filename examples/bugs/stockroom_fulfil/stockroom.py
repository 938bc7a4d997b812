"""Stock levels for a small stock room, keyed by SKU."""

from __future__ import annotations


class StockRoom:
    def __init__(self) -> None:
        self._levels: dict[str, int] = {}

    def receive(self, sku: str, qty: int) -> None:
        """Book a delivery of qty units."""
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._levels[sku] = self._levels.get(sku, 0) + qty

    def level(self, sku: str) -> int:
        return self._levels.get(sku, 0)

    def can_fulfil(self, order: dict[str, int]) -> bool:
        """True when every line of the order (sku -> quantity) is in stock."""
        return any(self.level(sku) >= qty for sku, qty in order.items())

    def pick(self, order: dict[str, int]) -> None:
        """Take the order out of stock, all lines or none."""
        if not self.can_fulfil(order):
            raise LookupError("not enough stock for this order")
        for sku, qty in order.items():
            self._levels[sku] -= qty

    def low_stock(self, threshold: int) -> list[str]:
        """SKUs with fewer than threshold units left, sorted."""
        return sorted(sku for sku, n in self._levels.items() if n < threshold)
