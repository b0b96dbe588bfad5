"""Per-platform normalization of CRM identifiers, vectorized with polars expressions.

Every kind is a function from a string expression (and the platform, and a per-row region column)
to two expressions: the normalized value, and the reason it was rejected (null when valid). A
rejected value is null in the output and is never hashed; its reason is kept so that callers can
count rejections instead of losing rows silently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, overload

import numpy as np
import polars as pl
import pyarrow as pa

from ._checks import MISSING_TIME, check_one_column, standard_time
from ._errors import InputTypeError, InvalidInputError, UnsupportedIdentifierError
from ._geo import country_lookup, region_lookup, state_country, state_lookup
from ._io import arrow_unreadable, temporal_text
from ._phone import SUPPORTED_REGIONS, express_lane, normalize_phones, run_lanes
from ._platforms import check_kind, check_platform, rule_for
from ._redact import mask, safe_name

__all__ = ["GENDER_WORDS", "NORMALIZATION_VERSION", "REASONS", "normalize", "normalize_frame",
           "resolve_regions"]

#: Bumped whenever a rule changes the output of an accepted input; recorded in manifests.
NORMALIZATION_VERSION = "2026.12.13"

#: Why a value can be rejected. Stable strings: reports and manifests count by them.
REASONS: tuple[str, ...] = (
    "empty", "placeholder", "already_hashed", "malformed", "invalid_for_region",
    "unknown_country_code", "unknown_code", "unsupported_value", "invalid_date", "out_of_range",
    "opted_out", "invalid_encoding", "control_character", "too_long", "unknown_country",
    "spreadsheet_formula", "invisible_character",
)

#: The longest raw value (characters, surrounding blanks excluded) each kind accepts.
MAX_LENGTH: dict[str, int] = {
    "email": 254, "phone": 64, "first_name": 128, "last_name": 128, "city": 128, "state": 64,
    "zip": 32, "country": 64, "gender": 32, "dob": 64, "maid": 64, "external_id": 256,
}
#: Kinds whose reading depends on the row's region (phone plans, ZIP shapes, states, dates).
REGIONAL_KINDS = frozenset({"phone", "zip", "state", "dob"})
# U+FFFD is what undecodable bytes become when read: never a character of an identifier.
_BAD_ENCODING = "\ufffd"
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
# Unicode format characters (category Cf): zero-width spaces, direction marks and embeddings,
# soft hyphens, byte order marks, word joiners, tag characters. Invisible, so copy-paste brings
# them along, and a value that keeps one hashes to something no platform will ever match.
_INVISIBLE = r"\p{Cf}"
_INVISIBLE_EDGES = r"^[\s\p{Cf}]+|[\s\p{Cf}]+$"
# Kinds whose rules already drop what is not part of the value (a phone's punctuation, a
# name's): invisible characters inside are dropped too. Names and cities keep the zero-width
# non-joiner and joiner, which spell Persian and Indic names.
_INVISIBLE_BUT_JOINERS = r"[\p{Cf}--[\x{200C}\x{200D}]]"
_INVISIBLE_DROPPED = {"phone": _INVISIBLE, "first_name": _INVISIBLE_BUT_JOINERS,
                      "last_name": _INVISIBLE_BUT_JOINERS, "city": _INVISIBLE_BUT_JOINERS}
# What a spreadsheet runs as a formula when it starts a cell (OWASP's CSV injection list).
_FORMULA = r"^[=+\-@]"

#: Values CRMs use for "no value": never an identifier, never hashed (folded comparison).
PLACEHOLDERS = (
    "null", "none", "nil", "nan", "n/a", "na", "n.a.", "unknown", "unk", "undefined", "-",
    "--", "?", "0", "x", "xx", "xxx", "test", "tbd", "not available", "not provided",
    "no email", "noemail", "no phone", "missing", "blank", "empty", "[]", "{}", "none given",
    "false", "true", "1234567890", "0000000000", "a@a.com",
    "test@test.com", "test@example.com", "none@none.com", "noemail@noemail.com",
    "email@email.com", "no@email.com",
)
# One anchored, case-insensitive alternation: a regex pass instead of lower-casing every value.
_PLACEHOLDER = "(?i)^(?:" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")$"
_HASH_LIKE = r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"
# The local part: runs of allowed characters joined by single dots (no leading, trailing or
# doubled dot); the domain: labels that start and end with a letter or digit, so no ".." there,
# and a top-level label of two or more letters or an IDN A-label ("xn--"), as every TLD in the
# root zone is: "a@b.c", "a@b.123", "a@b.co1", "a@b.com-" reach no mailbox.
_EMAIL = (
    r"^[^\s@\"(),:;<>\[\]\\.]+(?:\.[^\s@\"(),:;<>\[\]\\.]+)*"
    r"@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+"
    r"(?:\p{L}{2,}|xn--[a-z0-9\-]*[a-z0-9])$"
)
# A domain label over 63 octets (RFC 1035, 2.3.4): no DNS name has it.
_LONG_LABEL = r"@(?:[^.]*\.)*[^.]{64}"
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_NAME_AFFIXES = (
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "rev", "jr", "sr", "ii",
    "iii", "iv", "phd", "md", "esq", "dds",
)
_MONTH_FIRST_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH",
                                  "PW", "BZ"})

Expr = pl.Expr


def _reason_chain(*pairs: tuple[Expr, str]) -> Expr:
    """The first reason whose condition holds, else null."""
    chain: Any = None
    for cond, reason in pairs:
        chain = (pl.when(cond) if chain is None else chain.when(cond)).then(pl.lit(reason))
    return chain.otherwise(pl.lit(None, dtype=pl.Utf8))


def _lower(e: Expr) -> Expr:
    return e.str.normalize("NFC").str.to_lowercase().str.normalize("NFC")


#: UID2's operator lower-cases A-Z only and leaves other letters as written ('José@' keeps
#: its 'é', 'ÉLISE@' its 'É'; no Unicode normalization): its documentation says "convert all
#: ASCII characters to lowercase".
_ASCII_UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_ASCII_LOWER = [c.lower() for c in _ASCII_UPPER]


def _squash_spaces(e: Expr) -> Expr:
    return e.str.replace_all(r"\s+", " ").str.strip_chars()


def _unaccented(e: Expr) -> Expr:
    """Lower case with accents removed ('Février' 'fevrier')."""
    return e.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")


def _fold(e: Expr) -> Expr:
    """Lookup key: lower case, accents removed, punctuation as spaces, spaces collapsed."""
    return _squash_spaces(_unaccented(e).str.replace_all(r"[^\p{L}\p{N}]+", " "))


# --- kinds -------------------------------------------------------------------------------------
# Each takes (raw string expression, platform, region expression, dayfirst) and returns
# (candidate value, kind-specific reason or null). Emptiness and hash-likeness are handled once.

def _email(frame: pl.LazyFrame, platform: str, dayfirst: bool | None,
           unicode: bool = False) -> pl.LazyFrame:
    """Email rules as one lazy plan. ``unicode``: lower case in NFC (costly: the caller runs it
    only on the rare non-ASCII values, see :func:`normalize_frame`)."""
    raw = pl.col("raw")
    raw = raw.str.replace_all(r"\s+", "") if platform in ("google", "tiktok") else raw
    stripped = raw.str.strip_chars()
    if unicode and platform == "uid2":  # UID2 lower-cases ASCII letters only, as written
        lowered = stripped.str.replace_many(_ASCII_UPPER, _ASCII_LOWER)
    else:
        lowered = _lower(stripped) if unicode else stripped.str.to_lowercase()
    frame = frame.with_columns(_e=lowered)
    e = pl.col("_e")
    if platform not in ("google", "uid2", "tiktok"):
        bad = ~e.str.contains(_EMAIL) | e.str.contains(_LONG_LABEL)  # dots: see the pattern
        if unicode:
            bad = bad | _unstable_domain(e)
        return frame.with_columns(cand=e, why=_reason_chain(
            (_local_part_too_long(e), "too_long"), (bad.fill_null(True), "malformed")))
    # Split at the first "@": a second "@" stays in the domain and fails the pattern below.
    parts = e.str.split_exact("@", 1)
    frame = frame.with_columns(
        _local=parts.struct.field("field_0"), _domain=parts.struct.field("field_1")
    )
    local, domain = pl.col("_local"), pl.col("_domain")
    drop_tag = local.str.replace(r"\+.*$", "")
    if platform in ("google", "uid2"):
        gmail = domain.is_in(["gmail.com", "googlemail.com"] if platform == "google" else
                             ["gmail.com"])
        frame = frame.with_columns(
            _local=pl.when(gmail).then(drop_tag.str.replace_all(".", "", literal=True))
            .otherwise(local)
        )
    else:  # tiktok
        frame = frame.with_columns(_local=drop_tag)
    frame = frame.with_columns(
        cand=pl.when(domain.is_not_null()).then(local + "@" + domain).otherwise(e)
    )
    cand = pl.col("cand")
    # The pattern also refuses a local part that starts or ends with a dot, and doubled dots.
    bad = ~cand.str.contains(_EMAIL) | cand.str.contains(_LONG_LABEL)
    if unicode:
        bad = bad | _unstable_domain(cand)
    return frame.with_columns(why=_reason_chain(  # the limit holds for the address as given
        (_local_part_too_long(e), "too_long"), (bad.fill_null(True), "malformed")))


def _unstable_domain(e: Expr) -> Expr:
    """A domain with a character that NFKC changes (full-width 'ｇｍａｉｌ.ｃｏｍ', half-width
    katakana, ligatures, circled letters): IDNA2008 disallows every such character (RFC 5892,
    2.3: toNFKC_Casefold changes it), so the domain is no DNS name, and mapping it to
    'gmail.com' would be a guess at what was meant. ASCII never changes (checked only on the
    values the caller runs with ``unicode``)."""
    domain = e.str.extract(r"@([^@]*)$", 1)
    return (domain != domain.str.normalize("NFKC")).fill_null(False)


def _local_part_too_long(e: Expr) -> Expr:
    """An address whose local part (before the last "@") is over 64 octets, the limit of
    RFC 5321 (4.5.3.1.1): no mailbox has it, so no platform user matches it."""
    local = e.str.replace(r"@[^@]*$", "")
    return (e.str.contains("@", literal=True) & (local.str.len_bytes() > 64)).fill_null(False)


def _name(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    # punctuation goes before NFC, not after: a combining accent after a removed mark ("i-́")
    # was left beside its letter uncomposed, so the output was not NFC and the same name
    # written composed hashed differently
    if platform in ("meta", "google"):
        s = s.str.replace_all(r"[\p{P}\p{S}]+", "")
    e = _squash_spaces(_lower(s))
    if platform == "google":
        affix = "|".join(_NAME_AFFIXES)
        e = _squash_spaces(
            e.str.replace(rf"^(?:(?:{affix})\s+)+", "").str.replace(rf"(?:\s+(?:{affix}))+$", "")
        )
    return e, _reason_chain((~e.str.contains(r"\p{L}"), "malformed"))


def _city(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    # punctuation and spaces go before NFC (see _name)
    e = (_lower(s.str.replace_all(r"[\p{P}\p{S}\s]+", "")) if platform == "meta"
         else _squash_spaces(_lower(s)))
    return e, _reason_chain((~e.str.contains(r"\p{L}"), "malformed"))


def _state(frame: pl.LazyFrame, platform: str, dayfirst: bool | None) -> pl.LazyFrame:
    # Staged: the code and the other form feed both the value and the reason, and polars does
    # not share them across when/then branches.
    raw = pl.col("raw")
    frame = frame.with_columns(
        _code=_fold(raw).replace_strict(state_lookup(), default=None, return_dtype=pl.Utf8),
        # Outside the US and Canada the platforms want the lower-cased name, no punctuation.
        _other=_lower(raw.str.replace_all(r"[\p{P}\p{S}\s]+", "")),  # then NFC: see _name
    )
    code, other = pl.col("_code"), pl.col("_other")
    region = pl.col("region")
    north_america = region.is_in(["US", "CA"])
    # A US row's state is a US state (DC and the territories included), a Canadian row's a
    # province: "ON" on a US row is a data error, not Ontario's code to hash.
    other_country = north_america & code.replace_strict(
        state_country(), default=None, return_dtype=pl.Utf8).ne(region).fill_null(False)
    # Elsewhere the lower-cased name as written: "Texas" on a German row is not Texas's code,
    # and "BY" there is Bavaria's own abbreviation, not a US or Canadian one.
    frame = frame.with_columns(
        cand=pl.when(~north_america).then(other).when(~other_country).then(code)
    )
    value = pl.col("cand")
    return frame.with_columns(why=_reason_chain(
        (code.is_null() & north_america, "unknown_code"),
        (other_country, "invalid_for_region"),
        (value.is_null() | ~value.str.contains(r"\p{L}"), "malformed"),
    ))


def _country(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    code = _fold(s).replace_strict(country_lookup(), default=None, return_dtype=pl.Utf8)
    if platform == "google":
        code = code.str.to_uppercase()
    return code, _reason_chain((code.is_null(), "unknown_code"))


def _zip(frame: pl.LazyFrame, platform: str, dayfirst: bool | None) -> pl.LazyFrame:
    # Staged like _state: both forms feed the value and the reason.
    e = pl.col("raw").str.strip_chars()
    frame = frame.with_columns(
        # Spreadsheets drop the leading zeros of New England ZIPs; 3-4 digits are padded back.
        _us=e.str.extract(r"^([0-9]{3,5})(?:[\s\-]?[0-9]{4})?$", 1).str.zfill(5),
        _other=_lower(e).str.replace_all(r"[\s\-]+", ""),
    )
    us, other = pl.col("_us"), pl.col("_other")
    is_us = pl.col("region") == "US"
    # Snap takes 5-digit codes: elsewhere than the US, one written so (never a US ZIP padded
    # from 4 digits, nor a ZIP+4 cut, where the country is not the US or not known)
    bad_other = ~other.str.contains(r"^[0-9]{5}$" if platform == "snap"
                                    else r"^[\p{L}\p{N}]{2,10}$")
    return frame.with_columns(
        cand=pl.when(is_us).then(us).otherwise(other),
        why=_reason_chain(
            (is_us & us.is_null(), "malformed"),
            (~is_us & bad_other.fill_null(True), "malformed"),
        ),
    )


_GENDERS = {
    "f": "f", "female": "f", "woman": "f", "fem": "f", "girl": "f",
    "m": "m", "male": "m", "man": "m", "boy": "m",
    # the words of European CRMs, folded ('féminin' 'feminin'); never their one-letter codes,
    # which collide: Spain's 'M' is mujer (a woman), Germany's 'W' weiblich, France's 'H' homme
    "femme": "f", "feminin": "f", "weiblich": "f", "frau": "f", "mujer": "f", "femenino": "f",
    "femmina": "f", "femminile": "f", "donna": "f", "feminino": "f", "mulher": "f",
    "vrouw": "f", "vrouwelijk": "f", "kvinde": "f", "kvinne": "f", "kvinna": "f",
    "homme": "m", "masculin": "m", "mannlich": "m", "mann": "m", "hombre": "m",
    "masculino": "m", "maschio": "m", "maschile": "m", "uomo": "m", "homem": "m",
    "mannelijk": "m", "mand": "m",
}
#: The words read as a gender (the audit hashes them as CRMs write them).
GENDER_WORDS: tuple[str, ...] = tuple(_GENDERS)


def _gender(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    g = _fold(s).replace_strict(_GENDERS, default=None, return_dtype=pl.Utf8)
    return g, _reason_chain((g.is_null(), "unsupported_value"))


#: Month names and their usual abbreviations, in English and in the languages of European
#: CRMs (French, German, Spanish, Italian, Portuguese, Dutch), lower case without accents
#: ('février' is 'fevrier', 'März' 'marz'). Only these words are months: a word that merely
#: starts like one ('junk', 'decimal', 'marzipan') is no month, never guessed as one.
_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "janvier", "janv", "januar", "janner", "enero", "ene", "gennaio",
        "gen", "janeiro", "januari"),
    2: ("february", "feb", "fevrier", "fevr", "fev", "februar", "febrero", "febbraio",
        "fevereiro", "februari"),
    3: ("march", "mar", "mars", "marz", "marzo", "marco", "maart", "mrt"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei"),
    6: ("june", "jun", "juin", "juni", "junio", "giugno", "giu", "junho"),
    7: ("july", "jul", "juillet", "juil", "juli", "julio", "luglio", "lug", "julho"),
    8: ("august", "aug", "aout", "agosto", "ago", "augustus"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre",
        "set", "setembro"),
    10: ("october", "oct", "octobre", "oktober", "okt", "octubre", "ottobre", "ott",
         "outubro", "out"),
    11: ("november", "nov", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "decembre", "dezember", "dez", "diciembre", "dic", "dicembre",
         "dezembro"),
}
_MONTHS = {word: month for month, words in _MONTH_WORDS.items() for word in words}


#: Dates no birth date can be: 'infinity' (DuckDB's and PostgreSQL's, and a date column's values
#: past the years polars writes) and years before 0 or past 9999, as polars writes them
#: ('+10000-01-01', '-0005-01-01'): out of range, not malformed
_FAR_DATE = r"^(?:[+-]?infinity|(?:[+-][0-9]{4,}|[0-9]{5,})-[0-9]{1,2}-[0-9]{1,2}(?:[t ].*)?)$"


def _dob(frame: pl.LazyFrame, platform: str, dayfirst: bool | None,
         today: dt.date | None = None) -> pl.LazyFrame:
    today = today or dt.date.today()
    # the stripped and lower-cased text once, as columns (shared by the four patterns)
    frame = frame.with_columns(_e=pl.col("raw").str.strip_chars())
    # lower case without accents, for month names ('16 février 1997' reads 'fevrier')
    frame = frame.with_columns(_low=_unaccented(pl.col("_e")))
    e, low = pl.col("_e"), pl.col("_low")
    frame = frame.with_columns(
        _iso=e.str.extract_groups(r"^([0-9]{4})[-/.]?([0-9]{1,2})[-/.]?([0-9]{1,2})(?:[T ].*)?$"),
        _num=e.str.extract_groups(r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})$"),
        # "16 Feb 1997", "16-feb-1997", "16. Februar 1997", "1er mars 1997",
        # "16 de febrero de 1997"
        _word1=low.str.extract_groups(
            r"^([0-9]{1,2})(?:\.|er|st|nd|rd|th)?[\s\-]+(?:de\s+)?([a-z]+)\.?[\s\-,]+"
            r"(?:de\s+)?([0-9]{4})$"
        ),
        # "February 16, 1997", "Feb. 16th 1997"
        _word2=low.str.extract_groups(
            r"^([a-z]+)\.?[\s\-]+([0-9]{1,2})(?:st|nd|rd|th)?,?[\s\-]+([0-9]{4})$"
        ),
    )
    iso, num, word1, word2 = (pl.col(c) for c in ("_iso", "_num", "_word1", "_word2"))
    region = pl.col("region")
    a = num.struct.field("1").cast(pl.Int32)
    b = num.struct.field("2").cast(pl.Int32)
    ny = num.struct.field("3")
    this_year = today.year  # two-digit years: born in the last century or this one
    yy = ny.cast(pl.Int32)
    num_year = pl.when(ny.str.len_chars() == 2).then(
        pl.when(yy > this_year % 100).then(1900 + yy).otherwise(2000 + yy)
    ).otherwise(yy)
    # Ambiguous numeric dates (03/04/1990) follow the region's convention unless told.
    month_first = region.is_in(list(_MONTH_FIRST_REGIONS)) if dayfirst is None else pl.lit(
        not dayfirst
    )
    use_mf = pl.when(b > 12).then(True).when(a > 12).then(False).otherwise(month_first)
    month = pl.coalesce(
        iso.struct.field("2").cast(pl.Int32),
        pl.when(use_mf).then(a).otherwise(b),
        word1.struct.field("2").replace_strict(_MONTHS, default=None, return_dtype=pl.Int32),
        word2.struct.field("1").replace_strict(_MONTHS, default=None, return_dtype=pl.Int32),
    )
    day = pl.coalesce(
        iso.struct.field("3").cast(pl.Int32),
        pl.when(use_mf).then(b).otherwise(a),
        word1.struct.field("1").cast(pl.Int32),
        word2.struct.field("2").cast(pl.Int32),
    )
    year = pl.coalesce(
        iso.struct.field("1").cast(pl.Int32), num_year,
        word1.struct.field("3").cast(pl.Int32), word2.struct.field("3").cast(pl.Int32),
    )
    frame = frame.with_columns(_y=year, _m=month, _d=day)
    y, m, d = pl.col("_y"), pl.col("_m"), pl.col("_d")
    text = (
        y.cast(pl.Utf8).str.zfill(4) + "-" + m.cast(pl.Utf8).str.zfill(2) + "-"
        + d.cast(pl.Utf8).str.zfill(2)
    )
    frame = frame.with_columns(_date=text.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    date = pl.col("_date")
    reason = _reason_chain(
        (low.str.contains(_FAR_DATE), "out_of_range"),
        (y.is_null() | m.is_null() | d.is_null(), "malformed"),
        (date.is_null(), "invalid_date"),
        ((date < dt.date(1900, 1, 1)) | (date > today), "out_of_range"),
    )
    return frame.with_columns(cand=date.dt.strftime("%Y%m%d"), why=reason)


def _maid(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    m = s.str.strip_chars().str.to_lowercase()
    reason = _reason_chain(
        (~m.str.contains(_UUID), "malformed"),
        # The all-zero IDFA is what iOS reports when the user has limited ad tracking.
        (m == "00000000-0000-0000-0000-000000000000", "opted_out"),
    )
    return m, reason


def _external_id(s: Expr, platform: str, region: Expr, dayfirst: bool | None) -> tuple[Expr, Expr]:
    v = s.str.strip_chars()
    return v, _reason_chain((v.str.len_bytes() > 256, "malformed"))


def _expression_kind(func: Callable[..., tuple[Expr, Expr]]) -> Callable[..., pl.LazyFrame]:
    """Adapt a kind written as (value, reason) expressions to the staged frame form."""
    def staged(frame: pl.LazyFrame, platform: str, dayfirst: bool | None) -> pl.LazyFrame:
        cand, why = func(pl.col("raw"), platform, pl.col("region"), dayfirst)
        return frame.with_columns(cand=cand, why=why)

    return staged


_STAGED: dict[str, Callable[..., pl.LazyFrame]] = {"dob": _dob, "state": _state, "zip": _zip}
_KIND_FUNCS: dict[str, Callable[..., tuple[Expr, Expr]]] = {
    "first_name": _name, "last_name": _name, "city": _city, "country": _country,
    "gender": _gender, "maid": _maid, "external_id": _external_id,
}


# --- the boundary ------------------------------------------------------------------------------

#: The largest whole number below which every integer is a float exactly (2**53).
_EXACT_FLOAT = 2**53
_INEXACT = ("{what} has {n:,} float value(s) that are not whole numbers under 2**53 (a float "
            "keeps 15-16 digits): an identifier needs its exact digits; read the column as text "
            "(or integers) instead of floats")


def _missing(v: object) -> bool:
    """pandas' missing values as ``tolist()`` hands them over: ``pd.NA`` (a "string" column's
    missing cell) and ``NaT`` (a datetime column's, a ``datetime`` subclass that has no
    date), and NumPy's ``NaT``."""
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    return type(v).__name__ in ("NAType", "NaTType") and type(v).__module__.startswith("pandas")


