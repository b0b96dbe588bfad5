"""Distinct values, top counts, duplicate rows and k-anonymity classes of an export, counted
from 64-bit value hashes one part at a time, in memory bounded by a part, not by the export.

One file (or a table in memory) is one part: its hashes stay in memory and each figure is
computed when a check first asks for it. An export of several parts (Spark's output) cannot be
counted part by part: a value may repeat in two parts. Each part's hashes are written to a
private temporary folder as one Arrow IPC file whose record batch ``b`` holds the hashes in
bucket ``b`` (``hash % buckets``); a value lands in the same bucket in every part, so the
buckets are counted one at a time (about one part's hashes each) and their figures add up
exactly. The spill holds 64-bit hashes only, never a value, and is removed when counted.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

__all__ = ["QUASI", "ROWS", "Classes", "ValueCounts", "row_hash"]

#: The pseudo-columns of the whole row's hash and of the quasi-identifiers' combined hash.
ROWS = "\0rows"
QUASI = "\0quasi"
#: At most this many buckets (a bucket then holds about 1/4096 of the export's hashes).
MAX_BUCKETS = 4096
_BUCKET_FILE_BYTES = 16 * 2**20


def row_hash(hashes: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """An order-sensitive combination of the value hashes of ``columns``."""
    return pl.fold(pl.lit(0, dtype=pl.UInt64), lambda acc, x: (acc * 0x9E3779B97F4A7C15) ^ x,
                   [pl.col(c) for c in columns])


@dataclass(frozen=True)
class Classes:
    """The equivalence classes of the quasi-identifiers: how many, the smallest, and how many
    rows are in classes smaller than k."""

    count: int
    smallest: int
    under_k: int


class ValueCounts:
    """Per-column distinct counts and top-value counts, distinct rows and quasi classes.

    ``add`` takes each part's value hashes: one column per tracked column, plus :data:`ROWS`
    and, when quasi-identifiers are known, :data:`QUASI`. With one part nothing is written.
    """

    def __init__(self, parts: int, k: int, size: int | None = None) -> None:
        self.k = k
        # one part: no buckets; more: four per part, so that a bucket holds about a quarter of
        # a part's hashes, but not fewer than 16 MB of the export's files per bucket (``size``:
        # their bytes), whose hashes are a few MB: tiny parts make no tiny buckets
        fewest = -(-size // _BUCKET_FILE_BYTES) if size is not None else 4 * parts
        self.buckets = 1 if parts <= 1 else max(2, min(4 * parts, fewest, MAX_BUCKETS))
        self._frames: list[pl.DataFrame] = []  # one part (no buckets): kept in memory
        self._whole: pl.DataFrame | None = None
        self._keys: list[str] | None = None
        self._folder: Path | None = None
        self._files: list[Path] = []
        self._distinct: dict[str, int] = {}
        self._top: dict[str, int] = {}
        self._classes: Classes | None = None
        self._counted = False
        #: Bytes written to the spill (0 for one part).
        self.spilled_bytes = 0

    # --- adding parts ----------------------------------------------------------------------

    def add(self, hashes: pl.DataFrame) -> None:
        if self._keys is None:
            self._keys = hashes.columns
        elif hashes.columns != self._keys:
            raise AssertionError("every part tracks the same columns")  # the caller's promise
        if self.buckets == 1:
            self._frames.append(hashes)
            self._whole = None
            return
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="audiencekit-audit-"))
        names = {c: str(i) for i, c in enumerate(self._keys)}
        long = (
            hashes.lazy().rename(names)
            .unpivot(variable_name="k", value_name="h")
            .select(pl.col("k").cast(pl.UInt32), "h",
                    b=(pl.col("h") % self.buckets).cast(pl.UInt32))
            .sort("b")
            .collect()
        )
        bounds = long["b"].search_sorted(
            pl.int_range(0, self.buckets + 1, eager=True, dtype=pl.UInt32)).to_list()
        table = long.select("k", "h").to_arrow()
        path = self._folder / f"part-{len(self._files):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            for b in range(self.buckets):  # batch b is bucket b, empty or not
                piece = table.slice(bounds[b], bounds[b + 1] - bounds[b])
                writer.write_batch(pa.record_batch(
                    [piece.column(i).combine_chunks() for i in range(piece.num_columns)],
                    schema=table.schema))
        self.spilled_bytes += path.stat().st_size
        self._files.append(path)

    def close(self) -> None:
        """Remove the spill (idempotent)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __del__(self) -> None:  # a failed audit leaves no spill behind
        # at interpreter shutdown this may fail: the OS's temp cleanup remains
        with contextlib.suppress(Exception):
            self.close()

    # --- figures ---------------------------------------------------------------------------

    @property
    def _frame(self) -> pl.DataFrame | None:
        """The in-memory hashes (no buckets), concatenated once; None when spilled."""
        if self._whole is None and self._frames:
            self._whole = self._frames[0] if len(self._frames) == 1 else pl.concat(self._frames)
            self._frames = [self._whole]
        return self._whole

    def distinct(self, columns: list[str]) -> dict[str, int]:
        """Distinct values of each column (nulls are one value), counted once."""
        todo = [c for c in dict.fromkeys(columns) if c not in self._distinct]
        if todo and self._frame is not None:
            row = self._frame.select(pl.col(todo).n_unique()).row(0, named=True)
            self._distinct.update({c: int(row[c]) for c in todo})
        elif todo:
            self._count_buckets()
        return {c: self._distinct[c] for c in columns}

    def top(self, column: str) -> int:
        """How many rows hold the column's most frequent value."""
        if column not in self._top and self._frame is not None:
            counts = self._frame.get_column(column).value_counts(sort=True)
            self._top[column] = int(counts[counts.columns[1]][0]) if counts.height else 0
        elif column not in self._top:
            self._count_buckets()
        return self._top.get(column, 0)

    def classes(self) -> Classes | None:
        """The quasi-identifiers' classes, or None when none were tracked."""
        keys = self._keys or []
        if QUASI not in keys:
            return None
        if self._classes is None and self._frame is not None:
            sizes = self._frame.group_by(QUASI).len()["len"]
            self._classes = Classes(sizes.len(), int(sizes.min() or 0),  # type: ignore[arg-type]
                                    int(sizes.filter(sizes < self.k).sum()))
        elif self._classes is None:
            self._count_buckets()
        return self._classes

    def _count_buckets(self) -> None:
        """Every figure of every tracked column, one bucket at a time (spilled parts only)."""
        if self._counted:
            return
        keys = self._keys or []
        distinct = dict.fromkeys(keys, 0)
        top = dict.fromkeys(keys, 0)
        quasi = keys.index(QUASI) if QUASI in keys else None
        count, smallest, under = 0, None, 0
        # read, not mapped: only the bucket being counted is in memory
        readers = [ipc.open_file(pa.OSFile(str(f))) for f in self._files]
        for b in range(self.buckets):
            frame = cast(pl.DataFrame, pl.from_arrow(
                pa.Table.from_batches([r.get_batch(b) for r in readers])))
            groups = frame.group_by("k", "h").len()
            for k, n, most in groups.group_by("k").agg(
                    n=pl.len(), most=pl.col("len").max()).iter_rows():
                distinct[keys[k]] += n
                top[keys[k]] = max(top[keys[k]], most)
            if quasi is not None:
                sizes = groups.filter(pl.col("k") == quasi)["len"]
                if sizes.len():
                    count += sizes.len()
                    low = int(sizes.min())  # type: ignore[arg-type]
                    smallest = low if smallest is None else min(smallest, low)
                    under += int(sizes.filter(sizes < self.k).sum())
        self._distinct.update(distinct)
        self._top.update(top)
        if quasi is not None:
            self._classes = Classes(count, smallest or 0, under)
        self._counted = True
        del readers
        self.close()

