"""Command line: ``python -m privacy hash|keygen ...``.

Exit codes: 0 done, 2 unreadable input or bad arguments (with a message on stderr).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ._errors import PrivacyError
from ._manifest import generate_signing_key, load_private_key, private_key_pem, public_key_pem
from ._platforms import PLATFORMS


class _Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {100 * done / max(total, 1):5.1f}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _hash(args: argparse.Namespace) -> int:
    from ._io import read_table
    from ._upload import prepare_upload

    crm = read_table(args.crm, what="CRM")
    signing_key = load_private_key(args.signing_key) if args.signing_key else None
    progress = _Progress("normalizing and hashing", enabled=crm.height >= 100_000 or args.progress)
    upload = prepare_upload(
        crm, args.platform, default_region=args.region, progress=progress,
    )
    manifest = upload.write(args.output, signing_key=signing_key)
    print(upload.report.to_text())
    print(f"wrote {args.output} ({manifest['rows']:,} rows) and {args.output}.manifest.json"
          + (" (signed)" if signing_key else " (unsigned)"))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from ._audit import audit
    from ._io import atomic_write

    progress = _Progress("auditing", enabled=args.progress or _is_large(args.file))
    report = audit(args.file, platform=args.platform, manifest=args.manifest,
                   public_key=args.public_key, dictionary=args.dictionary, progress=progress)
    print(report.to_text())
    if args.json:
        with atomic_write(args.json, "w") as handle:
            handle.write(report.to_json() + "\n")
    return 0 if report.ok(args.fail_on) else 1


def _is_large(path: str) -> bool:
    try:
        return Path(path).stat().st_size > 50 * 2**20
    except OSError:
        return False


def _keygen(args: argparse.Namespace) -> int:
    from ._io import atomic_write

    key = generate_signing_key()
    private = Path(args.private)
    with atomic_write(private) as handle:
        handle.write(private_key_pem(key))
    private.chmod(0o600)
    public = Path(args.public) if args.public else private.with_suffix(".pub.pem")
    with atomic_write(public) as handle:
        handle.write(public_key_pem(key.public_key()))
    print(f"wrote private key {private} (keep it away from the data) and public key {public}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m privacy", description="Normalize, hash and audit CRM identifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hash", help="write a platform upload file and its manifest")
    h.add_argument("crm", help="CRM table: CSV or Parquet with a header row")
    h.add_argument("--platform", required=True, choices=PLATFORMS)
    h.add_argument("-o", "--output", required=True, help="upload file (.csv or .parquet)")
    h.add_argument("--region", default="US", help="default region for phones/ZIPs (ISO alpha-2)")
    h.add_argument("--signing-key", help="Ed25519 private key (PEM) to sign the manifest")
    h.add_argument("--progress", action="store_true", help="show progress on small files too")
    h.set_defaults(func=_hash)
    a = sub.add_parser(
        "audit", help="audit a hashed export (exit 0 clean, 1 findings, 2 unreadable)"
    )
    a.add_argument("file", help="the export: CSV or Parquet")
    a.add_argument("--manifest", help="manifest JSON (default: <file>.manifest.json if present)")
    a.add_argument("--public-key", help="Ed25519 public key (PEM) to verify the signature")
    a.add_argument("--platform", choices=(*PLATFORMS, "partner"),
                   help="destination (default: manifest, then headers); 'partner' for exports "
                   "that are not platform uploads")
    a.add_argument("--fail-on", default="high",
                   choices=("info", "low", "medium", "high", "critical"))
    a.add_argument("--dictionary", help="a file of emails, one per line, to probe email columns")
    a.add_argument("--json", help="also write the report as JSON here")
    a.add_argument("--progress", action="store_true", help="show progress on small files too")
    a.set_defaults(func=_audit)
    k = sub.add_parser("keygen", help="make an Ed25519 key pair for signing manifests")
    k.add_argument("private", help="where to write the private key (PEM)")
    k.add_argument("--public", help="where to write the public key (default: <private>.pub.pem)")
    k.set_defaults(func=_keygen)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PrivacyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
