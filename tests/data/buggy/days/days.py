"""Calendar arithmetic."""


def days_in_month(month, year):
    if month < 1 or month > 12:
        raise ValueError("month must be 1..12")
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    if month in (4, 6, 9, 11):
        return 30
    return 30
