"""The privacy audit of a hashed export: thirteen checks, findings with severities.

The audit sees the export and, when given, its manifest and the signer's public key; it never
needs the CRM. It reverses rather than guesses: low-entropy domains (see
:mod:`privacy._audit_domains`) are hashed under the destination's rules and joined against
each hashed column, and the share of rows actually reversed is reported. No finding carries a
full plaintext value: samples are masked, and so are column names that look like data.

The work is split by job: the domains and their cache (``_audit_domains``), the pass over a
file's bytes (``_audit_scan``), the patterns of clear data (``_audit_patterns``), the facts
about the export measured part by part, linear in its cells (``_audit_facts``), the figures
that need the whole export counted across parts (``_audit_counts``), the checks
(``_audit_checks``) and the report (``_audit_report``). This module reads the export one part
(or batch of parts) at a time and runs the checks in order: the memory an audit holds is
bounded by a batch, not by the export.

Severity policy (see the README): an unkeyed low-entropy column in a platform upload is
reversible by design of the platform (medium: drop it unless it lifts the match rate); the same
column in a partner export, where a keyed hash was possible, is high.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import _audit_checks as checks
from ._audit_domains import domain_table
from ._audit_facts import ExportFacts, Probes, guess_platform
from ._audit_report import AUDIT_VERSION, SEVERITIES, AuditReport, Finding, rank
from ._audit_scan import FileScan
from ._checks import check_progress, whole
from ._errors import InputTypeError, InvalidInputError, ReadError
from ._hashing import Hasher
from ._io import check_no_patterns, part_files, read_path, read_table
from ._manifest import load_public_key, manifest_path, read_manifest
from ._normalize import reference_day
from ._platforms import PLATFORMS, check_platform
from ._redact import safe_name, shown

__all__ = ["AUDIT_VERSION", "SEVERITIES", "AuditReport", "Finding", "audit"]


#: The most phone numbers an audit hashes (10 s of hashing here, 640 MB of digests): a larger
#: block says nothing a projection from this one does not.
MAX_PHONE_BLOCK = 10_000_000


def _phone_rate(block: int, prefix: str) -> tuple[Any, float | None]:
    """The hashed block and, when it was hashed now (not cached), this machine's rate."""
    hits = checks.phone_block.cache_info().hits
    start = time.perf_counter()
    hashed = checks.phone_block(block, prefix)
    if checks.phone_block.cache_info().hits > hits:
        return hashed, None
    return hashed, block / max(time.perf_counter() - start, 1e-9)


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
    encoding: str = "utf-8",
    separator: str | None = None,
    batch_bytes: int = 64 * 2**20,
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
        Verifies the manifest's signature. Given a key, the check cannot be skipped: a missing
        manifest, a missing or malformed signature, or fields of the wrong types are critical.
    min_audience : int, optional
        Overrides the platform's minimum list size.
    quasi_identifiers : sequence of str, optional
        Clear columns for k-anonymity; recognized by name (age, zip, gender, city...) if None.
    k : int
        The k of k-anonymity.
    dictionary : iterable of emails, or a path with one per line, optional
        Probed against email columns.
    phone_block : int
        How many phone numbers to enumerate (at most 10,000,000).
    today : date, optional
        The last date of birth enumerated (default: today).
    progress : callable, optional
        ``progress(done, total)`` after each check.
    encoding, separator : str, optional
        How to read a CSV export.
    batch_bytes : int
        For a folder or glob of parts: consecutive parts are read together up to this many
        bytes of files, and the audit holds one such batch in memory at a time (a larger part
        is a batch of its own; 0 reads one part at a time). Figures that need the whole export
        (distinct values, duplicates, k-anonymity) are counted across batches through a
        temporary spill of 64-bit value hashes: the findings do not depend on the batching.

    Returns
    -------
    AuditReport
    """
    started = time.perf_counter()
    path: Path | None = None
    name: str | None = None
    check_progress(progress)
    if today is not None and not isinstance(today, dt.date):
        raise InputTypeError(f"today must be a datetime.date, got {type(today).__name__}")
    # a datetime's day (in UTC): its microseconds made the enumeration of birth dates a
    # 28 PiB array; pandas' NaT is refused
    day = (reference_day(None, today) if today is not None else None) or dt.date.today()
    batch, k_anonymity = whole(batch_bytes), whole(k)
    if batch is None or batch < 0:
        raise InvalidInputError(f"batch_bytes must be an int of at least 0, got "
                                f"{shown(batch_bytes)}")
    if k_anonymity is None or k_anonymity < 2:
        raise InvalidInputError(f"k must be an int of at least 2, got {shown(k)}")
    batch_bytes, k = batch, k_anonymity
    if isinstance(public_key, (bytes, str, os.PathLike)):
        public_key = load_public_key(public_key)
    if public_key is not None and not isinstance(public_key, Ed25519PublicKey):
        raise InputTypeError(
            f"public_key must be an Ed25519 public key, PEM bytes or a PEM file path, got "
            f"{type(public_key).__name__}")
    block, minimum = whole(phone_block), whole(min_audience)
    if block is None or not 0 <= block <= MAX_PHONE_BLOCK:
        raise InvalidInputError(f"phone_block must be an int from 0 to {MAX_PHONE_BLOCK:,}, got "
                                f"{shown(phone_block)}")
    if min_audience is not None and (minimum is None or minimum < 1):
        raise InvalidInputError(f"min_audience must be None or a positive int, got "
                                f"{shown(min_audience)}")
    phone_block, min_audience = block, minimum
    if quasi_identifiers is not None:
        if (isinstance(quasi_identifiers, (str, bytes, Mapping))
                or not isinstance(quasi_identifiers, Iterable)):
            raise InputTypeError(f"quasi_identifiers must be a sequence of column names (str), "
                                 f"got {type(quasi_identifiers).__name__}")
        quasi_identifiers = list(quasi_identifiers)  # a generator is read once
        if not all(isinstance(q, str) for q in quasi_identifiers):
            raise InputTypeError("quasi_identifiers must be a sequence of column names (str)")
    # the low-entropy domains are hashed (once per process) while polars reads the file
    domains = threading.Thread(target=domain_table, args=(day,), daemon=True)
    domains.start()
    parts: list[Path] | None = None
    if isinstance(export, (str, os.PathLike)):
        path = Path(export)
        name = path.name
        parts = part_files(path)
    timings: dict[str, float] = {"read": 0.0, "summary": 0.0}
    grouped = batches(parts, batch_bytes) if parts is not None else None
    frames = _read_parts(export, path, grouped, encoding, separator, timings)
    first, first_scans = next(frames)
    check_no_patterns(first.columns, "the export's")
    domains.join()
    if manifest is None and path is not None:
        # a file's manifest is beside it; a folder's too; a glob's is its folder's
        beside = manifest_path(path.parent if parts is not None and not path.is_dir()
                               else path)
        if beside.is_file():
            manifest = beside
    if manifest is not None and not isinstance(manifest, dict):
        if not isinstance(manifest, (str, os.PathLike)):
            raise InputTypeError(
                f"manifest must be a dict or a path, got {type(manifest).__name__}")
        manifest = read_manifest(manifest)
    manifest_platform = manifest.get("platform") if isinstance(manifest, dict) else None
    source = "argument"
    if platform == "partner":
        platform, source = None, "argument: a partner export, not a platform upload"
    elif platform is None and isinstance(manifest_platform, str) and manifest_platform in PLATFORMS:
        platform, source = manifest_platform, "manifest"
    elif platform is None:
        platform = guess_platform(first.columns)
        source = "headers" if platform else "unknown: treated as a partner export"
    else:
        platform = check_platform(platform)
    words = _dictionary(dictionary)
    measurements: dict[str, float] = {}
    start = time.perf_counter()
    # the block as the destination writes it (its hash rate measured), then the other forms
    wanted, normal, written = checks.phone_forms(platform)
    block, rate = _phone_rate(phone_block, wanted)
    phones = pl.concat([block, *(checks.phone_block(phone_block, f) for f in normal
                                 if f != wanted)])
    phones_written = pl.concat([checks.phone_block(phone_block, f) for f in written])
    if rate is not None:
        measurements["sha256_per_second"] = round(rate)
    probe = probe_written = None
    if words is not None:
        from ._normalize import normalize

        given = pl.Series("d", words, dtype=pl.Utf8)
        emails = normalize(given, "email", platform or "meta").drop_nulls()
        probe = Hasher().hash(emails)
        # as the dictionary writes them and in capitals (CRMs keep 'Mary.Jones@Example.com'
        # or 'MARY.JONES@EXAMPLE.COM'): found too, and not normalized
        as_written = pl.concat([given, given.str.to_uppercase()]).unique()
        probe_written = Hasher().hash(as_written.filter(
            ~as_written.is_in(emails.implode()) & (as_written.str.strip_chars() != "")))
    probes = Probes(platform, day, phones=phones, phones_written=phones_written,
                    dictionary=probe, dictionary_written=probe_written,
                    quasi=list(quasi_identifiers) if quasi_identifiers is not None else None,
                    k=k, parts=len(grouped) if grouped is not None else 1,
                    size=sum(p.stat().st_size for p in parts) if parts is not None else None)
    timings["probes"] = time.perf_counter() - start
    facts = ExportFacts(probes, name=name)
    try:
        _measure(facts, first, first_scans, timings)
        del first
        for frame, scans in frames:
            _measure(facts, frame, scans, timings)
            del frame
        start = time.perf_counter()
        facts.finish()
        if facts.recount_quasi and parts is not None:
            facts.count_classes(
                read_path(p, "export", encoding, separator, True).select(facts.quasi)
                for p in parts)
        timings["summary"] += time.perf_counter() - start
        if progress is not None:
            progress(1, len(_CHECKS) + 1)
        findings = _run_checks(facts, manifest, path, public_key, parts, min_audience,
                               len(words) if words is not None else None, phone_block,
                               timings, progress)
    finally:
        facts.close()
    findings.sort(key=lambda f: (-rank(f.severity), f.check, f.column or ""))
    timings["total"] = time.perf_counter() - started
    return AuditReport(platform, source, facts.rows, findings, facts.summary(), timings,
                       measurements)


_CHECKS = ("formats", "encoding", "reversal", "phones", "dictionary", "frequency", "combined",
           "duplicates", "plaintext", "k_anonymity", "size", "sensitive", "anonymous", "manifest")


def batches(parts: list[Path], batch_bytes: int) -> list[list[Path]]:
    """Consecutive part files grouped into batches of at most ``batch_bytes`` bytes of files
    (a larger part is a batch of its own)."""
    grouped: list[list[Path]] = [[]]
    size = 0
    for part in parts:
        n = part.stat().st_size
        if grouped[-1] and size + n > batch_bytes:
            grouped.append([])
            size = 0
        grouped[-1].append(part)
        size += n
    return grouped


def _parts_differ(row: int) -> InvalidInputError:
    """The error for a part whose columns differ from the first part's."""
    return InvalidInputError(
        f"the part that starts at row {row:,} of the export has other columns or column types "
        "than the first part; the parts of one export share one schema (re-export it)")


