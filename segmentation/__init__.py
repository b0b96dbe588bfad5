"""audiencekit segmentation: demographic and behavioral audiences from profiles and events.

Conditions (:func:`field`, :func:`event`) combine with ``&``, ``|`` and ``~`` into a
:class:`Segment`, which compiles to polars and to SQL; a :class:`Population` evaluates it into an
:class:`Audience`.
"""

from ._conditions import Condition, event, field, in_segment, parse_duration
from ._discover import Cluster, Discovery, discover
from ._errors import (
    ColumnTypeError,
    InvalidSegmentError,
    SeedError,
    SegmentationError,
    SegmentCycleError,
    UnknownColumnError,
)
from ._lookalike import (
    DEFAULT_CANDIDATES,
    Lookalike,
    LookalikeEvaluation,
    LookalikeSelection,
    evaluate_lookalike,
    lift_chart,
    select_lookalike,
)
from ._population import Audience, Population
from ._rfm import RFM, rfm
from ._segments import SCHEMA_VERSION, Segment, describe
from ._synthetic import (
    DEFAULT_NOW,
    EVENT_TYPES,
    INTERESTS,
    PLATFORM_EVENTS,
    PLATFORM_FEATURES,
    synthetic_population,
)

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
    "LookalikeSelection",
    "Population",
    "SeedError",
    "Segment",
    "SegmentCycleError",
    "SegmentationError",
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
    "synthetic_population",
]
