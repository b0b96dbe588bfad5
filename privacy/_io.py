"""Reading tables at the API boundary; checking and writing output files atomically.

Reading: CSV is read as text (ZIP codes keep their leading zeros). Bytes that are not UTF-8 are
never guessed at: they become U+FFFD, and normalization rejects such values as
``invalid_encoding`` (counted, never hashed). A file in another encoding (UTF-16...) or with
another delimiter gets an error that says how to read it.

Writing: every output path is checked before any work starts (not a folder, not a special file
or a symbolic link, not one of the inputs, not a key, in a folder that takes files). Writes go to
a temporary file beside the target, named with the writer's process id, then are renamed over
it; temporary files left by a killed writer are removed by the next write to the same target.
Keys are written without ever replacing a file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import polars as pl

from ._errors import InputTypeError, InvalidInputError, ReadError, WriteError
from ._redact import printable, safe_name, safe_names

__all__ = ["TABLE_SUFFIXES", "arrow_unreadable", "atomic_write", "check_output", "csv_problem",
           "dated_type", "lf_source", "nested_type", "part_files", "polars_unreadable",
           "read_path", "read_regular", "read_table", "table_format", "temporal_text",
           "temporal_texts", "write_frame"]

_SNIFF = 64 * 1024
_PEM = b"-----BEGIN"


def read_table(
    table: object, *, what: str = "table", encoding: str = "utf-8",
    separator: str | None = None, repeats: bool = False,
) -> pl.DataFrame:
    """A polars DataFrame from polars, pandas, pyarrow, a CSV/Parquet path, or a folder or
    glob of CSV/Parquet part files (Spark's output; ``_SUCCESS``/``.crc`` skipped).

    CSV columns are read as text: ZIP codes and phone numbers keep their leading zeros.
    ``encoding`` names the file's text encoding (Python codec names; default UTF-8) and
    ``separator`` its delimiter (default: ``,``, or a tab for ``.tsv``). A CSV header that
    appears twice is an error, unless ``repeats`` and it is a platform's header that repeats
    (Meta's ``email``): then its columns are ``email``, ``email (2)``...
    """
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    module = type(table).__module__
    if module.startswith("pandas"):
        return _from_pandas(table, what)
    if module.startswith("pyarrow"):
        schema = getattr(table, "schema", None)
        _no_repeated_names(getattr(schema, "names", None) or [], what)
        # polars panics on some types (a BaseException that printed a Rust panic): named first
        unreadable = [(f.name, kind) for f in schema
                      if (kind := arrow_unreadable(f.type)) is not None] if schema else []
        frame: object = unreadable  # not converted
        if not unreadable:
            # their errors quote values: said as what, not which
            with contextlib.suppress(Exception, pl.exceptions.PanicException):
                frame = pl.from_arrow(table)  # type: ignore[arg-type]
        if frame is unreadable:
            raise InputTypeError(
                f"{what} could not be converted from pyarrow ({type(table).__name__})"
                + (f": columns of a type polars cannot hold: {_kinds_shown(unreadable)}"
                   if unreadable else "")
                + "; pass a Table with text, number, boolean or date columns (cast or drop "
                "the others, e.g. table.drop_columns([...]))")
        if isinstance(frame, pl.DataFrame):
            return frame
    if isinstance(table, (str, os.PathLike)):
        parts = part_files(Path(table))
        if parts is not None:  # a folder or glob of part files (Spark's output): one table
            return pl.concat([read_path(p, what, encoding, separator, repeats) for p in parts],
                             how="vertical")
        return read_path(Path(table), what, encoding, separator, repeats)
    raise InputTypeError(
        f"{what} must be a polars/pandas DataFrame, a pyarrow Table or a CSV/Parquet path, "
        f"got {type(table).__name__}"
    )


_GLOB = ("*", "?", "[")
#: The most digits a polars decimal holds.
_DECIMAL_DIGITS = 38


def is_glob(name: str) -> bool:
    """Whether a path's last part is a glob (``*``, ``?`` or ``[``)."""
    return any(ch in name for ch in _GLOB)


def bookkeeping(name: str) -> bool:
    """Spark's and Hadoop's bookkeeping, not data: ``_SUCCESS``, ``_committed_*``/
    ``_started_*``, ``_temporary/`` (a job's unfinished parts), hidden files and ``.crc``
    checksums."""
    return name.startswith(("_", ".")) or name.endswith(".crc")


def part_files(path: Path) -> list[Path] | None:
    """The part files of a folder (Spark's output) or a glob, sorted; None for one file.

    Spark's bookkeeping is skipped: ``_SUCCESS``, ``_committed_*``/``_started_*``, hidden
    files and ``.crc`` checksums. A folder or glob without parts is an error.
    """
    text = os.fspath(path)
    if path.is_file():  # a file whose name holds [ or * is that file, not a pattern
        return None
    if path.is_dir():
        found = list(path.iterdir())
    elif is_glob(path.name):
        found = list(path.parent.glob(path.name))
    else:
        return None
    parts = sorted(p for p in found if p.is_file() and not bookkeeping(p.name))
    if not parts:
        raise ReadError(f"no part files in {safe_name(Path(text).name)} (Spark's _SUCCESS, "
                        ".crc and hidden files are not parts)")
    return parts


def is_pattern(name: str) -> bool:
    """Whether polars reads the column name as more than a name: ``*`` is every column and a
    name starting with ``^`` and ending with ``$`` is a regular expression over the names (so
    ``pl.col("^age$")`` is the column ``age``, and a column literally named so cannot be
    selected by name: even its Series' own methods fail)."""
    return name == "*" or (len(name) >= 2 and name.startswith("^") and name.endswith("$"))


def check_no_patterns(columns: Iterable[str], what: str,
                      error: type[Exception] = InvalidInputError) -> None:
    """Refuse a table with a column polars would read as a pattern (see :func:`is_pattern`),
    raising ``error`` (the calling package's own) with the names masked as identifiers are."""
    taken = [c for c in columns if is_pattern(c)]
    if taken:
        raise error(
            f"{what} columns {', '.join(repr(safe_name(c)) for c in taken[:5])} would be read as "
            "patterns, not names (polars takes '*' as every column and a name from '^' to '$' "
            "as a regular expression); rename them")


def _no_repeated_names(columns: list[object], what: str) -> None:
    seen: set[object] = set()
    for c in columns:
        if c in seen:
            raise InvalidInputError(
                f"{what} has the column {safe_name(c)!r} twice; rename or drop one"
            )
        seen.add(c)


def arrow_unreadable(dtype: Any) -> str | None:
    """The type polars cannot hold that an Arrow type is or holds, as text (no field names),
    or None: 256-bit decimals (polars panicked), unions and month-day-nanosecond intervals (it
    raised)."""
    if dtype is None:
        return None
    import pyarrow as pa

    kinds = pa.types
    if kinds.is_decimal256(dtype) or kinds.is_interval(dtype):
        return str(dtype)
    if kinds.is_union(dtype):
        return "union"
    if kinds.is_dictionary(dtype):
        inner = [dtype.value_type]
    elif kinds.is_map(dtype):
        inner = [dtype.key_type, dtype.item_type]
    elif kinds.is_struct(dtype):
        inner = [dtype.field(i).type for i in range(dtype.num_fields)]
    else:  # every kind of list
        inner = [dtype.value_type] if getattr(dtype, "value_type", None) is not None else []
    return next((found for t in inner if (found := arrow_unreadable(t)) is not None), None)


def _kinds_shown(columns: Sequence[tuple[object, str]]) -> str:
    """Columns and the types named for them ('odd (decimal256(60, 0))'), the first ten."""
    return ", ".join(f"{safe_name(c)} ({printable(kind)[:40]})" for c, kind in columns[:10])


def nested_type(dtype: Any, found: Callable[[Any], bool]) -> Any | None:
    """The first polars type that is ``found``: ``dtype`` itself, or one in its lists and
    structs; None when there is none."""
    if found(dtype):
        return dtype
    if isinstance(dtype, (pl.List, pl.Array)):
        return nested_type(dtype.inner, found)
    if isinstance(dtype, pl.Struct):
        return next((inner for f in dtype.fields
                     if (inner := nested_type(f.dtype, found)) is not None), None)
    return None


def temporal_text(column: pl.Expr, format: str | None = None) -> pl.Expr:
    """A date or datetime column as text: polars' own, or ``format`` (strftime's). Values past
    the years polars can write (about 262,000 years either side: DuckDB's 'infinity' as polars
    reads it, the largest 64-bit number) are 'infinity' and '-infinity', as DuckDB writes
    them, where polars' cast and strftime panicked (a PanicException, past every ``except
    Exception``). Its year is null exactly there, so those values are masked before polars
    writes any."""
    held = column.dt.year().is_not_null()
    kept = pl.when(held).then(column)
    text = kept.cast(pl.Utf8) if format is None else kept.dt.strftime(format)
    far = pl.when(column.to_physical() > 0).then(pl.lit("infinity")).otherwise(
        pl.lit("-infinity"))
    return pl.when(held | column.is_null()).then(text).otherwise(far)


def dated_type(dtype: Any) -> bool:
    """A date, datetime or time of day (durations are not)."""
    return bool(dtype == pl.Date or dtype == pl.Time or isinstance(dtype, pl.Datetime))


def _dates_as_text(column: pl.Expr, dtype: Any) -> pl.Expr:
    return column if dtype == pl.Time else temporal_text(column)


def temporal_texts(column: pl.Expr, dtype: Any,
                   leaf: Callable[[pl.Expr, Any], pl.Expr] = _dates_as_text) -> pl.Expr:
    """``column`` (of polars type ``dtype``) with every date, datetime and time in it, in its
    lists and structs too, as ``leaf(values, their type)`` writes them (by default dates and
    datetimes as :func:`temporal_text`, times as they are): a struct's JSON panicked on dates
    past polars' years as well."""
    if dated_type(dtype):
        return leaf(column, dtype)
    if nested_type(dtype, dated_type) is None:
        return column
    if isinstance(dtype, (pl.List, pl.Array)):
        items = column.cast(pl.List(dtype.inner)) if isinstance(dtype, pl.Array) else column
        return items.list.eval(temporal_texts(pl.element(), dtype.inner, leaf))
    fields = [temporal_texts(column.struct.field(f.name), f.dtype, leaf).alias(f.name)
              for f in dtype.fields]
    return pl.when(column.is_not_null()).then(pl.struct(fields))


def polars_unreadable(dtype: Any) -> str | None:
    """The type in a polars schema that polars reads no value of, as text, or None: decimals
    of more than 38 digits, which a Parquet file's schema can declare (reading them failed
    with 'precision must be between 1 and 38')."""
    wide = nested_type(dtype, lambda t: isinstance(t, pl.Decimal)
                       and (t.precision or 0) > _DECIMAL_DIGITS)
    return None if wide is None else f"decimal({wide.precision}, {wide.scale})"


def _from_pandas(table: object, what: str) -> pl.DataFrame:
    columns = list(table.columns)  # type: ignore[attr-defined]
    _no_repeated_names(columns, what)
    unreadable = [(c, kind) for c, dtype in zip(columns, table.dtypes, strict=True)  # type: ignore[attr-defined]
                  if (kind := arrow_unreadable(getattr(dtype, "pyarrow_dtype", None)))]
    if unreadable:  # polars panicked on pyarrow-backed 256-bit decimals
        raise InputTypeError(f"{what} has columns of a type polars cannot hold: "
                             f"{_kinds_shown(unreadable)}; cast them (to float, text or "
                             "decimal128) or drop them first")
    with contextlib.suppress(Exception):  # pyarrow's message would quote the offending value
        return pl.from_pandas(table)  # type: ignore[arg-type]
    # A column mixing numbers and text (common for phones): each cell as text, checked.
    from ._normalize import to_text_series

    parts: list[pl.Series] = []
    for c in columns:
        column = table[c]  # type: ignore[index]
        try:
            parts.append(pl.Series(str(c), pl.from_pandas(column)))
        except Exception:
            parts.append(to_text_series(column.tolist(), name=str(c), strict=False))
    return pl.DataFrame(parts)


def read_path(path: Path, what: str, encoding: str, separator: str | None,
              repeats: bool = False) -> pl.DataFrame:
    if path.is_dir():
        raise ReadError(f"{what} {safe_name(path.name)} is a folder; give a CSV or Parquet file")
    if not path.is_file():
        if path.exists():  # a device, a pipe, a socket: reading could block or never end
            raise ReadError(f"{what} {safe_name(path.name)} is not a regular file; give a CSV "
                            "or Parquet file")
        raise ReadError(f"{what} file not found: {safe_name(path.name)}; check the path")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            schema = pl.scan_parquet(path, glob=False).collect_schema()  # [ or * is the name
            wide = [(c, kind) for c, t in schema.items()
                    if (kind := polars_unreadable(t)) is not None]
            if not wide:
                return pl.read_parquet(path, glob=False)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise ReadError(
                f"could not read {what} {safe_name(path.name)}: {type(exc).__name__}; "
                "expected a Parquet file"
            ) from None
        raise InputTypeError(
            f"{what} {safe_name(path.name)} has columns of a type polars cannot hold: "
            f"{_kinds_shown(wide)}; write them as float, text or a decimal of at most 38 digits")
    if suffix not in (".csv", ".tsv", ".txt", ""):
        raise ReadError(
            f"{what} {safe_name(path.name)} has suffix {safe_name(suffix)!r}; "
            "use .csv, .tsv or .parquet"
        )
    sep = separator if separator is not None else ("\t" if suffix == ".tsv" else ",")
    if not isinstance(sep, str) or len(sep.encode()) != 1:
        raise InvalidInputError(
            f"the delimiter must be one single-byte character such as ',' ';' or a tab, got "
            f"{len(sep) if isinstance(sep, str) else type(sep).__name__} characters"
            if isinstance(sep, str) else
            f"the delimiter must be a str such as ',' ';' or a tab, got {type(sep).__name__}")
    source = _utf8_source(path, what, encoding)
    names = _header(source, sep)
    try:
        frame = pl.read_csv(source, infer_schema=False, separator=sep, encoding="utf8-lossy",
                            glob=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        problem = (
            "it is empty; a CSV needs a header row" if isinstance(exc, pl.exceptions.NoDataError)
            else csv_problem(source, sep, ", or give the file's delimiter (separator= / "
                             "--delimiter)") if isinstance(exc, pl.exceptions.PolarsError)
            else None)
        raise ReadError(
            f"could not read {what} {safe_name(path.name)}: "
            + (problem if problem else
               f"{type(exc).__name__}; expected a CSV with a header row and {_describe(sep)} "
               "between fields (another delimiter: separator= / --delimiter)")
        ) from None
    numbered = _check_headers(names, what, sep, repeats)
    if numbered != names and len(numbered) == frame.width:
        frame.columns = numbered
    return frame


def _header(source: Path | io.BytesIO, sep: str) -> list[str]:
    """The header row's names as written (polars renames duplicates; this sees them)."""
    if isinstance(source, io.BytesIO):
        text = io.TextIOWrapper(source, encoding="utf-8", errors="replace", newline="")
        try:
            return next(csv.reader(text, delimiter=sep), [])
        except csv.Error:
            return []
        finally:
            text.detach()
            source.seek(0)
    try:
        with open(source, encoding="utf-8", errors="replace", newline="") as handle:
            return next(csv.reader(handle, delimiter=sep), [])
    except (csv.Error, OSError):
        return []  # polars' read says what is wrong


def _utf8_source(path: Path, what: str, encoding: str) -> Path | io.BytesIO:
    """The file as UTF-8 without a byte order mark: the path itself when it is already that
    (polars reads it directly), else its bytes recoded in memory."""
    try:
        codec = codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise InvalidInputError(
            f"unknown text encoding {safe_name(encoding)!r}; use a Python codec name such as "
            "'utf-8', 'utf-16' or 'cp1252'"
        ) from None
    if codec == "utf-8":
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            head and head.count(0) > len(head) // 4
        ):
            raise ReadError(
                f"{what} {safe_name(path.name)} looks like UTF-16 (byte order mark or NUL "
                "bytes between characters), not UTF-8; pass encoding='utf-16' "
                "(--encoding utf-16) or save it as UTF-8"
            )
        cr_lines = _bare_cr(head)
        if head.startswith(codecs.BOM_UTF8) or cr_lines:
            data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
            return io.BytesIO(data.replace(b"\r", b"\n") if cr_lines else data)
        return path
    data = path.read_bytes()
    try:
        text = data.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{what} {safe_name(path.name)} is not valid {codec} (byte {exc.start:,}); "
            "check --encoding"
        ) from None
    if _bare_cr(text[:_SNIFF]):
        text = text.replace("\r", "\n")
    return io.BytesIO(text.encode("utf-8"))


def _bare_cr(head: str | bytes) -> bool:
    """Whether a file's first bytes end their lines in a carriage return alone (classic Mac OS,
    Excel's "CSV (Macintosh)"): polars reads such a file as one line, its header."""
    if isinstance(head, str):
        return "\r" in head and "\n" not in head
    return b"\r" in head and b"\n" not in head


def lf_source(path: Path) -> Path | bytes:
    """A CSV file to read: the path itself, or its bytes with line feeds where its lines end
    in a carriage return alone (:func:`_bare_cr`)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF)
    return path.read_bytes().replace(b"\r", b"\n") if _bare_cr(head) else path


class _RawLines:
    """The lines a csv reader takes, kept until the row they make is read (its raw text).

    Lines end at a line feed, as polars reads them: a carriage return elsewhere than before one
    is a character of its field there (the csv module would end a line at it), so it is given
    to the reader as another character that is neither a quote nor a delimiter."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _RawLines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        end = len(line) - (2 if line.endswith("\r\n") else 1 if line.endswith("\n") else 0)
        if "\r" in line[:end]:
            line = line[:end].replace("\r", "\ue000") + line[end:]
        self.taken.append(line)
        return line

    def row(self) -> str:
        text = "".join(self.taken)
        self.taken.clear()
        return text


_QUOTE_DOUBLED = 'quote the whole field and double each quote inside it ("a ""b"" c")'


def csv_problem(source: Path | bytes | io.BytesIO, sep: str = ",", hint: str = ""
                ) -> str | None:
    """What makes a CSV unreadable (polars stops at it), said by its line and never by its
    cells, with the remedy; None when nothing here is wrong. Reads up to the first problem:
    a row with more fields than the header, a quoted field never closed, text after a
    closing quote, a double quote inside a field that does not begin with one ('a"b', which
    RFC 4180 does not allow and polars refuses). ``hint`` ends the first one's remedy."""
    handle: IO[bytes] = (open(source, "rb") if isinstance(source, Path)  # noqa: SIM115
                         else io.BytesIO(source) if isinstance(source, bytes) else source)
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="\n")
    raw = _RawLines(text)
    reader = csv.reader(raw, delimiter=sep, strict=True)
    start = 1
    try:
        width = len(next(reader, []))
        raw.row()
        start = reader.line_num + 1
        for row in reader:
            line = raw.row()
            if len(row) > width:
                return (f"line {reader.line_num:,} ({len(row):,} fields, the header "
                        f"{width:,}) has more fields than its header: quote fields that hold "
                        f"{_describe(sep)}{hint}")
            if '"' in line and _stray_quote(line, sep):
                return (f"line {start:,} has a double quote inside a field that does not "
                        f"begin with one: {_QUOTE_DOUBLED}")
            start = reader.line_num + 1
    except csv.Error as exc:  # its message names no cell
        if "unexpected end of data" in str(exc):
            return (f"a quoted field in the row that starts on line {start:,} is never "
                    f"closed: end it with a double quote, or {_QUOTE_DOUBLED}")
        if "expected after" in str(exc):
            return (f"line {reader.line_num:,} has text after a field's closing quote: "
                    f"{_QUOTE_DOUBLED}")
        return None  # a field over the csv module's limit, say: not a problem of the file's
    finally:
        if isinstance(source, io.BytesIO):
            text.detach()
            source.seek(0)
        else:
            text.close()
    return None