def _read_parts(export: object, path: Path | None, grouped: list[list[Path]] | None,
                encoding: str, separator: str | None, timings: dict[str, float],
                ) -> Iterator[tuple[pl.DataFrame, list[FileScan]]]:
    """The export one batch of parts at a time (one file or table: one batch), each file with
    the pass over its bytes (SHA-256, hex proof) running beside its read."""
    if grouped is None:
        scans = [FileScan(path)] if path is not None and path.is_file() else []
        for scan in scans:
            scan.start()
        start = time.perf_counter()
        frame = read_table(export, what="export", encoding=encoding, separator=separator,
                           repeats=True)
        timings["read"] += time.perf_counter() - start
        yield frame, scans
        return
    first: pl.DataFrame | None = None
    rows = 0
    for files in grouped:
        scans = [FileScan(file) for file in files]
        for scan in scans:
            scan.start()
        start = time.perf_counter()
        frames = []
        for file in files:
            frame = read_path(file, "export", encoding, separator, True)
            first = frame if first is None else first
            if frame.columns != first.columns or frame.schema != first.schema:
                raise _parts_differ(rows)
            rows += frame.height
            frames.append(frame)
        batch = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
        del frames, frame
        first = batch.clear()  # the schema, without the rows
        timings["read"] += time.perf_counter() - start
        yield batch, scans


