"""Checkout totals."""


def order_total(price, quantity, code=None):
    subtotal = price * quantity
    if code == "HALF":
        discount = subtotal / 2
    elif code == "TENOFF":
        discount = min(10, price)
    else:
        discount = 0
    return subtotal - discount
