"""audiencekit privacy: normalize, hash, upload and audit CRM identifiers for ad platforms.

Hashed identifiers are pseudonymous, not anonymous: whoever holds the same identifiers can
recompute the hashes, and low-entropy values can be enumerated.
"""

from ._errors import (
    InputTypeError,
    InvalidInputError,
    ManifestError,
    MissingColumnError,
    PrivacyError,
    ReadError,
    UnknownPlatformError,
    UnsupportedIdentifierError,
)
from ._hashing import Hasher
from ._normalize import NORMALIZATION_VERSION, REASONS, normalize
from ._platforms import KINDS, MIN_AUDIENCE, PLATFORMS

__all__ = [
    "KINDS",
    "MIN_AUDIENCE",
    "NORMALIZATION_VERSION",
    "PLATFORMS",
    "REASONS",
    "Hasher",
    "InputTypeError",
    "InvalidInputError",
    "ManifestError",
    "MissingColumnError",
    "PrivacyError",
    "ReadError",
    "UnknownPlatformError",
    "UnsupportedIdentifierError",
    "normalize",
]
__version__ = "0.1.0"