def _measure(facts: ExportFacts, frame: pl.DataFrame, scans: list[FileScan],
             timings: dict[str, float]) -> None:
    start = time.perf_counter()
    facts.add(frame, scans)
    for scan in scans:
        if scan.sha256 is not None:
            facts.digests[scan.path.name] = scan.sha256
    timings["summary"] += time.perf_counter() - start


def _dictionary(dictionary: Iterable[str] | str | os.PathLike[str] | None) -> list[str] | None:
    """The dictionary's emails: given, or read from a file with one per line."""
    if dictionary is None:
        return None
    if isinstance(dictionary, (str, os.PathLike)):
        try:
            from ._io import read_regular

            return read_regular(dictionary).decode("utf-8").split()
        except (OSError, UnicodeDecodeError):
            raise ReadError(
                f"cannot read the dictionary file {safe_name(str(dictionary))} "
                "(UTF-8 text, one email per line)") from None
    if isinstance(dictionary, (bytes, Mapping)) or not isinstance(dictionary, Iterable):
        raise InputTypeError(f"dictionary must be an iterable of emails or a file path, got "
                             f"{type(dictionary).__name__}")
    words = list(dictionary)
    if not all(isinstance(w, str) for w in words):
        raise InputTypeError("dictionary must hold emails as str")
    return words


