"""Vectorized E.164 phone normalization, checked against ``phonenumbers``.

``phonenumbers`` (the Python port of Google's libphonenumber) is the reference, but it costs tens
of microseconds a number. This module runs the same steps as ``phonenumbers.parse`` followed by
``is_valid_number`` as polars string expressions, one pass per default region and one per
country calling code present in the data, using the very regular expressions and possible
lengths of the ``phonenumbers`` metadata:

1. strip an extension and punctuation; inputs of any other shape (letters, full-width digits,
   several plus signs...) take the reference path, one ``phonenumbers.parse`` per value;
2. a leading ``+``, or the default region's international prefix (``00``, ``011``...), means the
   country calling code follows; otherwise a number that starts with the default region's code and
   only fits its plan without it (or is too long with it) has the code stripped, as
   ``phonenumbers`` does;
3. the national prefix (trunk ``0``, ``1``...) is stripped when the region's rules say so and the
   rest still has a possible length (Italy keeps its leading 0: its metadata has no prefix);
4. the number is valid when it matches the general pattern and one of the type patterns (fixed
   line, mobile, toll free...) with a possible length, in the region that claims it (shared codes
   such as +1 are resolved by leading digits, as ``region_code_for_number`` does).

Regions whose national prefix needs a transform rule (Argentina's and Mexico's mobile ``9``...)
take the reference path for their national-format inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from ._errors import InvalidInputError, PrivacyError

__all__ = [
    "SUPPORTED_REGIONS", "express_lane", "express_plan", "normalize_phones", "reference_e164",
    "run_lanes",
]

SUPPORTED_REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)

# What the fast path accepts: an optional plus, digits and ordinary punctuation, and an optional
# extension. Anything else goes to the reference path.
_EXTENSION = r"(?i)\s*(?:,|;\s*ext=|ext\.?|extension|x|#)\s*[0-9]{1,7}\s*$"
_FAST_SHAPE = r"^\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*$"
_PUNCTUATION = (" ", "-", "(", ")", ".", "/", "+")
_MIN_NSN = 2
_MAX_NSN = 17

_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)


@dataclass(frozen=True)
class _Desc:
    pattern: str
    lengths: tuple[int, ...]


@dataclass(frozen=True)
class _Plan:
    """The parts of one region's metadata that parsing and validation use."""

    region: str
    cc: int
    idd: str | None
    national_prefix: str | None
    has_transform: bool
    general: _Desc | None
    local_only: tuple[int, ...]
    types: tuple[_Desc, ...]
    leading_digits: str | None


def _desc(d: object) -> _Desc | None:
    if d is None or not getattr(d, "national_number_pattern", None):
        return None
    return _Desc(d.national_number_pattern, tuple(d.possible_length or ()))  # type: ignore[attr-defined]


@functools.cache
def _plan(region: str) -> _Plan | None:
    if region.isdigit():
        md = PhoneMetadata.metadata_for_nongeo_region(int(region), None)
    else:
        md = PhoneMetadata.metadata_for_region(region, None)
    if md is None:
        return None
    types = tuple(t for t in (_desc(getattr(md, name, None)) for name in _TYPE_DESCS) if t)
    general = md.general_desc
    return _Plan(
        region=region,
        cc=int(md.country_code or 0),
        idd=md.international_prefix or None,
        national_prefix=md.national_prefix_for_parsing or None,
        has_transform=bool(md.national_prefix_transform_rule),
        general=_desc(general),
        local_only=tuple(general.possible_length_local_only or ()) if general else (),
        types=types,
        leading_digits=md.leading_digits or None,
    )


def _metadata_region(cc: int) -> str:
    """The region whose metadata ``phonenumbers.parse`` uses for a calling code."""
    main = phonenumbers.region_code_for_country_code(cc)
    return str(cc) if main == "001" else main


_METADATA_REGIONS = {c: _metadata_region(c) for c in COUNTRY_CODE_TO_REGION_CODE}


