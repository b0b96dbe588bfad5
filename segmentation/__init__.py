"""audiencekit segmentation: audiences, behavioral segments and lookalikes (in progress).

Only the error root exists so far; conditions, populations and the lookalike model follow in
their own issues.
"""

from ._errors import SegmentationError

__all__ = ["SegmentationError"]
