"""The privacy audit of a hashed export: thirteen checks, findings with severities.

The audit sees the export and, when given, its manifest and the signer's public key; it never
needs the CRM. It reverses rather than guesses: low-entropy domains (see
:mod:`privacy._audit_domains`) are hashed under the destination's rules and joined against
each hashed column, and the share of rows actually reversed is reported. No finding carries a
full plaintext value: samples are masked, and so are column names that look like data.

The work is split by job: the domains and their cache (``_audit_domains``), the pass over the
file's bytes (``_audit_scan``), the facts about the export computed once and linear in its
cells (``_audit_facts``), the checks (``_audit_checks``) and the report (``_audit_report``).
This module reads the inputs and runs the checks in order.

Severity policy (see the README): an unkeyed low-entropy column in a platform upload is
reversible by design of the platform (medium: drop it unless it lifts the match rate); the same
column in a partner export, where a keyed hash was possible, is high.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import _audit_checks as checks
from ._audit_domains import domain_table
from ._audit_facts import ExportFacts, gather_facts, guess_platform
from ._audit_report import AUDIT_VERSION, SEVERITIES, AuditReport, Finding, rank
from ._audit_scan import FileScan
from ._errors import InputTypeError, InvalidInputError, ReadError
from ._io import part_files, read_table
from ._manifest import load_public_key, manifest_path, read_manifest
from ._platforms import PLATFORMS, check_platform
from ._redact import safe_name

__all__ = ["AUDIT_VERSION", "SEVERITIES", "AuditReport", "Finding", "audit"]


def _phone_rate(block: int, digits_only: bool) -> tuple[Any, float | None]:
    """The hashed block and, when it was hashed now (not cached), this machine's rate."""
    hits = checks.phone_block.cache_info().hits
    start = time.perf_counter()
    hashed = checks.phone_block(block, digits_only)
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
        How many phone numbers to enumerate.
    today : date, optional
        The last date of birth enumerated (default: today).
    progress : callable, optional
        ``progress(done, total)`` after each check.
    encoding, separator : str, optional
        How to read a CSV export.

    Returns
    -------
    AuditReport
    """
    started = time.perf_counter()
    path: Path | None = None
    name: str | None = None
    scan: FileScan | None = None
    if today is not None and not isinstance(today, dt.date):
        raise InputTypeError(f"today must be a datetime.date, got {type(today).__name__}")
    day = today or dt.date.today()
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise InvalidInputError(f"k must be an int of at least 2, got {k!r}")
    if isinstance(public_key, (bytes, str, os.PathLike)):
        public_key = load_public_key(public_key)
    if public_key is not None and not isinstance(public_key, Ed25519PublicKey):
        raise InputTypeError(
            f"public_key must be an Ed25519 public key, PEM bytes or a PEM file path, got "
            f"{type(public_key).__name__}")
    # the low-entropy domains are hashed (once per process) while polars reads the file
    domains = threading.Thread(target=domain_table, args=(day,), daemon=True)
    domains.start()
    parts: list[Path] | None = None
    if isinstance(export, (str, os.PathLike)):
        path = Path(export)
        name = path.name
        parts = part_files(path)
        if parts is None and path.is_file():
            scan = FileScan(path)
            scan.start()
    frame = read_table(export, what="export", encoding=encoding, separator=separator)
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
        platform = guess_platform(frame.columns)
        source = "headers" if platform else "unknown: treated as a partner export"
    else:
        platform = check_platform(platform)
    if isinstance(dictionary, (str, os.PathLike)):
        try:
            dictionary = Path(dictionary).read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError):
            raise ReadError(
                f"cannot read the dictionary file {safe_name(str(dictionary))} "
                "(UTF-8 text, one email per line)") from None
    if dictionary is not None and isinstance(dictionary, (bytes, dict)):
        raise InputTypeError("dictionary must be an iterable of emails or a file path")

    timings: dict[str, float] = {"read": time.perf_counter() - started}
    measurements: dict[str, float] = {}
    state: dict[str, Any] = {}

    def facts() -> ExportFacts:
        return state["facts"]

    def gather() -> list[Finding]:
        state["facts"] = gather_facts(frame, platform, day, name, scan)
        return []

    def reversal() -> list[Finding]:
        found, state["reversed"] = checks.check_reversal(facts())
        return found

    def phones() -> list[Finding]:
        block, rate = _phone_rate(phone_block, platform in ("meta", "tiktok", "snap"))
        if rate is not None:
            measurements["sha256_per_second"] = round(rate)
        return checks.check_phones(facts(), block)

    steps: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("summary", gather),
        ("formats", lambda: checks.check_formats(facts())),
        ("reversal", reversal),
        ("phones", phones),
        ("dictionary", lambda: checks.check_dictionary(facts(), dictionary)  # type: ignore[arg-type]
         if dictionary is not None else []),
        ("frequency", lambda: checks.check_frequency(facts(), state["reversed"])),
        ("combined", lambda: checks.check_combined(facts())),
        ("duplicates", lambda: checks.check_duplicates(facts())),
        ("plaintext", lambda: checks.check_plaintext(facts())),
        ("k_anonymity", lambda: checks.check_k_anonymity(facts(), quasi_identifiers, k)),
        ("size", lambda: checks.check_size(facts(), min_audience)),
        ("sensitive", lambda: checks.check_sensitive(facts(), manifest)),  # type: ignore[arg-type]
        ("anonymous", lambda: checks.check_anonymous(facts(), manifest)),  # type: ignore[arg-type]
        ("manifest", lambda: checks.check_manifest(facts(), manifest, path, public_key,  # type: ignore[arg-type]
                                                   parts)),
    ]
    findings: list[Finding] = []
    for i, (label, step) in enumerate(steps, 1):
        start = time.perf_counter()
        findings.extend(step())
        timings[label] = time.perf_counter() - start
        if progress is not None:
            progress(i, len(steps))
    findings.sort(key=lambda f: (-rank(f.severity), f.check, f.column or ""))
    timings["total"] = time.perf_counter() - started
    return AuditReport(platform, source, facts().rows, findings, facts().summary(), timings,
                       measurements)
