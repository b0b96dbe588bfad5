"""What the audit knows about an export, computed once and linear in its cells.

Every per-column figure comes out of one ``select`` over all columns, and every per-value
question (plaintext patterns, domain matches) is asked once of a long (column, value) frame
made lazily, holding only the values that need asking: the cost grows with the number of cells,
not with the number of columns times the number of rows. A 1-row file with 20,000 columns costs
what 20,000 rows of one column cost.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ._audit_domains import domain_table
from ._audit_scan import FileScan, only_hex
from ._normalize import binary_text
from ._platforms import PLATFORMS, rules_for_platform
from ._redact import safe_names

__all__ = ["DIGEST", "ExportFacts", "column_kind", "guess_platform"]

DIGEST = r"^(?:[0-9a-f]{64}|[A-Za-z0-9+/]{43}=)$"
_HEX64 = r"^[0-9a-fA-F]{64}$"
_WORDS = re.compile(r"[^0-9a-z]+")
# Words that say a column is hashed, not what it holds: "email_sha256" is an email column.
_HASH_WORDS = {"sha256", "sha", "hash", "hashed", "hmac", "digest", "b64", "base64", "hex"}


def guess_platform(headers: list[str]) -> str | None:
    """The platform whose upload layout the headers fit best, or None when none or a tie."""
    scores = {}
    for platform in PLATFORMS:
        expected = {r.header for r in rules_for_platform(platform).values()}
        scores[platform] = sum(h in expected for h in headers)
    best = max(scores.values())
    winners = [p for p, s in scores.items() if s == best]
    if best == 0 or len(winners) > 1:
        return None
    return winners[0]


def column_kind(header: str, platform: str | None) -> str | None:
    """The identifier kind a column holds: by the platform's layout, else by its name."""
    if platform is not None:
        for kind, rule in rules_for_platform(platform).items():
            if rule.header == header:
                return kind
    from ._upload import _ALIAS_TO_KIND

    words = [w for w in _WORDS.split(header.lower()) if w and w not in _HASH_WORDS]
    return _ALIAS_TO_KIND.get("_".join(words))


@dataclass
class ExportFacts:
    """The export's columns, their formats and the values that need a closer look."""

    frame: pl.DataFrame
    platform: str | None
    today: dt.date
    name: str | None = None
    scan: FileScan | None = None
    rows: int = 0
    shown: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    guess: dict[str, str] = field(default_factory=dict)
    hashed: list[str] = field(default_factory=list)
    clear: list[str] = field(default_factory=list)
    #: (column, value) for every non-null value that is not a well-formed digest.
    residual: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: (column, value, rows): hashed values that are digests of an enumerated domain value.
    hits: pl.DataFrame = field(default_factory=pl.DataFrame)
    distinct: dict[str, int] = field(default_factory=dict)
    distinct_rows: int = 0
    #: 64-bit hashes of every value (one column each), computed once for counting and probing.
    value_hashes: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: (column, h, i, rows): values whose 64-bit hash is that of a domain digest, with the row
    #: of one of them; confirmed by exact string equality in :func:`_matches`.
    candidates: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def partner(self) -> bool:
        """A partner export (no platform): keyed hashes were possible."""
        return self.platform is None

    def distinct_of(self, columns: list[str]) -> dict[str, int]:
        """Distinct values of ``columns``, from the 64-bit value hashes: counted once, in one
        select, for the columns a check asks about."""
        todo = [c for c in dict.fromkeys(columns) if c not in self.distinct]
        if todo:
            row = self.value_hashes.select(pl.col(todo).n_unique()).row(0, named=True)
            self.distinct.update({c: int(row[c]) for c in todo})
        return {c: self.distinct[c] for c in columns}

    def kind_of(self, column: str) -> str | None:
        return column_kind(column, self.platform)

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": len(self.frame.columns),
                "types": {self.shown[c]: g for c, g in self.guess.items()}}