def calling_code(region: str) -> str:
    """The country calling code of a region, as text ("US" -> "1")."""
    return str(phonenumbers.country_code_for_region(region))


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _matches(number: pl.Expr, desc: _Desc | None) -> pl.Expr:
    """``_match_national_number``: a whole match of the pattern (no length check)."""
    if desc is None:
        return pl.lit(False)
    return number.str.contains(_full(desc.pattern))


def _matches_desc(number: pl.Expr, desc: _Desc) -> pl.Expr:
    """``_is_number_matching_desc``: possible length and a whole match."""
    ok = number.str.contains(_full(desc.pattern))
    if desc.lengths:
        ok = ok & number.str.len_chars().is_in(list(desc.lengths))
    return ok


def _length_ok_after_strip(number: pl.Expr, plan: _Plan) -> pl.Expr:
    """``_test_number_length`` is not TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY nor INVALID_LENGTH."""
    if plan.general is None or not plan.general.lengths:
        return pl.lit(True)
    lengths = sorted(plan.general.lengths)
    n = number.str.len_chars()
    local = n.is_in(list(plan.local_only)) if plan.local_only else pl.lit(False)
    possible = (n == lengths[0]) | (n > lengths[-1]) | n.is_in(lengths[1:] or [-1])
    return ~local & possible


def _too_long(number: pl.Expr, plan: _Plan) -> pl.Expr:
    if plan.general is None or not plan.general.lengths:
        return pl.lit(False)
    n = number.str.len_chars()
    local = n.is_in(list(plan.local_only)) if plan.local_only else pl.lit(False)
    return ~local & (n > max(plan.general.lengths))


def _prefix_test(number: pl.Expr, prefix: str) -> tuple[pl.Expr, pl.Expr]:
    """(starts with the prefix, the rest): literal prefixes avoid the regex engine."""
    if prefix.isdigit():
        return number.str.starts_with(prefix), number.str.strip_prefix(prefix)
    pattern = f"^(?:{prefix})"
    return number.str.contains(pattern), number.str.replace(pattern, "")


def _strip_national_prefix(frame: pl.DataFrame, src: str, dst: str, plan: _Plan) -> pl.DataFrame:
    """``_maybe_strip_national_prefix_carrier_code`` for regions without a transform rule.

    Only the rows the prefix matches pay for the pattern checks.
    """
    number = pl.col(src)
    if plan.national_prefix is None or frame.height == 0:
        return frame.with_columns(number.alias(dst))
    matched, stripped = _prefix_test(number, plan.national_prefix)
    frame = frame.with_columns(_pfx=matched & (number.str.len_chars() > 0))
    hit = frame.filter("_pfx")
    keep = _matches(number, plan.general) & ~_matches(stripped, plan.general)
    hit = hit.with_columns(pl.when(keep).then(number).otherwise(stripped).alias(dst))
    miss = frame.filter(~pl.col("_pfx")).with_columns(number.alias(dst))
    return pl.concat([hit, miss]).drop("_pfx")


@functools.cache
def _merged_types(plan: _Plan) -> tuple[_Desc, ...]:
    """Type descriptions with equal possible lengths merged into one alternation."""
    by_lengths: dict[tuple[int, ...], list[str]] = {}
    for t in plan.types:
        by_lengths.setdefault(t.lengths, []).append(t.pattern)
    return tuple(_Desc("|".join(f"(?:{p})" for p in ps), ls) for ls, ps in by_lengths.items())


def _valid_for(nsn: pl.Expr, plan: _Plan | None) -> pl.Expr:
    """``_number_type_helper(...) != UNKNOWN``."""
    if plan is None or plan.general is None or not plan.types:
        return pl.lit(False)
    any_type = pl.any_horizontal([_matches_desc(nsn, t) for t in _merged_types(plan)])
    return _matches_desc(nsn, plan.general) & any_type


