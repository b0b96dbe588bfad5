"""CRM table -> a platform's upload file, with a report and a signed manifest."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ._checks import check_progress
from ._errors import (
    InputTypeError,
    InvalidInputError,
    MissingColumnError,
    UnsupportedIdentifierError,
)
from ._hashing import Hasher
from ._headers import ALIAS_TO_KIND, fold_header
from ._io import (
    check_header,
    check_output,
    check_path,
    commit,
    frame_writer,
    read_table,
    remove_stale_temps,
    table_format,
    temp_path,
)
from ._manifest import (
    MANIFEST_VERSION,
    file_sha256,
    manifest_path,
    manifest_text,
    sign_manifest,
    utc_now,
)
from ._normalize import (
    NORMALIZATION_VERSION,
    reference_day,
    regions_from_countries,
    resolve_regions,
    to_text_series,
)
from ._pipeline import prepared_chunks
from ._platforms import (
    ADDRESS,
    KEY_TYPES,
    MAX_ROWS,
    MIN_AUDIENCE,
    check_kind,
    check_platform,
    column_name,
    file_header,
    max_columns,
    rules_for_platform,
)
from ._redact import looks_like_identifier, mask, rows_text, safe_name, safe_names

__all__ = ["Upload", "UploadReport", "prepare_upload", "recognize_columns"]

#: Identifiers a platform can match on their own; the rest only help alongside them.
_MATCH_KEYS = ("email", "phone", "maid", "external_id")


def _header_kind(header: str) -> tuple[str | None, bool]:
    """The kind a header names, and whether it is numbered (``email_2``, ``Phone 3``: only
    kinds a platform takes in several columns are numbered; ``zip4`` is not a ZIP)."""
    folded = fold_header(header)
    # an address's own prefix: Salesforce's "Mailing City", "Mailing Zip/Postal Code"
    prefix = re.match(r"(?:mailing|primary)_(.+)$", folded)
    if prefix is not None and prefix.group(1) in ALIAS_TO_KIND:
        folded = prefix.group(1)
    kind = ALIAS_TO_KIND.get(folded)
    if kind is not None:
        return kind, False
    numbered = _NUMBERED_HEADER.match(folded)
    if numbered is not None and ALIAS_TO_KIND.get(numbered.group(1)) in _NUMBERED_KINDS:
        return ALIAS_TO_KIND[numbered.group(1)], True
    return None, False


_NUMBERED_HEADER = re.compile(r"^([a-z_]*[a-z])_?[1-9]$")
_NUMBERED_KINDS = ("email", "phone", "maid")


def recognize_columns(headers: list[str], platform: str | None = None) -> dict[str, str]:
    """Map recognized CRM headers to identifier kinds; an error lists what was found.

    Several columns of one kind are an error (say which with ``columns=``), except where
    ``platform`` takes that many and they are numbered (``email``, ``email_2``, ``email3``
    for Meta's three email columns)."""
    found: dict[str, str] = {}
    by_kind: dict[str, list[str]] = {}
    plain: dict[str, int] = {}
    for header in headers:
        kind, numbered = _header_kind(header)
        if kind is not None:
            plain[kind] = plain.get(kind, 0) + (not numbered)
            found[header] = kind
            by_kind.setdefault(kind, []).append(header)
    if not found:
        shown = safe_names(headers)
        if any(looks_like_identifier(str(h)) for h in headers):
            raise MissingColumnError(
                f"no identifier column recognized, and the header row looks like data "
                f"({', '.join(shown[:6])}): the file seems to have no header row; add one "
                "(email, phone, first_name, zip, dob...) or pass columns= (--column "
                "CRM_COLUMN=KIND)"
            )
        # with nothing recognized the first row may be data (a file without a header row):
        # the names are shown masked
        raise MissingColumnError(
            f"no identifier column recognized among the {len(headers)} headers "
            f"({', '.join(mask(str(h)) for h in headers[:8])}); name them like email, phone, "
            "first_name, zip, dob... or pass columns={'crm column': 'email', ...} (--column "
            "'crm column=email')"
        )

    takes = rules_for_platform(platform) if platform is not None else None

    def repeats_ok(kind: str, cols: list[str]) -> bool:
        if takes is not None and kind not in takes:
            return True  # left out of this platform's upload anyway
        most = max_columns(platform, kind) if platform is not None else 1
        return plain[kind] <= 1 and (most is None or len(cols) <= most)

    clashes = {k: safe_names(v) for k, v in by_kind.items()
               if len(v) > 1 and not repeats_ok(k, v)}
    if clashes:
        several = [f"{k} (up to {most})" if (most := max_columns(platform, k)) else k
                   for k in clashes if platform is not None and max_columns(platform, k) != 1]
        raise InvalidInputError(
            f"several columns look like the same identifier: {clashes}; pass columns= "
            "(--column CRM_COLUMN=KIND) to say which one to use" + (
                f", or number them (email, email_2...): {platform} takes several columns of "
                f"{', '.join(several)}" if several else "")
        )
    return found


@dataclass
class ColumnReport:
    """What happened to one identifier column: counts only, never values."""

    column: str
    kind: str
    header: str
    hashed: bool
    valid: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0

    def __post_init__(self) -> None:
        # reasons in one order (by name), whatever order the engine's counting gave them: a
        # polars value_counts or a Spark group-by comes back in another order each run
        self.rejected = dict(sorted(self.rejected.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column, "kind": self.kind, "header": self.header,
            "hashed": self.hashed, "valid": self.valid, "rejected": dict(self.rejected),
            "duplicates": self.duplicates,
        }


@dataclass
class UploadReport:
    """Rows in and out, and per identifier: valid, rejected by reason, duplicates."""

    platform: str
    rows_in: int
    rows_out: int
    rows_without_key: int
    columns: list[ColumnReport]
    ignored_columns: list[str]
    warnings: list[str]
    unrecognized_columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform, "rows_in": self.rows_in, "rows_out": self.rows_out,
            "rows_without_key": self.rows_without_key,
            "columns": [c.to_dict() for c in self.columns],
            "ignored_columns": list(self.ignored_columns),
            "unrecognized_columns": list(self.unrecognized_columns),
            "warnings": list(self.warnings),
        }

    def to_text(self) -> str:
        """A short readable summary."""
        lines = [
            f"{self.platform} upload: {rows_text(self.rows_in)} in, "
            f"{rows_text(self.rows_out)} out, "
            f"{self.rows_without_key:,} without a usable identifier"
        ]
        for c in self.columns:
            rejected = ", ".join(f"{r} {n:,}" for r, n in sorted(c.rejected.items())) or "none"
            action = "hashed" if c.hashed else "plain"
            lines.append(
                f"  {c.column} -> {c.header} ({c.kind}, {action}): {c.valid:,} valid, "
                f"rejected: {rejected}; duplicates {c.duplicates:,}"
            )
        if self.ignored_columns:
            lines.append(f"  ignored (not taken by {self.platform}): {self.ignored_columns}")
        if self.unrecognized_columns:
            lines.append(f"  ignored (not an identifier column): {self.unrecognized_columns}")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


OPERATIONS = ("add", "remove")


def check_operation(operation: object) -> str:
    if operation not in OPERATIONS:
        raise InvalidInputError(
            f"operation must be 'add' (people to add to the audience) or 'remove' (people to "
            f"take out of it), got {safe_name(str(operation))!r}")
    return str(operation)


def upload_manifest(platform: str, report: UploadReport, scheme: str, key_id: str | None,
                    file: str, rows: int, sha256: str, operation: str = "add"
                    ) -> dict[str, Any]:
    """The manifest of an upload (unsigned): what it holds, how it was made, its digest."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "platform": platform,
        "operation": operation,
        "file": file,
        "rows": rows,
        "schema": [
            {"name": c.header, "kind": c.kind, "hashed": c.hashed} for c in report.columns
        ],
        "normalization_version": NORMALIZATION_VERSION,
        "hash_scheme": scheme,
        "hashed_columns": [c.header for c in report.columns if c.hashed],
        "key_id": key_id,
        "sha256": sha256,
        "created_at": utc_now(),
        "tool": f"audiencekit {_version()}",
        "report": report.to_dict(),
        "description": "pseudonymous identifiers (hashed, not anonymous)",
    }


class Upload:
    """A platform upload: ``frame`` (headers and values as the platform wants), ``report``,
    ``rejections`` (row, column, reason; no values) and :meth:`write`. ``operation`` says
    whether the rows are to be added to the platform's audience or removed from it."""

    operation = "add"
    #: The files it was read from (a CRM path): :meth:`write` never replaces them.
    sources: tuple[str | os.PathLike[str], ...] = ()

    def __init__(
        self, platform: str, frame: pl.DataFrame, report: UploadReport,
        rejections: pl.DataFrame, hasher: Hasher, key_id: str | None,
    ) -> None:
        self.platform = platform
        self.frame = frame
        self.report = report
        self.rejections = rejections
        self._scheme = hasher.scheme
        self._key_id = key_id

    def __repr__(self) -> str:
        return (
            f"Upload(platform={self.platform!r}, rows={self.frame.height}, "
            f"columns={self.frame.columns})"
        )

    def manifest(self, path: str | os.PathLike[str], sha256: str | None = None) -> dict[str, Any]:
        """The manifest for this upload written at ``path`` (unsigned); ``sha256`` is the
        file's digest when already known."""
        name = Path(check_path(path, "the upload file's")).name
        return upload_manifest(self.platform, self.report, self._scheme, self._key_id,
                               name, self.frame.height, sha256 or file_sha256(path),
                               self.operation)

    def write(
        self, path: str | os.PathLike[str], signing_key: Any = None, *,
        inputs: Iterable[str | os.PathLike[str] | None] = (),
        status: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Write the upload file and its manifest at ``<path>.manifest.json``, together.

        Both are written to temporary files first (named with this process's id); the
        manifest, which holds the file's SHA-256, is moved into place before the file. A run
        killed at any point leaves either temporary files (removed by the next write) or a
        manifest whose digest does not match what is under the file's name: never a file that
        passes as finished without its manifest. ``signing_key`` (an Ed25519 private key) signs
        the manifest; ``inputs`` are paths the outputs must not replace; ``status`` is told
        each phase. Returns the manifest.
        """
        if signing_key is not None and not isinstance(signing_key, Ed25519PrivateKey):
            sign_manifest({}, signing_key)  # raises the clear error, before any write
        inputs = [*inputs, *self.sources]
        target = check_output(path, inputs=inputs, what="upload")
        table_format(target, "upload")
        header = [file_header(c) for c in self.frame.columns]
        check_header(header, self.frame, target)
        meta_target = check_output(manifest_path(target), inputs=inputs, what="manifest")
        for t in (target, meta_target):
            remove_stale_temps(t)
        tmp = temp_path(target)
        meta_tmp = temp_path(meta_target)
        try:
            if status is not None:
                status(f"writing {self.frame.height:,} rows")
            with open(tmp, "wb") as handle:
                frame_writer(self.frame, target, header)(handle)
                handle.flush()
                os.fsync(handle.fileno())
            if status is not None:
                status("checksumming and signing")
            manifest = self.manifest(target, sha256=file_sha256(tmp))
            if signing_key is not None:
                manifest = sign_manifest(manifest, signing_key)
            with open(meta_tmp, "w", encoding="utf-8") as handle:
                handle.write(manifest_text(manifest))
                handle.flush()
                os.fsync(handle.fileno())
            commit(meta_tmp, meta_target)
            commit(tmp, target)
        except BaseException:
            for t in (tmp, meta_tmp):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(t)
            raise
        return manifest


def _version() -> str:
    from . import __version__

    return __version__


def _check_columns(
    frame: pl.DataFrame, columns: Mapping[str, str] | None, platform: str,
) -> tuple[dict[str, str], list[str]]:
    rules = rules_for_platform(platform)
    if columns is None:
        recognized = recognize_columns(frame.columns, platform)
        taken = {c: k for c, k in recognized.items() if k in rules}
        ignored = [c for c, k in recognized.items() if k not in rules]
        if not taken:
            raise UnsupportedIdentifierError(
                f"none of the recognized identifier columns {safe_names(recognized)} is taken by "
                f"{platform}; it takes: {', '.join(rules)}"
            )
        return taken, ignored
    if not isinstance(columns, Mapping):
        raise InvalidInputError(
            "columns must map CRM column names to kinds, e.g. {'mail': 'email'}"
        )
    if not columns:  # an empty mapping used to fail inside polars with nothing to hash
        raise InvalidInputError(
            "columns maps no column: name at least one, e.g. {'mail': 'email'}, or leave "
            "columns out to take the identifier columns the headers name"
        )
    for col in columns:
        if not isinstance(col, str):
            raise InputTypeError(
                f"columns= names the table's columns as text: got {type(col).__name__} "
                f"{safe_name(str(col))!r}; the table has {safe_names(frame.columns)} (a "
                "pandas column 0 is '0' here)")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"columns {safe_names(missing)} are not in the table; it has "
            f"{safe_names(frame.columns)}"
        )
    for col, kind in columns.items():
        check_kind(kind)
        if kind not in rules:
            raise UnsupportedIdentifierError(
                f"{platform} does not take {kind!r} (column {safe_name(col)!r}); it takes: "
                f"{', '.join(rules)}"
            )
    check_repeats(dict(columns), platform)
    return dict(columns), []


def one_key_type(mapping: dict[str, str], ignored: list[str], platform: str, auto: bool,
                 ) -> tuple[dict[str, str], list[str], list[str]]:
    """The columns of one kind of key where the platform's lists hold one (Google: contact
    information, User IDs or mobile device IDs; X: one identifier type), and notes for the
    report.

    Columns named by the caller that mix kinds are an error, as is more than one type for X;
    recognized ones keep Google's contact information and leave the rest out, saying so. An
    address missing some of the columns it matches with is noted: those columns match nobody
    on their own."""
    if platform == "x" and len(mapping) > 1:
        raise InvalidInputError(
            f"x takes one identifier type per list, got {sorted(mapping.values())}; "
            "pass columns= (--column CRM_COLUMN=KIND) with one of them and make one upload "
            "per type"
        )
    notes: list[str] = []
    types = KEY_TYPES.get(platform)
    if types:
        found = {name: [c for c, k in mapping.items() if k in kinds]
                 for name, kinds in types.items()}
        found = {name: cols for name, cols in found.items() if cols}
        if len(found) > 1:
            listed = "; ".join(f"{name}: {', '.join(repr(c) for c in safe_names(cols))}"
                               for name, cols in found.items())
            first = next(iter(types))
            if not auto or first not in found:
                raise InvalidInputError(
                    f"{platform}'s customer lists hold one kind of key ({', '.join(types)}), "
                    f"got {listed}; pass columns= (--column CRM_COLUMN=KIND) with one kind "
                    "and make one upload per kind")
            left = [c for name, cols in found.items() if name != first for c in cols]
            mapping = {c: k for c, k in mapping.items() if c not in left}
            ignored = [*ignored, *left]
            notes.append(
                f"{platform}'s customer lists hold one kind of key: this one takes the "
                f"{first}; left out {', '.join(repr(c) for c in safe_names(left))} "
                f"({', '.join(n for n in found if n != first)}), to upload as a list of "
                "their own with columns=")
    address = ADDRESS.get(platform, ())
    given = [k for k in address if k in mapping.values()]
    if given and len(given) < len(address):
        rules = rules_for_platform(platform)
        missing = [rules[k].header for k in address if k not in given]
        notes.append(
            f"{platform} matches a mailing address only with "
            f"{', '.join(rules[k].header for k in address)} together; this upload has no "
            f"{', '.join(missing)}, so {', '.join(rules[k].header for k in given)} match "
            "nobody on their own (and a file with part of an address may be refused): map "
            "the missing columns, or leave these out")
    return mapping, ignored, notes


def check_repeats(mapping: Mapping[str, str], platform: str) -> None:
    """Each kind mapped to no more columns than the platform's file holds (Meta: up to three
    email and three phone columns; most kinds and platforms: one)."""
    by_kind: dict[str, list[str]] = {}
    for col, kind in mapping.items():
        by_kind.setdefault(kind, []).append(col)
    for kind, cols in by_kind.items():
        most = max_columns(platform, kind)
        if most is not None and len(cols) > most:
            takes = (f"one {kind} column" if most == 1 else
                     f"up to {most} {kind} columns (the header repeated)")
            raise InvalidInputError(
                f"{platform}'s file takes {takes}; got {len(cols)}: "
                f"{', '.join(repr(c) for c in safe_names(cols))}. Map "
                f"{'one' if most == 1 else f'at most {most}'} of them, or make one upload "
                "per column")


def column_names(ordered: Iterable[tuple[str, str]], platform: str) -> list[str]:
    """The upload table's name of each (CRM column, kind), in order: the platform's header,
    numbered from the second column of a kind on (``email``, ``email (2)``), so the table's
    names are unique while the file repeats the header."""
    rules = rules_for_platform(platform)
    seen: dict[str, int] = {}
    names = []
    for _, kind in ordered:
        seen[kind] = seen.get(kind, 0) + 1
        names.append(column_name(rules[kind].header, seen[kind]))
    return names


def region_column(frame: pl.DataFrame, mapping: Mapping[str, str]) -> str | None:
    """The column giving each row's country: the one mapped to ``country``, else one named
    like a country column."""
    mapped = next((c for c, k in mapping.items() if k == "country"), None)
    if mapped is not None:
        return mapped
    return next(
        (c for c in frame.columns if ALIAS_TO_KIND.get(fold_header(c)) == "country"), None)


def row_regions(frame: pl.DataFrame, country_col: str | None, default_region: str) -> pl.Series:
    """Each row's region: its country column's, falling back to ``default_region``."""
    if country_col is not None:
        return regions_from_countries(frame[country_col], fallback=default_region)
    return resolve_regions(default_region, frame.height)


def prepare_column(
    column: pl.Series, kind: str, platform: str, regions: pl.Series, dayfirst: bool | None,
    key: bytes | None, today: dt.date | None, step: Callable[[int], None] | None = None,
    name: str | None = None,
) -> tuple[pl.Series, pl.Series]:
    """One CRM column as the platform's upload column (``value``, null where rejected, named
    ``name`` or the platform's header) and the reason of each rejection: the one code path of
    local and Spark uploads."""
    rule = rules_for_platform(platform)[kind]
    hasher = Hasher(key=key, encoding=rule.encoding) if rule.handling == "hash" else None
    values, reasons = [], []
    for value_part, reason_part in prepared_chunks(to_text_series(column), kind, platform,
                                                   regions, dayfirst, hasher, today=today):
        values.append(value_part)
        reasons.append(reason_part)
        if step is not None:
            step(len(reason_part))
    return pl.concat(values).alias(name or rule.header), pl.concat(reasons)


def usable_mask(table: pl.DataFrame, kinds: Iterable[str], platform: str) -> pl.Series:
    """Which rows of a prepared ``table`` can be matched: one match key at least (Google also
    matches on a complete address); rows with none are left out of the upload."""
    rules = rules_for_platform(platform)
    kinds = set(kinds)
    under: dict[str, list[str]] = {}  # header -> the table's columns under it
    for c in table.columns:
        under.setdefault(file_header(c), []).append(c)
    keys = [c for k in _MATCH_KEYS if k in kinds for c in under.get(rules[k].header, [])]
    usable = pl.any_horizontal([pl.col(h).is_not_null() for h in keys]) if keys else pl.lit(False)
    if platform in ADDRESS:  # a complete address: both names, the country and any ZIP given
        address = [under.get(rules[k].header, []) for k in ADDRESS[platform]]
        if all(address):
            usable = usable | pl.all_horizontal(
                [pl.any_horizontal([pl.col(c).is_not_null() for c in cols]) for cols in address])
    if not keys and platform not in ADDRESS:
        usable = pl.any_horizontal([pl.col(h).is_not_null() for h in table.columns])
    return table.select(usable.alias("u"))["u"]


def upload_report(platform: str, rows_in: int, rows_out: int, columns: list[ColumnReport],
                  ignored: list[str], unrecognized: list[str],
                  distinct_rows: Callable[[], int], notes: Iterable[str] = ()) -> UploadReport:
    """The report of an upload, with the platform's minimum-audience warning when it applies.

    The minimum counts people, not rows: a list of 300 rows of 60 people is under Meta's 100.
    ``distinct_rows`` counts the upload's distinct rows; it is called only when no match key
    has as many distinct values as the minimum (every row holding one is uploaded, so the
    upload has at least as many distinct rows)."""
    warnings = list(notes)
    floor = MIN_AUDIENCE[platform]
    kinds = {c.kind for c in columns}
    keys = kinds & set(_MATCH_KEYS) or (set() if platform in ADDRESS else kinds)
    bound = max((c.valid - c.duplicates for c in columns if c.kind in keys), default=0)
    people = rows_out
    if rows_out >= floor and bound < floor:
        people = distinct_rows()
    if people < floor:
        counted = (rows_text(rows_out) if people == rows_out else
                   f"{rows_text(rows_out)} of {people:,} distinct "
                   f"{'person' if people == 1 else 'people'}")
        warnings.append(
            f"{counted} is under {platform}'s minimum audience of {floor:,}: "
            "the platform will not serve it, and a list this small is easier to re-identify"
        )
    most = MAX_ROWS.get(platform)
    if most is not None and rows_out > most:
        warnings.append(
            f"{rows_text(rows_out)} is over {platform}'s maximum of {most:,} rows per list: "
            f"the platform refuses the file; split the CRM into lists of at most {most:,} "
            "rows, one upload each")
    return UploadReport(
        platform=platform, rows_in=rows_in, rows_out=rows_out,
        rows_without_key=rows_in - rows_out, columns=columns, ignored_columns=ignored,
        warnings=warnings, unrecognized_columns=unrecognized,
    )


def prepare_upload(
    crm: object,
    platform: str,
    columns: Mapping[str, str] | None = None,
    default_region: str = "US",
    *,
    dayfirst: bool | None = None,
    key: bytes | None = None,
    key_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: dt.date | None = None,
    today: dt.date | None = None,
    encoding: str = "utf-8",
    separator: str | None = None,
    operation: str = "add",
) -> Upload:
    """Normalize, hash and lay out a CRM table as ``platform``'s upload file.

    Parameters
    ----------
    crm : polars/pandas DataFrame, pyarrow Table, a CSV/Parquet path, or a Spark DataFrame
        One row per person. A Spark DataFrame is prepared partition by partition in Spark
        (the same code, identical hashes) and gives a :class:`privacy.SparkUpload`, whose
        ``write(folder)`` writes part files and one manifest over them.
    platform : str
        One of :data:`privacy.PLATFORMS`.
    columns : mapping, optional
        CRM column -> identifier kind. When omitted, common header names are recognized.
    default_region : str
        Region for national phone numbers, ZIPs and dates; a ``country`` column, when mapped,
        overrides it row by row.
    dayfirst : bool, optional
        How to read ambiguous dates of birth (see :func:`privacy.normalize`).
    key : bytes, optional
        HMAC key for keyed pseudonyms (partner exchanges). Platforms want plain SHA-256: leave
        it ``None`` for platform uploads.
    key_id : str, optional
        A name for the key, recorded in the manifest (never the key itself).
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` after each chunk.
    now : date or datetime, optional
        The clock: the last possible date of birth (default: today). ``today=`` is the same.
    encoding, separator : str, optional
        How to read a CSV path: its text encoding (default UTF-8) and delimiter.
    operation : {"add", "remove"}
        Whether the platform should add these people to the audience or remove them (an
        incremental sync: see ``Audience.diff``); recorded in the manifest.

    Returns
    -------
    Upload

    Examples
    --------
    >>> import polars as pl, privacy
    >>> crm = pl.DataFrame({"Email": ["Mary@Example.com ", "bad"], "Phone": ["(650) 555-1212", ""]})
    >>> up = privacy.prepare_upload(crm, "meta")
    >>> up.frame.columns
    ['email', 'phone']
    >>> up.report.rows_out, up.report.columns[0].rejected
    (1, {'malformed': 1})
    """
    from ._spark import is_spark_frame, prepare_spark_upload

    operation = check_operation(operation)
    check_progress(progress)
    if is_spark_frame(crm):  # per partition in Spark, the same code per column
        spark_upload = prepare_spark_upload(crm, platform, columns, default_region, dayfirst,
                                            key, key_id, reference_day(now, today))
        spark_upload.operation = operation
        return spark_upload  # type: ignore[return-value]
    platform = check_platform(platform)
    today = reference_day(now, today)
    frame = read_table(crm, what="crm", encoding=encoding, separator=separator)
    if frame.height == 0:
        raise InvalidInputError("the CRM table has no rows; nothing to upload")
    mapping, ignored = _check_columns(frame, columns, platform)
    mapping, ignored, notes = one_key_type(mapping, ignored, platform, columns is None)
    unrecognized = [c for c in frame.columns if c not in mapping and c not in ignored]
    # names as shown: all masked when the header row looks like data
    shown = dict(zip(frame.columns, safe_names(frame.columns), strict=True))
    rules = rules_for_platform(platform)
    n = frame.height
    regions = row_regions(frame, region_column(frame, mapping), default_region)

    order = {k: i for i, k in enumerate(rules)}  # the platform's column order
    ordered = sorted(mapping.items(), key=lambda ck: order[ck[1]])
    out_cols: dict[str, pl.Series] = {}
    reports: list[ColumnReport] = []
    rejections: list[pl.DataFrame] = []
    total_work = n * len(ordered)
    done = 0

    def step(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total_work)

    for (col, kind), name in zip(ordered, column_names(ordered, platform), strict=True):
        rule = rules[kind]
        value, reason = prepare_column(frame[col], kind, platform, regions, dayfirst, key,
                                       today, step, name)
        counts = reason.drop_nulls().value_counts()
        valid = int(value.is_not_null().sum())
        reports.append(
            ColumnReport(
                column=shown[col], kind=kind, header=rule.header,
                hashed=rule.handling == "hash",
                valid=valid,
                rejected={r: int(c) for r, c in counts.iter_rows()},
                duplicates=valid - int(value.drop_nulls().n_unique()),
            )
        )
        rejections.append(
            pl.DataFrame({"row": pl.int_range(0, n, eager=True), "reason": reason})
            .filter(pl.col("reason").is_not_null())
            .with_columns(column=pl.lit(col), kind=pl.lit(kind))
        )
        out_cols[name] = value

    table = pl.DataFrame(list(out_cols.values()))
    kept = table.filter(usable_mask(table, mapping.values(), platform))
    report = upload_report(platform, n, kept.height, reports, [shown[c] for c in ignored],
                           [shown[c] for c in unrecognized], kept.n_unique, notes)
    rejected = (
        pl.concat(rejections).select("row", "column", "kind", "reason")
        if rejections else pl.DataFrame()
    )
    scheme = Hasher(key=key, encoding="base64" if platform == "uid2" else "hex")
    upload = Upload(platform, kept, report, rejected, scheme, key_id)
    upload.operation = operation
    if isinstance(crm, (str, os.PathLike)):  # its own input is never an output
        upload.sources = (crm,)
    return upload
