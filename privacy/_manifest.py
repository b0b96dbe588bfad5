"""Export manifests: what a file is, its digest, and an Ed25519 signature over both."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._checks import keys_once
from ._errors import InputTypeError, ManifestError, ReadError
from ._io import check_path, open_regular, read_regular
from ._redact import safe_name

__all__ = [
    "MANIFEST_VERSION", "file_sha256", "generate_signing_key", "load_private_key",
    "load_public_key", "manifest_path", "manifest_problems", "manifest_text", "read_manifest",
    "sign_manifest", "verify_manifest",
]

MANIFEST_VERSION = 1
_CHUNK = 1 << 20


def manifest_path(path: str | os.PathLike[str]) -> Path:
    """Where a file's manifest lives: ``<path>.manifest.json``."""
    return Path(f"{os.fspath(path)}.manifest.json")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, hex, streamed with the ``cryptography`` package. A file
    that cannot be read is a :class:`ReadError` naming it masked (it was Python's
    FileNotFoundError with the path in full); a device or a pipe is refused, not read
    forever."""
    text = check_path(path, "file")
    digest = hashes.Hash(hashes.SHA256())
    try:
        with open_regular(text) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        # never str(exc): Python's message holds the path in full
        raise ReadError(f"cannot read {safe_name(Path(text).name)} to hash it: "
                        f"{exc.strerror or type(exc).__name__}") from None
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
    """The signed bytes: the manifest without its signature as sorted, compact JSON; a value
    JSON cannot carry (NaN, an infinity, a non-text key, text that is not Unicode, an object)
    is a ManifestError, never signed as Python's non-standard JSON."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        raise ManifestError(
            "a manifest holds JSON values only: text keys, and text, integers, finite numbers, "
            "booleans, null, lists and objects; this one holds NaN, an infinity, a text that is "
            "not Unicode, a key that is not text, or a Python object") from None


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (sha256 of its raw bytes, first 16 hex)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(raw)
    return digest.finalize().hex()[:16]