def _stray_quote(row: str, sep: str) -> bool:
    """Whether a row's raw text has a field that does not begin with a double quote but holds
    one (the csv module reads it as written; polars refuses the file)."""
    pos, end = 0, len(row.rstrip("\r\n"))
    while pos <= end:
        if row.startswith('"', pos):  # a quoted field: to its closing quote
            pos = row.find('"', pos + 1)
            while pos >= 0 and row.startswith('""', pos):
                pos = row.find('"', pos + 2)
            if pos < 0:
                return False
            pos = row.find(sep, pos + 1)
        else:
            nxt = row.find(sep, pos)
            field = row[pos: nxt if nxt >= 0 else end]
            if '"' in field:
                return True
            pos = nxt
        if pos < 0:
            return False
        pos += 1
    return False


def _describe(sep: str) -> str:
    return {"\t": "a tab", ",": "a comma", ";": "a semicolon"}.get(sep, repr(sep))


def _check_headers(names: list[str], what: str, sep: str, repeats: bool = False) -> list[str]:
    """The header row checked; returns the columns' names (a platform's repeated header
    numbered, with ``repeats``)."""
    from ._platforms import column_name, repeats_header

    seen: dict[str, int] = {}
    numbered = []
    for name in names:
        if name in seen and not (repeats and repeats_header(name)):
            shown = safe_names(names)[names.index(name)]
            raise InvalidInputError(
                f"{what} has the header {shown!r} twice; rename or drop one of those columns"
            )
        seen[name] = seen.get(name, 0) + 1
        numbered.append(column_name(name, seen[name]))
    if len(set(numbered)) != len(numbered):  # 'email (2)' written out beside a second 'email'
        twice = next(n for n in numbered if numbered.count(n) > 1)
        raise InvalidInputError(
            f"{what} has the header {safe_name(twice)!r} twice (counting repeated headers); "
            "rename or drop one of those columns")
    if len(names) == 1:
        for other in (";", "\t", "|", ","):
            if other != sep and other in names[0]:
                raise ReadError(
                    f"{what} has one column only and its header holds {_describe(other)}: the "
                    f"file looks {_describe(other).split()[-1]}-separated; pass "
                    f"separator={other!r} (--delimiter {other!r})"
                )
    return numbered


