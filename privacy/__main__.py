"""Command line: ``python -m privacy hash|audit|keygen|psi ...``.

Exit codes: 0 done, 1 audit findings at or above ``--fail-on``, 2 unreadable input, bad
arguments or a refused output (``error: ...`` on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ._errors import InvalidInputError, PrivacyError
from ._manifest import generate_signing_key, load_private_key, private_key_pem, public_key_pem
from ._platforms import PLATFORMS
from ._redact import ArgumentParser, path_arg, printable, rows_text, safe_name


class _Progress:
    """Progress on stderr: a redrawn bar on a terminal, a line per tenth in a log (``force``),
    nothing otherwise. A ``\\r`` never goes into a file."""

    def __init__(self, label: str, enabled: bool, force: bool = False) -> None:
        self.label = label
        self.tty = _stderr_is_tty()
        self.enabled = (enabled and self.tty) or force
        self._last = 0.0
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        share = done / max(total, 1)
        if not self.tty:
            tenth = int(10 * share)
            if tenth > self._tenth:
                self._tenth = tenth
                _say(f"{self.label}: {100 * share:.0f}%")
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        width = 30
        filled = int(width * share)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {100 * share:5.1f}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _say(message: str) -> None:
    """A status line on stderr (what a long phase is doing)."""
    print(printable(message), file=sys.stderr, flush=True)


def _out(text: str) -> None:
    print(printable(text, keep_newlines=True))


def _hash(args: argparse.Namespace) -> int:
    from ._io import check_output, read_table
    from ._manifest import manifest_path
    from ._upload import prepare_upload

    inputs = [args.crm, args.signing_key]
    # every output is checked, and the key loaded, before any work starts
    output = check_output(args.output, inputs=inputs, what="upload")
    check_output(manifest_path(output), inputs=inputs, what="manifest")
    signing_key = load_private_key(args.signing_key) if args.signing_key else None
    crm = read_table(args.crm, what="CRM", encoding=args.encoding, separator=args.delimiter)
    progress = _Progress("normalizing and hashing", enabled=crm.height >= 100_000 or args.progress,
                         force=args.progress)
    upload = prepare_upload(
        crm, args.platform, _column_map(args.column), default_region=args.region,
        dayfirst=args.dayfirst, progress=progress, operation=args.operation,
    )
    status = _say if (progress.enabled or crm.height >= 100_000) else None
    manifest = upload.write(output, signing_key=signing_key, inputs=inputs, status=status)
    _out(upload.report.to_text())
    _out(f"wrote {safe_name(args.output)} ({rows_text(manifest['rows'])}) and its manifest"
         + (" (signed)" if signing_key else " (unsigned)"))
    return 0


def _column_map(given: list[str] | None) -> dict[str, str] | None:
    """``--column 'CRM column=kind'`` options as prepare_upload's ``columns=`` (None: the
    headers are recognized)."""
    if not given:
        return None
    mapping: dict[str, str] = {}
    for item in given:
        column, equals, kind = item.rpartition("=")
        if not equals or not column or not kind:
            raise InvalidInputError(
                f"--column takes CRM_COLUMN=KIND (e.g. --column 'Mail Home=email'), got "
                f"{safe_name(item)!r}")
        if column in mapping:
            raise InvalidInputError(f"--column maps {safe_name(column)!r} twice; once each")
        mapping[column] = kind.strip()
    return mapping


def _audit(args: argparse.Namespace) -> int:
    from ._audit import audit
    from ._io import atomic_write, check_output
    from ._manifest import load_public_key, manifest_path

    to_stdout = args.json == "-"  # the JSON for a pipeline, the summary for its log
    if args.json and not to_stdout:
        check_output(args.json, inputs=[args.file, args.manifest, args.public_key,
                                        manifest_path(args.file), args.dictionary],
                     what="JSON report")
    public_key = load_public_key(args.public_key) if args.public_key else None
    progress = _Progress("auditing", enabled=args.progress or _is_large(args.file),
                         force=args.progress)
    report = audit(args.file, platform=args.platform, manifest=args.manifest,
                   public_key=public_key, dictionary=args.dictionary, progress=progress,
                   batch_bytes=int(args.batch_mb * 2**20))
    if to_stdout:
        _say(report.to_text())
        _out(report.to_json())
    else:
        _out(report.to_text())
    if args.json and not to_stdout:
        with atomic_write(args.json, "w") as handle:
            handle.write(report.to_json() + "\n")
    return 0 if report.ok(args.fail_on) else 1


def _megabytes(text: str) -> float:
    """A --batch-mb value: a number of MB, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of MB, such as 64") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("expected a number of MB of at least 0, such as 64")
    return value


def _is_large(path: str) -> bool:
    """Over 50 MB: a file, or the part files of a folder or glob."""
    from ._io import part_files

    try:
        parts = part_files(Path(path)) or [Path(path)]
        return sum(p.stat().st_size for p in parts) > 50 * 2**20
    except (OSError, PrivacyError):
        return False


