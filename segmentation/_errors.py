"""The segmentation package's exceptions: one root, leaves that also subclass builtins."""

from __future__ import annotations

__all__ = ["SegmentationError"]


class SegmentationError(Exception):
    """Root of every error raised by :mod:`segmentation`."""