def _with_validity(part: pl.DataFrame, cc: int) -> pl.DataFrame:
    """``is_valid_number``, with ``region_code_for_number`` for shared calling codes.

    For a shared code (+1, +7, +44...) the regions are tried in the metadata's order: one with
    leading digits claims the numbers that start with them, one without claims the numbers valid
    for it. Rows leave the pool as soon as a region claims them, so the common case (the main
    country) costs one region's patterns, not all of them.
    """
    nsn = pl.col("nsn")
    n = nsn.str.len_chars()
    possible = (n >= _MIN_NSN) & (n <= _MAX_NSN)
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    if len(regions) == 1:
        plan = _plan(str(cc) if regions[0] == "001" else regions[0])
        return part.with_columns(valid=possible & _valid_for(nsn, plan))
    pool = part.with_columns(valid=pl.lit(False))
    decided = []
    for region in regions:
        plan = _plan(region)
        if plan is None or pool.height == 0:
            continue
        if plan.leading_digits:
            claim = nsn.str.contains(f"^(?:{plan.leading_digits})")
            pool = pool.with_columns(claim=claim)
            decided.append(
                pool.filter("claim").with_columns(valid=possible & _valid_for(nsn, plan))
            )
        else:
            pool = pool.with_columns(claim=possible & _valid_for(nsn, plan))
            decided.append(pool.filter("claim").with_columns(valid=pl.lit(True)))
        pool = pool.filter(~pl.col("claim"))
    decided.append(pool)
    return pl.concat([d.drop("claim", strict=False) for d in decided], how="diagonal")


