"""What the audit knows about an export, measured one part at a time and merged.

An export is one file, a table in memory, or a folder or glob of part files (Spark's output).
Each part is measured on its own (:meth:`ExportFacts.add`) into figures that add up across
parts: counts by column and kind, the few values that need a closer look (digests of an
enumerated domain, clear identifiers with their first sample), and 64-bit value hashes for the
figures that need the whole export (distinct values, duplicated rows, k-anonymity classes; see
:mod:`privacy._audit_counts`). Only one part is in memory at a time, and the audit of an export
split into parts equals the audit of the same rows in one file.

Within a part every per-column figure comes out of one ``select`` over all columns, and every
per-value question is asked once of a long (column, value) frame holding only the values that
need asking: the cost grows with the number of cells, not with the number of columns times the
number of rows. A 1-row file with 20,000 columns costs what 20,000 rows of one column cost.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from . import _audit_patterns as pat
from ._audit_counts import QUASI, ROWS, ValueCounts, row_hash
from ._audit_domains import domain_table, name_lists, place_names
from ._audit_scan import FileScan, only_hex
from ._headers import ALIAS_TO_KIND, ascii_name
from ._io import temporal_text, temporal_texts
from ._normalize import binary_text
from ._platforms import PLATFORMS, file_header, rules_for_platform
from ._redact import safe_names

__all__ = ["DIGEST", "ID_KINDS", "ExportFacts", "Probes", "column_kind", "guess_platform",
           "text_values"]

DIGEST = pat.DIGEST
_HEX64 = r"^[0-9a-fA-F]{64}$"
#: A UUID written without its dashes (versions 1 to 8, RFC 9562's variant).
_UUID32 = r"^[0-9a-fA-F]{12}[1-8][0-9a-fA-F]{3}[89abAB][0-9a-fA-F]{15}$"
_WORDS = re.compile(r"[^0-9a-z]+")
# Words that say a column is hashed, not what it holds: "email_sha256" is an email column.
_HASH_WORDS = {"sha256", "sha", "hash", "hashed", "hmac", "digest", "b64", "base64", "hex"}
#: The guesses of a hashed column.
HASHED = ("sha256_hex", "sha256_base64", "md5_hex", "sha1_hex", "hex_other")
#: The kinds whose repeats are duplicates (one person, one value).
ID_KINDS = ("email", "phone", "maid", "external_id")
#: Up to this many text columns, the domain candidates are found one column at a time.
_NARROW = 64
_STATS = ("n", "hex64", "b64", "hex64any", "md5", "sha1", "hexany", "hex64odd", "b64odd",
          "uuid32")
_TALLY = {"check": pl.Utf8, "column": pl.Utf8, "flag": pl.Boolean, "n": pl.Int64,
          "sample": pl.Utf8, "at": pl.Int64}
_HITS = {"column": pl.Utf8, "value": pl.Utf8, "rows": pl.Int64}
#: Byte lengths of the digests an export may hold raw: MD5, SHA-1, SHA-256.
_DIGEST_BYTES = (16, 20, 32)
#: Clear-identifier patterns tallied per column, by name.
_PATTERNS = (("email", pat.EMAIL), ("phone", pat.PHONE), ("date", pat.DATE),
             ("ipv4", pat.IPV4), ("ipv6", pat.IPV6), ("ssn", pat.SSN), ("zip", pat.ZIP),
             ("street", pat.STREET))


def guess_platform(headers: list[str]) -> str | None:
    """The platform whose upload layout the headers fit best, or None when none or a tie."""
    scores = {}
    for platform in PLATFORMS:
        expected = {r.header for r in rules_for_platform(platform).values()}
        scores[platform] = sum(file_header(h) in expected for h in headers)
    best = max(scores.values())
    winners = [p for p, s in scores.items() if s == best]
    if best == 0 or len(winners) > 1:
        return None
    return winners[0]


def column_kind(header: str, platform: str | None) -> str | None:
    """The identifier kind a column holds: by the platform's layout, else by its name."""
    if platform is not None:  # 'email (2)': the second column under Meta's 'email'
        for kind, rule in rules_for_platform(platform).items():
            if rule.header == file_header(header):
                return kind
    words = [w for w in _WORDS.split(ascii_name(header)) if w and w not in _HASH_WORDS]
    return ALIAS_TO_KIND.get("_".join(words))


def _guess(stats: dict[str, int]) -> str:
    """A text column's type from its counts: a digest format, other hex, UUIDs without their
    dashes, empty or text."""
    n = stats["n"] or 1
    if stats["n"] == 0:
        return "empty"
    if stats["uuid32"] > 0.5 * n and stats["uuid32"] >= 0.9 * stats["md5"]:
        # 32 hex with a UUID's version and variant digits: an eighth of MD5 digests have
        # them by chance, nearly all of a column of device or record ids
        return "uuid_hex"
    hexed, b64 = stats["hex64any"] + stats["hex64odd"], stats["b64"] + stats["b64odd"]
    if (hexed + b64 + stats["md5"] + stats["sha1"]) / n > 0.5:
        return ("sha256_base64" if b64 > hexed else
                "md5_hex" if stats["md5"] > hexed else
                "sha1_hex" if stats["sha1"] > hexed else "sha256_hex")
    if (stats["hexany"] + stats["hex64any"]) / n > 0.5:
        return "hex_other"
    return "text"


