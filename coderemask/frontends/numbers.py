"""Numbers from the user: command-line flags and the editor's JSON fields, finite and in range.

A ``Range`` says what a value may be (integer or real, its bounds, its unit). ``Range.arg`` is
the argparse ``type=`` of a flag (a bad value exits 2 naming the flag and the value);
``Range.check`` takes a value already decoded (JSON) and names where it came from. NaN, the
infinities, booleans and huge values are refused here, so nothing downstream overflows. This
module knows numbers only: not the commands, the model or the repair.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from coderemask.errors import CoderemaskError


class NumberError(CoderemaskError, ValueError):
    """A number that is not finite, not of the right kind, or out of range."""


@dataclass(frozen=True)
class Range:
    """Integers or finite reals from ``low`` to ``high`` (``low`` itself excluded when ``open_low``)."""

    integer: bool
    low: float
    high: float
    open_low: bool = False
    unit: str = ""

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        low = f"> {_show(self.low)}" if self.open_low else f">= {_show(self.low)}"
        unit = f" ({self.unit})" if self.unit else ""
        return f"{kind} {low} and <= {_show(self.high)}{unit}"

    def check(self, value: object, where: str) -> int | float:
        """``value`` if it is in range, else NumberError naming ``where`` and the value."""
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (self.integer and not isinstance(value, int))
        ):
            raise NumberError(f"{where} is {_short(value)}: must be {self.describe()}")
        if (
            (isinstance(value, float) and not math.isfinite(value))
            or not self.low <= value <= self.high
            or (self.open_low and value == self.low)
        ):
            raise NumberError(f"{where} is {_short(value)}: must be {self.describe()}")
        return value

    def parse(self, text: str, where: str) -> int | float:
        """The number written in ``text`` (a flag's argument), checked."""
        try:
            value: int | float = int(text) if self.integer else float(text)
        except ValueError:
            raise NumberError(f"{where} is {_short(text)}: must be {self.describe()}") from None
        return self.check(value, where)

    def arg(self, text: str) -> int | float:
        """argparse ``type=``: argparse prefixes the message with ``argument --FLAG:``."""
        try:
            return self.parse(text, "")
        except NumberError:
            raise argparse.ArgumentTypeError(f"{_short(text)}: must be {self.describe()}") from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _show(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


#: Seconds of any time limit: beyond about 11 days, timers overflow or nobody waits anyway.
SECONDS = Range(integer=False, low=0, high=1e6, open_low=True, unit="seconds")
MINUTES = Range(integer=False, low=0, high=1e4, open_low=True, unit="minutes")
#: A count of something (rounds, forward passes, tasks, steps): at least one.
COUNT = Range(integer=True, low=1, high=1e9)
#: A count where 0 means "all" or "none".
COUNT_OR_ZERO = Range(integer=True, low=0, high=1e9)
#: Rows of one model batch, or worker processes: more would exhaust memory long before helping.
BATCH = Range(integer=True, low=1, high=4096)
#: A random seed (numpy's range, so every generator accepts it).
SEED = Range(integer=True, low=0, high=2**32 - 1)
#: A positive factor or rate (a time-limit factor, a learning rate, megabytes).
POSITIVE = Range(integer=False, low=0, high=1e9, open_low=True)
#: A non-negative amount (a temperature, a remasking strength, GPUs per worker).
NON_NEGATIVE = Range(integer=False, low=0, high=1e9)
#: A share of something (training windows corrupted): from 0 to 1.
SHARE = Range(integer=False, low=0, high=1)