def _scalar_text(v: object, strict: bool = True) -> str | None:
    if v is None or _missing(v):
        return None
    if isinstance(v, np.datetime64):  # a NumPy date or time: its UTC calendar day
        return str(v.astype("datetime64[D]"))
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        if v != v:  # NaN from pandas is a missing value
            return None
        if v.is_integer() and abs(v) <= _EXACT_FLOAT:
            return str(int(v))
        if strict:
            raise InputTypeError(_INEXACT.format(what="the values", n=1))
        return str(v)  # a cell of a table's mixed column, not an identifier: as Python writes it
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        try:
            return str(v)
        except ValueError:  # Python writes no int of over 4,300 digits
            raise InputTypeError("an integer of over 4,300 digits is no identifier of any kind "
                                 "(each has at most 256 characters); pass identifiers as "
                                 "text") from None
    if isinstance(v, (bytes, bytearray)):
        # never "close enough": undecodable bytes become U+FFFD, rejected as invalid_encoding
        return bytes(v).decode("utf-8", errors="replace")
    if isinstance(v, np.integer):  # an element of a NumPy array or a NumPy sum: its digits
        return str(int(v))
    raise InputTypeError(
        f"identifier values must be str, int, date or None, got {type(v).__name__}; "
        "convert the column to text first"
    )