def gather_facts(frame: pl.DataFrame, platform: str | None, today: dt.date,
                 name: str | None, scan: FileScan | None) -> ExportFacts:
    """Everything the checks read, in a fixed number of passes over the cells."""
    facts = ExportFacts(frame=frame, platform=platform, today=today, name=name, scan=scan)
    facts.rows = frame.height
    facts.shown = dict(zip(frame.columns, safe_names(frame.columns), strict=True))
    if platform is not None:
        facts.kinds = {r.header: (k, r.handling)
                       for k, r in rules_for_platform(platform).items()}
    _hashes(facts)  # needs no format: runs while the file scan finishes
    _formats(facts)
    _matches(facts)
    return facts


@functools.lru_cache(maxsize=4)
def _domain_digests(today: dt.date) -> tuple[pl.DataFrame, pl.Series]:
    """Every domain digest as text (hex and Base64) with its domains, and their 64-bit hashes
    for the pre-filter: built once per day, not per audit."""
    table = domain_table(today)
    known = pl.concat([table.select(value="hex", domain="domain"),
                       table.select(value="b64", domain="domain")])
    return known, known["value"].hash()


#: Up to this many text columns, the domain candidates are found one column at a time.
_NARROW = 64

#: The kinds whose repeats are duplicates (one person, one value).
ID_KINDS = ("email", "phone", "maid", "external_id")


def _hashes(facts: ExportFacts) -> None:
    """64-bit hashes of every cell: distinct counts, distinct rows, and the cells that may be
    domain digests, from one hash pass and one lazy long-form filter."""
    frame = facts.frame
    hashed = frame.select(pl.all().hash())
    facts.value_hashes = hashed
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    if frame.width:
        # an order-sensitive combination of the value hashes, one pass per column; the
        # identifier columns' distinct counts (the duplicate and frequency checks ask for them)
        # in the same select, so that polars counts them in parallel
        combined = pl.fold(pl.lit(0, dtype=pl.UInt64),
                           lambda acc, x: (acc * 0x9E3779B97F4A7C15) ^ x, pl.all())
        ids = [c for c in text if not facts.kinds or facts.kinds.get(c, ("",))[0] in ID_KINDS]
        row = hashed.select(combined.n_unique().alias("\0rows"),
                            *([pl.col(ids).n_unique()] if ids else [])).row(0, named=True)
        facts.distinct_rows = int(row.pop("\0rows"))
        facts.distinct.update({c: int(n) for c, n in row.items()})
    known = _domain_digests(facts.today)[1].implode()
    if not text:
        facts.candidates = pl.DataFrame(schema={"column": pl.Utf8, "h": pl.UInt64,
                                                "i": pl.UInt32, "rows": pl.UInt32})
        return
    if len(text) > _NARROW:  # thousands of columns: one long frame, one query
        facts.candidates = (
            hashed.lazy().select(text).with_row_index("i")
            .unpivot(index="i", variable_name="column", value_name="h")
            .filter(pl.col("h").is_in(known))
            .group_by("column", "h").agg(pl.col("i").first(), rows=pl.len())
            .collect()
        )
        return
    # a few columns (an upload): a query per column over its hashes and a shared row index,
    # grouping the hits only (a fifth less CPU than building the long frame)
    index = pl.int_range(0, frame.height, dtype=pl.UInt32, eager=True)
    facts.candidates = pl.concat([
        pl.DataFrame({"h": hashed[c], "i": index}).lazy()
        .filter(pl.col("h").is_in(known))
        .group_by("h").agg(pl.col("i").first(), rows=pl.len())
        .select(column=pl.lit(c), h="h", i="i", rows="rows").collect()
        for c in text
    ])


