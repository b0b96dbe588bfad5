"""audiencekit privacy: normalize, hash, upload and audit CRM identifiers for ad platforms.

Hashed identifiers are pseudonymous, not anonymous: whoever holds the same identifiers can
recompute the hashes, and low-entropy values can be enumerated.
"""

from . import psi
from ._audit import AuditReport, Finding, audit
from ._disclosure import BudgetExhaustedError, Disclosure, SafeCount, round_significant
from ._errors import (
    InputTypeError,
    InvalidInputError,
    ManifestError,
    MissingColumnError,
    PrivacyError,
    PsiError,
    ReadError,
    UnknownPlatformError,
    UnsupportedIdentifierError,
    WriteError,
)
from ._hashing import Hasher
from ._manifest import (
    generate_signing_key,
    load_private_key,
    load_public_key,
    sign_manifest,
    verify_manifest,
)
from ._normalize import NORMALIZATION_VERSION, REASONS, normalize
from ._pipeline import prepare_values
from ._platforms import KINDS, MIN_AUDIENCE, PLATFORMS
from ._spark import SparkUpload
from ._synthetic import synthetic_crm
from ._upload import Upload, UploadReport, prepare_upload

__all__ = [
    "KINDS",
    "MIN_AUDIENCE",
    "NORMALIZATION_VERSION",
    "PLATFORMS",
    "REASONS",
    "AuditReport",
    "BudgetExhaustedError",
    "Disclosure",
    "Finding",
    "Hasher",
    "InputTypeError",
    "InvalidInputError",
    "ManifestError",
    "MissingColumnError",
    "PrivacyError",
    "PsiError",
    "ReadError",
    "SafeCount",
    "SparkUpload",
    "UnknownPlatformError",
    "UnsupportedIdentifierError",
    "Upload",
    "UploadReport",
    "WriteError",
    "audit",
    "generate_signing_key",
    "load_private_key",
    "load_public_key",
    "normalize",
    "prepare_upload",
    "prepare_values",
    "psi",
    "round_significant",
    "sign_manifest",
    "synthetic_crm",
    "verify_manifest",
]
__version__ = "0.1.0"
