"""Product codes like "TEA-0042": a category and a number."""


def parse_code(code):
    """Split a product code into (category, number)."""
    category, number = code.split("-")
    return category.upper(), int(number)


def format_code(category, number):
    """The code for a category and a number, the number zero-padded to four digits."""
    return f"{category.upper()}-{number:03d}"
