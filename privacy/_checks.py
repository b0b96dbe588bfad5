"""Arguments that must be whole numbers: a Python int or a NumPy integer, never a bool.

A figure computed with NumPy (``k = np.int64(10)``) is as much an int as a literal one; it was
refused with "k must be an int ..., got 10", which reads as if 10 were wrong.
"""

from __future__ import annotations

import numpy as np

__all__ = ["whole"]


def whole(value: object) -> int | None:
    """``value`` as a Python int when it is a whole number (int or NumPy integer, not a
    bool); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return None
    return int(value)