@functools.lru_cache(maxsize=65536)
def reference_e164(raw: str, region: str) -> tuple[str | None, str | None]:
    """The reference answer: ``phonenumbers`` parse, validity and E.164, with a reason."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return None, "unknown_country_code"
        return None, "malformed"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid_for_region"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def _national_part(part: pl.DataFrame, plan: _Plan) -> pl.DataFrame:
    """Rows with no ``+``, for one default region: IDD, code without plus, or national."""
    d = pl.col("digits")
    cc_str = str(plan.cc)
    if plan.idd:
        matched, after = _prefix_test(d, plan.idd)
        part = part.with_columns(intl=matched & ~after.str.starts_with("0"), _after=after)
    else:
        part = part.with_columns(intl=pl.lit(False), _after=d)
    part = part.with_columns(
        # Transform rules also apply while testing for a code without plus: the reference decides.
        fallback=pl.lit(plan.has_transform) & ~pl.col("intl"),
        full=pl.when("intl").then("_after").otherwise(d),
        nsn0=d,
        cc=pl.lit(plan.cc, dtype=pl.Int32),
        meta=pl.lit(plan.region),
        _cc_head=~pl.col("intl") & d.str.starts_with(cc_str),
    ).drop("_after")
    # A number that starts with the region's own calling code, but only fits without it.
    head = _strip_national_prefix(
        part.filter("_cc_head").with_columns(_rest=d.str.slice(len(cc_str))), "_rest", "_pot", plan
    )
    cc_no_plus = (
        ~_matches(d, plan.general) & _matches(pl.col("_pot"), plan.general)
    ) | _too_long(d, plan)
    head = head.with_columns(
        nsn0=pl.when(cc_no_plus).then("_pot").otherwise(d),
        meta=pl.when(cc_no_plus).then(pl.lit(_metadata_region(plan.cc))).otherwise("meta"),
    ).drop("_rest", "_pot")
    return pl.concat([part.filter(~pl.col("_cc_head")), head]).drop("_cc_head")


def _split_country_code(part: pl.DataFrame) -> pl.DataFrame:
    """``_extract_country_code`` on the digits after ``+`` or an IDD."""
    full = pl.col("full")
    known = list(COUNTRY_CODE_TO_REGION_CODE)
    # no calling code starts with 0: '+033...' is not France's 33 (the reference path reads it)
    heads = [pl.when(~full.str.starts_with("0")).then(full.str.slice(0, n).cast(pl.Int32,
                                                                                 strict=False))
             for n in (1, 2, 3)]
    cc = (pl.when(heads[0].is_in(known)).then(heads[0])
          .when(heads[1].is_in(known)).then(heads[1]).when(heads[2].is_in(known)).then(heads[2])
          .otherwise(None))
    width = (
        pl.when(heads[0].is_in(known)).then(1).when(heads[1].is_in(known)).then(2)
        .when(heads[2].is_in(known)).then(3).otherwise(0)
    )
    return part.with_columns(cc=cc, nsn0=full.str.slice(width))


def _finish_cc_group(part: pl.DataFrame, cc: int) -> pl.DataFrame:
    """Strip the national prefix per metadata region, check length and validity for one code."""
    out = []
    nsn0 = pl.col("nsn0")
    for (meta,), sub in part.group_by("meta", maintain_order=True):
        plan = _plan(str(meta))
        if plan is None:
            sub = sub.with_columns(nsn=nsn0, fallback=pl.lit(True))
        elif plan.has_transform and plan.national_prefix:
            # Transform rules (a carrier code, Argentina's mobile 9...): the reference decides
            # rows the prefix applies to; the others are stripped of nothing.
            touched, _ = _prefix_test(nsn0, plan.national_prefix)
            sub = sub.with_columns(nsn=nsn0, fallback=pl.col("fallback") | touched)
        else:
            sub = _strip_national_prefix(sub, "nsn0", "_pot", plan)
            ok = _length_ok_after_strip(pl.col("_pot"), plan)
            sub = sub.with_columns(nsn=pl.when(ok).then("_pot").otherwise(nsn0)).drop("_pot")
        out.append(sub)
    return _with_validity(pl.concat(out), cc)


def _general_phones(raw: pl.Series, regions: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Every step for every shape of input, grouped by region and calling code."""
    n_rows = len(raw)
    df = pl.DataFrame({"raw": raw, "region": regions}).with_row_index("row")
    stripped = pl.col("raw").str.strip_chars()
    # Most values have no extension: strip one only where the plain shape check fails.
    df = df.with_columns(no_ext=stripped)
    fast_shape = df["no_ext"].str.contains(_FAST_SHAPE).fill_null(False).alias("fast")
    if not bool(fast_shape.all()):
        rows = (~fast_shape).arg_true()
        fixed = df["no_ext"].gather(rows).str.replace(_EXTENSION, "")
        df = df.with_columns(df["no_ext"].scatter(rows, fixed))
        fast_shape = fast_shape.scatter(rows, fixed.str.contains(_FAST_SHAPE).fill_null(False))
    df = df.with_columns(fast_shape)
    no_ext = pl.col("no_ext")
    fast: Any = pl.col("fast")  # the column, then (below) the fast-shape rows
    # On fast-shape values only these characters surround the digits: one Aho-Corasick pass.
    digits = no_ext.str.replace_many(list(_PUNCTUATION), [""] * len(_PUNCTUATION))
    df = df.with_columns(
        empty=pl.col("raw").is_null() | (stripped.str.len_chars() == 0),
        plus=no_ext.str.starts_with("+"),
        digits=pl.when(fast).then(digits),
    )
    # phonenumbers calls fewer than two digits (of any script) not a number at all: on the fast
    # path the digits are at hand; the rare other shapes count digits of every script.
    odd = df.filter(~pl.col("fast"))
    df = pl.concat([
        df.filter("fast").with_columns(junk=pl.col("digits").str.len_bytes() < _MIN_NSN),
        odd.with_columns(junk=pl.col("raw").str.strip_chars().str.count_matches(r"\p{Nd}")
                         < _MIN_NSN),
    ])
    live = ~pl.col("empty") & ~pl.col("junk").fill_null(False)
    fast = df.filter(live & pl.col("fast").fill_null(False))
    slow = df.filter(live & ~pl.col("fast").fill_null(False))

    # Step 2: where the country calling code comes from.
    parts: list[pl.DataFrame] = []
    intl = fast.filter(pl.col("plus")).with_columns(
        fallback=pl.lit(False),
        intl=pl.lit(True), full=pl.col("digits"), meta=pl.lit(None, dtype=pl.Utf8)
    )
    parts.append(intl)
    for (region,), part in fast.filter(~pl.col("plus")).group_by("region"):
        plan = _plan(str(region))
        if plan is None:  # regions were checked by the caller
            raise InvalidInputError(f"no phone plan for region {region!r}")
        parts.append(_national_part(part, plan))
    cols = ["row", "raw", "region", "plus", "fallback", "intl", "full", "nsn0", "cc", "meta"]
    frames = []
    for p in parts:
        if "nsn0" not in p.columns:
            p = p.with_columns(nsn0=pl.lit(None, dtype=pl.Utf8), cc=pl.lit(None, dtype=pl.Int32))
        frames.append(p.select(cols))
    routed = pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(cols, pl.Utf8))

    international = routed.filter(pl.col("intl"))
    national = routed.filter(~pl.col("intl"))
    too_short_idd = international.filter(pl.col("full").str.len_chars() <= _MIN_NSN)
    international = _split_country_code(
        international.filter(pl.col("full").str.len_chars() > _MIN_NSN)
    )
    # An unknown code after '+': phonenumbers retries without the plus; rare, so the reference
    # path decides. After an IDD it is simply an unknown code.
    unknown_cc = international.filter(pl.col("cc").is_null())
    international = international.filter(pl.col("cc").is_not_null()).with_columns(
        meta=pl.col("cc").replace_strict(_METADATA_REGIONS, return_dtype=pl.Utf8, default=None)
    )
    resolved = pl.concat([international, national.select(international.columns)])

    finished = []
    for (cc,), part in resolved.group_by("cc"):
        finished.append(_finish_cc_group(part, int(cc)))
    if finished:
        done = pl.concat(finished)
    else:
        done = resolved.with_columns(nsn=pl.lit(None, dtype=pl.Utf8), valid=pl.lit(False))

    fast_ok = done.filter(~pl.col("fallback")).select(
        "row",
        e164=pl.when("valid").then(pl.lit("+") + pl.col("cc").cast(pl.Utf8) + pl.col("nsn")),
        reason=pl.when(pl.col("valid")).then(None).otherwise(pl.lit("invalid_for_region")),
    )
    rejected = [
        too_short_idd.select("row", e164=pl.lit(None, pl.Utf8), reason=pl.lit("malformed")),
        unknown_cc.filter(~pl.col("plus")).select(
            "row", e164=pl.lit(None, pl.Utf8), reason=pl.lit("unknown_country_code")
        ),
        df.filter(pl.col("empty")).select(
            "row", e164=pl.lit(None, pl.Utf8), reason=pl.lit("empty")
        ),
        df.filter(~pl.col("empty") & pl.col("junk")).select(
            "row", e164=pl.lit(None, pl.Utf8), reason=pl.lit("malformed")
        ),
    ]
    # The reference path: odd shapes, transform-rule regions, unknown codes after '+'.
    reference_rows = pl.concat(
        [
            slow.select("row", "raw", "region"),
            done.filter(pl.col("fallback")).select("row", "raw", "region"),
            unknown_cc.filter(pl.col("plus")).select("row", "raw", "region"),
        ]
    )
    answers = [reference_e164(r, g) for r, g in reference_rows.select("raw", "region").iter_rows()]
    reference = pl.DataFrame(
        {
            "row": reference_rows["row"],
            "e164": pl.Series([a[0] for a in answers], dtype=pl.Utf8),
            "reason": pl.Series([a[1] for a in answers], dtype=pl.Utf8),
        }
    )
    out = pl.concat([fast_ok, *rejected, reference.select(fast_ok.columns)]).sort("row")
    if out.height != n_rows:  # every row leaves with a value or a reason: nothing is lost
        raise PrivacyError(f"internal error: {n_rows:,} phones in, {out.height:,} out")
    return out["e164"], out["reason"]


