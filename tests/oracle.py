"""Digests computed with the cryptography primitives directly: an oracle independent of the
library's own hashing code, for planting hashed values in test exports."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac


def sha(value: str) -> str:
    """SHA-256 of the UTF-8 text, lower-case hex."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(value.encode())
    return digest.finalize().hex()


def hmac_hex(value: str, key: bytes = b"k" * 32) -> str:
    """HMAC-SHA256 of the UTF-8 text under ``key``, lower-case hex."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(value.encode())
    return mac.finalize().hex()
