"""The privacy audit of a hashed export: thirteen checks, findings with severities.

The audit sees the export and, when given, its manifest and the signer's public key; it never
needs the CRM. It reverses rather than guesses: low-entropy domains (genders, every date of birth
since 1900, years, all 100,000 US ZIP codes, state and country codes, first and last names from
the US Census frequency lists that the ``names`` package ships) are hashed under the
destination's rules and joined against each hashed column, and the share of rows actually
reversed is reported. No finding carries a full plaintext value: samples are masked.

Severity policy (see the README): an unkeyed low-entropy column in a platform upload is
reversible by design of the platform (medium: drop it unless it lifts the match rate); the same
column in a partner export, where a keyed hash was possible, is high.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import importlib.resources
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives import hashes

from ._errors import InputTypeError, InvalidInputError, ManifestError, ReadError
from ._geo import country_lookup, state_lookup
from ._hashing import Hasher, _digest_values
from ._io import read_table, write_frame
from ._manifest import file_sha256, load_public_key, manifest_path, read_manifest, verify_manifest
from ._normalize import NORMALIZATION_VERSION
from ._platforms import MIN_AUDIENCE, PLATFORMS, rules_for_platform

__all__ = ["AUDIT_VERSION", "SEVERITIES", "AuditReport", "Finding", "audit"]

#: Version of the JSON report schema written by :meth:`AuditReport.to_json`.
AUDIT_VERSION = 1
SEVERITIES = ("info", "low", "medium", "high", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

_HEX64 = r"^[0-9a-fA-F]{64}$"
_B64_44 = r"^[A-Za-z0-9+/]{43}=$"
JUNK_VALUES = ("", " ", "null", "none", "nan", "n/a", "na", "unknown", "0", "-", "undefined",
               "false", "true", "test", "test@test.com", "test@example.com", "none@none.com",
               "noemail@noemail.com", "email@email.com", "a@a.com", "1234567890", "0000000000",
               "NULL", "None", "NaN", "N/A", "Unknown", "[]", "{}")
_SENSITIVE = re.compile(
    r"diabet|cancer|hiv|aids\b|pregnan|depress|anxiety|mental|disab|dementia|alzheim|"
    r"addict|rehab|oncolog|chemo|fertility|ivf|std\b|abortion|debt|bankrupt|insolven|"
    r"payday|low[_ -]?income|welfare|medicaid|food[_ -]?stamp|credit[_ -]?score|"
    r"loan[_ -]?default|arrears|collections?\b|overdra|poverty|gambl",
    re.IGNORECASE,
)
_ANONYMOUS = re.compile(r"anonymi[sz]|anonymous", re.IGNORECASE)
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
_PHONE = (r"(?:^|[^0-9])(?:\+|00)[1-9][0-9 ().\-]{7,17}[0-9](?:$|[^0-9])|"
          r"(?:^|[^0-9])\(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}(?:$|[^0-9])")
_DATE = (r"(?:^|[^0-9])(?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])"
         r"(?:$|[^0-9])|(?:^|[^0-9])(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])/(?:19|20)"
         r"[0-9]{2}(?:$|[^0-9])|^(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])$")
_ZIP = r"^[0-9]{5}(?:-[0-9]{4})?$"
_IPV4 = (r"(?:^|[^0-9.])(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|"
         r"1?[0-9]?[0-9])){3}(?:$|[^0-9.])")
_CARD = r"(?:^|[^0-9])(?:[0-9][ \-]?){12,18}[0-9](?:$|[^0-9])"
_QUASI = {"age", "age_band", "ageband", "age_group", "zip", "zipcode", "zip_code", "postcode",
          "postal_code", "gender", "sex", "city", "town", "state", "province", "country",
          "region", "birth_year", "yob", "year_of_birth", "county"}
_COMBINED_TOKENS = ("name", "zip", "dob", "birth", "email", "phone", "first", "last", "postcode")
#: Hash rate of one current GPU for SHA-256 (spec, "Keyed pseudonyms").
GPU_HASHES_PER_SECOND = 22e9
US_PHONE_PLAN = 6.4e9


@dataclass(frozen=True)
class Finding:
    """One problem found: which check, how bad, where, how much, and what to do."""

    check: str
    severity: str
    column: str | None
    count: int | None
    share: float | None
    message: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "column": self.column,
                "count": self.count, "share": self.share, "message": self.message,
                "remedy": self.remedy}


@dataclass
class AuditReport:
    """Findings of an audit, worst first; ``ok()`` for CI gates, ``to_json()`` for pipelines.

    JSON schema (version 1)::

        {"version": 1, "platform": str | null, "rows": int,
         "findings": [{"check": str, "severity": "critical"|"high"|"medium"|"low"|"info",
                       "column": str | null, "count": int | null, "share": float | null,
                       "message": str, "remedy": str}]}
    """

    platform: str | None
    platform_source: str
    rows: int
    findings: list[Finding]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def ok(self, fail_on: str = "high") -> bool:
        """True when no finding is at or above ``fail_on``."""
        if fail_on not in _RANK:
            raise InvalidInputError(f"fail_on must be one of {SEVERITIES}, got {fail_on!r}")
        return all(_RANK[f.severity] < _RANK[fail_on] for f in self.findings)

    def worst(self) -> str | None:
        return max((f.severity for f in self.findings), key=_RANK.__getitem__, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"version": AUDIT_VERSION, "platform": self.platform, "rows": self.rows,
                "findings": [f.to_dict() for f in self.findings]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """A readable summary, worst first."""
        head = (f"audit of {self.rows:,} rows; platform: {self.platform or 'unknown'} "
                f"({self.platform_source})")
        counts = {s: sum(f.severity == s for f in self.findings) for s in reversed(SEVERITIES)}
        lines = [head, "findings: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
                 if self.findings else "findings: none"]
        for f in self.findings:
            where = f" [{f.column}]" if f.column else ""
            amount = f" ({f.share:.1%})" if f.share is not None else ""
            lines.append(f"  {f.severity.upper():8s} {f.check}{where}{amount}: {f.message}")
            lines.append(f"           remedy: {f.remedy}")
        return "\n".join(lines)


# --- masking ---------------------------------------------------------------------------------


def mask(value: str) -> str:
    """A masked sample: enough shape to recognize the kind of value, never the value."""
    value = value.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        dom, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{dom[:1]}***.{tld or '***'}"
    digits = sum(c.isdigit() for c in value)
    if digits >= 4:
        out, seen = [], 0
        for c in value:
            if c.isdigit():
                seen += 1
                out.append(c if seen <= 2 and digits > 8 else "*")
            else:
                out.append(c)
        return "".join(out)
    return value[:1] + "***" if value else ""


# --- domains ---------------------------------------------------------------------------------


def _census_names(file: str) -> list[str]:
    text = (importlib.resources.files("names") / file).read_text(encoding="ascii")
    return [line.split()[0].lower() for line in text.splitlines() if line.strip()]


@functools.lru_cache(maxsize=4)
def domain_values(today: dt.date) -> dict[str, list[str]]:
    """Every low-entropy domain the audit enumerates, normalized as platforms want them."""
    days = np.arange(np.datetime64("1900-01-01"), np.datetime64(today) + 1)
    dob = pl.Series(days).cast(pl.Date).dt.strftime("%Y%m%d").to_list()
    return {
        "gender": ["f", "m"],
        "date_of_birth": dob,
        "birth_year": [str(y) for y in range(1900, today.year + 1)],
        "zip": [f"{z:05d}" for z in range(100_000)],
        "state": sorted(set(state_lookup().values())),
        "country": sorted(set(country_lookup().values())),
        "first_name": sorted(set(_census_names("dist.female.first")
                                 + _census_names("dist.male.first"))),
        "last_name": _census_names("dist.all.last"),
        "junk": list(JUNK_VALUES),
    }


#: Bump when :func:`domain_values` or :func:`domain_table` change what they produce: the name
#: of the on-disk cache of the unkeyed domain digests carries it.
_DOMAINS_VERSION = 1


def _cache_dir() -> Path | None:
    """Where the unkeyed domain digests are cached: ``AUDIENCEKIT_CACHE_DIR`` (``off`` for
    nowhere), else ``$XDG_CACHE_HOME/audiencekit`` or ``~/.cache/audiencekit``."""
    env = os.environ.get("AUDIENCEKIT_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "none", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "audiencekit"


def _cache_file(today: dt.date) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    census = importlib.metadata.version("names")  # the census name lists ship with it
    tag = "|".join(map(str, (_DOMAINS_VERSION, AUDIT_VERSION, NORMALIZATION_VERSION, census,
                              JUNK_VALUES)))
    digest = _digest_values([tag.encode()], None).hex()[:16]
    return folder / f"domains-{today.isoformat()}-{digest}.parquet"


@functools.lru_cache(maxsize=8)
def domain_table(today: dt.date, key: bytes | None = None) -> pl.DataFrame:
    """Hex and Base64 hashes of every domain value (and of its hex hash: double hashing).

    Unkeyed tables (hashes of public values: dates, ZIP codes, census names) are cached on
    disk (see :func:`_cache_dir`), so a new process skips hashing them again; keyed ones never
    leave memory.
    """
    cache = _cache_file(today) if key is None else None
    if cache is not None and cache.is_file():
        try:
            table = pl.read_parquet(cache)
            if table.columns == ["hex", "domain", "b64"] and table.height:
                return table
        except (pl.exceptions.PolarsError, OSError):
            pass  # unreadable: rebuilt and rewritten below
    table = _build_domain_table(today, key)
    if cache is not None:
        try:
            write_frame(table, cache)
            for old in cache.parent.glob("domains-*.parquet"):
                if old != cache:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only home: the cache is an optimization, never a requirement
    return table


def _build_domain_table(today: dt.date, key: bytes | None) -> pl.DataFrame:
    hasher = Hasher(key=key)
    frames = []
    for name, values in domain_values(today).items():
        series = pl.Series("value", values, dtype=pl.Utf8).filter(pl.Series(values) != "")
        once = hasher.hash(series)
        frames.append(pl.DataFrame({"hex": once, "domain": name}))
        if name in ("gender", "state", "country", "junk", "birth_year"):
            frames.append(pl.DataFrame({"hex": hasher.hash(once), "domain": f"{name} (double)"}))
    table = pl.concat(frames)
    # Hasher never hashes "", but exports that did are exactly what this looks for.
    empty = _digest_values([b""], key).hex()
    table = pl.concat([table, pl.DataFrame({"hex": [empty], "domain": ["junk"]})])
    # One row per digest: "ca" is a state and a country, "lee" a first and a last name.
    table = table.group_by("hex", maintain_order=True).agg(pl.col("domain"))
    return table.with_columns(b64=pl.col("hex").str.decode("hex").bin.encode("base64"))


# --- one pass over the file's bytes -----------------------------------------------------------

_HEX_CHARS = b"0123456789abcdef"
_CSV_HEX_BYTES = _HEX_CHARS + b",\r\n"
_SCAN_CHUNK = 1 << 22


class _FileScan(threading.Thread):
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


def _only_hex(column: pl.Series) -> bool:
    """True when every non-null value of a text column is lower-case hex, from its raw buffer.

    One C pass over the Arrow data buffer (bytes outside the values, if any, can only make the
    answer False, never wrongly True).
    """
    array = column.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    if len(array) == 0 or array.null_count == len(array):
        return True
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + len(array) + 1]
    data = bytes(memoryview(buffers[2])[int(offsets[0]): int(offsets[-1])])
    return not data.translate(None, _HEX_CHARS)


# --- the audit -------------------------------------------------------------------------------


def _guess_platform(headers: Sequence[str]) -> str | None:
    scores = {}
    for platform in PLATFORMS:
        expected = {r.header for r in rules_for_platform(platform).values()}
        scores[platform] = sum(h in expected for h in headers)
    best = max(scores.values())
    winners = [p for p, s in scores.items() if s == best]
    if best == 0:
        return None
    if len(winners) > 1:
        # "email" alone fits meta, linkedin and x: the layout with more matches wins, else meta
        # only when its distinctive headers are there.
        return None
    return winners[0]


def _column_kinds(platform: str | None) -> dict[str, tuple[str, str]]:
    """Header -> (kind, handling) for a known platform."""
    if platform is None:
        return {}
    return {r.header: (k, r.handling) for k, r in rules_for_platform(platform).items()}


def _share(n: int, d: int) -> float:
    return n / d if d else 0.0


class _Auditor:
    def __init__(self, frame: pl.DataFrame, platform: str | None, source: str,
                 name: str | None, progress: Callable[[int, int], None] | None,
                 today: dt.date, scan: _FileScan | None = None) -> None:
        self.frame = frame
        self.today = today
        self.scan = scan
        self._distinct: dict[str, int] = {}
        self.n64: dict[str, int] = {}
        self.platform = platform
        self.source = source
        self.name = name
        self.findings: list[Finding] = []
        self.rows = frame.height
        self.kinds = _column_kinds(platform)
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.partner = platform is None

    def add(self, check: str, severity: str, column: str | None, count: int | None,
            message: str, remedy: str) -> None:
        share = _share(count, self.rows) if count is not None else None
        self.findings.append(Finding(check, severity, column, count, share, message, remedy))

    def timed(self, label: str, fn: Callable[[], None]) -> None:
        start = time.perf_counter()
        fn()
        self.timings[label] = time.perf_counter() - start

    # summary and formats -------------------------------------------------------------------

    def summarize(self) -> dict[str, Any]:
        """Column type guesses, with as few passes over the values as the export allows.

        One parallel pass per text column gives its value lengths and probes its 64-bit value
        hashes against the hashed low-entropy domains (for the reversal check); meanwhile the
        file scan finishes. When every cell is proven lower-case hex (by the file scan, or one
        pass over each column's buffer for in-memory tables), lengths classify the values;
        otherwise a format regex runs per value. Only the values that are not well-formed
        digests (``residual``) are examined further, here and by the plaintext scan.
        """
        text = [c for c, t in self.frame.schema.items() if t == pl.Utf8]
        self.prefetch(text)
        if self.scan is not None:
            self.scan.join()
        proven = {c: bool(self.scan is not None and self.scan.hex_cells) for c in text}
        if self.scan is None:
            proven = {c: _only_hex(self.frame[c]) for c in text}
        digest = r"^(?:[0-9a-f]{64}|[A-Za-z0-9+/]{43}=)$"
        counts = {c: self.rows - self.frame[c].null_count() for c in text}
        # proven hex columns whose every value is 64 long need no mask at all
        whole = {c for c in text if proven[c] and self.n64.get(c) == counts[c]}
        masks = self.frame.select(
            [(pl.col(c).str.len_bytes() == 64).fill_null(False).alias(c) for c in text
             if proven[c] and c not in whole]
            + [pl.col(c).str.contains(digest).fill_null(False).alias(c) for c in text
               if not proven[c]]
        ) if len(whole) < len(text) else pl.DataFrame()
        self.residual: dict[str, pl.Series] = {}
        self.stats: dict[str, dict[str, int]] = {}
        for c in text:
            good = None if c in whole else masks[c]
            n_good = counts[c] if good is None else int(good.sum())
            residual = self.frame[c].filter(~good).drop_nulls() \
                if good is not None and n_good < counts[c] else pl.Series(c, [], dtype=pl.Utf8)
            self.residual[c] = residual
            b64_good = 0
            if not proven[c] and n_good and good is not None:
                b64_good = int(self.frame[c].filter(good).str.ends_with("=").sum())
            r = residual
            self.stats[c] = {
                "n": int(counts[c]),
                "hex64": n_good - b64_good,
                "b64": b64_good,
                "hex64any": n_good - b64_good + int(r.str.contains(_HEX64).sum()),
                "md5": int(r.str.contains(r"^[0-9a-fA-F]{32}$").sum()),
                "sha1": int(r.str.contains(r"^[0-9a-fA-F]{40}$").sum()),
                # truncated or odd digests: hex of digest-like length with at least one letter
                "hexany": int((r.str.contains(r"^[0-9a-fA-F]{16,128}$")
                               & r.str.contains(r"[a-fA-F]")).sum()),
            }
        guess = {}
        for c in self.frame.columns:
            st = self.stats.get(c)
            if st is None:
                guess[c] = str(self.frame.schema[c]).lower()
                continue
            n = st["n"] or 1
            if st["n"] == 0:
                guess[c] = "empty"
            elif (st["hex64any"] + st["b64"] + st["md5"] + st["sha1"]) / n > 0.5:
                guess[c] = ("sha256_base64" if st["b64"] > st["hex64any"] else
                            "md5_hex" if st["md5"] > st["hex64any"] else
                            "sha1_hex" if st["sha1"] > st["hex64any"] else "sha256_hex")
            elif (st["hexany"] + st["hex64any"]) / n > 0.5:
                guess[c] = "hex_other"
            else:
                guess[c] = "text"
        self.guess = guess
        self.hashed = [c for c, g in guess.items() if g in ("sha256_hex", "sha256_base64",
                                                           "md5_hex", "sha1_hex", "hex_other")]
        self.clear = [c for c in self.frame.columns if c not in self.hashed]
        return {"rows": self.rows, "columns": len(self.frame.columns), "types": guess}

    def prefetch(self, columns: Sequence[str]) -> None:
        """The per-value passes of the later checks, on 64-bit value hashes computed once.

        For each text column: its values whose hash is that of a hashed domain value, grouped
        by hash with one value of each group kept (the reversal check confirms it by exact
        string equality with the domain's digest); distinct counts of identifier columns;
        distinct rows. None of it depends on the column's format, so it runs while the file
        scan finishes.
        """
        table = domain_table(self.today)
        hashed = self.frame.select([pl.col(c).hash() for c in self.frame.columns])
        lengths = self.frame.select(
            [(pl.col(c).str.len_bytes() == 44).sum().alias(f"{c}:44") for c in columns]
            + [(pl.col(c).str.len_bytes() == 64).sum().alias(f"{c}:64") for c in columns]
        ).row(0, named=True) if columns else {}
        self.n64 = {c: int(lengths[f"{c}:64"]) for c in columns}
        known = {False: table["hex"].hash().implode(), True: table["b64"].hash().implode()}
        self.hit_counts: dict[str, pl.DataFrame] = {}
        row_index = pl.int_range(0, self.rows, dtype=pl.UInt32, eager=True)
        for c in columns:
            b64 = lengths[f"{c}:44"] > lengths[f"{c}:64"]
            groups = (
                pl.DataFrame({"h": hashed[c], "i": row_index}).lazy()
                .filter(pl.col("h").is_in(known[b64]))
                .group_by("h").agg(pl.col("i").first(), pl.len().alias("rows")).collect()
            )
            self.hit_counts[c] = pl.DataFrame({c: self.frame[c].gather(groups["i"]),
                                               "rows": groups["rows"]})
        ids = [c for c in columns
               if self.kinds.get(c, ("",))[0] in ("email", "phone", "maid", "external_id", "")]
        row = pl.lit(0, dtype=pl.UInt64)
        for c in self.frame.columns:  # an order-sensitive combination of the value hashes
            row = (row * pl.lit(0x9E3779B97F4A7C15, dtype=pl.UInt64)).xor(pl.col(c))
        counts = hashed.select([pl.col(c).n_unique().alias(c) for c in ids]
                               + [row.n_unique().alias("\0rows")]).row(0, named=True)
        self.distinct_rows = int(counts.pop("\0rows"))
        self.value_hashes = hashed
        self._distinct.update({c: int(v) for c, v in counts.items()})

    def distinct(self, c: str) -> int:
        """Distinct values of a column, from 64-bit value hashes (computed when first asked)."""
        if c not in self._distinct:
            self._distinct[c] = int(self.value_hashes[c].n_unique())
        return self._distinct[c]

    def check_formats(self) -> None:
        want_b64 = self.platform == "uid2"
        for c in self.hashed:
            s = self.stats[c]
            n = s["n"]
            if self.guess[c] in ("md5_hex", "sha1_hex"):
                algo = "MD5" if self.guess[c] == "md5_hex" else "SHA-1"
                self.add("hash_format", "high", c, s["md5"] if algo == "MD5" else s["sha1"],
                         f"values are {algo} digests ({32 if algo == 'MD5' else 40} hex), "
                         "not SHA-256", "re-hash the normalized values with SHA-256")
                continue
            upper = s["hex64any"] - s["hex64"]
            if upper and not want_b64:
                self.add("hash_format", "medium", c, upper,
                         "SHA-256 hex in upper or mixed case; platforms expect lower case",
                         "write hex digests in lower case")
            if want_b64 and s["hex64any"]:
                self.add("hash_format", "high", c, s["hex64any"],
                         "hex digests where Base64 of the raw digest is expected (uid2)",
                         "encode the 32 raw digest bytes as Base64 (44 characters)")
            if not want_b64 and s["b64"]:
                self.add("hash_format", "high", c, s["b64"],
                         "Base64 digests where lower-case hex is expected",
                         "encode digests as 64 lower-case hex characters")
            other = n - s["hex64any"] - s["b64"] - s["md5"] - s["sha1"]
            if other > 0:
                self.add("hash_format", "high", c, other,
                         "values of a hashed column that are not SHA-256 digests (wrong length "
                         "or characters)", "find where unhashed or truncated values came from")

    # reversal ------------------------------------------------------------------------------

    def check_reversal(self) -> None:
        table = domain_table(self.today)
        self.reversed: dict[str, dict[str, int]] = {}
        for c in self.hashed:
            b64 = self.guess[c] == "sha256_base64"
            key = "b64" if b64 else "hex"
            lower = b64 or self.stats[c]["hex64any"] == self.stats[c]["hex64"]
            if lower:
                counted = self.hit_counts[c]
            else:  # upper- or mixed-case hex: compare in lower case
                counted = self.frame[c].str.to_lowercase().drop_nulls().value_counts(name="rows")
            # exact join of the distinct candidate values, weighted by their row counts
            hits = counted.join(table.select(pl.col(key).alias(c), "domain"), on=c, how="inner")
            if not hits.height:
                self.reversed[c] = {"rows": 0}
                continue
            tags = hits.select(
                "rows", "domain",
                junk=pl.col("domain").list.eval(pl.element().str.starts_with("junk")).list.any(),
                double=pl.col("domain").list.eval(pl.element().str.ends_with("(double)"))
                .list.any(),
                real=pl.col("domain").list.eval(~pl.element().str.starts_with("junk")
                                                & ~pl.element().str.ends_with("(double)"))
                .list.any(),
            )
            junk = int(tags.filter("junk")["rows"].sum())
            double = int(tags.filter("double")["rows"].sum())
            real = tags.filter("real")
            real_rows = int(real["rows"].sum())
            if junk:
                self.add("junk_hashes", "high", c, junk,
                         f"{junk:,} values are hashes of empty or placeholder values "
                         "(such as sha256 of '' or of 'null')",
                         "never hash empty or placeholder values; drop them")
            if double:
                self.add("hash_format", "high", c, double,
                         f"{double:,} values are hashes of hashes",
                         "hash the normalized value once")
            counts = dict(real.explode("domain").group_by("domain").agg(pl.col("rows").sum())
                          .iter_rows())
            self.reversed[c] = {"rows": real_rows, **counts}
            if not real_rows:
                continue
            ranked = sorted(counts, key=lambda d: -counts[d])
            expected = {"dob": "date_of_birth", "gender": "gender", "zip": "zip",
                        "state": "state", "country": "country", "first_name": "first_name",
                        "last_name": "last_name"}.get(self.kinds.get(c, ("",))[0])
            main = expected if expected in counts else ranked[0]
            others = [d.replace("_", " ") for d in ranked if d != main][:3]
            what = main.replace("_", " ")
            also = f" (some values also match: {', '.join(others)})" if others else ""
            self.add("reversible", "high" if self.partner else "medium", c, real_rows,
                     f"{real_rows:,} of {self.rows:,} rows reversed by enumerating every "
                     f"{what} and hashing it{also}", _reversal_remedy(self.partner, what))
            if self.partner:
                self.add("keying", "high", c, real_rows,
                         "an unkeyed SHA-256 column: the audit reversed it without any key",
                         "use HMAC-SHA256 with a secret key of 32+ bytes for partner exports")

    def check_phones(self, block: int) -> None:
        phone_cols = [c for c in self.hashed
                      if self.kinds.get(c, ("",))[0] == "phone" or "phone" in c.lower()]
        if not phone_cols:
            return
        hashed, rate = _phone_block(block, self.platform in ("meta", "tiktok", "snap"))
        for c in phone_cols:
            b64 = self.guess[c] == "sha256_base64"
            probe = hashed.str.decode("hex").bin.encode("base64") if b64 else hashed
            hits = int(self.value_hashes[c].is_in(probe.hash().implode()).sum())
            here = US_PHONE_PLAN / rate
            gpu = US_PHONE_PLAN / GPU_HASHES_PER_SECOND
            projection = (f"a block of {block:,} US numbers hashed at {rate:,.0f}/s here "
                          f"({hits:,} rows found in it); the whole US plan (6.4e9) takes "
                          f"{here / 3600:,.1f} h on this machine, {gpu:.2f} s on one current GPU")
            if not self.partner:
                # platform uploads are unkeyed SHA-256 by the platform's own rules
                self.add("reversible", "medium", c, hits,
                         f"phone numbers are enumerable: {projection}",
                         _reversal_remedy(False, "phone number"))
            elif hits:
                self.add("reversible", "high", c, hits,
                         f"phone numbers are enumerable and were found: {projection}",
                         _reversal_remedy(True, "phone number"))
            else:
                self.add("reversible", "low", c, 0,
                         f"no number of the enumerated block was found (keyed, or not in it); "
                         f"if this column is unkeyed SHA-256: {projection}",
                         _reversal_remedy(True, "phone number"))

    def check_dictionary(self, dictionary: Iterable[str]) -> None:
        from ._normalize import normalize

        email_cols = [c for c in self.hashed
                      if self.kinds.get(c, ("",))[0] == "email" or "mail" in c.lower()]
        if not email_cols:
            return
        values = pl.Series("d", list(dictionary), dtype=pl.Utf8)
        normalized = normalize(values, "email", self.platform or "meta").drop_nulls()
        hashed = Hasher().hash(normalized)
        for c in email_cols:
            b64 = self.guess[c] == "sha256_base64"
            probe = hashed.str.decode("hex").bin.encode("base64") if b64 else hashed
            hits = int(self.frame[c].is_in(probe.implode()).sum())
            if hits:
                self.add("reversible", "high" if self.partner else "medium", c, hits,
                         f"{hits:,} emails found by hashing a dictionary of {len(values):,}",
                         _reversal_remedy(self.partner, "email"))

    # frequency, combined keys, duplicates -----------------------------------------------------

    def check_frequency(self) -> None:
        for c in self.hashed:
            explained = self.reversed.get(c, {}).get("rows", 0)
            if explained >= 0.5 * self.rows or self.rows < 50:
                continue
            distinct = self.distinct(c)
            if distinct <= 100 or distinct / max(self.rows, 1) < 0.01:
                top = self.frame[c].value_counts(sort=True).head(1)
                top_share = _share(int(top[top.columns[1]][0]), self.rows) if top.height else 0.0
                self.add("frequency", "high" if self.partner else "low", c, distinct,
                         f"only {distinct:,} distinct values (top value {top_share:.1%} of rows): "
                         "guessable by frequency even when keyed",
                         "drop low-cardinality columns or generalize them before export")

    def check_combined(self) -> None:
        for c in self.hashed:
            folded = re.sub(r"[^a-z]+", "_", c.lower())
            tokens = [t for t in _COMBINED_TOKENS if t in folded]
            if len(tokens) >= 2 or any(w in folded for w in ("matchkey", "match_key", "composite",
                                                            "combined")):
                self.add("combined_key", "high" if self.partner else "medium", c, None,
                         f"looks like a hash of combined fields ({'+'.join(tokens) or c}): "
                         "name + ZIP + date of birth combinations are enumerable",
                         "key combined hashes with HMAC, or drop them")

    def check_duplicates(self) -> None:
        dup_rows = self.rows - self.distinct_rows
        if dup_rows:
            self.add("duplicates", "low", None, dup_rows, f"{dup_rows:,} duplicated rows",
                     "deduplicate before export")
        for c in self.hashed:
            kind = self.kinds.get(c, ("",))[0]
            if kind not in ("email", "phone", "maid", "external_id") and self.kinds:
                continue
            present = self.stats[c]["n"]
            dups = present - self.distinct(c) + (1 if present < self.rows else 0)
            if dups > 0 and dups / max(present, 1) > 0.001:
                self.add("duplicates", "low", c, dups, f"{dups:,} repeated identifiers",
                         "deduplicate identifiers; repeats inflate counts and leak frequency")

    # clear data ----------------------------------------------------------------------------

    def check_plaintext(self) -> None:
        checks = [
            (_EMAIL, "critical", "email addresses"),
            (_PHONE, "critical", "phone numbers"),
            (_DATE, "high", "dates (of birth?)"),
            (_IPV4, "high", "IPv4 addresses"),
        ]
        plain_ok = {h for h, (_, handling) in self.kinds.items() if handling == "plain"}
        for c in self.frame.columns:
            col = self.frame[c]
            if col.dtype != pl.Utf8:
                col = col.cast(pl.Utf8)
            # hashed columns: only their non-digest values can hold clear data
            if c in self.hashed:
                col = self.residual[c]
                col = col.filter(~col.str.contains(r"^(?:[0-9a-fA-F]{32,64}|[A-Za-z0-9+/]{43}=)$"))
            col = col.drop_nulls()
            if col.len() == 0:
                continue
            for pattern, severity, words in checks:
                hit = col.str.contains(pattern)
                n = int(hit.sum())
                if n:
                    sample = mask(col.filter(hit)[0])
                    self.add("plaintext", severity, c, n,
                             f"{n:,} values hold {words} in clear (e.g. {sample})",
                             "normalize and hash identifiers; drop what is not needed")
            zips = col.str.contains(_ZIP)
            n = int(zips.sum())
            if n and c not in plain_ok and c not in self.hashed:
                self.add("plaintext", "medium", c, n,
                         f"{n:,} values look like postal codes in clear (e.g. "
                         f"{mask(col.filter(zips)[0])})",
                         "hash postal codes, or generalize them (3-digit prefix)")
            self._cards(c, col)
        self._scan_names()

    def _cards(self, c: str, col: pl.Series) -> None:
        candidates = col.filter(col.str.contains(_CARD))
        if candidates.len() == 0:
            return
        digits = candidates.str.extract(r"((?:[0-9][ \-]?){12,18}[0-9])", 1).str.replace_all(
            r"[^0-9]", "")
        valid = [d for d in digits.drop_nulls().to_list() if _luhn(d)]
        if valid:
            self.add("plaintext", "critical", c, len(valid),
                     f"{len(valid):,} values hold Luhn-valid payment card numbers "
                     f"(e.g. ****{valid[0][-4:]})",
                     "remove card numbers from the export; they never belong in an audience")

    def _scan_names(self) -> None:
        texts = [("header", h) for h in self.frame.columns]
        if self.name:
            texts.append(("file name", self.name))
        for where, text in texts:
            for pattern, words in ((_EMAIL, "an email address"), (_PHONE, "a phone number"),
                                   (_DATE, "a date")):
                found = re.search(pattern, text)
                if found:
                    self.add("plaintext", "high", None, None,
                             f"the {where} holds {words} ({mask(found.group(0))})",
                             "rename it: file and column names travel with the data")

    def check_k_anonymity(self, quasi: Sequence[str] | None, k: int) -> None:
        if quasi is None:
            quasi = [c for c in self.clear
                     if re.sub(r"[^a-z]+", "_", c.lower()).strip("_") in _QUASI]
        quasi = [q for q in quasi if q in self.frame.columns]
        if not quasi or self.rows == 0:
            return
        classes = self.frame.group_by(quasi).len()
        smallest = int(classes["len"].min())
        under = int(classes.filter(pl.col("len") < k)["len"].sum())
        mean_risk = classes.height / self.rows
        required = {h for h, (_, handling) in self.kinds.items() if handling == "plain"}
        severity = "medium" if set(quasi) <= required else "high"
        if smallest < k:
            self.add("k_anonymity", severity, ",".join(quasi), under,
                     f"clear quasi-identifiers {quasi}: k = {smallest} (smallest class), "
                     f"{under:,} rows in classes under k={k}; prosecutor risk max "
                     f"{1 / smallest:.2f}, mean {mean_risk:.3f}",
                     "generalize (age bands, 3-digit ZIPs) or suppress rare combinations")
        else:
            self.add("k_anonymity", "info", ",".join(quasi), 0,
                     f"clear quasi-identifiers {quasi}: k = {smallest} >= {k}; prosecutor risk "
                     f"max {1 / smallest:.2f}, mean {mean_risk:.3f}", "none needed")

    # release controls ----------------------------------------------------------------------

    def check_size(self, min_audience: int | None) -> None:
        floor = min_audience if min_audience is not None else (
            MIN_AUDIENCE.get(self.platform, 100) if self.platform else 100)
        if self.rows < floor:
            self.add("audience_size", "high", None, self.rows,
                     f"{self.rows:,} rows is under the minimum audience of {floor:,}"
                     + (f" for {self.platform}" if self.platform else ""),
                     "do not release lists this small: they are easy to re-identify")
        elif self.rows < 1000:
            self.add("audience_size", "low", None, self.rows,
                     f"{self.rows:,} rows: under 1,000, too small as a lookalike seed",
                     "use at least 1,000 people (1,000-5,000 recommended) for lookalike seeds")

    def check_sensitive(self, manifest: dict[str, Any] | None) -> None:
        texts = [("header", h) for h in self.frame.columns]
        if self.name:
            texts.append(("file name", self.name))
        for key in ("segment", "description", "audience", "name", "label"):
            value = (manifest or {}).get(key)
            if isinstance(value, str):
                texts.append((f"manifest {key}", value))
        for c in self.clear:
            folded = c.lower()
            if any(w in folded for w in ("segment", "audience", "label", "list", "tag")):
                for v in self.frame[c].cast(pl.Utf8).drop_nulls().unique().head(200).to_list():
                    texts.append((f"column {c}", v))
        for where, text in texts:
            found = _SENSITIVE.search(text)
            if found:
                self.add("sensitive_segment", "high", None, None,
                         f"the {where} implies health or financial status ('{found.group(0)}')",
                         "meta blocks such audiences since 2025; rename or drop the segment")

    def check_anonymous(self, manifest: dict[str, Any] | None) -> None:
        texts = []
        if self.name:
            texts.append(("file name", self.name))
        for key, value in (manifest or {}).items():
            if isinstance(value, str):
                texts.append((f"manifest {key}", value))
        for where, text in texts:
            if _ANONYMOUS.search(text) and "not anonymous" not in text.lower():
                self.add("anonymous_claim", "medium", None, None,
                         f"the {where} calls hashed data anonymous",
                         "call hashed identifiers pseudonymous: they can be re-identified")

    def check_manifest(self, manifest: dict[str, Any] | None, path: Path | None,
                       public_key: Any) -> None:
        if manifest is None:
            self.add("manifest", "medium", None, None, "no manifest: provenance cannot be checked",
                     "write the export with prepare_upload(...).write(), which adds one")
            return
        if path is not None:
            actual = self.scan.sha256 if self.scan is not None and self.scan.sha256 else \
                file_sha256(path)
            if manifest.get("sha256") != actual:
                self.add("manifest", "critical", None, None,
                         "the file's sha256 does not match its manifest: the file was changed",
                         "do not release it; re-export from the source")
        rows = manifest.get("rows")
        if rows is not None and rows != self.rows:
            self.add("manifest", "critical", None, self.rows,
                     f"the manifest says {rows:,} rows, the file has {self.rows:,}",
                     "do not release it; re-export from the source")
        if manifest.get("platform") and self.platform and manifest["platform"] != self.platform:
            self.add("manifest", "high", None, None,
                     f"the manifest is for {manifest['platform']}, the audit for {self.platform}",
                     "check the destination")
        if "signature" not in manifest:
            self.add("manifest", "low", None, None, "the manifest is not signed",
                     "sign manifests with an Ed25519 key (signing_key=)")
        elif public_key is None:
            self.add("manifest", "info", None, None,
                     "the manifest is signed but no public key was given to check it",
                     "pass public_key= (or --public-key) to verify the signature")
        else:
            try:
                verify_manifest(manifest, public_key)
            except ManifestError:
                self.add("manifest", "critical", None, None,
                         "the manifest's signature does not verify: it was changed after "
                         "signing, or signed by another key", "do not release it")
        missing = [f for f in ("platform", "normalization_version", "hash_scheme", "created_at",
                               "tool") if not manifest.get(f)]
        scheme = str(manifest.get("hash_scheme") or "")
        if scheme.startswith("hmac") and not manifest.get("key_id"):
            missing.append("key_id")
        if missing:
            self.add("manifest", "low", None, None, f"the manifest lacks {missing}",
                     "record destination, normalization version, hash scheme, key id, "
                     "creation time and tool version")


@functools.lru_cache(maxsize=4)
def _phone_block(block: int, digits_only: bool) -> tuple[pl.Series, float]:
    """Hashes of a block of the US numbering plan (650-000-0000 on), and this machine's rate.

    Measured once per process and block size: the rate is a property of the machine.
    """
    numbers = pl.int_range(0, block, eager=True).cast(pl.Utf8).str.zfill(7)
    candidates = ("1650" + numbers) if digits_only else ("+1650" + numbers)
    start = time.perf_counter()
    hashed = Hasher().hash(candidates)
    return hashed, block / max(time.perf_counter() - start, 1e-9)


def _reversal_remedy(partner: bool, what: str) -> str:
    if partner:
        return f"key the {what} column with HMAC-SHA256 (a 32+ byte secret), or drop it"
    return (f"drop the {what} column unless it measurably lifts the match rate: the platform's "
            "unkeyed SHA-256 is reversible by design")


def _luhn(digits: str) -> bool:
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    d = np.frombuffer(digits.encode(), dtype=np.uint8) - 48
    d = d[::-1].astype(int)
    doubled = d[1::2] * 2
    return int(d[::2].sum() + (doubled - 9 * (doubled > 9)).sum()) % 10 == 0


def audit(
    export: object,
    platform: str | None = None,
    manifest: dict[str, Any] | str | os.PathLike[str] | None = None,
    public_key: Any = None,
    min_audience: int | None = None,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 10,
    dictionary: Iterable[str] | str | os.PathLike[str] | None = None,
    *,
    phone_block: int = 50_000,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Audit a hashed export for privacy faults (the thirteen checks of the audit spec).

    Parameters
    ----------
    export : path (CSV, Parquet) or table
        The file about to leave (or that has left). A manifest at ``<path>.manifest.json`` is
        picked up when ``manifest`` is not given.
    platform : str, optional
        The destination; read from the manifest or guessed from the headers when not given.
        ``"partner"`` says the file goes to a partner, not an ad platform: keyed hashes were
        possible, so reversible columns are high, not medium.
    manifest : dict or path, optional
    public_key : Ed25519 public key, or PEM bytes/path, optional
        Verifies the manifest's signature.
    min_audience : int, optional
        Overrides the platform's minimum list size.
    quasi_identifiers : sequence of str, optional
        Clear columns for k-anonymity; recognized by name (age, zip, gender, city...) if None.
    k : int
        The k of k-anonymity.
    dictionary : iterable of emails, or a path with one per line, optional
        Probed against email columns.
    phone_block : int
        How many phone numbers to enumerate to measure the rate.
    today : date, optional
        The last date of birth enumerated (default: today).
    progress : callable, optional
        ``progress(done, total)`` after each check.

    Returns
    -------
    AuditReport
    """
    started = time.perf_counter()
    path: Path | None = None
    name: str | None = None
    scan: _FileScan | None = None
    day = today or dt.date.today()
    # the low-entropy domains are hashed (once per process) while polars reads the file
    domains = threading.Thread(target=domain_table, args=(day,), daemon=True)
    domains.start()
    if isinstance(export, (str, os.PathLike)):
        path = Path(export)
        name = path.name
        if path.is_file():
            scan = _FileScan(path)
            scan.start()
    frame = read_table(export, what="export")
    domains.join()
    if manifest is None and path is not None and manifest_path(path).exists():
        manifest = manifest_path(path)
    if manifest is not None and not isinstance(manifest, dict):
        manifest = read_manifest(manifest)
    if public_key is not None and isinstance(public_key, (bytes, str, os.PathLike)):
        public_key = load_public_key(public_key)
    source = "argument"
    if platform == "partner":
        platform, source = None, "argument: a partner export, not a platform upload"
    elif platform is None and manifest and manifest.get("platform") in PLATFORMS:
        platform, source = manifest["platform"], "manifest"
    elif platform is None:
        platform = _guess_platform(frame.columns)
        source = "headers" if platform else "unknown: treated as a partner export"
    elif platform not in PLATFORMS:
        from ._platforms import check_platform

        platform = check_platform(platform)
    if not isinstance(k, int) or k < 2:
        raise InvalidInputError(f"k must be an int of at least 2, got {k!r}")
    if isinstance(dictionary, (str, os.PathLike)):
        try:
            dictionary = Path(dictionary).read_text(encoding="utf-8").split()
        except OSError:
            raise ReadError(f"cannot read the dictionary file {dictionary}") from None
    if dictionary is not None and isinstance(dictionary, (bytes, dict)):
        raise InputTypeError("dictionary must be an iterable of emails or a file path")

    a = _Auditor(frame, platform, source, name, progress, day, scan)
    a.timings["read"] = time.perf_counter() - started
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("summary", lambda: setattr(a, "summary", a.summarize())),
        ("formats", a.check_formats),
        ("reversal", a.check_reversal),
        ("phones", lambda: a.check_phones(phone_block)),
        ("dictionary", lambda: a.check_dictionary(dictionary) if dictionary else None),
        ("frequency", a.check_frequency),
        ("combined", a.check_combined),
        ("duplicates", a.check_duplicates),
        ("plaintext", a.check_plaintext),
        ("k_anonymity", lambda: a.check_k_anonymity(quasi_identifiers, k)),
        ("size", lambda: a.check_size(min_audience)),
        ("sensitive", lambda: a.check_sensitive(manifest)),  # type: ignore[arg-type]
        ("anonymous", lambda: a.check_anonymous(manifest)),  # type: ignore[arg-type]
        ("manifest", lambda: a.check_manifest(manifest, path, public_key)),  # type: ignore[arg-type]
    ]
    for i, (label, step) in enumerate(steps, 1):
        a.timed(label, step)
        if progress is not None:
            progress(i, len(steps))
    findings = sorted(a.findings, key=lambda f: (-_RANK[f.severity], f.check, f.column or ""))
    a.timings["total"] = time.perf_counter() - started
    return AuditReport(platform, source, a.rows, findings, a.summary, a.timings)