def _strip_national_prefix_expr(number: pl.Expr, plan: _Plan) -> pl.Expr:
    """:func:`_strip_national_prefix` as one expression."""
    if plan.national_prefix is None:
        return number
    matched, stripped = _prefix_test(number, plan.national_prefix)
    keep = _matches(number, plan.general) & ~_matches(stripped, plan.general)
    return pl.when(matched & (number.str.len_chars() > 0) & ~keep).then(stripped).otherwise(number)


@functools.cache
def express_plan(region: str) -> _Plan | None:
    """The region's plan when its own numbers can take the express lane, else None.

    The lane needs one set of rules for every row it decides: no transform rule, the region is
    the one whose metadata its calling code uses, and when the code is shared (+1, +44...) the
    region comes first and claims numbers by validity, not by leading digits.
    """
    plan = _plan(region)
    if plan is None or plan.has_transform or plan.general is None or not plan.types:
        return None
    shared = COUNTRY_CODE_TO_REGION_CODE.get(plan.cc, ())
    if _metadata_region(plan.cc) != region or not shared or shared[0] != region:
        return None
    if len(shared) > 1 and plan.leading_digits:
        return None
    code = str(plan.cc)
    if any(int(code[:k]) in COUNTRY_CODE_TO_REGION_CODE for k in range(1, len(code))):
        return None  # another code is a prefix of this one (none today; kept exact anyway)
    return plan