# --- writing -----------------------------------------------------------------------------------


def check_output(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (),
    what: str = "output", replace: bool = True, keys_ok: bool = False,
) -> Path:
    """Check an output path before any work is done; return it as a Path.

    Refused: a folder (or a path ending in a separator), anything that exists and is not a
    regular file (device, pipe, socket, symbolic link), one of ``inputs``, an existing PEM key,
    an existing file when ``replace`` is False, and a folder that does not take new files.
    ``keys_ok`` lets a key file be replaced (``keygen --force``).
    """
    text = check_path(path, what)
    target = Path(text)
    shown = safe_name(target.name or text)
    if text.endswith((os.sep, "/")) or target.is_dir():
        raise InvalidInputError(f"{what} {shown} is a folder; give a file name inside it")
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(
            f"cannot write {what} {shown}: its folder does not take new files ({exc.strerror})"
        ) from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise WriteError(f"{what} {shown} is {kind}; refusing to replace it")
        if not replace:
            raise WriteError(f"{what} {shown} exists; refusing to replace it")
        if not keys_ok and _is_pem(target):
            raise WriteError(f"{what} {shown} holds a key (PEM); refusing to replace it")
    for other in inputs:
        if other is not None and _same_file(target, Path(other)):
            raise WriteError(
                f"{what} {shown} is also an input; write to another file"
            )
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise WriteError(
            f"cannot write {what} {shown}: its folder does not take new files "
            f"({exc.strerror or type(exc).__name__})"
        ) from None
    return target


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (the caller says what is too
    long); see :func:`open_regular`."""
    with open_regular(path) as handle:
        return handle.read() if limit is None else handle.read(limit + 1)


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A regular file opened for reading. A pipe, a socket or a device is refused before any
    read, which could block until a writer came or never end (``/dev/zero``): the file is
    opened without blocking and checked by what was opened, not by its name. Failures are
    ``OSError`` (a folder an :class:`IsADirectoryError`), for the caller to word with its
    ``strerror``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(0, "not a regular file (a pipe, a socket or a device); give a file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            yield handle
    finally:
        os.close(fd)


def check_path(path: object, what: str) -> str:
    """A file path given as text or a path object, as text: anything else (a number, a list,
    bytes) is the package's error instead of os.fspath's TypeError."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"{what} path must be a file path (str or os.PathLike), got "
                             f"{type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise InvalidInputError(f"{what} path must be a non-empty file path")
    return text


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _is_pem(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_PEM)) == _PEM
    except OSError:
        return False