@dataclass(frozen=True)
class Probes:
    """What every part is measured against, fixed before the first part is read."""

    platform: str | None
    today: dt.date
    #: Hex SHA-256 of the enumerated phone block and of the dictionary's emails, each as
    #: normalized for the destination and as no normalization writes them.
    phones: pl.Series | None = field(default=None, repr=False)
    phones_written: pl.Series | None = field(default=None, repr=False)
    dictionary: pl.Series | None = field(default=None, repr=False)
    dictionary_written: pl.Series | None = field(default=None, repr=False)
    #: Quasi-identifiers as given; None: the clear columns named like one.
    quasi: list[str] | None = None
    k: int = 10
    parts: int = 1
    #: The bytes of the export's files, when it is files.
    size: int | None = None


@dataclass(repr=False)
class ExportFacts:
    """The export's columns, their formats, and the figures the checks read, over all parts.

    It holds first samples of clear values (masked only when a finding shows them): its repr
    says how much it holds, never what."""

    probes: Probes
    name: str | None = None
    rows: int = 0
    parts: int = 0
    columns: list[str] = field(default_factory=list)
    schema: dict[str, pl.DataType] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    guess: dict[str, str] = field(default_factory=dict)
    hashed: list[str] = field(default_factory=list)
    clear: list[str] = field(default_factory=list)
    #: (column, value, rows, domain): hashed values that are digests of enumerated values.
    hits: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_HITS))
    #: (check, column, flag, n, sample, at): values of a kind per column; ``flag`` marks
    #: values that are some digest; ``sample`` is the first such value (at row ``at``).
    tallies: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_TALLY))
    #: Sensitive words found in the values of labelled columns.
    labels: dict[str, set[str]] = field(default_factory=dict)
    #: The quasi-identifiers the classes were counted over.
    quasi: list[str] = field(default_factory=list)
    counts: ValueCounts = field(init=False)
    classes: ValueCounts = field(init=False)
    #: Digests of each part file, from the pass beside its read.
    digests: dict[str, str] = field(default_factory=dict)
    #: Per binary column, the values that were raw digest bytes (audited as their hex).
    raw_digests: dict[str, int] = field(default_factory=dict)
    _part_quasi: set[tuple[str, ...]] = field(default_factory=set)
    _hashed_set: set[str] = field(default_factory=set)
    _tally_rows: dict[tuple[str, str], list[tuple[bool, int, str | None, int]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        # 64-bit value hashes under a seed drawn for this audit: the spill of hashes (several
        # parts) cannot be joined against anything computed outside this process
        self._seed = secrets.randbelow(2**63)
        table = domain_table(self.today)  # hex digests, then their Base64 forms
        self._known = _Known(pl.concat([table["hex"].hash(self._seed),
                                        table["b64"].hash(self._seed)]))
        # (tally name, which columns, digests): each probe beside the columns it is for
        p = self.probes
        self._probe_sets = [
            (name, wanted, probe) for name, wanted, digests in (
                ("phone_", self.is_phone, p.phones),
                ("phone_written_", self.is_phone, p.phones_written),
                ("dictionary_", self.is_email, p.dictionary),
                ("dictionary_written_", self.is_email, p.dictionary_written))
            if (probe := _probe_set(digests, self._seed)) is not None]
        self._hits = _Pile(_HITS, ["column", "value"], [pl.col("rows").sum()])
        self._tallies = _Pile(_TALLY, ["check", "column", "flag"], [
            pl.col("n").sum(), pl.col("sample").sort_by("at").first(), pl.col("at").min()])
        self.counts = ValueCounts(self.probes.parts, self.probes.k, self.probes.size)
        self.classes = ValueCounts(self.probes.parts, self.probes.k, self.probes.size)

    def __repr__(self) -> str:
        return (f"ExportFacts(rows={self.rows:,}, columns={len(self.columns)}, "
                f"parts={self.parts}, platform={self.platform!r})")

    @property
    def platform(self) -> str | None:
        return self.probes.platform

    @property
    def today(self) -> dt.date:
        return self.probes.today

    @property
    def partner(self) -> bool:
        """A partner export (no platform): keyed hashes were possible."""
        return self.platform is None

    def kind_of(self, column: str) -> str | None:
        return column_kind(column, self.platform)

    def is_phone(self, column: str) -> bool:
        return self.kind_of(column) == "phone" or "phone" in column.lower()

    def is_email(self, column: str) -> bool:
        return self.kind_of(column) == "email" or "mail" in column.lower()

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": len(self.columns),
                "types": {self.shown[c]: g for c, g in self.guess.items()}}

    def clear_tally(self, check: str, column: str) -> tuple[int, str | None]:
        """As :meth:`tally`, counting only the values that look like no digest."""
        keep = [r for r in self._tally_rows.get((check, column), []) if not r[0]]
        if not keep:
            return 0, None
        return sum(r[1] for r in keep), min(keep, key=lambda r: r[3])[2]

    def tally(self, check: str, column: str) -> tuple[int, str | None]:
        """How many values of ``column`` are of the kind ``check``, and the first of them;
        in a hashed column, values that are some digest are not counted."""
        rows = self._tally_rows.get((check, column), [])
        keep = [r for r in rows if not (r[0] and column in self._hashed_set)]
        if not keep:
            return 0, None
        first = min(keep, key=lambda r: r[3])
        return sum(r[1] for r in keep), first[2]

    # --- measuring a part ------------------------------------------------------------------

    def add(self, frame: pl.DataFrame, scans: Sequence[FileScan] = ()) -> None:
        """Measure one part (a batch of part files, or the whole export when it is one file
        or table), with the passes over its files' bytes. Every part has the first part's
        columns and types (the reader checks each file)."""
        frame = self._binary_as_text(frame)
        if not self.parts:
            self._first(frame)
        index = self.parts
        self.parts += 1
        self.rows += frame.height
        hashes = frame.select(pl.all().hash(self._seed))
        text = [c for c, t in frame.schema.items() if t == pl.Utf8]
        candidates = _candidates(hashes, text, self._known)
        stats, residual = _formats(frame, text, scans)
        for c, st in stats.items():
            total = self.stats[c]
            for key in _STATS:
                total[key] += st[key]
        guess = {c: _guess(st) for c, st in stats.items()}
        self._count(hashes, text, guess)
        # digests in a form no platform takes, in the platforms' form for the reversal probes
        odd = [c for c, st in stats.items()
               if st["hex64any"] > st["hex64"] or st["hex64odd"] or st["b64odd"]]
        canon = frame.select([_canonical_digest(pl.col(c)).alias(c) for c in odd])
        self._add_hits(frame, candidates, canon)
        self._add_tallies(residual, index)
        self._add_probes(frame, hashes, stats, canon)
        self._add_labels(frame)

    def _binary_as_text(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Binary columns as text, value by value, so every text check reads them: UTF-8
        decoded; raw digests (16, 20 or 32 bytes that are no UTF-8: MD5, SHA-1, SHA-256) as
        lower-case hex, counted in :attr:`raw_digests` (a Parquet column of raw SHA-256
        digests of genders was read as U+FFFD text, and never reversed); anything else with
        U+FFFD for the bytes that are not UTF-8, never guessed at."""
        columns = []
        for c, dtype in frame.schema.items():
            if dtype != pl.Binary:
                continue
            values: list[str | None] = []
            raw = 0
            for v in frame.get_column(c).to_list():
                if v is None:
                    values.append(None)
                    continue
                try:
                    values.append(v.decode("utf-8"))
                except UnicodeDecodeError:
                    if len(v) in _DIGEST_BYTES:
                        values.append(v.hex())
                        raw += 1
                    else:
                        values.append(v.decode("utf-8", errors="replace"))
            self.raw_digests[c] = self.raw_digests.get(c, 0) + raw
            columns.append(pl.Series(c, values, dtype=pl.Utf8))
        return frame.with_columns(columns) if columns else frame

    def _first(self, frame: pl.DataFrame) -> None:
        self.columns = frame.columns
        self.schema = dict(frame.schema)
        self.shown = dict(zip(frame.columns, safe_names(frame.columns), strict=True))
        if self.platform is not None:
            self.kinds = {r.header: (k, r.handling)
                          for k, r in rules_for_platform(self.platform).items()}
            self.kinds.update({c: self.kinds[file_header(c)] for c in frame.columns
                               if file_header(c) in self.kinds})  # 'email (2)' too
        self.stats = {c: dict.fromkeys(_STATS, 0) for c, t in frame.schema.items()
                      if t == pl.Utf8}

    def _count(self, hashes: pl.DataFrame, text: list[str], guess: dict[str, str]) -> None:
        """The value hashes of the text columns and of whole rows; the quasi-identifiers'
        combined hash (those given, or the clear ones named like one in this part)."""
        self.counts.add(hashes.select(*text, row_hash(hashes, self.columns).alias(ROWS)))
        if self.probes.quasi is not None:
            quasi = [q for q in self.probes.quasi if q in self.schema]
        else:
            quasi = [c for c in self.columns
                     if pat.is_quasi_name(c) and guess.get(c, "") not in HASHED]
        self._part_quasi.add(tuple(quasi))
        if quasi and len(self._part_quasi) == 1:
            self.classes.add(hashes.select(row_hash(hashes, quasi).alias(QUASI)))

    def _add_hits(self, frame: pl.DataFrame, candidates: pl.DataFrame,
                  canon: pl.DataFrame) -> None:
        """Values that may be domain digests: exact candidates, and digests in an odd form
        (upper case, 0x, blanks, unpadded or URL-safe Base64) compared in the platforms' form
        (:func:`_canonical_digest`, columns of ``canon``)."""
        pieces = []
        for (c,), group in candidates.group_by("column"):
            values = frame.get_column(str(c)).gather(group["i"])
            pieces.append(pl.DataFrame({"column": c, "value": values, "rows": group["rows"]}))
        for c in canon.columns:
            counted = (canon.get_column(c).filter(canon.get_column(c) != frame.get_column(c))
                       .value_counts(name="rows"))
            pieces.append(counted.select(column=pl.lit(c), value=pl.col(c), rows="rows"))
        if pieces:
            self._hits.add(pieces)

    def _add_tallies(self, residual: pl.DataFrame, index: int) -> None:
        """Clear identifiers and formulas among the values that are not digests."""
        v = pl.col("value")
        # identifiers are looked for in the text as a reader sees it (see pat.visible); what
        # looks like a digest and what a spreadsheet runs are read from the raw text
        flagged = residual.with_columns(flag=v.str.contains(pat.DIGESTISH),
                                        formula=v.str.contains(pat.FORMULA)
                                        & ~v.str.contains(pat.NUMBER),
                                        undecodable=v.str.contains("\ufffd", literal=True),
                                        at=pl.int_range(pl.len(), dtype=pl.Int64)
                                        + (index << 40))
        flagged = flagged.with_columns(pat.visible(flagged["value"]))
        # a whole value of bare digits shaped like a US number ('6505551212') is tallied on its
        # own: in a column of counts or bytes it is a number (see check_plaintext); the phone
        # pattern is matched once, for the tallies and for _digit_phones
        flagged = flagged.with_columns(phone=v.str.replace_all(pat.IBAN_GROUPS, " ")
                                       .str.contains(pat.PHONE),
                                       whole=v.str.contains(pat.WHOLE_DIGITS))
        lazy = flagged.lazy()

        def tally(check: str, hit: pl.Expr) -> pl.LazyFrame:
            return _tally(lazy, check, hit)

        hex_id = pat.is_hex_id(v)
        event_time = v.str.contains(pat.EVENT_TIME) & ~v.str.contains(pat.MIDNIGHT)
        phone, whole = pl.col("phone"), pl.col("whole")
        queries = [tally(name, (phone & ~whole if name == "phone" else v.str.contains(pattern))
                         & ~hex_id & (~event_time if name == "date" else pl.lit(True)))
                   for name, pattern in _PATTERNS]
        # a blank cell holds nothing: the share of a column that is names or phones is a
        # share of the values written, and its sample one of them
        queries += [tally("formula", pl.col("formula")), tally("total", v.str.contains(r"\S")),
                    tally("undecodable", pl.col("undecodable")),
                    tally("phone_bare", phone & whole), tally("whole_digits", whole),
                    tally("phone_national", pat.national_phone(v) & ~phone & ~hex_id)]
        pieces = [q.select(*_TALLY) for q in pl.collect_all(queries)]
        pieces += (_digit_phones(flagged) + _cards(flagged) + _full_names(flagged)
                   + _telco_ids(flagged) + _ibans(flagged))
        self._tallies.add(pieces)

    def _add_probes(self, frame: pl.DataFrame, hashes: pl.DataFrame,
                    stats: dict[str, dict[str, int]], canon: pl.DataFrame) -> None:
        """Phone columns against the enumerated block, email columns against the dictionary,
        in hex and in Base64 (the export's own format is known once every part is read); a
        column with digests in an odd form in the platforms' form (``canon``)."""
        pieces = []
        canon_hashes = canon.select(pl.all().hash(self._seed))
        for name, wanted, probe in self._probe_sets:
            for c, st in stats.items():
                if not wanted(c):
                    continue
                column, column_hashes = frame[c], hashes[c]
                if c in canon.columns:  # hashed once, not once per probe set
                    column, column_hashes = canon[c], canon_hashes[c]
                for form, (values, value_hashes) in probe.items():
                    present = (st["hex64any"] + st["hex64odd"] if form == "hex"
                               else st["b64"] + st["b64odd"])
                    hits = 0
                    if present:  # 64-bit hashes first; candidates confirmed by equality
                        maybe = column_hashes.is_in(value_hashes.implode())
                        if bool(maybe.any()):
                            hits = int(column.filter(maybe).is_in(values.implode()).sum())
                    pieces.append((name + form, c, False, hits, None, 0))
        if pieces:
            self._tallies.add([pl.DataFrame(pieces, schema=_TALLY, orient="row")])

    def _add_labels(self, frame: pl.DataFrame) -> None:
        """Sensitive words in the values of columns that name segments or lists."""
        for c in frame.columns:
            if not pat.is_labelled(c):
                continue
            values = text_values(frame, c)["value"].drop_nulls().unique()
            words = values.str.extract(f"(?i)({pat.SENSITIVE})", 1).drop_nulls().unique()
            if words.len():
                self.labels.setdefault(c, set()).update(words.to_list())

    # --- after the last part ---------------------------------------------------------------

    def finish(self) -> None:
        """Column types from the whole export's counts; the figures read by the checks."""
        for c in self.columns:
            st = self.stats.get(c)
            self.guess[c] = _guess(st) if st is not None else str(self.schema[c]).lower()
        self.hashed = [c for c, g in self.guess.items() if g in HASHED]
        self._hashed_set = set(self.hashed)
        self.clear = [c for c in self.columns if c not in self._hashed_set]
        # the few digests the hits may be (by 64-bit hash) before the join: joining the 3M
        # domain digests' text costs more than the whole reversal step
        table = domain_table(self.today)
        hits = self._hits.merged()
        maybe = self._known.hashes.is_in(hits["value"].hash(self._seed).implode())
        known = pl.concat([table.filter(maybe.slice(0, table.height)).select(value="hex",
                                                                              domain="domain"),
                           table.filter(maybe.slice(table.height)).select(value="b64",
                                                                           domain="domain")])
        self.hits = hits.join(known, on="value", how="inner")
        self.tallies = self._tallies.merged()
        self._tally_rows = {}
        for check, column, flag, n, sample, at in self.tallies.iter_rows():
            self._tally_rows.setdefault((check, column), []).append((flag, n, sample, at))
        if self.probes.quasi is not None:
            self.quasi = [q for q in self.probes.quasi if q in self.schema]
        else:
            self.quasi = [c for c in self.clear if pat.is_quasi_name(c)]

    @property
    def recount_quasi(self) -> bool:
        """True when the parts disagreed on which columns are clear quasi-identifiers (a
        column hashed in some parts only): the classes must be counted again over
        :attr:`quasi`, with :meth:`count_classes`."""
        return bool(self.quasi) and self._part_quasi != {tuple(self.quasi)}

    def count_classes(self, frames: Any) -> None:
        """Count the classes of :attr:`quasi` again, over every part's quasi columns."""
        self.classes = ValueCounts(self.probes.parts, self.probes.k, self.probes.size)
        for frame in frames:
            hashes = frame.select(pl.col(self.quasi).hash(self._seed))
            self.classes.add(hashes.select(row_hash(hashes, self.quasi).alias(QUASI)))
        self._part_quasi = {tuple(self.quasi)}

    def close(self) -> None:
        self.counts.close()
        self.classes.close()


class _Pile:
    """Per-part figures summed by key: kept as pieces, merged when they pass ``limit`` rows
    (memory stays bounded, and a part does not pay for merging every part before it)."""

    def __init__(self, schema: dict[str, Any], keys: list[str], aggs: list[pl.Expr],
                 limit: int = 250_000) -> None:
        self.schema, self.keys, self.aggs, self.limit = schema, keys, aggs, limit
        self.pieces: list[pl.DataFrame] = [pl.DataFrame(schema=schema)]
        self.pending = 0

    def add(self, pieces: list[pl.DataFrame]) -> None:
        self.pieces += [p.cast(self.schema) for p in pieces]  # type: ignore[arg-type]
        self.pending += sum(p.height for p in pieces)
        if self.pending > self.limit:
            self.pieces = [self.merged()]
            self.pending = 0

    def merged(self) -> pl.DataFrame:
        """The pieces summed by key, in the order the keys first appeared."""
        return (pl.concat(self.pieces).group_by(self.keys, maintain_order=True).agg(self.aggs)
                .select(*self.schema))


def _canonical_digest(v: pl.Expr) -> pl.Expr:
    """A SHA-256 digest written in a form no platform takes, as the platforms' form: hex with
    a 0x, blanks around it or in upper case as 64 lower-case hex; Base64 unpadded, URL-safe or
    with blanks as standard padded Base64. Any other value as it is. (Such a column is as
    reversible as a well-formed one: the attacker strips the 0x too.)"""
    s = v.str.strip_chars()
    hexed = s.str.replace(r"^0[xX]", "").str.to_lowercase()
    b64 = s.str.replace_all("-", "+", literal=True).str.replace_all("_", "/", literal=True)
    b64 = pl.when(b64.str.len_bytes() == 43).then(b64 + "=").otherwise(b64)
    return (pl.when(hexed.str.contains(r"^[0-9a-f]{64}$")).then(hexed)
            .when(b64.str.contains(r"^[A-Za-z0-9+/]{43}=$")).then(b64)
            .otherwise(v))


def _probe_set(digests: pl.Series | None, seed: int
               ) -> dict[str, tuple[pl.Series, pl.Series]] | None:
    """Hex digests and their Base64 forms, each with its 64-bit value hashes."""
    if digests is None:
        return None
    b64 = digests.str.decode("hex").bin.encode("base64")
    return {"hex": (digests, digests.hash(seed)), "b64": (b64, b64.hash(seed))}


class _Known:
    """The domain digests' 64-bit hashes, and membership in them: a hash set built per part
    for a large part, a binary search in the hashes sorted once for a small one (many small
    parts would otherwise build a set of the 1.6M digests each)."""

    def __init__(self, hashes: pl.Series) -> None:
        self.hashes = hashes

    @functools.cached_property
    def ordered(self) -> np.ndarray:
        return np.sort(self.hashes.to_numpy())

    def member(self, values: pl.Series) -> pl.Series:
        if 8 * len(values) >= len(self.hashes):
            return values.is_in(self.hashes.implode())
        probe = values.to_numpy()
        at = np.minimum(np.searchsorted(self.ordered, probe), len(self.ordered) - 1)
        return pl.Series(values.name, self.ordered[at] == probe)


def _candidates(hashes: pl.DataFrame, text: list[str], known: _Known) -> pl.DataFrame:
    """(column, h, i, rows): values whose 64-bit hash is that of a domain digest, with the row
    of one of them (confirmed by exact equality when the parts are merged)."""
    if not text or not hashes.height:
        return pl.DataFrame(schema={"column": pl.Utf8, "h": pl.UInt64, "i": pl.UInt32,
                                    "rows": pl.UInt32})
    if len(text) > _NARROW:  # thousands of columns: one long frame, one query
        wanted = known.hashes.implode()
        return (
            hashes.lazy().select(text).with_row_index("i")
            .unpivot(index="i", variable_name="column", value_name="h")
            .filter(pl.col("h").is_in(wanted))
            .group_by("column", "h").agg(pl.col("i").first(), rows=pl.len())
            .collect()
        )
    # a few columns (an upload): one membership test over every column's hashes stacked (one
    # hash set of the domain digests per part, not one per column), then a query per column
    # grouping its hits only (a fifth less CPU than building the long frame)
    rows = hashes.height
    hit = known.member(pl.concat([hashes[c] for c in text]))
    index = pl.int_range(0, rows, dtype=pl.UInt32, eager=True)
    found = []
    for j, c in enumerate(text):
        mask = hit.slice(j * rows, rows)
        if not mask.any():
            continue
        found.append(pl.DataFrame({"h": hashes[c], "i": index}).filter(mask)
                     .group_by("h").agg(pl.col("i").first(), rows=pl.len())
                     .select(column=pl.lit(c), h="h", i="i", rows="rows"))
    if not found:
        return pl.DataFrame(schema={"column": pl.Utf8, "h": pl.UInt64, "i": pl.UInt32,
                                    "rows": pl.UInt32})
    return pl.concat(found)


def _formats(frame: pl.DataFrame, text: list[str],
             scans: Sequence[FileScan]) -> tuple[dict[str, dict[str, int]], pl.DataFrame]:
    """A part's format counts per text column (digest counts in one select, the odd digests
    from the residual values), and the residual: (column, value) for every non-null value that
    is not a well-formed digest, with the non-text columns as text."""
    if scans:
        for scan in scans:
            scan.join()
        proven = dict.fromkeys(text, all(scan.hex_cells for scan in scans))
    else:
        proven = {c: only_hex(frame[c]) for c in text}
    # multi-column expressions: polars expands them itself, one plan node per kind of figure
    exprs = []
    for group, is_proven in (([c for c in text if proven[c]], True),
                             ([c for c in text if not proven[c]], False)):
        if not group:
            continue
        cols = pl.col(group)
        good = (cols.str.len_bytes() == 64) if is_proven else cols.str.contains(DIGEST)
        exprs += [cols.count().name.prefix("n:"), good.fill_null(False).sum().name.prefix("g:")]
        if not is_proven:  # proven cells are lower-case hex: never Base64
            exprs.append((good & cols.str.ends_with("=")).fill_null(False).sum()
                         .name.prefix("b:"))
    row = frame.select(exprs).row(0, named=True) if exprs else {}
    counts = {c: (int(row[f"n:{c}"]), int(row[f"g:{c}"]), int(row.get(f"b:{c}", 0)))
              for c in text}
    partial = [c for c in text if counts[c][1] < counts[c][0]]
    other = [c for c in frame.columns if c not in counts]
    pieces = []
    if partial:
        pieces.append(frame.lazy().select(pl.col(partial))
                      .unpivot(variable_name="column", value_name="value"))
    pieces += [text_values(frame, c).lazy() for c in other]
    if pieces:
        residual = (pl.concat(pieces)
                    .filter(pl.col("value").is_not_null() & ~pl.col("value").str.contains(DIGEST))
                    .collect())
    else:
        residual = pl.DataFrame(schema={"column": pl.Utf8, "value": pl.Utf8})
    v = pl.col("value")
    odd = residual.filter(pl.col("column").is_in(text)).group_by("column").agg(
        hex64any=v.str.contains(_HEX64).sum(),
        md5=v.str.contains(r"^[0-9a-fA-F]{32}$").sum(),
        uuid32=v.str.contains(_UUID32).sum(),
        sha1=v.str.contains(r"^[0-9a-fA-F]{40}$").sum(),
        # truncated or odd digests: hex of digest-like length with at least one letter, or a
        # digest written with a 0x, blanks, unpadded or URL-safe Base64
        hexany=((v.str.contains(r"^[0-9a-fA-F]{16,128}$") & v.str.contains(r"[a-fA-F]"))
                | v.str.contains(pat.ODD_DIGEST)).sum(),
        # SHA-256 digests with a 0x or blanks (hex), unpadded or URL-safe (Base64)
        # (the values _canonical_digest puts in the platforms' form; the well-formed ones and
        # upper-case hex are counted above)
        hex64odd=(v.str.contains(r"^\s*(?:0[xX])?[0-9a-fA-F]{64}\s*$")
                  & ~v.str.contains(_HEX64)).sum(),
        b64odd=v.str.contains(r"^\s*[A-Za-z0-9+/_\-]{43}=?\s*$").sum(),
    )
    odd_by = {r["column"]: r for r in odd.iter_rows(named=True)}
    stats = {}
    for c in text:
        n, n_good, b64 = counts[c]
        extra = odd_by.get(c, {})
        stats[c] = {
            "n": n, "hex64": n_good - b64, "b64": b64,
            "hex64any": n_good - b64 + int(extra.get("hex64any", 0)),
            "md5": int(extra.get("md5", 0)), "sha1": int(extra.get("sha1", 0)),
            "hexany": int(extra.get("hexany", 0)),
            "hex64odd": int(extra.get("hex64odd", 0)), "b64odd": int(extra.get("b64odd", 0)),
            "uuid32": int(extra.get("uuid32", 0)),
        }
    return stats, residual


def _valid_phones(digits: pl.Series) -> pl.Series:
    """Whether each run of digits (with or without its ``+``) is a valid phone number in
    international form, by the library's own rules."""
    from ._normalize import normalize

    return normalize("+" + digits.str.strip_prefix("+"), "phone", "google").is_not_null()


def _digit_phones(flagged: pl.DataFrame) -> list[pl.DataFrame]:
    """Bare digits with a country code, and how many are valid phone numbers by the library's
    rules (the first valid one as the sample)."""
    digits = flagged.filter(pl.col("value").str.contains(pat.DIGITS))
    if digits.height == 0:
        return []
    valid = _valid_phones(digits["value"])
    digits = digits.with_columns(valid=valid)
    found = digits.group_by("column", "flag", maintain_order=True).agg(
        n=pl.len().cast(pl.Int64), sample=pl.lit(None, dtype=pl.Utf8), at=pl.col("at").first())
    good = digits.filter("valid").group_by("column", "flag", maintain_order=True).agg(
        n=pl.len().cast(pl.Int64), sample=pl.col("value").first(), at=pl.col("at").first())
    # valid with their country code, or shaped like a US number without it
    phone = (digits.filter(pl.col("valid") | pl.col("phone"))
             .group_by("column", "flag", maintain_order=True)
             .agg(n=pl.len().cast(pl.Int64), sample=pl.lit(None, dtype=pl.Utf8),
                  at=pl.col("at").first()))
    return [found.with_columns(check=pl.lit("digits")).select(*_TALLY),
            good.with_columns(check=pl.lit("digit_valid")).select(*_TALLY),
            phone.with_columns(check=pl.lit("digit_phone")).select(*_TALLY)]


def _full_names(flagged: pl.DataFrame) -> list[pl.DataFrame]:
    """People's names written whole ('Mary Smith', 'SMITH, MARY', 'Mary J. Smith'): a given
    name and a surname of :func:`name_lists` (the census' and the locales'; the sample masked
    when shown). Each different value is looked at once."""
    words = (flagged.filter(~pl.col("flag") & pl.col("value").str.contains(pat.WORDS))
             .group_by("column", "flag", "value").agg(rows=pl.len(), at=pl.col("at").min()))
    if words.height == 0:
        return []
    # lower case, accents off: 'José García' is the census' 'jose garcia'
    low = pat.folded(pl.col("value"))
    parts = pl.col("low").str.extract_groups(pat.FULL_NAME)
    first_names, surnames = name_lists()
    named = (words.with_columns(low=low).with_columns(parts=parts).with_columns(
        # the census writes O'Brien as 'obrien'
        first=pl.coalesce(pl.col("parts").struct[0], pl.col("parts").struct[3])
        .str.replace_all("'", "", literal=True),
        last=pl.coalesce(pl.col("parts").struct[1], pl.col("parts").struct[2])
        .str.replace_all("'", "", literal=True))
        .filter(pl.col("first").is_in(first_names.implode())
                & pl.col("last").is_in(surnames.implode())
                & ~pl.col("low").str.strip_chars().is_in(place_names().implode())))
    # how many, and how many different (a few place or brand names spelled like a person's
    # fill a column with few values: 'Hong Kong', 'Sierra Leone')
    return [named.sort("at").group_by("column", "flag", maintain_order=True).agg(
        n=(pl.col("rows").sum() if rows else pl.len()).cast(pl.Int64),
        sample=pl.col("value").first(), at=pl.col("at").first())
        .with_columns(check=pl.lit("full_name" if rows else "full_name_kinds")).select(*_TALLY)
        for rows in (True, False)]


def _tally(lazy: pl.LazyFrame, check: str, hit: pl.Expr) -> pl.LazyFrame:
    """Per column (and digest flag): how many values ``hit`` holds, the first of them and
    where it is: one tally of :data:`_TALLY`."""
    return (lazy.filter(hit).group_by("column", "flag", maintain_order=True)
            .agg(n=pl.len().cast(pl.Int64), sample=pl.col("value").first(),
                 at=pl.col("at").first()).with_columns(check=pl.lit(check)))


def _luhn_ok(digits: pl.Expr, width: int) -> pl.Expr:
    """Whether strings of ``width`` digits pass the Luhn check (false for other strings):
    :func:`pat.luhn` as one expression over every row, where a column of millions of
    15-digit values would take seconds value by value."""
    total = pl.lit(0, dtype=pl.Int64)
    for i in range(width):
        d = digits.str.slice(width - 1 - i, 1).cast(pl.Int64, strict=False)
        if i % 2:
            d = d * 2
            d = pl.when(d > 9).then(d - 9).otherwise(d)
        total = total + d
    return ((total % 10 == 0) & (digits.str.len_chars() == width)).fill_null(False)


def _telco_ids(flagged: pl.DataFrame) -> list[pl.DataFrame]:
    """Telco identifiers written as digits (spaces, dashes and slashes dropped): IMEIs (15
    digits, Luhn-valid: a random number of 15 passes one time in ten), ICCIDs (19 or 20
    digits after the telecom prefix 89, Luhn-valid) and the values shaped like an IMSI (14
    or 15 digits after a country code's first digit, 2 to 7), with how many of those share
    their network's first five digits (a subscriber table's IMSIs are mostly its own
    network's) and their first nine (ids counted up from a start share them, IMSIs spread
    past them); ``long_digits`` counts every value of 14 to 20 digits, to compare them with."""
    digits = pl.col("value").str.replace_all(r"[\s\-/]", "")
    long = (flagged.filter(~pl.col("flag") & pl.col("value").str.contains(
        r"^\s*[0-9][0-9\s\-/]{12,24}[0-9]\s*$")).with_columns(d=digits)
            .filter(pl.col("d").str.contains(r"^[0-9]{14,20}$")))
    if long.height == 0:
        return []
    width = pl.col("d").str.len_chars()
    imei = _luhn_ok(pl.col("d"), 15)
    iccid = pl.col("d").str.starts_with("89") & (_luhn_ok(pl.col("d"), 19)
                                                 | _luhn_ok(pl.col("d"), 20))
    imsi = width.is_in([14, 15]) & pl.col("d").str.contains(r"^[2-7]")
    lazy = long.lazy().with_columns(imei=imei, iccid=iccid, imsi=imsi)

    def most_common(check: str, width: int) -> pl.LazyFrame:
        """How many IMSI-shaped values share the most common first ``width`` digits."""
        return (lazy.filter(pl.col("imsi"))
                .group_by("column", "flag", pl.col("d").str.slice(0, width).alias("prefix"))
                .agg(n=pl.len().cast(pl.Int64), sample=pl.col("value").first(),
                     at=pl.col("at").first())
                .sort("n", "at", descending=[True, False])
                .group_by("column", "flag", maintain_order=True).first()
                .with_columns(check=pl.lit(check)))

    frames = pl.collect_all([_tally(lazy, "long_digits", pl.lit(True)),
                             *(_tally(lazy, kind, pl.col(kind)) for kind in ("imei", "iccid",
                                                                             "imsi")),
                             most_common("imsi_network", 5), most_common("imsi_block", 9)])
    return [f.select(*_TALLY) for f in frames]


def _ibans(flagged: pl.DataFrame) -> list[pl.DataFrame]:
    """Bank account numbers (IBAN, :func:`find_iban`; the IBAN as the sample), each different
    value looked at once."""
    v = pl.col("value")
    # not is_hex_id: 'DE89370400440532013000' is all hex digits
    candidates = (flagged.filter(~pl.col("flag") & v.str.contains(pat.iban_start()))
        .group_by("column", "flag", "value").agg(rows=pl.len(), at=pl.col("at").min()))
    if candidates.height == 0:
        return []
    found = candidates.with_columns(iban=pl.Series(
        [pat.find_iban(text) for text in candidates["value"].to_list()], dtype=pl.Utf8))
    return [found.filter(pl.col("iban").is_not_null()).sort("at")
            .group_by("column", "flag", maintain_order=True)
            .agg(n=pl.col("rows").sum().cast(pl.Int64), sample=pl.col("iban").first(),
                 at=pl.col("at").first())
            .with_columns(check=pl.lit("iban")).select(*_TALLY)]


def _cards(flagged: pl.DataFrame) -> list[pl.DataFrame]:
    """Payment card numbers (their digits as the sample): Luhn-valid, of a card's prefix and
    length (:func:`is_card`), and not a phone number: digits written after a ``+``, or a run
    that E.164 can hold (15 digits at most) and that is a valid number, are a phone's."""
    v = pl.col("value")
    candidates = flagged.filter(v.str.contains(pat.CARD) & ~pat.is_hex_id(v)).with_columns(
        run=v.str.extract(r"(\+?[ ]?(?:[0-9][ \-]?){12,18}[0-9])", 1))
    candidates = candidates.with_columns(
        digits=pl.col("run").str.replace_all(r"[^0-9]", ""),
        plus=pl.col("run").str.starts_with("+"))
    if candidates.height == 0:
        return []
    card = [bool(d) and not plus and pat.is_card(d)
            for d, plus in zip(candidates["digits"].to_list(), candidates["plus"].to_list(),
                               strict=True)]
    cards = candidates.filter(pl.Series(card, dtype=pl.Boolean))
    short = cards["digits"].str.len_chars() <= 15
    if bool(short.any()):
        cards = cards.filter(~(short & _valid_phones(cards["digits"])))
    return [cards.group_by("column", "flag", maintain_order=True).agg(
        n=pl.len().cast(pl.Int64), sample=pl.col("digits").first(), at=pl.col("at").first())
        .with_columns(check=pl.lit("card")).select(*_TALLY)]


def text_values(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """A non-text column's values as (column, value) text rows, whatever its type: numbers and
    dates as written, bytes decoded (undecodable ones replaced, never dropped), lists item by
    item, structs as JSON: identifiers hide in all of them."""
    s = frame.get_column(column)
    dtype = s.dtype
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = s.explode() if isinstance(dtype, pl.List) else s.arr.explode()
        values = text_values(pl.DataFrame({column: inner}), column)["value"]
    elif isinstance(dtype, pl.Struct):
        values = s.to_frame().select(temporal_texts(pl.first(), dtype)).to_series() \
            .struct.json_encode()
    elif dtype == pl.Binary:
        values = binary_text(s)
    elif dtype == pl.Date or isinstance(dtype, pl.Datetime):
        values = s.to_frame().select(temporal_text(pl.first())).to_series()
    else:
        try:
            values = s.cast(pl.Utf8, strict=False)
        except pl.exceptions.PolarsError:
            values = pl.Series([None if v is None else str(v) for v in s.to_list()],
                               dtype=pl.Utf8)
    return pl.DataFrame({"column": pl.repeat(column, len(values), eager=True, dtype=pl.Utf8),
                         "value": values.cast(pl.Utf8)})
