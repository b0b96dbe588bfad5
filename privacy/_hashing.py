"""SHA-256 and HMAC-SHA256 of normalized identifiers, with the ``cryptography`` package.

A context is prepared once and copied per value: copying an initialised context is about twice as
fast as building a new one. That per-value loop is the only Python loop; everything around it
avoids creating Python objects per value: the values travel as one newline-joined blob (a
normalized identifier never holds a newline; values that do take a plain list path), the
digests come back as one blob, and numpy and polars turn it into hex or Base64 in bulk.

Large inputs can be spread over worker processes from a pool that is started once and reused.
Workers only run the digest loop on bytes, never polars, so they are forked where the platform
allows (no re-import of this package per worker) and spawned elsewhere.
"""

from __future__ import annotations

import atexit
import base64
import gc
import os
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Literal

import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives import hashes, hmac

from ._errors import InputTypeError, InvalidInputError

__all__ = ["MIN_KEY_BYTES", "Hasher"]

#: HMAC keys shorter than this are refused (the spec's "at least 32 random bytes").
MIN_KEY_BYTES = 32
_PARALLEL_MIN_ROWS = 200_000
_PIECES_PER_WORKER = 4
#: Fewer values than this per worker cost more to send than to hash.
_MIN_WORKER_ROWS = 50_000
#: Values hashed at a time in this process.
_LOCAL_ROWS = 100_000


def _context(key: bytes | None) -> Any:
    if key is None:
        return hashes.Hash(hashes.SHA256())
    return hmac.HMAC(key, hashes.SHA256())


def _digest_values(values: Iterable[bytes], key: bytes | None) -> bytes:
    """The 32-byte digests of ``values``, end to end.

    The loop makes millions of short-lived objects and no reference cycles, so the cyclic
    garbage collector is paused while it runs (about 15% of its time otherwise).
    """
    copy = _context(key).copy
    out = []
    append = out.append
    paused = gc.isenabled()
    gc.disable()
    try:
        for v in values:
            h = copy()
            h.update(v)
            append(h.finalize())
    finally:
        if paused:
            gc.enable()
    return b"".join(out)


def _digest_blob(blob: bytes, key: bytes | None) -> bytes:
    """Worker entry point: newline-joined values in, digests end to end out."""
    return _digest_values(blob.split(b"\n"), key)


