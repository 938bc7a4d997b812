"""Parcel prices."""


def shipping_cost(weight, express=False):
    if weight <= 0:
        raise ValueError("weight must be positive")
    cost = 5.0
    if weight > 10:
        cost += (weight - 10) * 0.5
    if express:
        cost = cost + 2
    return round(cost, 2)