def _run_checks(facts: ExportFacts, manifest: dict[str, Any] | None, path: Path | None,
                public_key: Any, parts: list[Path] | None, min_audience: int | None,
                dictionary: int | None, phone_block: int, timings: dict[str, float],
                progress: Callable[[int, int], None] | None) -> list[Finding]:
    """The thirteen checks in order, each timed."""
    state: dict[str, Any] = {}

    def reversal() -> list[Finding]:
        found, state["reversed"] = checks.check_reversal(facts)
        return found

    steps: dict[str, Callable[[], list[Finding]]] = {
        "formats": lambda: checks.check_formats(facts),
        "encoding": lambda: checks.check_encoding(facts),
        "reversal": reversal,
        "phones": lambda: checks.check_phones(facts, phone_block),
        "dictionary": lambda: (checks.check_dictionary(facts, dictionary)
                               if dictionary is not None else []),
        "frequency": lambda: checks.check_frequency(facts, state["reversed"]),
        "combined": lambda: checks.check_combined(facts),
        "duplicates": lambda: checks.check_duplicates(facts),
        "plaintext": lambda: checks.check_plaintext(facts),
        "k_anonymity": lambda: checks.check_k_anonymity(facts),
        "size": lambda: checks.check_size(facts, min_audience),
        "sensitive": lambda: checks.check_sensitive(facts, manifest),
        "anonymous": lambda: checks.check_anonymous(facts, manifest),
        "manifest": lambda: checks.check_manifest(facts, manifest, path, public_key, parts),
    }
    findings: list[Finding] = []
    for i, label in enumerate(_CHECKS, 2):
        start = time.perf_counter()
        findings.extend(steps[label]())
        timings[label] = time.perf_counter() - start
        if progress is not None:
            progress(i, len(_CHECKS) + 1)
    return findings
