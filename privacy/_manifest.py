"""Export manifests: what a file is, its digest, and an Ed25519 signature over both."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._errors import InputTypeError, ManifestError, ReadError
from ._io import atomic_write

__all__ = [
    "MANIFEST_VERSION", "file_sha256", "generate_signing_key", "load_private_key",
    "load_public_key", "manifest_path", "read_manifest", "sign_manifest", "verify_manifest",
    "write_manifest",
]

MANIFEST_VERSION = 1
_CHUNK = 1 << 20


def manifest_path(path: str | os.PathLike[str]) -> Path:
    """Where a file's manifest lives: ``<path>.manifest.json``."""
    return Path(f"{os.fspath(path)}.manifest.json")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, hex, streamed with the ``cryptography`` package."""
    digest = hashes.Hash(hashes.SHA256())
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.finalize().hex()


def generate_signing_key() -> Ed25519PrivateKey:
    """A new Ed25519 private key for signing manifests.

    Examples
    --------
    >>> from privacy import generate_signing_key, sign_manifest, verify_manifest
    >>> key = generate_signing_key()
    >>> signed = sign_manifest({"platform": "meta", "rows": 3}, key)
    >>> verify_manifest(signed, key.public_key())
    True
    """
    return Ed25519PrivateKey.generate()


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (sha256 of its raw bytes, first 16 hex)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(raw)
    return digest.finalize().hex()[:16]


def sign_manifest(manifest: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of ``manifest`` with an Ed25519 signature over its canonical JSON."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise InputTypeError(
            f"signing key must be an Ed25519 private key, got {type(private_key).__name__}; "
            "make one with privacy.generate_signing_key() or load a PEM with load_private_key"
        )
    signature = private_key.sign(_canonical(manifest))
    signed = {k: v for k, v in manifest.items() if k != "signature"}
    signed["signature"] = {
        "algorithm": "ed25519",
        "public_key_id": public_key_id(private_key.public_key()),
        "value": base64.b64encode(signature).decode(),
    }
    return signed


def verify_manifest(
    manifest: dict[str, Any] | str | os.PathLike[str],
    public_key: Ed25519PublicKey,
    file: str | os.PathLike[str] | None = None,
) -> bool:
    """Check a manifest's signature (and, given ``file``, its digest); raise on any mismatch.

    Returns True when everything verifies; raises :class:`privacy.ManifestError` saying what did
    not.
    """
    if not isinstance(manifest, dict):
        manifest = read_manifest(manifest)
    if not isinstance(public_key, Ed25519PublicKey):
        raise InputTypeError(
            f"public key must be an Ed25519 public key, got {type(public_key).__name__}"
        )
    sig = manifest.get("signature")
    if not isinstance(sig, dict) or sig.get("algorithm") != "ed25519" or "value" not in sig:
        raise ManifestError("manifest is not signed with ed25519; sign it with sign_manifest")
    try:
        public_key.verify(base64.b64decode(sig["value"]), _canonical(manifest))
    except (InvalidSignature, ValueError):
        raise ManifestError(
            "manifest signature does not verify with this public key: the manifest was changed "
            "after signing, or was signed by another key"
        ) from None
    if file is not None:
        actual = file_sha256(file)
        if actual != manifest.get("sha256"):
            raise ManifestError(
                f"file {Path(file).name} does not match its manifest: sha256 differs "
                "(the file was changed after the manifest was written)"
            )
    return True


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a manifest JSON file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise ReadError(f"manifest not found: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        detail = getattr(exc, "msg", type(exc).__name__)
        raise ManifestError(f"manifest {Path(path).name} is not valid JSON ({detail})") from None
    if not isinstance(data, dict):
        raise ManifestError(f"manifest {Path(path).name} must be a JSON object")
    return data


def write_manifest(manifest: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Atomically write a manifest as pretty JSON."""
    with atomic_write(path, "w") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")


def load_private_key(pem: bytes | str | os.PathLike[str]) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM bytes or a PEM file (unencrypted PKCS#8)."""
    data = pem if isinstance(pem, bytes) else Path(pem).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ManifestError("signing key is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ManifestError(f"signing key must be Ed25519, got {type(key).__name__}")
    return key


def load_public_key(pem: bytes | str | os.PathLike[str]) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes or a PEM file."""
    data = pem if isinstance(pem, bytes) else Path(pem).read_bytes()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise ManifestError("public key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ManifestError(f"public key must be Ed25519, got {type(key).__name__}")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """PEM (PKCS#8, unencrypted) bytes of a private key, for files kept apart from the data."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """PEM (SubjectPublicKeyInfo) bytes of a public key."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def utc_now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
