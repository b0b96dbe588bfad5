"""SHA-256 and HMAC-SHA256 of normalized identifiers, with the ``cryptography`` package.

A context is prepared once and copied per value: copying an initialised context is about twice as
fast as building a new one. That per-value loop is the only Python loop; everything around it
avoids creating Python objects per value: the values travel as one newline-joined blob (a
normalized identifier never holds a newline; values that do take a plain list path), the
digests come back as one blob, and numpy and polars turn it into hex or Base64 in bulk.

Large inputs can be spread over worker processes from a pool that is started once and reused.
Workers only run the digest loop on bytes, never polars, so they are forked where the platform
allows (no re-import of this package per worker) and spawned elsewhere. Forked workers inherit
an anonymous shared memory arena made with their pool: a piece of values is written into a slot
of it, the worker writes the digests back beside them, and only slot numbers travel through the
pool's pipes (pickling the values and digests through them cost about 0.1 s per million). Spawned
workers, and pieces too large for a slot, get pickled blobs.
"""

from __future__ import annotations

import atexit
import base64
import gc
import mmap
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Literal, cast

import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives import hashes, hmac

from ._checks import check_one_column, whole
from ._errors import InputTypeError, InvalidInputError
from ._redact import named, shown

__all__ = ["MIN_KEY_BYTES", "Hasher"]

#: HMAC keys shorter than this are refused (the spec's "at least 32 random bytes").
MIN_KEY_BYTES = 32
_MIN_DISTINCT_KEY_BYTES = 8
_PARALLEL_MIN_ROWS = 200_000
_PIECES_PER_WORKER = 4
#: Fewer values than this per worker cost more to send than to hash.
_MIN_WORKER_ROWS = 50_000
#: Values hashed at a time in this process.
_LOCAL_ROWS = 100_000
#: A shared-memory slot holds one piece: this many bytes of newline-joined values, and the
#: digests of at most ``_SLOT_VALUES`` values. Two rounds of pieces per worker have slots, so
#: the next chunk of a pipeline can be sent while the last one is hashed.
_SLOT_BYTES = 4 << 20
_SLOT_VALUES = 1 << 16
#: At most this much shared memory per pool (pieces beyond its slots go through the pipes).
_ARENA_BYTES = 128 << 20


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
    out: list[bytes] = []
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


class _Arena:
    """Slots of anonymous shared memory that a pool's forked workers inherit.

    Slot ``i`` holds a piece's newline-joined values at its start and the piece's digests at
    ``_SLOT_BYTES`` from there. The parent takes a free slot, writes the values and submits the
    slot number; whoever waits for the digests copies them out and frees the slot. Taking never
    blocks: when every slot is in use, the piece travels through the pipe instead.
    """

    def __init__(self, slots: int, in_bytes: int = _SLOT_BYTES, values: int = _SLOT_VALUES) -> None:
        self.in_bytes, self.max_values = in_bytes, values
        self.slot_size = in_bytes + 32 * values
        self.map = mmap.mmap(-1, slots * self.slot_size)  # MAP_SHARED | MAP_ANONYMOUS
        self._free = list(range(slots))
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            return self._free.pop() if self._free else None

    def release(self, slot: int) -> None:
        with self._lock:
            self._free.append(slot)

    def put(self, slot: int, blob: bytes) -> None:
        start = slot * self.slot_size
        self.map[start: start + len(blob)] = blob

    def values(self, slot: int, length: int) -> list[bytes]:
        start = slot * self.slot_size
        return self.map[start: start + length].split(b"\n")

    def put_digests(self, slot: int, digests: bytes) -> None:
        start = slot * self.slot_size + self.in_bytes
        self.map[start: start + len(digests)] = digests

    def digests(self, slot: int, n: int) -> bytes:
        start = slot * self.slot_size + self.in_bytes
        return self.map[start: start + 32 * n]