def express_lane(frame: pl.LazyFrame, plan: _Plan) -> pl.LazyFrame:
    """The common case in one lazy plan: ``express``, ``e164`` and ``reason`` per row.

    ``frame`` has the text in ``raw``; the result keeps it, with ``stripped`` beside it.

    Rows of one default region whose text is digits and punctuation, national or carrying the
    region's own calling code, are decided here with the same steps as the general path
    (:func:`_general_phones`), as expressions instead of filtered groups. ``express`` is false
    for every other row (extensions, other calling codes, odd shapes, and for a shared code the
    numbers the first region does not claim): those take the general path.
    """
    code = str(plan.cc)
    # Each stage names its columns: polars does not share sub-expressions across when/then.
    frame = frame.select("raw", stripped=pl.col("raw").str.strip_chars())
    stripped = pl.col("stripped")
    frame = frame.with_columns(
        digits=stripped.str.replace_many(list(_PUNCTUATION), [""] * len(_PUNCTUATION)),
        plus=stripped.str.starts_with("+"),
        shape=stripped.str.contains(_FAST_SHAPE),
    )
    digits = pl.col("digits")
    if plan.idd:
        idd, after = _prefix_test(digits, plan.idd)
        frame = frame.with_columns(_after=after, _idd=idd)
        frame = frame.with_columns(_idd=pl.col("_idd") & ~pl.col("_after").str.starts_with("0"))
    else:
        frame = frame.with_columns(_after=digits, _idd=pl.lit(False))
    frame = frame.with_columns(
        intl=pl.col("plus") | pl.col("_idd"),
        full=pl.when("plus").then(digits).otherwise("_after"),
        # National: a number that starts with the region's own code but only fits without it.
        _pot=pl.when(digits.str.starts_with(code)).then(digits.str.slice(len(code))),
    )
    frame = frame.with_columns(_pot=_strip_national_prefix_expr(pl.col("_pot"), plan))
    pot, full = pl.col("_pot"), pl.col("full")
    cc_no_plus = digits.str.starts_with(code) & (
        (~_matches(digits, plan.general) & _matches(pot, plan.general)) | _too_long(digits, plan)
    )
    nsn0 = (
        pl.when("intl").then(full.str.slice(len(code)))
        .when(cc_no_plus).then(pot).otherwise(digits)
    )
    lane = (
        pl.col("shape")
        & (digits.str.len_bytes() >= _MIN_NSN)
        & (~pl.col("intl") | ((full.str.len_chars() > _MIN_NSN) & full.str.starts_with(code)))
    ).fill_null(False)
    frame = frame.select("raw", "stripped", lane=lane, nsn0=nsn0)
    stripped_nsn = _strip_national_prefix_expr(pl.col("nsn0"), plan)
    nsn = (
        pl.when(_length_ok_after_strip(stripped_nsn, plan)).then(stripped_nsn)
        .otherwise(pl.col("nsn0"))
    )
    frame = frame.with_columns(nsn=nsn)
    n = pl.col("nsn").str.len_chars()
    valid = (n >= _MIN_NSN) & (n <= _MAX_NSN) & _valid_for(pl.col("nsn"), plan)
    # A shared code: numbers the first region does not claim may be another region's.
    express = pl.col("lane") & (valid if len(COUNTRY_CODE_TO_REGION_CODE[plan.cc]) > 1 else True)
    return frame.select(
        "raw", "stripped",
        express=express.fill_null(False),
        e164=pl.when(valid).then(pl.lit("+" + code) + pl.col("nsn")),
        reason=pl.when(valid).then(None).otherwise(pl.lit("invalid_for_region")),
    )


