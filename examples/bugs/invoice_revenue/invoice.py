"""Invoices with per-line prices and unit costs, for a small shop's books."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineItem:
    sku: str
    quantity: int
    price: float  # what the customer pays per unit
    cost: float  # what one unit cost us


class Invoice:
    def __init__(self, items: list[LineItem] | None = None) -> None:
        self.items: list[LineItem] = list(items or [])

    def add(self, item: LineItem) -> None:
        if item.quantity <= 0:
            raise ValueError("quantity must be positive")
        self.items.append(item)

    def revenue(self) -> float:
        """What the customer pays in total."""
        return round(sum(item.quantity * item.cost for item in self.items), 2)

    def total_cost(self) -> float:
        """What the goods on this invoice cost us."""
        return round(sum(item.quantity * item.cost for item in self.items), 2)

    def profit(self) -> float:
        return round(self.revenue() - self.total_cost(), 2)

    def margin(self) -> float:
        """Profit as a fraction of revenue, 4 decimals (0.0 for an empty invoice)."""
        revenue = self.revenue()
        if revenue == 0:
            return 0.0
        return round(self.profit() / revenue, 4)