def _keygen(args: argparse.Namespace) -> int:
    from ._io import atomic_write, check_output

    private = Path(args.private)
    public = Path(args.public) if args.public else private.with_suffix(".pub.pem")
    if os.path.abspath(private) == os.path.abspath(public) or (
        private.exists() and public.exists() and os.path.samefile(private, public)
    ):
        raise InvalidInputError(
            "the private and the public key would be the same file; give --public another path"
        )
    # Keys are never replaced by accident: --force replaces an existing pair on purpose.
    check_output(private, what="private key file", replace=args.force, keys_ok=args.force)
    check_output(public, inputs=[private], what="public key file", replace=args.force,
                 keys_ok=args.force)
    key = generate_signing_key()
    with atomic_write(private, replace=args.force, file_mode=0o600, keys_ok=args.force) as h:
        h.write(private_key_pem(key))
    with atomic_write(public, replace=args.force, keys_ok=args.force) as h:
        h.write(public_key_pem(key.public_key()))
    _out(f"wrote private key {safe_name(str(private))} (keep it away from the data) and public "
         f"key {safe_name(str(public))}")
    return 0


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m privacy", description="Normalize, hash and audit CRM identifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hash", help="write a platform upload file and its manifest")
    h.add_argument("crm", type=path_arg, help="CRM table: CSV or Parquet with a header row")
    h.add_argument("--platform", required=True, choices=PLATFORMS)
    h.add_argument("-o", "--output", required=True, type=path_arg,
                   help="upload file (.csv or .parquet)")
    h.add_argument("--region", default="US", help="default region for phones/ZIPs (ISO alpha-2)")
    h.add_argument("--column", action="append", metavar="CRM_COLUMN=KIND",
                   help="map a CRM column to an identifier kind (email, phone, first_name, "
                   "zip, dob...); repeat it for each column, and for several email or phone "
                   "columns where the platform takes them (default: recognize the headers)")
    order = h.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True,
                       help="read ambiguous dates of birth day first (31/12 and 01/02 as "
                       "1 February)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="read them month first (default: as the row's region writes them)")
    h.add_argument("--signing-key", type=path_arg,
                   help="Ed25519 private key (PEM) to sign the manifest")
    h.add_argument("--operation", choices=["add", "remove"], default="add",
                   help="people to add to the platform's audience (default) or to remove "
                        "(an incremental sync); recorded in the manifest")
    h.add_argument("--progress", action="store_true",
                   help="show progress on small files too, and in logs (a line per tenth)")
    h.add_argument("--encoding", default="utf-8",
                   help="the CSV's text encoding (default utf-8; e.g. utf-16, cp1252)")
    h.add_argument("--delimiter", help="the CSV's delimiter (default ',' or a tab for .tsv)")
    h.set_defaults(func=_hash)
    a = sub.add_parser(
        "audit", help="audit a hashed export (exit 0 clean, 1 findings, 2 unreadable)"
    )
    a.add_argument("file", type=path_arg,
                   help="the export: CSV or Parquet, or a folder or glob of parts")
    a.add_argument("--manifest", type=path_arg,
                   help="manifest JSON (default: <file>.manifest.json if present)")
    a.add_argument("--public-key", type=path_arg,
                   help="Ed25519 public key (PEM) to verify the signature")
    a.add_argument("--platform", choices=(*PLATFORMS, "partner"),
                   help="destination (default: manifest, then headers); 'partner' for exports "
                   "that are not platform uploads")
    a.add_argument("--fail-on", default="high",
                   choices=("info", "low", "medium", "high", "critical"))
    a.add_argument("--dictionary", type=path_arg,
                   help="a file of emails, one per line, to probe email columns")
    a.add_argument("--json", help="also write the report as JSON here ('-': to standard "
                   "output, and the summary to standard error)")
    a.add_argument("--progress", action="store_true", help="show progress on small files too")
    a.add_argument("--batch-mb", type=_megabytes, default=64,
                   help="parts of a folder read together, in MB of files (default 64; 0: one "
                   "part at a time): the audit's memory is bounded by a batch")
    a.set_defaults(func=_audit)
    k = sub.add_parser("keygen", help="make an Ed25519 key pair for signing manifests")
    k.add_argument("private", type=path_arg, help="where to write the private key (PEM)")
    k.add_argument("--public", type=path_arg,
                   help="where to write the public key (default: <private>.pub.pem)")
    k.add_argument("--force", action="store_true",
                   help="replace an existing key pair (never one half with the other)")
    k.set_defaults(func=_keygen)
    from ._psi_cli import add_psi_parser

    add_psi_parser(sub, _out)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 done, 1 findings, 2 errors)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PrivacyError as exc:
        _say(f"error: {exc}")
    except OSError as exc:  # the message is the system's, about a path the user gave
        _say(f"error: {exc.strerror or type(exc).__name__}")
    except MemoryError:
        _say("error: out of memory; process the file in parts")
    except Exception as exc:  # never a traceback: it could quote a value
        _say(f"error: unexpected {type(exc).__name__}; please report it (no data is shown)")
    return 2


if __name__ == "__main__":
    sys.exit(main())
