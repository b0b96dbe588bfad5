"""The privacy package's exceptions: one root, leaves that also subclass the matching builtin.

Messages say what was received (a type, a column name, a count, a masked sample) and how to fix
it. They never carry a plaintext identifier or a key.
"""

from __future__ import annotations

__all__ = [
    "InputTypeError",
    "InvalidInputError",
    "ManifestError",
    "MissingColumnError",
    "PrivacyError",
    "PsiError",
    "ReadError",
    "UnknownPlatformError",
    "UnsupportedIdentifierError",
    "WriteError",
]


class PrivacyError(Exception):
    """Root of every error raised by :mod:`privacy`."""


class InvalidInputError(PrivacyError, ValueError):
    """An argument has the right type but a value that cannot be used."""


class InputTypeError(PrivacyError, TypeError):
    """An argument has a type the function does not accept."""


class UnknownPlatformError(InvalidInputError):
    """A platform name that is not one of :data:`privacy.PLATFORMS`."""


class UnsupportedIdentifierError(InvalidInputError):
    """The destination platform does not take this kind of identifier."""


class MissingColumnError(PrivacyError, KeyError):
    """A column that was named or required is not in the table."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class ReadError(PrivacyError, OSError):
    """A file or table could not be read."""


class ManifestError(PrivacyError, ValueError):
    """A manifest is malformed, or its signature or digest does not verify."""


class WriteError(PrivacyError, OSError):
    """An output file cannot be written where asked, or would replace what it must not."""


class PsiError(PrivacyError, ValueError):
    """A private set intersection message is malformed, from another session, or was made
    under other normalization rules; or a step was run out of order."""