def valid_text(v: str) -> str:
    """``v``, with each unpaired surrogate as U+FFFD.

    Python text can hold what no UTF-8 bytes spell: half of a UTF-16 pair, or a byte a
    ``surrogateescape`` decoder could not read. Such a value is not "close enough" to anything:
    as U+FFFD it is rejected as ``invalid_encoding`` like undecodable bytes.
    """
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return v


def text_series(name: str, texts: list[str | None]) -> pl.Series:
    """Python text as a Utf8 Series; values with unpaired surrogates as :func:`valid_text`."""
    try:
        return pl.Series(name, texts, dtype=pl.Utf8)
    except UnicodeEncodeError:
        return pl.Series(name, [None if t is None else valid_text(t) for t in texts],
                         dtype=pl.Utf8)


def to_text_series(values: object, name: str = "value", what: str = "values",
                   strict: bool = True) -> pl.Series:
    """Any accepted column-like input as a Utf8 polars Series (dates as ISO text); ``what``
    names the argument in errors. ``strict``: identifiers, where a float that is not a whole
    number under 2**53 is an error; a table's mixed cells (False) take such a float's text."""
    check_one_column(values, what)
    if isinstance(values, pl.Series):
        s = values
    elif type(values).__module__.startswith("pandas"):
        converted = None
        # 256-bit decimals (polars panicked on them) go value by value, as values polars
        # does not convert
        if not arrow_unreadable(getattr(getattr(values, "dtype", None), "pyarrow_dtype", None)):
            with contextlib.suppress(Exception):
                converted = pl.from_pandas(values)  # type: ignore[arg-type]
        if converted is not None:
            s = converted  # type: ignore[assignment]
        else:
            cells = values.tolist()  # type: ignore[attr-defined]
            s = text_series(name, [_scalar_text(v, strict) for v in cells])
    elif type(values).__module__.startswith("pyarrow"):
        try:
            if arrow_unreadable(getattr(values, "type", None)):  # polars panicked on some
                s = text_series(name, [_scalar_text(v, strict)
                                       for v in values.to_pylist()])  # type: ignore[attr-defined]
            else:
                s = pl.Series(values=values)  # type: ignore[arg-type]
        except Exception:
            raise InputTypeError(
                f"{what} could not be converted from pyarrow {type(values).__name__}; pass "
                "a text, integer or date column"
            ) from None
    elif isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iufUM":
        s = pl.Series(name, values)  # integers, floats, text, datetimes: a column of that type
    elif isinstance(values, Iterable) and not isinstance(values, (str, bytes, dict)):
        items = list(values)
        s = text_series(name, [_scalar_text(v, strict) for v in items])
    else:
        raise InputTypeError(
            f"{what} must be a str, a sequence or a polars Series, got {type(values).__name__}"
        )
    if not isinstance(s, pl.Series):
        raise InputTypeError(f"{what}: expected a single column, got {type(s).__name__}")
    dtype = s.dtype
    if dtype == pl.Utf8:
        return s
    if dtype == pl.Null:
        return s.cast(pl.Utf8)
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return s.to_frame().select(temporal_text(pl.first(), "%Y-%m-%d").alias(s.name)).to_series()
    if dtype.is_integer():
        return s.cast(pl.Utf8)
    if dtype.is_float():
        # whole numbers a float holds exactly (a pandas integer column with gaps), as integers;
        # each value alone (1.0 was "1" or "1.0" depending on the other rows)
        x = s.fill_nan(None)
        exact = x.is_null() | ((x == x.floor()) & (x.abs() <= _EXACT_FLOAT))
        if not bool(exact.all()):
            raise InputTypeError(_INEXACT.format(what=f"column {safe_name(s.name)!r}",
                                                 n=int((~exact).sum())))
        return x.cast(pl.Int64).cast(pl.Utf8)
    if dtype == pl.Categorical or dtype == pl.Enum or isinstance(dtype, pl.Enum):
        return s.cast(pl.Utf8)
    if dtype == pl.Binary:
        return binary_text(s)
    raise InputTypeError(
        f"column {safe_name(s.name)!r} has type {dtype}, which is not an identifier; "
        "pass text, integers or dates"
    )


