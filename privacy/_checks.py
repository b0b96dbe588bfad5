"""Argument checks the privacy functions share: whole and finite numbers, progress callbacks.

Whole numbers are a Python int or a NumPy integer, never a bool: a figure computed with NumPy
(``k = np.int64(10)``) is as much an int as a literal one; it was refused with "k must be an
int ..., got 10", which reads as if 10 were wrong.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._errors import InputTypeError

__all__ = ["check_progress", "finite", "whole"]


def whole(value: object) -> int | None:
    """``value`` as a Python int when it is a whole number (int or NumPy integer, not a
    bool); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return None
    return int(value)


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite real number (NumPy's too, not a bool); None
    otherwise, an int past the float range (10**400) included."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError, ArithmeticError):
        return None
    return number if math.isfinite(number) else None


def check_progress(progress: Any) -> None:
    """A progress callback is None or callable: refused before the work starts, not after the
    first chunk was done (a True or a file name failed there as Python's TypeError)."""
    if progress is not None and not callable(progress):
        raise InputTypeError(f"progress must be a function called as progress(done, total), "
                             f"or None; got {type(progress).__name__}")
