"""Digests computed with the cryptography primitives directly: an oracle independent of the
library's own hashing code, for planting hashed values in test exports."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac


def sha(value: str) -> str:
    """SHA-256 of the UTF-8 text, lower-case hex."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(value.encode())
    return digest.finalize().hex()


#: A fixed key for tests: 32 bytes drawn once from os.urandom (a repeated byte is refused).
KEY = bytes.fromhex("b385203674e52ba89ae05680a551349d5284875f1a49577c2d2d53596e5f4f3d")


def hmac_hex(value: str, key: bytes = KEY) -> str:
    """HMAC-SHA256 of the UTF-8 text under ``key``, lower-case hex."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(value.encode())
    return mac.finalize().hex()