def binary_text(s: pl.Series) -> pl.Series:
    """Bytes as text: valid UTF-8 decoded, anything else marked undecodable (never guessed)."""
    return pl.Series(s.name, [None if v is None else v.decode("utf-8", errors="replace")
                              for v in s.to_list()], dtype=pl.Utf8)


def _check_region(region: str) -> str:
    if not isinstance(region, str) or region.upper() not in SUPPORTED_REGIONS:
        raise InvalidInputError(
            f"default_region must be an ISO 3166-1 alpha-2 code such as 'US' or 'GB', "
            f"got {mask(region) if isinstance(region, str) else type(region).__name__!r}"
        )
    return region.upper()


def resolve_regions(default_region: object, n: int) -> pl.Series:
    """A per-row region Series from one code, or from a column of codes or country names.

    In a column, a missing or unknown country is null, never guessed: values whose reading
    depends on the region are then rejected as ``unknown_country``. ``None`` assumes no region
    for any row (international numbers and ISO dates still read).
    """
    if isinstance(default_region, str):
        return pl.repeat(_check_region(default_region), n, eager=True, dtype=pl.Utf8)
    if default_region is None:  # no region assumed: what depends on one is unknown_country
        return pl.repeat(None, n, eager=True, dtype=pl.Utf8)
    regions = to_text_series(default_region, what="default_region")
    if len(regions) != n:
        raise InvalidInputError(
            f"default_region has {len(regions)} rows but the values have {n}; "
            "pass one region code, or one per value"
        )
    return regions_from_countries(regions)