def _formats(facts: ExportFacts) -> None:
    """Column type guesses: digest counts in one select, the rest from the residual values."""
    frame = facts.frame
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    if facts.scan is not None:
        facts.scan.join()
        proven_file = bool(facts.scan.hex_cells)
        proven = dict.fromkeys(text, proven_file)
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
    # every value that is not a well-formed digest, with the non-text columns as text
    partial = [c for c in text if counts[c][1] < counts[c][0]]
    other = [c for c in frame.columns if c not in counts]
    parts = []
    if partial:
        parts.append(frame.lazy().select(pl.col(partial))
                     .unpivot(variable_name="column", value_name="value"))
    parts += [text_values(frame, c).lazy() for c in other]
    if parts:
        facts.residual = (
            pl.concat(parts)
            .filter(pl.col("value").is_not_null() & ~pl.col("value").str.contains(DIGEST))
            .collect()
        )
    else:
        facts.residual = pl.DataFrame(schema={"column": pl.Utf8, "value": pl.Utf8})
    residual = facts.residual.filter(pl.col("column").is_in(text))
    v = pl.col("value")
    odd = residual.group_by("column").agg(
        hex64any=v.str.contains(_HEX64).sum(),
        md5=v.str.contains(r"^[0-9a-fA-F]{32}$").sum(),
        sha1=v.str.contains(r"^[0-9a-fA-F]{40}$").sum(),
        # truncated or odd digests: hex of digest-like length with at least one letter
        hexany=(v.str.contains(r"^[0-9a-fA-F]{16,128}$") & v.str.contains(r"[a-fA-F]")).sum(),
    )
    odd_by = {r["column"]: r for r in odd.iter_rows(named=True)}
    for c in text:
        n, n_good, b64 = counts[c]
        extra = odd_by.get(c, {})
        facts.stats[c] = {
            "n": n, "hex64": n_good - b64, "b64": b64,
            "hex64any": n_good - b64 + int(extra.get("hex64any", 0)),
            "md5": int(extra.get("md5", 0)), "sha1": int(extra.get("sha1", 0)),
            "hexany": int(extra.get("hexany", 0)),
        }
    for c in frame.columns:
        st = facts.stats.get(c)
        if st is None:
            facts.guess[c] = str(frame.schema[c]).lower()
            continue
        n = st["n"] or 1
        if st["n"] == 0:
            facts.guess[c] = "empty"
        elif (st["hex64any"] + st["b64"] + st["md5"] + st["sha1"]) / n > 0.5:
            facts.guess[c] = ("sha256_base64" if st["b64"] > st["hex64any"] else
                              "md5_hex" if st["md5"] > st["hex64any"] else
                              "sha1_hex" if st["sha1"] > st["hex64any"] else "sha256_hex")
        elif (st["hexany"] + st["hex64any"]) / n > 0.5:
            facts.guess[c] = "hex_other"
        else:
            facts.guess[c] = "text"
    facts.hashed = [c for c, g in facts.guess.items()
                    if g in ("sha256_hex", "sha256_base64", "md5_hex", "sha1_hex", "hex_other")]
    hashed = set(facts.hashed)
    facts.clear = [c for c in frame.columns if c not in hashed]


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
        values = s.struct.json_encode()
    elif dtype == pl.Binary:
        values = binary_text(s)
    else:
        try:
            values = s.cast(pl.Utf8, strict=False)
        except pl.exceptions.PolarsError:
            values = pl.Series([None if v is None else str(v) for v in s.to_list()],
                               dtype=pl.Utf8)
    return pl.DataFrame({"column": pl.repeat(column, len(values), eager=True, dtype=pl.Utf8),
                         "value": values.cast(pl.Utf8)})


def _matches(facts: ExportFacts) -> None:
    """Hashed values that are digests of enumerated domain values, with their row counts,
    confirmed by exact string equality. Upper- or mixed-case hex is compared in lower case."""
    known = _domain_digests(facts.today)[0]
    parts = []
    by_column = {c: g for (c,), g in facts.candidates.group_by("column")}
    for c in facts.hashed:
        st = facts.stats[c]
        if facts.guess[c] == "sha256_base64" or st["hex64any"] == st["hex64"]:
            group = by_column.get(c)
            if group is None:
                continue
            values = facts.frame.get_column(c).gather(group["i"])
            parts.append(pl.DataFrame({"column": c, "value": values, "rows": group["rows"]}))
        else:
            counted = facts.frame.get_column(c).str.to_lowercase().drop_nulls().value_counts(
                name="rows")
            parts.append(counted.select(pl.lit(c).alias("column"), pl.col(c).alias("value"),
                                        pl.col("rows").cast(pl.UInt32)))
    schema = {"column": pl.Utf8, "value": pl.Utf8, "rows": pl.UInt32}
    counted = pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)  # type: ignore[arg-type]
    facts.hits = counted.join(known, on="value", how="inner")
