"""Reading tables at the API boundary and writing files atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import polars as pl

from ._errors import InputTypeError, ReadError

__all__ = ["atomic_write", "read_table"]


def read_table(table: object, *, what: str = "table") -> pl.DataFrame:
    """A polars DataFrame from polars, pandas, pyarrow or a CSV/Parquet path.

    CSV columns are read as text: ZIP codes and phone numbers keep their leading zeros.
    """
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    module = type(table).__module__
    if module.startswith("pandas"):
        return pl.from_pandas(table)  # type: ignore[arg-type]
    if module.startswith("pyarrow"):
        frame = pl.from_arrow(table)  # type: ignore[arg-type]
        if isinstance(frame, pl.DataFrame):
            return frame
    if isinstance(table, (str, os.PathLike)):
        path = Path(table)
        if not path.is_file():
            raise ReadError(f"{what} file not found: {path}; check the path")
        suffix = path.suffix.lower()
        try:
            if suffix in (".parquet", ".pq"):
                return pl.read_parquet(path)
            if suffix in (".csv", ".tsv", ".txt", ""):
                sep = "\t" if suffix == ".tsv" else ","
                return pl.read_csv(path, infer_schema=False, separator=sep, encoding="utf8-lossy")
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise ReadError(
                f"could not read {what} {path.name}: {type(exc).__name__}; "
                "expected a UTF-8 CSV with a header row, or a Parquet file"
            ) from None
        raise ReadError(f"{what} {path.name} has suffix {suffix!r}; use .csv, .tsv or .parquet")
    raise InputTypeError(
        f"{what} must be a polars/pandas DataFrame, a pyarrow Table or a CSV/Parquet path, "
        f"got {type(table).__name__}"
    )


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:  # type: ignore[type-arg]
    """Write to a temporary file beside ``path``, fsync it and rename it over ``path``.

    A reader never sees a half-written file; on error the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_frame(frame: pl.DataFrame, path: str | os.PathLike[str]) -> None:
    """Atomically write a frame as CSV (UTF-8, header) or Parquet, by the path's suffix."""
    writer: Callable[[IO[bytes]], None]
    if Path(path).suffix.lower() in (".parquet", ".pq"):
        def writer(h: IO[bytes]) -> None:
            frame.write_parquet(h)
    else:
        def writer(h: IO[bytes]) -> None:
            frame.write_csv(h)
    with atomic_write(path) as handle:
        writer(handle)