def regions_from_countries(countries: pl.Series, fallback: str | None = None) -> pl.Series:
    """Upper-case alpha-2 codes for a column of country names/codes.

    A missing (null or blank) country takes ``fallback`` when one is given; a country that is
    not recognized stays null, whatever the fallback: it is not the fallback's country.
    """
    frame = pl.DataFrame({"c": to_text_series(countries)})
    out = frame.select(
        code=_fold(pl.col("c")).replace_strict(region_lookup(), default=None,
                                               return_dtype=pl.Utf8).str.to_uppercase(),
        blank=pl.col("c").is_null() | (pl.col("c").str.strip_chars().str.len_chars() == 0),
    )
    codes = out["code"]
    codes = codes.set(~codes.is_in(list(SUPPORTED_REGIONS)).fill_null(True), None)  # type: ignore[arg-type]
    if fallback is not None:
        codes = pl.select(pl.when(out["blank"]).then(pl.lit(_check_region(fallback)))
                          .otherwise(codes)).to_series()
    return codes.alias("region")


def normalize_frame(
    values: pl.Series,
    kind: str,
    platform: str,
    regions: pl.Series,
    dayfirst: bool | None = None,
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Normalize a text Series; a frame with columns ``value`` and ``reason``.

    A row without a region (an unknown country) is read under two different regions where its
    kind depends on the region: when both readings agree (``+44...``, an ISO date) the region
    did not matter; otherwise, or when both find it invalid for their region, it is rejected as
    ``unknown_country``, never guessed.
    """
    # the column's own name is never used, and polars reads some as patterns: a Series named
    # '^email$' failed in its own methods (IndexError), which run as pl.col(name)
    values = values.alias("v")
    if kind not in REGIONAL_KINDS or regions.null_count() == 0:
        return _normalize_known(values, kind, platform, regions, dayfirst, today)
    unknown = regions.is_null()
    first = _normalize_known(values, kind, platform, regions.fill_null("US"), dayfirst, today)
    rows = unknown.arg_true()
    second = _normalize_known(values.gather(rows), kind, platform,
                              pl.repeat("GB", len(rows), eager=True, dtype=pl.Utf8),
                              dayfirst, today)
    mine = first[rows]
    differ = ~(mine["value"].eq_missing(second["value"])
               & mine["reason"].eq_missing(second["reason"]))
    common = mine["reason"].is_in(list(_COMMON_REASONS)).fill_null(False)
    # invalid for both guessed regions is still no answer for its own: '028 412 345' is a
    # number in Kosovo, not invalid_for_region because it is one in neither the US nor the UK
    regional = (mine["reason"] == "invalid_for_region").fill_null(False)
    bad = rows.filter((differ | regional) & ~common)
    if len(bad) == 0:
        return first
    return first.with_columns(
        first["value"].scatter(bad, None),
        first["reason"].scatter(bad, "unknown_country"),
    )


#: The reasons every kind shares, decided before the region matters.
_COMMON_REASONS = ("empty", "invalid_encoding", "control_character", "too_long", "placeholder",
                   "already_hashed", "invisible_character")


#: Kinds whose full-width ASCII (U+FF01-U+FF5E, and the ideographic space) is read as ASCII:
#: codes and dates, never names or emails. Only the width differs: circled or superscript
#: digits are not read as digits.
_COMPATIBLE = frozenset({"zip", "dob"})
_FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]


def _any_non_ascii(values: pl.Series) -> bool:
    """Whether any value holds a character past ASCII (from the chunk's bytes at once)."""
    data = text_bytes(values)
    return data.size > 0 and int(data.max()) >= 0x80


def _has_rare(values: pl.Series, kind: str) -> bool:
    """Whether any value may fail the rare checks (undecodable bytes, control characters,
    over-long), from the raw UTF-8 bytes of the whole chunk at once: the common chunk, which
    has none, skips three per-value checks. Errs only on the safe side."""
    if len(values) == 0:
        return False
    longest = values.str.len_bytes().max()
    if longest is not None and int(longest) > MAX_LENGTH[kind]:  # type: ignore[arg-type]
        return True  # characters are never more than bytes
    data = text_bytes(values)
    if data.size == 0:
        return False
    if int(data.min()) < 0x20 or bool((data == 0x7F).any()):
        return True
    if int(data.max()) < 0x80:
        return False  # pure ASCII: no C1 control, no U+FFFD
    lead = data[:-1]
    follow = data[1:]
    c1 = (lead == 0xC2) & (follow >= 0x80) & (follow <= 0x9F)  # U+0080..U+009F
    fffd = (lead == 0xEF) & (follow == 0xBF)  # U+FFFD is EF BF BD (and a few neighbours)
    return bool(c1.any() or fffd.any())


def text_bytes(values: pl.Series) -> np.ndarray:
    """The bytes of every value of a text Series, end to end (one Arrow data buffer)."""
    array = values.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    if array.null_count == len(array):
        return np.zeros(0, dtype=np.uint8)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + len(array) + 1]
    return np.frombuffer(buffers[2], dtype=np.uint8)[int(offsets[0]): int(offsets[-1])]


def _without_invisible(values: pl.Series, kind: str) -> tuple[pl.Series, pl.Series | None]:
    """The values without the invisible format characters around them (as blanks are), and
    which values still hold one inside, to be rejected as ``invisible_character`` (None: none
    does). Inside a phone, a name or a city they are dropped as that kind's punctuation is;
    inside an email, a code, a date or an id, where any character counts, nothing is guessed.
    Called on chunks with a character past ASCII only (format characters are never ASCII)."""
    has = values.str.contains(_INVISIBLE).fill_null(False)
    if not bool(has.any()):
        return values, None
    frame = pl.DataFrame({"v": values, "has": has})
    trimmed = pl.col("v").str.replace_all(_INVISIBLE_EDGES, "")
    inside = _INVISIBLE_DROPPED.get(kind)
    if inside is not None:
        trimmed = trimmed.str.replace_all(inside, "")
    out = frame.select(pl.when(pl.col("has")).then(trimmed).otherwise(pl.col("v")))
    cleaned = out.to_series().alias(values.name)
    if inside is not None:
        return cleaned, None
    hidden = cleaned.str.contains(_INVISIBLE).fill_null(False)
    return cleaned, hidden if bool(hidden.any()) else None


def _normalize_known(values: pl.Series, kind: str, platform: str, regions: pl.Series,
                     dayfirst: bool | None, today: dt.date | None) -> pl.DataFrame:
    # one look at the chunk's bytes: the common, pure-ASCII chunk skips both Unicode steps
    wide = _any_non_ascii(values)
    values, hidden = _without_invisible(values, kind) if wide else (values, None)
    out = _normalize_visible(values, kind, platform, regions, dayfirst, today, wide)
    if hidden is None:
        return out
    rows = hidden.arg_true()
    return out.with_columns(out["value"].scatter(rows, None),
                            out["reason"].scatter(rows, "invisible_character"))


def _normalize_visible(values: pl.Series, kind: str, platform: str, regions: pl.Series,
                       dayfirst: bool | None, today: dt.date | None,
                       wide: bool = True) -> pl.DataFrame:
    if kind in _COMPATIBLE and wide:
        # full-width digits and letters ("１００－０００１") are the ASCII ones written wide:
        # the platforms hash the ASCII ones (phones get this from phonenumbers)
        values = values.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)
    rare = _has_rare(values, kind)
    if kind == "phone":
        return _phone_floor(_phone_lanes_frame(values, platform, regions, rare), platform)
    frame = pl.DataFrame({"raw": values, "region": regions})
    reason = _reason(kind, platform, rare)
    if kind == "email":
        return _email_frame(frame, platform, reason)
    if kind == "dob":
        plan = _dob(frame.lazy(), platform, dayfirst, today)
    else:
        stage = _STAGED.get(kind) or _expression_kind(_KIND_FUNCS[kind])
        plan = stage(frame.lazy(), platform, dayfirst)
    return _finish(plan, reason).collect()