_POOL: dict[int, ProcessPoolExecutor] = {}
#: The arena of each forked pool, by worker count; made before the pool forks its workers, so
#: they inherit it (a module global is how a forked worker finds it).
_ARENA: dict[int, _Arena] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool started on first use and reused for the life of the process."""
    pool = _POOL.get(workers)
    if pool is None:
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        if method == "fork":
            slots = 2 * workers * _PIECES_PER_WORKER
            _ARENA[workers] = _Arena(min(slots, _ARENA_BYTES // (_SLOT_BYTES + 32 * _SLOT_VALUES)))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            pool = ProcessPoolExecutor(workers, mp_context=get_context(method))
        _POOL[workers] = pool
        atexit.register(pool.shutdown, wait=False, cancel_futures=True)
    return pool


def _digest_slot(workers: int, slot: int, length: int, key: bytes | None) -> int:
    """Worker entry point for a piece in the arena: digests written beside it; their count."""
    arena = _ARENA[workers]
    values = arena.values(slot, length)
    arena.put_digests(slot, _digest_values(values, key))
    return len(values)


def _send(workers: int, blob: bytes, n: int, key: bytes | None) -> Callable[[], bytes]:
    """Send one piece of ``n`` newline-joined values to the workers; the function returned
    waits for its digests (laid end to end)."""
    pool = _pool(workers)
    arena = _ARENA.get(workers)
    slot = None
    if arena is not None and len(blob) <= arena.in_bytes and n <= arena.max_values:
        slot = arena.take()
    if arena is None or slot is None:  # spawned workers, a large piece, or every slot in use
        return pool.submit(_digest_blob, blob, key).result
    try:
        arena.put(slot, blob)
        job = pool.submit(_digest_slot, workers, slot, len(blob), key)
    except BaseException:
        arena.release(slot)
        raise
    return _SlotJob(arena, slot, job)


class _SlotJob:
    """Waits for a piece hashed in an arena slot, copies its digests out, frees the slot.

    A job that is dropped without being waited for frees its slot when the worker is done
    with it, never before (the worker may still be writing there).
    """

    __slots__ = ("arena", "job", "slot")

    def __init__(self, arena: _Arena, slot: int, job: Any) -> None:
        self.arena, self.slot, self.job = arena, slot, job

    def __call__(self) -> bytes:
        try:
            return self.arena.digests(self.slot, self.job.result())
        finally:
            self._free()

    def _free(self) -> None:
        if self.slot >= 0:
            slot, arena, self.slot = self.slot, self.arena, -1
            self.job.add_done_callback(lambda _: arena.release(slot))  # now, if it is done

    __del__ = _free


def _not_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _not_text(n: int) -> InvalidInputError:
    return InvalidInputError(
        f"hash expects normalized text: {n:,} value(s) are not valid Unicode (unpaired "
        "surrogates, as undecodable bytes leave behind); normalize them first: "
        "privacy.normalize rejects them as invalid_encoding"
    )


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_text(1) from None


def _encode(digests: bytes, encoding: str, name: str) -> pl.Series:
    """Hex or Base64 text of digests laid end to end, in bulk."""
    n = len(digests) // 32
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), n, [None, pa.py_buffer(digests)])
    series = pl.from_arrow(array)
    series = cast(pl.Series, series)
    return series.bin.encode(encoding).alias(name)  # type: ignore[arg-type]


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
        bytes), spawned elsewhere. Forked workers share up to 128 MiB of memory with this
        process for the values and digests in flight (what is touched stays mapped while the
        pool lives).

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
            distinct = len(set(key))
            if distinct < _MIN_DISTINCT_KEY_BYTES:
                # 32 random bytes hold about 30 distinct values; fewer than 8 in all is not
                # chance (odds under 1e-20) but a placeholder: zeros, one letter repeated
                raise InvalidInputError(
                    f"key has only {distinct} distinct byte values in {len(key)}: not random "
                    "bytes (a placeholder such as b'\\x00' * 32?); use os.urandom(32)")
        if encoding not in ("hex", "base64"):
            raise InvalidInputError(f"encoding must be 'hex' or 'base64', got {named(encoding)}")
        workers = whole(processes)
        if processes is not None and (workers is None or workers < 1):
            raise InvalidInputError(f"processes must be a positive int or None, got "
                                    f"{shown(processes)}")
        processes = workers
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
        if workers == 1:
            done = _encode(self._digest_here(present), self.encoding, present.name)
            return lambda: done
        # Several pieces per worker, each sent as soon as it is made and encoded as soon as it
        # comes back: the parent's joining and encoding overlap the workers' hashing. Workers
        # get newline-joined values; a piece in which a value holds a newline (its blob has
        # more newlines than separators) is hashed here instead.
        size = min(-(-n // (workers * _PIECES_PER_WORKER)), _SLOT_VALUES)
        jobs = []
        for i in range(0, n, size):
            piece = present.slice(i, size)
            blob = piece.str.join("\n").item().encode()
            if blob.count(b"\n") == len(piece) - 1:
                jobs.append(_send(workers, blob, len(piece), self._key))
            else:
                jobs.append(lambda piece=piece: self._digest_here(piece))  # type: ignore[misc]
        return lambda: pl.concat([_encode(wait(), self.encoding, present.name) for wait in jobs])

    def _digest_here(self, present: pl.Series) -> bytes:
        """Digests of non-empty str values in this process, laid end to end.

        Polars hands over the UTF-8 bytes of each value directly, in slices of ``_LOCAL_ROWS``:
        the memory of one slice's short-lived objects is reused by the next while it is still
        in cache (about 7% faster than all at once).
        """
        return b"".join(
            _digest_values(present.slice(i, _LOCAL_ROWS).cast(pl.Binary).to_list(), self._key)
            for i in range(0, len(present), _LOCAL_ROWS)
        )

    def hash(self, values: str | Iterable[str | None] | pl.Series) -> Any:
        """Hash normalized values: a str gives a str, anything else a Series (str).

        Null and empty values are never hashed: they stay null.
        """
        if isinstance(values, str):
            if values == "":
                return None
            digest = _digest_values([_utf8(values)], self._key)
            return digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()
        check_one_column(values, "values")  # one ordered column: no set, table, bytes
        if isinstance(values, pl.Series):
            series = values
            if series.dtype != pl.Utf8:
                raise InputTypeError(
                    f"hash expects normalized text, got a {series.dtype} Series; "
                    "normalize it with privacy.normalize first"
                )
        elif isinstance(values, Iterable):
            items = list(values)
            if any(v is not None and not isinstance(v, str) for v in items):
                raise InputTypeError("hash expects str values (or None); normalize them first")
            try:
                series = pl.Series("value", items, dtype=pl.Utf8)
            except UnicodeEncodeError:
                bad = sum(1 for v in items if v is not None and _not_unicode(v))
                raise _not_text(bad) from None
        else:
            raise InputTypeError(
                f"hash expects a str, a sequence of str or a polars Series, "
                f"got {type(values).__name__}"
            )
        return self._start(series)()
