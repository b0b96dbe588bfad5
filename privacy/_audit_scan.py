"""One pass over an export file's bytes, beside the polars read: its SHA-256, and whether
every CSV cell is lower-case hex (which proves the format of every cell at once)."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
from cryptography.hazmat.primitives import hashes

from ._normalize import text_bytes

__all__ = ["FileScan", "only_hex"]

_HEX_CHARS = b"0123456789abcdef"
_CSV_HEX_BYTES = _HEX_CHARS + b",\r\n"
_SCAN_CHUNK = 1 << 22


class FileScan(threading.Thread):
    """SHA-256 of the file and "is every CSV cell lower-case hex?", beside the polars read.

    Runs in a thread while polars parses the file: the digest releases the GIL, and the byte
    check is one C call per 4 MB chunk. A CSV whose body holds only hex digits, commas and line
    ends has lower-case hex (or empty) cells and nothing else: no quoting, no clear text, no
    upper case, no Base64. That proves the format of every cell at once, so the per-value format
    regexes are needed only when it fails.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.csv = path.suffix.lower() in (".csv", ".txt", "")
        self.sha256: str | None = None
        self.hex_cells = False  # sha256 stays None when the file cannot be read

    def run(self) -> None:
        digest = hashes.Hash(hashes.SHA256())
        clean = self.csv
        header = True
        buffer = bytearray(_SCAN_CHUNK)  # reused: no fresh pages to fault in per chunk
        view = memoryview(buffer)
        try:
            with open(self.path, "rb", buffering=0) as handle:
                while size := handle.readinto(buffer):
                    digest.update(view[:size])
                    if not clean:
                        continue
                    chunk = buffer if size == len(buffer) else buffer[:size]
                    if header:  # the header line holds the column names: not cells
                        end = chunk.find(b"\n")
                        if end < 0:
                            continue
                        header, chunk = False, chunk[end + 1:]
                    clean = not chunk.translate(None, _CSV_HEX_BYTES)
        except OSError:
            return  # the manifest check reads the file again and reports the error
        self.sha256 = digest.finalize().hex()
        self.hex_cells = clean and not header


def only_hex(column: pl.Series) -> bool:
    """True when every non-null value of a text column is lower-case hex, from its raw buffer.

    One C pass over the Arrow data buffer (bytes outside the values, if any, can only make the
    answer False, never wrongly True).
    """
    return not text_bytes(column).tobytes().translate(None, _HEX_CHARS)