_DIGITS_ONLY = ("meta", "tiktok", "snap")
#: The fewest digits a platform takes in a phone number: UID2's operator refuses E.164 numbers
#: of fewer than 10 digits (its isPhoneNumberNormalized), though Stockholm's '08-12 34 56' or
#: Andorra's are valid, so their hashes would match no one.
_MIN_PHONE_DIGITS = {"uid2": 10}


def _phone_floor(out: pl.DataFrame, platform: str) -> pl.DataFrame:
    """Valid numbers shorter than the platform takes, as ``unsupported_value``."""
    least = _MIN_PHONE_DIGITS.get(platform)
    if least is None:
        return out
    short = (out["value"].str.count_matches(r"[0-9]") < least).fill_null(False)
    if not short.any():
        return out
    return out.with_columns(value=out["value"].set(short, None),  # type: ignore[arg-type]
                            reason=out["reason"].set(short, "unsupported_value"))


def _phone_value(e164: Any, platform: str) -> Any:
    """The platform's phone format from E.164 (a Series or an expression)."""
    return e164.str.strip_prefix("+") if platform in _DIGITS_ONLY else e164


def _reason(kind: str, platform: str, rare: bool = True) -> Expr:
    """Why a value is rejected: the common checks first, then the kind's own reason (``why``).

    Common to every kind: empty; bytes that were not UTF-8 (read as U+FFFD); control
    characters (NUL, ANSI escapes, line breaks inside the value); longer than the kind allows;
    a placeholder; already a digest (not for mobile ad ids, which are hex themselves); and, for
    values the platform takes in clear, what a spreadsheet would run as a formula. ``rare``
    False says no value can fail the encoding, control-character or length checks (see
    :func:`_has_rare`), which are then left out of the plan.

    Reads ``raw`` and ``_stripped`` (the raw text without surrounding blanks, which
    :func:`_finish` provides). Each check appears once in the plan: polars does not share
    sub-expressions across ``when``/``then`` branches, so the chain must not be repeated.
    """
    stripped = pl.col("_stripped")
    checks: list[tuple[Expr, str]] = [
        (pl.col("raw").is_null() | (stripped.str.len_chars() == 0), "empty"),
    ]
    if rare:
        checks += [
            (stripped.str.contains(_BAD_ENCODING, literal=True), "invalid_encoding"),
            (stripped.str.contains(_CONTROL), "control_character"),
            (stripped.str.len_chars() > MAX_LENGTH[kind], "too_long"),
        ]
    checks.append((stripped.str.contains(_PLACEHOLDER), "placeholder"))
    if kind != "maid":
        checks.append((stripped.str.contains(_HASH_LIKE), "already_hashed"))
    if _takes_plain(platform, kind):
        checks.append((stripped.str.contains(_FORMULA), "spreadsheet_formula"))
    return pl.coalesce(_reason_chain(*checks), pl.col("why"))