def run_lanes(
    raw: pl.Series,
    regions: pl.Series,
    lane: Callable[[pl.Series, _Plan], pl.DataFrame],
    general: Callable[[pl.Series, pl.Series], pl.DataFrame],
    columns: tuple[str, ...],
) -> pl.DataFrame:
    """Text columns ``columns`` for every row: express lanes first, the general path after.

    Rows are grouped by default region (one group, without gathering, when all share one).
    ``lane(values, plan)`` gives ``columns`` and a boolean ``done`` for a region with an express
    plan; ``general(values, regions)`` gives ``columns`` for the rows no lane decided.
    """
    n_rows = len(raw)
    first = regions[0] if n_rows else None
    if first is not None and (regions == first).all(ignore_nulls=False) is True:
        groups: list[tuple[str, pl.Series | None]] = [(str(first), None)]
    else:
        frame = pl.DataFrame({"region": regions}).with_row_index("row")
        groups = [(str(r), g["row"]) for (r,), g in frame.group_by("region")]
    # One series per column: scatter writes in place.
    result = {c: pl.repeat(None, n_rows, dtype=pl.Utf8, eager=True).alias(c) for c in columns}
    rest = []
    for region, rows in groups:
        plan = express_plan(region)
        if plan is None:
            rest.append(pl.arange(n_rows, eager=True, dtype=pl.UInt32) if rows is None else rows)
            continue
        out = lane(raw if rows is None else raw.gather(rows), plan)
        done = out["done"]
        if rows is None and bool(done.all()):
            return out.select(columns)
        where = done.arg_true() if rows is None else rows.filter(done)
        for c in columns:
            result[c].scatter(where, out[c].filter(done))
        rest.append((~done).arg_true() if rows is None else rows.filter(~done))
    left = pl.concat(rest).cast(pl.UInt32) if rest else pl.Series([], dtype=pl.UInt32)
    if len(left):
        out = general(raw.gather(left), regions.gather(left))
        for c in columns:
            result[c].scatter(left, out[c])
    return pl.DataFrame(list(result.values()))


def normalize_phones(
    raw: pl.Series, regions: pl.Series, *, express: bool = True
) -> tuple[pl.Series, pl.Series]:
    """E.164 strings (``+`` and digits) and reasons for each raw value.

    ``raw`` holds strings (null for missing values); ``regions`` the default region of each row
    (ISO 3166-1 alpha-2, upper case, all supported). Returns ``(e164, reason)``, where ``reason``
    is null for valid numbers and ``e164`` is null for everything else.

    Each region's ordinary numbers take the express lane (:func:`express_lane`, one lazy plan); the
    rest take the general path. ``express=False`` sends every row the general way (tests compare
    the two).
    """
    raw = raw.rename("raw")
    if not express:
        return _general_phones(raw, regions)

    def lane(values: pl.Series, plan: _Plan) -> pl.DataFrame:
        return express_lane(values.to_frame().lazy(), plan).select(
            "e164", "reason", done="express"
        ).collect()

    def general(values: pl.Series, where: pl.Series) -> pl.DataFrame:
        e164, reason = _general_phones(values, where)
        return pl.DataFrame({"e164": e164, "reason": reason})

    out = run_lanes(raw, regions, lane, general, ("e164", "reason"))
    return out["e164"], out["reason"]
