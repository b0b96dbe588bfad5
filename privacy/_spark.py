"""Uploads from Spark: the local upload code run per partition, one signed manifest over parts.

``prepare_upload(spark_df, ...)`` runs :func:`privacy._upload.prepare_column` (the same
normalization and hashing as a local upload, so the hashes are identical byte for byte) on each
partition through ``mapInArrow``. A keyed hash's key travels as a Spark broadcast variable: the
task closure holds only the broadcast's id, so the key is in no closure, plan string or log.
Rejections are counted by reason per column in Spark and summed (rows in = rows out + rows
without a key; nothing dropped silently). :meth:`SparkUpload.write` has each partition write
its own part file (the platform's CSV, as locally), returns each part's rows and SHA-256 to the
driver, and writes one manifest listing every part, signed over the whole.

Executors write the parts, so the output folder must be one they can all reach (a local path
in local mode, a shared mount on a cluster).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from ._errors import InputTypeError, InvalidInputError, WriteError
from ._hashing import Hasher
from ._io import atomic_write, check_output, frame_writer
from ._manifest import file_sha256, manifest_path, manifest_text, sign_manifest
from ._normalize import reference_day
from ._platforms import check_platform, file_header, rules_for_platform
from ._redact import safe_name, safe_names
from ._upload import (
    ColumnReport,
    UploadReport,
    _check_columns,
    column_names,
    one_key_type,
    prepare_column,
    region_column,
    row_regions,
    upload_manifest,
    upload_report,
    usable_mask,
)

__all__ = ["SparkUpload", "is_spark_frame", "prepare_spark_upload"]

_REASON = "__reason:"
_USABLE = "__usable"


def is_spark_frame(obj: object) -> bool:
    """A PySpark DataFrame (classic or Connect), recognized without importing pyspark."""
    return type(obj).__module__.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


class _Prepare:
    """The per-partition function: Arrow batches of CRM columns in, upload columns out.

    Holds the key's broadcast handle, never the key: pickling this object (the task closure)
    carries the broadcast's id only; executors read the value once and keep it.
    """

    def __init__(self, ordered: list[tuple[str, str]], platform: str, country_col: str | None,
                 default_region: str, dayfirst: bool | None, key_ref: Any,
                 today: dt.date, usable: bool) -> None:
        self.ordered = ordered
        self.names = column_names(ordered, platform)
        self.platform = platform
        self.country_col = country_col
        self.default_region = default_region
        self.dayfirst = dayfirst
        self.key_ref = key_ref
        self.today = today
        self.usable = usable

    def __repr__(self) -> str:  # no key here anyway; say so in plans and logs
        return f"audiencekit.prepare({self.platform}, {[k for _, k in self.ordered]})"

    def __call__(self, batches: Iterable[Any]) -> Iterator[Any]:
        from threadpoolctl import threadpool_limits

        key = self.key_ref.value if self.key_ref is not None else None
        with threadpool_limits(1):  # one task per core: no native pool on top of Spark's
            for table in _chunks(batches, _CHUNK_ROWS):
                frame = pl.from_arrow(table)
                if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table in
                    frame = frame.to_frame()
                if frame.height == 0:
                    continue
                regions = row_regions(frame, self.country_col, self.default_region)
                out: dict[str, pl.Series] = {}
                for (col, kind), name in zip(self.ordered, self.names, strict=True):
                    value, reason = prepare_column(frame[col], kind, self.platform, regions,
                                                   self.dayfirst, key, self.today, name=name)
                    out[value.name] = value.cast(pl.Utf8)
                    out[_REASON + value.name] = reason.cast(pl.Utf8).alias(_REASON + value.name)
                table = pl.DataFrame(list(out.values()))
                if self.usable:
                    headers = [c for c in table.columns if not c.startswith(_REASON)]
                    table = table.with_columns(usable_mask(
                        table.select(headers), [k for _, k in self.ordered], self.platform,
                    ).alias(_USABLE))
                yield from table.to_arrow().cast(_arrow_schema(table.columns)).to_batches()


#: Rows prepared at a time: Spark hands over Arrow batches of 10,000 rows, and each call of the
#: column code has a fixed cost (plans, a normalizing thread), so batches are gathered.
_CHUNK_ROWS = 200_000


def _chunks(batches: Iterable[Any], rows: int) -> Iterator[Any]:
    """Arrow batches gathered into tables of about ``rows`` rows (the last one smaller)."""
    import pyarrow as pa

    pending: list[Any] = []
    count = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _arrow_schema(columns: list[str]) -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.bool_() if c == _USABLE else pa.string()) for c in columns])


def _spark_schema(columns: list[str]) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(c, T.BooleanType() if c == _USABLE else T.StringType())
                         for c in columns])


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _prepared(df: Any, ordered: list[tuple[str, str]], platform: str, default_region: str,
              dayfirst: bool | None, key: bytes | None, today: dt.date,
              country_col: str | None, usable: bool) -> Any:
    """``df`` mapped partition by partition to upload columns, reasons (and the usable flag)."""
    key_ref = df.sparkSession.sparkContext.broadcast(key) if key is not None else None
    columns = [c for c, _ in ordered]
    if country_col is not None and country_col not in columns:
        columns.append(country_col)
    out = []
    for name in column_names(ordered, platform):
        out += [name, _REASON + name]
    if usable:
        out.append(_USABLE)
    function = _Prepare(ordered, platform, country_col, default_region, dayfirst, key_ref,
                        today, usable)
    return df.select(*[_quoted(c) for c in columns]).mapInArrow(function, _spark_schema(out))


class SparkUpload:
    """A platform upload prepared in Spark: ``frame`` (a Spark DataFrame of the upload's
    columns), ``report`` (counted in Spark, summed over partitions) and :meth:`write`."""

    operation = "add"

    def __init__(self, platform: str, prepared: Any, headers: list[str], report: UploadReport,
                 scheme: str, key_id: str | None) -> None:
        self.platform = platform
        self._prepared = prepared
        self.frame = prepared.filter(_quoted(_USABLE)).select(*[_quoted(h) for h in headers])
        self.report = report
        self._scheme = scheme
        self._key_id = key_id

    def __repr__(self) -> str:
        return (f"SparkUpload(platform={self.platform!r}, rows={self.report.rows_out}, "
                f"columns={[c.header for c in self.report.columns]})")

    def unpersist(self) -> None:
        """Free the prepared rows Spark keeps (memory and disk) for the report and the write;
        ``frame`` and :meth:`write` then compute them again."""
        self._prepared.unpersist()

    def rejections(self) -> Any:
        """Rejected values by column and reason, as a Spark DataFrame (``header``, ``reason``,
        ``count``): counts only, never values."""
        return _rejections(self._prepared)

    def write(self, folder: str | os.PathLike[str], signing_key: Any = None, *,
              inputs: Iterable[str | os.PathLike[str] | None] = ()) -> dict[str, Any]:
        """Write the upload as part files in ``folder`` (one per non-empty partition, each the
        platform's CSV with its header) and ``<folder>.manifest.json`` listing every part with
        its rows and SHA-256, signed over the whole when ``signing_key`` is given.

        ``folder`` must not exist, or be empty; nothing in it is replaced.
        """
        target = Path(os.fspath(folder))
        shown = safe_name(target.name or str(target))
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise WriteError(f"upload folder {shown} exists and is not empty; refusing to "
                             "write parts into it (give a new folder)")
        meta = check_output(manifest_path(target), inputs=inputs, what="manifest")
        if signing_key is not None:
            sign_manifest({}, signing_key)  # a wrong key fails now, before any part is written
        target.mkdir(parents=True, exist_ok=True)
        from pyspark.sql import types as T

        schema = T.StructType([T.StructField("file", T.StringType()),
                               T.StructField("rows", T.LongType()),
                               T.StructField("sha256", T.StringType())])
        rows = self.frame.mapInArrow(_WritePart(str(target.resolve())), schema).collect()
        parts = sorted(({"file": r["file"], "rows": int(r["rows"]), "sha256": r["sha256"]}
                        for r in rows), key=lambda p: p["file"])
        total = sum(p["rows"] for p in parts)
        if total != self.report.rows_out:
            raise WriteError(f"the parts hold {total:,} rows, the report {self.report.rows_out:,}"
                             ": Spark recomputed the upload differently; write it again")
        manifest = upload_manifest(self.platform, self.report, self._scheme, self._key_id,
                                   target.name, total, parts_digest(parts), self.operation)
        manifest["parts"] = parts
        if signing_key is not None:
            manifest = sign_manifest(manifest, signing_key)
        with atomic_write(meta, "w") as handle:
            handle.write(manifest_text(manifest))
        return manifest


def _rejections(prepared: Any) -> Any:
    from pyspark.sql import functions as F

    reasons = [c for c in prepared.columns if c.startswith(_REASON)]
    pairs = F.array(*[F.struct(F.lit(c[len(_REASON):]).alias("header"),
                               F.col(_quoted(c)).alias("reason")) for c in reasons])
    return (prepared.select(F.explode(pairs).alias("x"))
            .where(F.col("x.reason").isNotNull())
            .groupBy("x.header", "x.reason").count())


def parts_digest(parts: list[dict[str, Any]]) -> str:
    """The SHA-256 of a partitioned upload: over its parts' names, rows and digests in order
    (so the manifest's signature covers every part)."""
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SHA256())
    digest.update(json.dumps([[p["file"], p["rows"], p["sha256"]] for p in parts],
                             separators=(",", ":")).encode())
    return digest.finalize().hex()


class _WritePart:
    """The per-partition writer: the partition's rows as one part file, its name, rows and
    SHA-256 back (computed where it was written)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, batches: Iterable[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext

        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        if not tables:
            return
        frame = pl.from_arrow(pa.concat_tables(tables))
        if not isinstance(frame, pl.DataFrame):  # pragma: no cover
            frame = frame.to_frame()
        context = TaskContext.get()
        index = context.partitionId() if context is not None else 0
        path = Path(self.folder) / f"part-{index:05d}.csv"
        with atomic_write(path) as handle:  # the platform's headers, repeated where it takes
            frame_writer(frame, path, [file_header(c) for c in frame.columns])(handle)
        yield pa.RecordBatch.from_pydict({"file": [path.name], "rows": [frame.height],
                                          "sha256": [file_sha256(path)]})


#: Spark types an identifier column can have: text, integers, dates and times, bytes, nulls
_SPARK_IDENTIFIER_TYPES = ("string", "varchar", "char", "tinyint", "smallint", "int", "bigint",
                           "date", "timestamp", "timestamp_ntz", "binary", "void")


def _check_spark_types(df: Any, mapping: Mapping[str, str]) -> None:
    """Identifier columns of a type prepare_column reads alike in every task, checked on the
    schema before any job (inside a task the error would come back as Spark's)."""
    shown = dict(zip(df.columns, safe_names(list(df.columns)), strict=True))
    for field in df.schema.fields:
        if field.name not in mapping:
            continue
        kind = field.dataType.simpleString().split("(")[0]
        if kind in ("float", "double", "decimal"):
            raise InputTypeError(
                f"column {shown[field.name]!r} is a {kind} in Spark: an identifier needs its "
                "exact digits; cast it to string (or bigint) first")
        if kind not in _SPARK_IDENTIFIER_TYPES:
            raise InputTypeError(
                f"column {shown[field.name]!r} has type {field.dataType.simpleString()}, which "
                "is not an identifier; pass text, integers or dates")


def prepare_spark_upload(
    df: Any, platform: str, columns: Mapping[str, str] | None, default_region: str,
    dayfirst: bool | None, key: bytes | None, key_id: str | None, today: dt.date | None,
) -> SparkUpload:
    """See :func:`privacy.prepare_upload`; ``df`` is a Spark DataFrame."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    platform = check_platform(platform)
    if key is not None and not isinstance(key, bytes):
        raise InputTypeError(f"key must be bytes, got {type(key).__name__}")
    day = reference_day(None, today) or dt.date.today()  # one day for every executor
    header = pl.DataFrame(schema={c: pl.Utf8 for c in df.columns})  # names only
    mapping, ignored = _check_columns(header, columns, platform)
    mapping, ignored, notes = one_key_type(mapping, ignored, platform, columns is None)
    unrecognized = [c for c in df.columns if c not in mapping and c not in ignored]
    _check_spark_types(df, mapping)
    rules = rules_for_platform(platform)
    order = {k: i for i, k in enumerate(rules)}
    ordered = sorted(mapping.items(), key=lambda ck: order[ck[1]])
    prepared = _prepared(df, ordered, platform, default_region, dayfirst, key, day,
                         region_column(header, mapping), usable=True)
    prepared = prepared.persist(StorageLevel.MEMORY_AND_DISK)
    headers = column_names(ordered, platform)  # 'email', 'email (2)': unique in Spark
    # one job: rows in and out, valid and distinct values per column
    aggs = [F.count(F.lit(1)).alias("rows_in"),
            F.sum(F.col(_USABLE).cast("long")).alias("rows_out")]
    for h in headers:
        aggs += [F.count(F.col(_quoted(h))).alias(f"valid:{h}"),
                 F.countDistinct(F.col(_quoted(h))).alias(f"distinct:{h}")]
    totals = prepared.agg(*aggs).collect()[0].asDict()
    rows_in = int(totals["rows_in"])
    if rows_in == 0:
        prepared.unpersist()
        raise InvalidInputError("the CRM table has no rows; nothing to upload")
    rejected: dict[str, dict[str, int]] = {h: {} for h in headers}
    for row in _rejections(prepared).collect():
        rejected[row["header"]][row["reason"]] = int(row["count"])
    shown = dict(zip(df.columns, safe_names(list(df.columns)), strict=True))
    reports = []
    for (col, kind), h in zip(ordered, headers, strict=True):
        valid = int(totals[f"valid:{h}"])
        reports.append(ColumnReport(
            column=shown[col], kind=kind, header=file_header(h),
            hashed=rules[kind].handling == "hash",
            valid=valid, rejected=rejected[h],
            duplicates=valid - int(totals[f"distinct:{h}"])))
    report = upload_report(
        platform, rows_in, int(totals["rows_out"] or 0), reports, [shown[c] for c in ignored],
        [shown[c] for c in unrecognized],
        lambda: prepared.filter(F.col(_USABLE)).select(*map(_quoted, headers)).distinct().count(),
        notes)
    scheme = Hasher(key=key, encoding="base64" if platform == "uid2" else "hex").scheme
    return SparkUpload(platform, prepared, headers, report, scheme, key_id)


def prepare_spark_values(df: Any, kind: str, platform: str, default_region: str,
                         dayfirst: bool | None, key: bytes | None,
                         today: dt.date | None) -> Any:
    """:func:`privacy.prepare_values` over a one-column Spark DataFrame: a Spark DataFrame of
    ``value`` (null where rejected) and ``reason``, row for row."""
    platform = check_platform(platform)
    if len(df.columns) != 1:
        raise InvalidInputError(
            f"prepare_values takes one column; this Spark DataFrame has {len(df.columns)}: "
            f"select the identifier column first (df.select('email'))")
    rules = rules_for_platform(platform)
    if kind not in rules:
        _check_columns(pl.DataFrame(schema={"v": pl.Utf8}), {"v": kind}, platform)
    prepared = _prepared(df, [(df.columns[0], kind)], platform, default_region, dayfirst, key,
                         reference_day(None, today) or dt.date.today(), None, usable=False)
    header = rules[kind].header
    return prepared.select(prepared[_quoted(header)].alias("value"),
                           prepared[_quoted(_REASON + header)].alias("reason"))