def _takes_plain(platform: str, kind: str) -> bool:
    try:
        return rule_for(platform, kind).handling == "plain"
    except UnsupportedIdentifierError:  # normalizing for a platform that does not take it
        return False


def _phone_lanes_frame(values: pl.Series, platform: str, regions: pl.Series,
                       rare: bool = True) -> pl.DataFrame:
    """Phones with their reasons: one lazy plan per region's express lane, the rest generally.

    For a region with an express plan, a chunk of ordinary numbers costs one ``collect``: the
    express lane of :mod:`privacy._phone`, the reasons and the test for digits that already
    carry the code. Rows the lane does not decide (or that may carry the code) are done again
    by :func:`_phone_frame` and put back in place: the answer is the same row by row, only
    cheaper. One ``collect`` also matters for the pipeline: each call into polars from the
    normalizing thread waits for the hashing thread to hand over the interpreter.
    """

    def lane(part: pl.Series, plan: Any) -> pl.DataFrame:
        frame = express_lane(part.alias("raw").to_frame().lazy(), plan).rename({"reason": "why"})
        stripped = pl.col("stripped")
        redo = ~pl.col("express")
        if platform in _DIGITS_ONLY:
            redo = redo | _may_carry_code(stripped, str(plan.cc), pl.col("e164"))
        return _finish(
            frame.with_columns(cand=_phone_value(pl.col("e164"), platform)),
            _reason("phone", platform, rare), stripped=stripped, done=~redo,
        ).collect()

    return run_lanes(values, regions, lane,
                     lambda part, where: _phone_frame(part, platform, where, rare),
                     ("value", "reason"))


def _phone_frame(values: pl.Series, platform: str, regions: pl.Series,
                 rare: bool = True) -> pl.DataFrame:
    """Phones of any regions and shapes: :func:`normalize_phones`, then the reasons."""
    e164, why = normalize_phones(values, regions)
    if platform in _DIGITS_ONLY:
        e164, why = _digits_with_code(values, regions, e164, why)
    frame = pl.DataFrame({"raw": values, "cand": _phone_value(e164, platform), "why": why})
    return _finish(frame.lazy(), _reason("phone", platform, rare)).collect()


def _finish(frame: pl.LazyFrame, reason: Expr, stripped: Expr | None = None,
            **extra: Expr) -> pl.LazyFrame:
    """``value`` (the candidate where no reason rejects it) and ``reason``, plus ``extra``."""
    if stripped is None:
        stripped = pl.col("raw").str.strip_chars()
    frame = frame.with_columns(_stripped=stripped)
    return frame.select(reason=reason, cand=pl.col("cand"), **extra).select(
        pl.when(pl.col("reason").is_null()).then(pl.col("cand")).alias("value"),
        "reason",
        *extra,
    )


def _email_frame(frame: pl.DataFrame, platform: str, reason: Expr) -> pl.DataFrame:
    """Emails in one lazy plan; the non-ASCII ones again with Unicode lower-casing.

    NFC normalization costs more than everything else together even on plain ASCII, and CRM
    emails are nearly all ASCII: the plan lower-cases bytewise and flags the other values, and
    only those are normalized again with NFC and put back in place.
    """
    raw = pl.col("raw")
    ascii_only = (raw.str.len_bytes() == raw.str.len_chars()).fill_null(True)
    plan = _finish(_email(frame.lazy(), platform, None), reason)
    out = pl.concat([plan, frame.lazy().select(_ascii=ascii_only)], how="horizontal").collect()
    if bool(out["_ascii"].all()):
        return out.drop("_ascii")
    rows = (~out["_ascii"]).arg_true()
    fixed = _finish(_email(frame[rows].lazy(), platform, None, unicode=True), reason).collect()
    out = out.drop("_ascii")
    return out.with_columns(
        out["value"].scatter(rows, fixed["value"]), out["reason"].scatter(rows, fixed["reason"])
    )


_PLAIN_DIGITS = r"^[0-9]{8,15}$"


def _may_carry_code(text: Expr, code: Expr | str, e164: Expr) -> Expr:
    """All digits and starting with the region's calling code, but not read with it already
    (US "16505551212" is): the value may carry its code without a plus. Never null."""
    return (
        text.str.contains(_PLAIN_DIGITS) & text.str.starts_with(code)
        & (e164 != "+" + text).fill_null(True)
    ).fill_null(False)