def sign_manifest(manifest: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of ``manifest`` with an Ed25519 signature over its canonical JSON."""
    if not isinstance(manifest, dict):
        raise InputTypeError(f"manifest must be a dict (Upload.manifest, or a manifest file "
                             f"read as JSON), got {type(manifest).__name__}")
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


#: The manifest's fields and the JSON types each must have (None: may be null).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "manifest_version": (int,), "platform": (str,), "file": (str,), "rows": (int,),
    "schema": (list,), "normalization_version": (str,), "hash_scheme": (str,),
    "hashed_columns": (list,), "key_id": (str, type(None)), "sha256": (str,),
    "created_at": (str,), "tool": (str,), "report": (dict,), "description": (str,),
    "signature": (dict,), "parts": (list,), "operation": (str,),
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def manifest_problems(manifest: object) -> list[str]:
    """What is wrong with a manifest's shape: fields of the wrong type, a malformed digest or
    signature. Empty when the shape is right (the signature itself is not checked here)."""
    if not isinstance(manifest, dict):
        return [f"a manifest must be a JSON object, got {_json_type(manifest)}"]
    problems = []
    for name, types in _FIELD_TYPES.items():
        if name not in manifest:
            continue
        value = manifest[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            want = " or ".join(_json_type_name(t) for t in types)
            problems.append(f"field {name!r} must be {want}, got {_json_type(value)}")
    rows = manifest.get("rows")
    if isinstance(rows, int) and not isinstance(rows, bool) and rows < 0:
        problems.append("field 'rows' must not be negative")
    digest = manifest.get("sha256")
    if isinstance(digest, str) and not _SHA256.match(digest):
        problems.append("field 'sha256' must be 64 lower-case hex characters")
    sig = manifest.get("signature")
    if isinstance(sig, dict):
        problems.extend(_signature_problems(sig))
    return problems


def _signature_problems(sig: dict[str, Any]) -> list[str]:
    problems = []
    if sig.get("algorithm") != "ed25519":
        problems.append("signature 'algorithm' must be 'ed25519'")
    value = sig.get("value")
    if not isinstance(value, str):
        problems.append(f"signature 'value' must be a string, got {_json_type(value)}")
    else:
        try:
            raw = base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            raw = b""
        if len(raw) != 64:
            problems.append("signature 'value' must be the Base64 of a 64-byte Ed25519 signature")
    key_id = sig.get("public_key_id")
    if key_id is not None and not isinstance(key_id, str):
        problems.append(f"signature 'public_key_id' must be a string, got {_json_type(key_id)}")
    return problems


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _json_type_name(t: type) -> str:
    return "null" if t is type(None) else _json_type(t())


def verify_manifest(
    manifest: dict[str, Any] | str | os.PathLike[str],
    public_key: Ed25519PublicKey,
    file: str | os.PathLike[str] | None = None,
) -> bool:
    """Check a manifest's shape and signature (and, given ``file``, its rows' digest); raise
    :class:`privacy.ManifestError` saying what did not verify.

    A check that was asked for is never skipped: a manifest without a signature, with a
    malformed one, or with fields of the wrong types fails. Returns True when all verifies.
    """
    if not isinstance(public_key, Ed25519PublicKey):
        raise InputTypeError(
            f"public key must be an Ed25519 public key, got {type(public_key).__name__}; "
            "load one with privacy.load_public_key"
        )
    if isinstance(manifest, (str, os.PathLike)):
        manifest = read_manifest(manifest)
    problems = manifest_problems(manifest)
    if problems:
        raise ManifestError("manifest is malformed: " + "; ".join(problems))
    sig = manifest.get("signature")
    if sig is None:
        raise ManifestError(
            "manifest is not signed, but a signature check was asked for; sign it with "
            "sign_manifest (or --signing-key), or do not release it"
        )
    try:
        public_key.verify(base64.b64decode(sig["value"]), _canonical(manifest))
    except InvalidSignature:
        raise ManifestError(
            "manifest signature does not verify with this public key: the manifest was changed "
            "after signing, or was signed by another key"
        ) from None
    if file is not None:
        if "sha256" not in manifest:
            raise ManifestError("manifest has no 'sha256': it cannot vouch for a file")
        actual = file_sha256(file)
        if actual != manifest["sha256"]:
            raise ManifestError(
                "the file does not match its manifest: sha256 differs "
                "(the file was changed after the manifest was written)"
            )
    return True


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a manifest JSON file; a clear :class:`privacy.ManifestError` when it is not one."""
    name = safe_name(Path(path).name or os.fspath(path))
    try:
        raw = read_regular(path, _MAX_MANIFEST)
        if len(raw) > _MAX_MANIFEST:
            raise ManifestError(f"manifest {name} is over {_MAX_MANIFEST >> 20} MiB: not one")
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_repeats,
                          parse_constant=_no_constants)
    except FileNotFoundError:
        raise ReadError(f"manifest not found: {name}; check the path") from None
    except IsADirectoryError:
        raise ReadError(f"manifest {name} is a folder, not a file") from None
    except OSError as exc:
        raise ReadError(f"cannot read manifest {name}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"manifest {name} is not UTF-8 text") from None
    except ManifestError:
        raise  # a field twice, or NaN: said by the hooks
    except (ValueError, RecursionError) as exc:  # ValueError: an int of over 4,300 digits too
        detail = (exc.msg if isinstance(exc, json.JSONDecodeError) else "RecursionError"
                  if isinstance(exc, RecursionError) else "a number has too many digits")
        raise ManifestError(f"manifest {name} is not valid JSON ({detail})") from None
    if not isinstance(data, dict):
        raise ManifestError(f"manifest {name} must be a JSON object, got {_json_type(data)}")
    return data


_MAX_MANIFEST = 64 * 2**20


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose fields are named once: a signature over one reading must not vouch
    for another."""
    return keys_once(pairs, lambda key: ManifestError(
        f"manifest names the field {safe_name(key)} twice in one object: readers differ on "
        "which one counts, so it is refused"))


def _no_constants(name: str) -> Any:
    raise ManifestError(f"manifest holds {name}, which is not JSON")


def manifest_text(manifest: dict[str, Any]) -> str:
    """A manifest as the pretty JSON text written to disk."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _key_bytes(pem: object, what: str) -> bytes:
    if isinstance(pem, bytes):
        return pem
    if not isinstance(pem, (str, os.PathLike)):
        raise InputTypeError(f"{what} must be PEM bytes or a file path, got {type(pem).__name__}")
    try:
        return read_regular(pem, 1 << 16)
    except FileNotFoundError:
        raise ReadError(f"{what} file not found: {safe_name(os.fspath(pem))}") from None
    except OSError as exc:
        raise ReadError(
            f"cannot read {what} file {safe_name(os.fspath(pem))}: {exc.strerror}") from None


def load_private_key(pem: bytes | str | os.PathLike[str]) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM bytes or a PEM file (unencrypted PKCS#8)."""
    data = _key_bytes(pem, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ManifestError(
            "signing key is not an unencrypted PEM private key; make one with "
            "python -m privacy keygen"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ManifestError(f"signing key must be Ed25519, got {type(key).__name__}")
    return key


def load_public_key(pem: bytes | str | os.PathLike[str]) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes or a PEM file."""
    data = _key_bytes(pem, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
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