_POOL: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool started on first use and reused for the life of the process."""
    pool = _POOL.get(workers)
    if pool is None:
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            pool = ProcessPoolExecutor(workers, mp_context=get_context(method))
        _POOL[workers] = pool
        atexit.register(pool.shutdown, wait=False, cancel_futures=True)
    return pool


def _encode(digests: bytes, encoding: str, name: str) -> pl.Series:
    """Hex or Base64 text of digests laid end to end, in bulk."""
    n = len(digests) // 32
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), n, [None, pa.py_buffer(digests)])
    series = pl.from_arrow(array)
    assert isinstance(series, pl.Series)
    return series.bin.encode(encoding).alias(name)


class Hasher:
    """Hash normalized identifiers: SHA-256, or HMAC-SHA256 when a key is given.

    Parameters
    ----------
    key : bytes, optional
        A secret of at least 32 random bytes for keyed pseudonyms (internal copies, partner
        exchanges). ``None`` gives the plain SHA-256 that ad platforms require. The key is never
        shown in a repr, a log or an error; keep it apart from the data it keys.
    encoding : {"hex", "base64"}
        Lower-case hex (64 characters) or Base64 of the raw 32-byte digest (44 characters, what
        UID2 wants).
    processes : int or None
        Worker processes for large inputs, each given at least 50,000 values. The default ``1``
        never starts workers; ``None`` uses one per core for inputs of 200,000 values or more.
        Workers are forked where the platform allows (they only run the digest loop on plain
        bytes), spawned elsewhere.

    Examples
    --------
    >>> from privacy import Hasher
    >>> Hasher().hash("mary@example.com")
    'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79'
    >>> Hasher(encoding="base64").hash("user@example.com")
    'tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ='
    >>> Hasher().hash(["", None, "a"]).to_list()[:2]
    [None, None]
    """

    __slots__ = ("_key", "encoding", "processes")

    def __init__(
        self,
        key: bytes | None = None,
        encoding: Literal["hex", "base64"] = "hex",
        processes: int | None = 1,
    ) -> None:
        if key is not None:
            if not isinstance(key, (bytes, bytearray, memoryview)):
                raise InputTypeError(
                    f"key must be bytes (at least {MIN_KEY_BYTES} random bytes), "
                    f"got {type(key).__name__}; load it with open(path, 'rb').read() or os.urandom"
                )
            if len(key) < MIN_KEY_BYTES:
                raise InvalidInputError(
                    f"key is {len(key)} bytes; HMAC keys must have at least {MIN_KEY_BYTES} "
                    "random bytes (os.urandom(32))"
                )
            key = bytes(key)
        if encoding not in ("hex", "base64"):
            raise InvalidInputError(f"encoding must be 'hex' or 'base64', got {encoding!r}")
        if processes is not None and (not isinstance(processes, int) or processes < 1):
            raise InvalidInputError(f"processes must be a positive int or None, got {processes!r}")
        self._key = key
        self.encoding = encoding
        self.processes = processes

    @property
    def keyed(self) -> bool:
        """Whether this hasher makes keyed (HMAC) pseudonyms."""
        return self._key is not None

    @property
    def scheme(self) -> str:
        """The hash scheme as recorded in manifests, e.g. ``sha256-hex``."""
        return f"{'hmac-sha256' if self.keyed else 'sha256'}-{self.encoding}"

    def __repr__(self) -> str:
        key = "<secret>" if self.keyed else "None"
        return f"Hasher(key={key}, encoding={self.encoding!r})"

    def __reduce__(self) -> Any:
        raise TypeError("Hasher holds a secret key and cannot be pickled; pass the key explicitly")

    def _workers(self, n: int) -> int:
        if self.processes is not None:
            return self.processes
        return (os.cpu_count() or 1) if n >= _PARALLEL_MIN_ROWS else 1

    def _start(self, series: pl.Series) -> Callable[[], pl.Series]:
        """Start hashing a str Series; the function returned waits for the hashes.

        With worker processes the values are on their way when this returns, so a caller can
        prepare the next batch (or encode the last one) while the workers hash this one.
        """
        missing = series.is_null() | (series == "")
        if not bool(missing.any()):
            return self._start_present(series)
        rows = (~missing).arg_true()
        present = self._start_present(series.filter(~missing))

        def finish() -> pl.Series:
            out = pl.repeat(None, len(series), dtype=pl.Utf8, eager=True).alias(series.name)
            return out.scatter(rows, present())

        return finish

    def _start_present(self, present: pl.Series) -> Callable[[], pl.Series]:
        """:meth:`_start` for non-empty str values (no nulls)."""
        n = len(present)
        if n == 0:
            done = pl.Series(present.name, [], dtype=pl.Utf8)
            return lambda: done
        workers = min(self._workers(n), max(n // _MIN_WORKER_ROWS, 1))
        # In this process, polars hands over the UTF-8 bytes of each value directly; workers
        # get newline-joined blobs, which a value holding a newline would break.
        if workers == 1 or bool(present.str.contains("\n", literal=True).any()):
            # Slices of _LOCAL_ROWS: the memory of one slice's short-lived objects is reused
            # by the next while it is still in cache (about 7% faster than all at once).
            digests = b"".join(
                _digest_values(present.slice(i, _LOCAL_ROWS).cast(pl.Binary).to_list(), self._key)
                for i in range(0, n, _LOCAL_ROWS)
            )
            done = _encode(digests, self.encoding, present.name)
            return lambda: done
        # Several pieces per worker, each sent as soon as it is made and encoded as soon as it
        # comes back: the parent's joining and encoding overlap the workers' hashing.
        pool = _pool(workers)
        size = -(-n // (workers * _PIECES_PER_WORKER))
        jobs = [
            pool.submit(_digest_blob, present.slice(i, size).str.join("\n").item().encode(),
                        self._key)
            for i in range(0, n, size)
        ]
        return lambda: pl.concat([_encode(j.result(), self.encoding, present.name) for j in jobs])

    def hash(self, values: str | Iterable[str | None] | pl.Series) -> Any:
        """Hash normalized values: a str gives a str, anything else a Series (str).

        Null and empty values are never hashed: they stay null.
        """
        if isinstance(values, str):
            if values == "":
                return None
            digest = _digest_values([values.encode()], self._key)
            return digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()
        if isinstance(values, pl.Series):
            series = values
            if series.dtype != pl.Utf8:
                raise InputTypeError(
                    f"hash expects normalized text, got a {series.dtype} Series; "
                    "normalize it with privacy.normalize first"
                )
        elif isinstance(values, Iterable) and not isinstance(values, (bytes, dict)):
            items = list(values)
            if any(v is not None and not isinstance(v, str) for v in items):
                raise InputTypeError("hash expects str values (or None); normalize them first")
            series = pl.Series("value", items, dtype=pl.Utf8)
        else:
            raise InputTypeError(
                f"hash expects a str, a sequence of str or a polars Series, "
                f"got {type(values).__name__}"
            )
        return self._start(series)()