def _digits_with_code(
    values: pl.Series, regions: pl.Series, e164: pl.Series, why: pl.Series
) -> tuple[pl.Series, pl.Series]:
    """Platforms whose format is digits with the country code (meta, tiktok, snap).

    An all-digit value that starts with its region's calling code and is a valid number read
    that way is taken as already carrying the code: that is the platform's own format, so a
    normalized value normalizes to itself (German numbers would otherwise gain a second 49).
    """
    from ._phone import calling_code

    text = values.str.strip_chars()
    # Only all-digit values can carry a code without a plus: the rest of the test runs on them.
    idx = text.str.contains(_PLAIN_DIGITS).fill_null(False).arg_true()
    if len(idx) == 0:
        return e164, why
    text, sub_regions = text.gather(idx), regions.gather(idx)
    codes = sub_regions.replace_strict(
        {r: calling_code(r) for r in sub_regions.unique().drop_nulls().to_list()},
        return_dtype=pl.Utf8, default=None,
    )
    candidate = pl.DataFrame({"t": text, "c": codes, "e": e164.gather(idx)}).select(
        _may_carry_code(pl.col("t"), pl.col("c"), pl.col("e"))
    ).to_series()
    if not bool(candidate.any()):
        return e164, why
    idx = idx.filter(candidate)
    text = text.filter(candidate)
    plus, plus_why = normalize_phones("+" + text, regions.gather(idx))
    ok = plus_why.is_null()
    if bool(ok.any()):
        e164 = e164.scatter(idx.filter(ok), plus.filter(ok))
        why = why.scatter(idx.filter(ok), pl.Series([None] * int(ok.sum()), dtype=pl.Utf8))
    return e164, why


def reference_day(now: object, today: object = None) -> dt.date | None:
    """The day dates of birth are checked against, from ``now`` (a date or a datetime; an
    aware one is taken in UTC) or ``today`` (a date); None for the current day."""
    if now is not None and today is not None:
        raise InvalidInputError("give now= or today=, not both (they are the same clock)")
    value = now if now is not None else today
    if value is None:
        return None
    value, problem = standard_time(value)
    if problem == MISSING_TIME:  # nanoseconds do not change the day
        raise InputTypeError(f"{'now' if now is not None else 'today'} must be a "
                             f"datetime.date or datetime.datetime, got {problem}")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise InputTypeError(
        f"{'now' if now is not None else 'today'} must be a datetime.date or "
        f"datetime.datetime, got {type(value).__name__}")


def checked_inputs(values: object, kind: str, platform: str, default_region: object,
                   dayfirst: bool | None) -> tuple[str, str, pl.Series, pl.Series]:
    """Platform, kind, text values and per-row regions, checked: what normalizing needs."""
    platform = check_platform(platform)
    kind = check_kind(kind)
    rule_for(platform, kind)  # raises when the platform does not take this kind
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise InputTypeError(f"dayfirst must be True, False or None, got {type(dayfirst).__name__}")
    series = to_text_series(values)
    return platform, kind, series, resolve_regions(default_region, len(series))


@overload
def normalize(values: str, kind: str, platform: str = ..., default_region: object = ..., *,
              dayfirst: bool | None = ..., reasons: bool = ..., now: dt.date | None = ...,
              today: dt.date | None = ...) -> Any: ...
@overload
def normalize(values: object, kind: str, platform: str = ..., default_region: object = ..., *,
              dayfirst: bool | None = ..., reasons: bool = ..., now: dt.date | None = ...,
              today: dt.date | None = ...) -> Any: ...


def normalize(
    values: object,
    kind: str,
    platform: str = "meta",
    default_region: object = "US",
    *,
    dayfirst: bool | None = None,
    reasons: bool = False,
    now: dt.date | None = None,
    today: dt.date | None = None,
) -> Any:
    """Normalize identifiers exactly as ``platform`` wants them before hashing.

    Parameters
    ----------
    values : str, sequence, polars Series, pandas Series or pyarrow Array
        The raw identifiers. Dates (for ``kind="dob"``) may be ``datetime.date`` objects or a
        polars Date column.
    kind : str
        One of :data:`privacy.KINDS`: ``email``, ``phone``, ``first_name``, ``last_name``,
        ``city``, ``state``, ``zip``, ``country``, ``gender``, ``dob``, ``maid``,
        ``external_id``.
    platform : str
        One of :data:`privacy.PLATFORMS`; rules differ (gmail dots, ``+`` in phones...).
    default_region : str or column
        The region for national phone numbers, ZIP and date conventions: one ISO 3166-1
        alpha-2 code, or one code or country name per value.
    dayfirst : bool, optional
        How to read numeric dates such as ``03/04/1990``. ``None`` follows the region's
        convention: month first in the US (and the few other month-first regions), day first
        elsewhere. Unambiguous dates (``16/02/1997``) are read either way.
    reasons : bool
        Also return why each rejected value was rejected (see :data:`privacy.REASONS`).
    now : date or datetime, optional
        The clock, as everywhere in the library: the last possible date of birth, and the
        century of two-digit years (default: today). ``today=`` is the same, as a date.

    Returns
    -------
    str or None, or polars Series
        One value (a str, an int, a date) gives the normalized str, or None when invalid;
        a column of values a Series with nulls where invalid. With ``reasons=True``: a
        ``(value, reason)`` pair for one value, a DataFrame with columns ``value`` and
        ``reason`` otherwise.

    Examples
    --------
    >>> import privacy
    >>> privacy.normalize("  John_Smith@Gmail.com ", "email")
    'john_smith@gmail.com'
    >>> privacy.normalize("J.Smith+ads@gmail.com", "email", platform="google")
    'jsmith@gmail.com'
    >>> privacy.normalize("(650) 555-1212", "phone")
    '16505551212'
    >>> privacy.normalize("not a phone", "phone", reasons=True)
    (None, 'malformed')
    """
    # one value as a list of them takes it (a date of birth as a date, a phone as an int)
    scalar = values is None or isinstance(values, (str, int, float, dt.date, np.integer,
                                                   np.datetime64))
    platform, kind, series, regions = checked_inputs(
        [values] if scalar else values, kind, platform, default_region, dayfirst)
    out = normalize_frame(series, kind, platform, regions, dayfirst, reference_day(now, today))
    if scalar:
        row = out.row(0)
        return (row[0], row[1]) if reasons else row[0]
    if reasons:
        return out
    return out["value"].alias(series.name)
