"""Destination platforms and what each one wants, per identifier kind.

This module is the spec's summary table as data: for every (platform, kind) it says whether the
platform takes the identifier, whether it wants it hashed or plain, the upload header, and the
normalization variant. Everything else in :mod:`privacy` reads from here rather than branching on
platform names, so a new destination is one new entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._errors import InputTypeError, UnknownPlatformError, UnsupportedIdentifierError
from ._redact import mask

__all__ = ["ADDRESS", "KEY_TYPES", "KINDS", "MAX_ROWS", "MIN_AUDIENCE", "PLATFORMS", "REPEATS",
           "PlatformRule", "check_kind", "check_platform", "column_name", "file_header",
           "max_columns", "repeats_header", "rule_for", "rules_for_platform"]

PLATFORMS: tuple[str, ...] = ("meta", "google", "tiktok", "snap", "linkedin", "x", "uid2")

KINDS: tuple[str, ...] = (
    "email", "phone", "first_name", "last_name", "city", "state", "zip", "country", "gender",
    "dob", "maid", "external_id",
)

#: Smallest list each platform will serve (spec, "Minimum sizes"). A list under it is still written
#: but reported with a warning.
MIN_AUDIENCE: dict[str, int] = {
    "meta": 100, "google": 100, "tiktok": 1000, "snap": 1000, "linkedin": 300, "x": 100,
    "uid2": 100,
}

#: Kinds a platform's file may hold in several columns, each under the same header, and how
#: many (None: "multiple", no maximum stated). Meta takes up to three email and three phone
#: columns; TikTok lets each header appear three times; Google's customer match file "may
#: include multiple Email, Zip or Phone columns". Every other kind is one column.
REPEATS: dict[tuple[str, str], int | None] = {
    ("meta", "email"): 3, ("meta", "phone"): 3,
    ("tiktok", "email"): 3, ("tiktok", "phone"): 3, ("tiktok", "maid"): 3,
    ("google", "email"): None, ("google", "phone"): None, ("google", "zip"): None,
}

#: Largest list a platform takes in one file (spec: LinkedIn takes 300 to 300,000 rows, 20 MB
#: at most; its file is one 64-character digest per line, so 300,000 rows are 19.5 MB and the
#: row limit is the one that binds). A longer list is reported: the platform refuses the file.
MAX_ROWS: dict[str, int] = {"linkedin": 300_000}

#: Google's customer lists hold one kind of key each (the upload's data type; the API's
#: upload_key_type CONTACT_INFO, CRM_ID or MOBILE_ADVERTISING_ID): contact information,
#: User IDs or mobile device IDs, never two of them in one file.
KEY_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "google": {
        "contact information": ("email", "phone", "first_name", "last_name", "country", "zip"),
        "User ID": ("external_id",),
        "Mobile Device ID": ("maid",),
    },
}
#: The columns a mailing address matches with only when all are given (Google: "your data
#: file must contain these 4 column headers").
ADDRESS: dict[str, tuple[str, ...]] = {
    "google": ("first_name", "last_name", "country", "zip"),
}

Handling = Literal["hash", "plain"]


@dataclass(frozen=True)
class PlatformRule:
    """How one platform takes one identifier kind."""

    platform: str
    kind: str
    handling: Handling
    header: str
    encoding: Literal["hex", "base64"] = "hex"


def _rules() -> dict[tuple[str, str], PlatformRule]:
    table: dict[str, dict[str, tuple[Handling, str]]] = {
        "meta": {
            "email": ("hash", "email"), "phone": ("hash", "phone"), "first_name": ("hash", "fn"),
            "last_name": ("hash", "ln"), "city": ("hash", "ct"), "state": ("hash", "st"),
            "zip": ("hash", "zip"), "country": ("hash", "country"), "gender": ("hash", "gen"),
            "dob": ("hash", "dob"), "maid": ("plain", "madid"),
            "external_id": ("plain", "extern_id"),
        },
        "google": {
            "email": ("hash", "Email"), "phone": ("hash", "Phone"),
            "first_name": ("hash", "First Name"), "last_name": ("hash", "Last Name"),
            "country": ("plain", "Country"), "zip": ("plain", "Zip"),
            "maid": ("plain", "Mobile Device ID"), "external_id": ("plain", "User ID"),
        },
        "tiktok": {
            "email": ("hash", "Email_SHA256"), "phone": ("hash", "Phone_SHA256"),
            "maid": ("hash", "MAID_SHA256"),
        },
        "snap": {
            "email": ("hash", "EMAIL_SHA256"), "phone": ("hash", "PHONE_SHA256"),
            "first_name": ("hash", "FIRST_NAME_SHA256"), "last_name": ("hash", "LAST_NAME_SHA256"),
            "city": ("hash", "CITY_SHA256"), "state": ("hash", "STATE_SHA256"),
            "zip": ("hash", "ZIP_SHA256"), "country": ("hash", "COUNTRY_SHA256"),
            "gender": ("hash", "GENDER_SHA256"), "dob": ("hash", "DOB_SHA256"),
            "maid": ("hash", "MOBILE_AD_ID_SHA256"), "external_id": ("hash", "EXTERNAL_ID_SHA256"),
        },
        "linkedin": {"email": ("hash", "email")},
        "x": {"email": ("hash", "email"), "maid": ("hash", "maid"),
              "external_id": ("plain", "external_id")},
        "uid2": {"email": ("hash", "email_hash"), "phone": ("hash", "phone_hash")},
    }
    rules = {}
    for platform, kinds in table.items():
        for kind, (handling, header) in kinds.items():
            encoding: Literal["hex", "base64"] = "base64" if platform == "uid2" else "hex"
            rules[(platform, kind)] = PlatformRule(platform, kind, handling, header, encoding)
    return rules


_RULES = _rules()


def check_platform(platform: object) -> str:
    """Return the platform name, lower-cased, or raise a clear error."""
    if not isinstance(platform, str):
        raise InputTypeError(
            f"platform must be a str, got {type(platform).__name__}; use one of {PLATFORMS}"
        )
    name = platform.strip().lower()
    if name not in PLATFORMS:
        raise UnknownPlatformError(
            f"unknown platform {mask(platform)!r}; use one of {', '.join(PLATFORMS)}"
        )
    return name


def check_kind(kind: object) -> str:
    """Return the identifier kind, or raise a clear error listing the kinds."""
    if not isinstance(kind, str):
        raise InputTypeError(
            f"kind must be a str, got {type(kind).__name__}; use one of {', '.join(KINDS)} "
            "(the values come first: normalize(values, kind))"
        )
    if kind not in KINDS:
        raise UnsupportedIdentifierError(
            f"unknown identifier kind {mask(kind)!r}; use one of {', '.join(KINDS)} "
            "(the values come first: normalize(values, kind))"
        )
    return kind


def rule_for(platform: str, kind: str) -> PlatformRule:
    """The rule for one (platform, kind); an error names what the platform does take."""
    platform = check_platform(platform)
    kind = check_kind(kind)
    try:
        return _RULES[(platform, kind)]
    except KeyError:
        takes = ", ".join(k for (p, k) in _RULES if p == platform)
        raise UnsupportedIdentifierError(
            f"{platform} does not take {kind!r} identifiers; it takes: {takes}"
        ) from None


def rules_for_platform(platform: str) -> dict[str, PlatformRule]:
    """Every kind the platform takes, in the platform's column order."""
    platform = check_platform(platform)
    return {k: r for (p, k), r in _RULES.items() if p == platform}


def max_columns(platform: str, kind: str) -> int | None:
    """How many columns of ``kind`` the platform's file may hold (None: no stated maximum)."""
    return REPEATS.get((platform, kind), 1)


_NUMBERED = re.compile(r"^(.*) \(([2-9]|[1-9][0-9]+)\)$")


def column_name(header: str, n: int) -> str:
    """The name of the ``n``-th column under ``header`` in a table (names are unique there:
    ``email``, ``email (2)``, ``email (3)``); the file repeats ``header`` itself."""
    return header if n == 1 else f"{header} ({n})"


_REPEATED_HEADERS = frozenset(_RULES[pk].header for pk in REPEATS)


def repeats_header(header: str) -> bool:
    """Whether some platform's file repeats ``header`` (Meta's ``email``, Google's ``Zip``)."""
    return header in _REPEATED_HEADERS


def file_header(name: str) -> str:
    """The header a table column of an upload is written under: ``email (2)`` is ``email``
    when ``email`` is a header that repeats; any other name is itself."""
    match = _NUMBERED.match(name)
    if match is None or not repeats_header(match.group(1)):
        return name
    return match.group(1)
