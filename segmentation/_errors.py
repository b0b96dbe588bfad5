"""The segmentation package's exceptions: one root, leaves that also subclass builtins.

Messages name what was received (a column, a type, a version) and how to fix it; they never quote
a person's data.
"""

from __future__ import annotations

__all__ = [
    "ColumnTypeError",
    "InvalidSegmentError",
    "SeedError",
    "SegmentCycleError",
    "SegmentationError",
    "UnknownColumnError",
]


class SegmentationError(Exception):
    """Root of every error raised by :mod:`segmentation`."""


class InvalidSegmentError(SegmentationError, ValueError):
    """A condition or segment definition that cannot be used as given."""


class SegmentCycleError(InvalidSegmentError):
    """A segment that contains itself through ``in_segment``."""


class UnknownColumnError(SegmentationError, KeyError):
    """A condition names a column the table does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class ColumnTypeError(SegmentationError, TypeError):
    """A condition compares a column with a value of an incompatible type."""


class SeedError(SegmentationError, ValueError):
    """A lookalike seed that is empty, too small, or not in the population."""
