"""Parcel shipping prices: a base fee plus a rate per started kilogram of billable weight."""

from __future__ import annotations

import math
from dataclasses import dataclass

VOLUMETRIC_DIVISOR = 5000  # cm^3 per kg
BASE_FEE = 4.50
PER_KG = 1.20
MAX_SIDE_CM = 120


@dataclass(frozen=True)
class Parcel:
    weight_kg: float
    length_cm: float
    width_cm: float
    height_cm: float

    def sides(self) -> tuple[float, float, float]:
        return self.length_cm, self.width_cm, self.height_cm


def accepted(parcel: Parcel) -> bool:
    return parcel.weight_kg > 0 and max(parcel.sides()) <= MAX_SIDE_CM


def shipping_cost(parcel: Parcel) -> float:
    """Billable weight is the larger of the real and the volumetric weight (volume / 5000),
    rounded up to whole kilograms."""
    if not accepted(parcel):
        raise ValueError("parcel not accepted")
    volume = parcel.length_cm * parcel.width_cm * parcel.width_cm
    billable = max(parcel.weight_kg, volume / VOLUMETRIC_DIVISOR)
    return round(BASE_FEE + billable * PER_KG, 2)


def girth(parcel: Parcel) -> float:
    """Length (longest side) plus the distance around the other two sides."""
    a, b, c = sorted(parcel.sides(), reverse=True)
    return a + 2 * (b + c)


def cheapest_split(parcels: list[Parcel]) -> float:
    return round(sum(shipping_cost(p) for p in parcels), 2)


def kilograms_billed(parcels: list[Parcel]) -> int:
    return sum(math.ceil(p.weight_kg) for p in parcels)
