"""SHA-256 and HMAC-SHA256 of normalized identifiers, with the ``cryptography`` package.

A context is prepared once and copied per value: copying an initialised context is about twice as
fast as building a new one. Digests are collected as raw bytes and encoded (hex or Base64) by
polars in one vectorized pass. Large inputs can be spread over worker processes.
"""

from __future__ import annotations

import base64
import itertools
import os
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives import hashes, hmac

from ._errors import InputTypeError, InvalidInputError

__all__ = ["MIN_KEY_BYTES", "Hasher"]

#: HMAC keys shorter than this are refused (the spec's "at least 32 random bytes").
MIN_KEY_BYTES = 32
_PARALLEL_MIN_ROWS = 200_000
_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def _context(key: bytes | None) -> Any:
    if key is None:
        return hashes.Hash(hashes.SHA256())
    return hmac.HMAC(key, hashes.SHA256())


def _digest_all(values: list[bytes | None], key: bytes | None) -> list[bytes | None]:
    """Raw 32-byte digests; None stays None. The per-value loop is the only Python loop."""
    copy = _context(key).copy
    out: list[bytes | None] = []
    append = out.append
    for v in values:
        if v is None:
            append(None)
        else:
            h = copy()
            h.update(v)
            append(h.finalize())
    return out


def _digest_buffer(data: bytes, offsets: list[int], key: bytes | None) -> bytes:
    """Worker entry point: values laid end to end (Arrow layout) in, digests end to end out."""
    copy = _context(key).copy
    view = memoryview(data)
    out = []
    append = out.append
    for start, end in itertools.pairwise(offsets):
        h = copy()
        h.update(view[start:end])
        append(h.finalize())
    return b"".join(out)


def _digest_chunk(chunk: pl.Series, key: bytes | None) -> pl.Series:
    """Worker entry point: a Binary Series in, a Binary Series of digests out."""
    return pl.Series(chunk.name, _digest_all(chunk.to_list(), key), dtype=pl.Binary)


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
        Worker processes for inputs of 200,000 values or more. The default ``1`` never starts
        workers; ``None`` uses one per core. Workers are forked where the platform allows
        (they only run the digest loop on plain bytes), spawned elsewhere.

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

    def _digests(self, data: pl.Series) -> pl.Series:
        workers = min(self._workers(len(data)), max(len(data) // 50_000, 1))
        if workers <= 1:
            return _digest_chunk(data, self._key)
        present = data.drop_nulls()
        size = -(-len(present) // workers)
        jobs = []
        for i in range(0, len(present), size):
            arr = present.slice(i, size).to_arrow().cast(pa.large_binary())
            _, offsets_buf, data_buf = arr.buffers()
            first = arr.offset
            offsets = np.frombuffer(offsets_buf, dtype=np.int64)[first : first + len(arr) + 1]
            jobs.append((data_buf.to_pybytes(), offsets.tolist()))
        # Workers get plain lists of bytes and use only cryptography, never polars: forking is
        # then safe, and saves each worker the import of this package (about 0.8 s) that a
        # spawned one would pay. Elsewhere, spawn.
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
                buffers, offsets_lists = zip(*jobs, strict=True)
                keys = [self._key] * len(jobs)
                parts = list(pool.map(_digest_buffer, buffers, offsets_lists, keys))
        digests = np.frombuffer(b"".join(parts), dtype=np.uint8).reshape(-1, 32)
        # Through hex: numpy's fixed-width bytes would drop a digest's trailing NUL bytes.
        hexed = _HEX[digests].view("S64").ravel()
        fixed = pl.Series(data.name, hexed).cast(pl.Utf8).str.decode("hex")
        if present.len() == data.len():
            return fixed
        out = pl.Series(data.name, [None] * len(data), dtype=pl.Binary)
        return out.scatter(data.is_not_null().arg_true(), fixed)

    def hash(self, values: str | Iterable[str | None] | pl.Series) -> Any:
        """Hash normalized values: a str gives a str, anything else a Series (str).

        Null and empty values are never hashed: they stay null.
        """
        if isinstance(values, str):
            if values == "":
                return None
            digest = _digest_all([values.encode()], self._key)[0]
            assert digest is not None
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
        data = series.set(series == "", None).cast(pl.Binary)  # type: ignore[arg-type]
        digests = self._digests(data)
        return digests.bin.encode(self.encoding).alias(series.name)