_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp$")


def temp_path(target: Path) -> Path:
    """A new, empty temporary file beside ``target``, named with this process's id."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    return Path(tmp)


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove temporary files beside ``target`` left by writers that are no longer running."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            found = _TEMP.match(entry.name)
            if not found or found["name"] != target.name or not entry.is_file(
                    follow_symlinks=False):
                continue
            if _alive(int(found["pid"])):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def commit(tmp: Path, target: Path, *, replace: bool = True, keys_ok: bool = False) -> None:
    """Move a finished temporary file to ``target`` (never over a special file or, when
    ``replace`` is False, over anything), and make the rename durable."""
    check_output(target, what="output", replace=replace, keys_ok=keys_ok)
    if replace:
        os.replace(tmp, target)
    else:
        try:
            os.link(tmp, target)  # fails if the target appeared meanwhile: never replaces
        except FileExistsError:
            raise WriteError(f"{safe_name(str(target))} exists; refusing to replace it") from None
        os.unlink(tmp)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, replace: bool = True,
    file_mode: int | None = None, keys_ok: bool = False,
) -> Iterator[IO]:  # type: ignore[type-arg]
    """Write to a temporary file beside ``path``, fsync it and rename it over ``path``.

    A reader never sees a half-written file; on error the temporary file is removed.
    ``replace=False`` never replaces an existing file (keys); ``file_mode`` sets the
    permissions before any byte is written.
    """
    target = check_output(path, replace=replace, keys_ok=keys_ok)
    remove_stale_temps(target)
    tmp = temp_path(target)
    try:
        if file_mode is not None:
            os.chmod(tmp, file_mode)
        with open(tmp, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        commit(tmp, target, replace=replace, keys_ok=keys_ok)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


#: What a table is written as, by its file's suffix (as :func:`read_table` reads them back).
TABLE_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".txt": "csv",
                  "": "csv", ".tsv": "tsv"}


def table_format(path: str | os.PathLike[str], what: str = "output") -> str:
    """``parquet``, ``csv`` or ``tsv`` by the path's suffix; any other suffix is refused
    (``audience.xlsx`` written as CSV text would open as a broken workbook)."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InvalidInputError(
            f"{what} {safe_name(Path(path).name)} has suffix {safe_name(suffix)!r}; write a "
            ".csv, .tsv or .parquet file")
    return TABLE_SUFFIXES[suffix]


