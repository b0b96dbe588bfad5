"""audiencekit segmentation: demographic and behavioral audiences from profiles and events.

Conditions (:func:`field`, :func:`event`) combine with ``&``, ``|`` and ``~`` into a
:class:`Segment`; a :class:`Population` (polars, DuckDB or Spark tables) evaluates it into an
:class:`Audience` in its own engine, and ``Segment.to_sql`` writes it as SQL text.
"""

from typing import TYPE_CHECKING

from ._conditions import Condition, event, field, in_segment, parse_duration
from ._errors import (
    ColumnTypeError,
    InvalidSegmentError,
    SeedError,
    SegmentationError,
    SegmentCycleError,
    UnknownColumnError,
)
from ._population import Audience, Population
from ._rfm import RFM, rfm
from ._segments import SCHEMA_VERSION, Segment, describe
from ._shareable import ShareableReport, shareable_report
from ._synthetic import (
    DEFAULT_NOW,
    EVENT_TYPES,
    INTERESTS,
    PLATFORM_EVENTS,
    PLATFORM_FEATURES,
    synthetic_population,
)

if TYPE_CHECKING:  # the lazily loaded names, for type checkers
    from ._discover import Cluster, Discovery, discover
    from ._lookalike import (
        DEFAULT_CANDIDATES,
        Lookalike,
        LookalikeEvaluation,
        LookalikeNotFittedError,
        LookalikeSelection,
        evaluate_lookalike,
        lift_chart,
        select_lookalike,
    )

# The model's dependencies (scikit-learn: about 2 s to import) load when a lookalike or a
# discovery is first used, not for building segments (PEP 562).
_LAZY = {
    "DEFAULT_CANDIDATES": "_lookalike", "Lookalike": "_lookalike",
    "LookalikeEvaluation": "_lookalike", "LookalikeSelection": "_lookalike",
    "LookalikeNotFittedError": "_lookalike",
    "evaluate_lookalike": "_lookalike", "lift_chart": "_lookalike",
    "select_lookalike": "_lookalike",
    "Cluster": "_discover", "Discovery": "_discover", "discover": "_discover",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'segmentation' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_NOW",
    "EVENT_TYPES",
    "INTERESTS",
    "PLATFORM_EVENTS",
    "PLATFORM_FEATURES",
    "RFM",
    "SCHEMA_VERSION",
    "Audience",
    "Cluster",
    "ColumnTypeError",
    "Condition",
    "Discovery",
    "InvalidSegmentError",
    "Lookalike",
    "LookalikeEvaluation",
    "LookalikeNotFittedError",
    "LookalikeSelection",
    "Population",
    "SeedError",
    "Segment",
    "SegmentCycleError",
    "SegmentationError",
    "ShareableReport",
    "UnknownColumnError",
    "describe",
    "discover",
    "evaluate_lookalike",
    "event",
    "field",
    "in_segment",
    "lift_chart",
    "parse_duration",
    "rfm",
    "select_lookalike",
    "shareable_report",
    "synthetic_population",
]