def frame_writer(frame: pl.DataFrame, path: str | os.PathLike[str],
                 header: list[str] | None = None) -> Callable[[IO[bytes]], None]:
    """A function writing ``frame`` as CSV (UTF-8, header; tab-separated for .tsv) or Parquet,
    by the path's suffix. ``header`` replaces the frame's names in a CSV's header row (a
    platform's file may repeat a header, which a frame's names cannot)."""
    kind = table_format(path)
    check_header(header, frame, path)
    if kind == "parquet":
        return lambda h: frame.write_parquet(h)
    sep = "\t" if kind == "tsv" else ","
    if header is None or header == frame.columns:
        return lambda h: frame.write_csv(h, separator=sep)

    def write(handle: IO[bytes]) -> None:
        line = io.StringIO()
        csv.writer(line, delimiter=sep, lineterminator="\n").writerow(header)
        handle.write(line.getvalue().encode("utf-8"))
        frame.write_csv(handle, separator=sep, include_header=False)

    return write


def check_header(header: list[str] | None, frame: pl.DataFrame,
                 path: str | os.PathLike[str]) -> None:
    """A header that repeats a name is written to CSV only: Parquet (and the tools reading
    it) wants unique column names."""
    if header is None or header == frame.columns:
        return
    if len(header) != frame.width:
        raise InvalidInputError(f"a header of {len(header)} names for {frame.width} columns")
    if table_format(path) == "parquet":
        repeated = sorted({h for h in header if header.count(h) > 1})
        raise InvalidInputError(
            f"this file repeats the header{'s' if len(repeated) > 1 else ''} "
            f"{', '.join(map(repr, repeated))} (one column per "
            "identifier, as the platform takes them), which only CSV can hold: write it as "
            ".csv or .tsv")


def write_frame(frame: pl.DataFrame, path: str | os.PathLike[str]) -> None:
    """Atomically write a frame as CSV (UTF-8, header) or Parquet, by the path's suffix."""
    table_format(path)
    with atomic_write(path) as handle:
        frame_writer(frame, path)(handle)
