"""What may be shown of a value: masked samples, safe column names, terminal-safe text.

Anything that reaches a person (an error, a report, a finding, a log line) goes through here
first. A value is masked to its shape; a column name is shown as it is unless it looks like an
identifier itself (a CSV without a header row makes its first row the headers); control
characters never reach a terminal raw.
"""

from __future__ import annotations

import argparse
import functools
import math
import numbers
import re
import sys
from typing import NoReturn

__all__ = [
    "CONTROL",
    "ArgumentParser",
    "looks_like_identifier",
    "mask",
    "named",
    "path_arg",
    "printable",
    "rows_text",
    "safe_name",
    "safe_names",
    "shown",
]

_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")
# Four digits or more anywhere (phones, dates, ZIPs, card numbers), or a long hex/Base64 run.
_DIGITS_LIKE = re.compile(r"(?:\d[^\d]{0,3}){4,}")
_DIGEST_LIKE = re.compile(r"[0-9a-fA-F]{16,}|[A-Za-z0-9+/]{40,}={0,2}")
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MAX_NAME = 64


def mask(value: object) -> str:
    """A masked sample: enough shape to recognize the kind of value, never the value.

    Examples
    --------
    >>> mask("maria.lopez@example.com")
    'm***@e***.com'
    >>> mask("+1 650 555 0199")
    '+* *** *** ****'
    """
    text = printable(str(value)).strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        dom, _, tld = domain.rpartition(".")
        tld = tld if tld.isalpha() and len(tld) <= 6 else "***"
        return f"{local[:1]}***@{dom[:1]}***.{tld}"
    digits = sum(c.isdigit() for c in text)
    if digits >= 4:
        return "".join("*" if c.isalnum() else c for c in text)[:_MAX_NAME]
    return text[:1] + "***" if text else ""


def looks_like_identifier(text: str) -> bool:
    """True when a text (a header, a file name) may itself be personal data."""
    return bool(_EMAIL_LIKE.search(text) or _DIGITS_LIKE.search(text)
                or _DIGEST_LIKE.search(text) or len(text) > _MAX_NAME)


def shown(value: object) -> str:
    """A received argument as an error shows it: None, booleans and small numbers as they are,
    anything else by its type only (a wrong argument can be someone's email, and a number of
    seven digits or more someone's phone)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Real):
        try:  # compared as an int when it is one: 10**400 has no float
            number = int(value) if isinstance(value, numbers.Integral) else float(value)
            small = not math.isfinite(number) or abs(number) < 1_000_000
        except (OverflowError, ValueError, ArithmeticError):
            small = False
        return repr(value) if small else f"{_a(value)} of magnitude 1,000,000 or more"
    return _a(value)


def named(value: object) -> str:
    """A received argument as an error names it: text quoted as written unless it looks like
    a person's data (an email, four digits or more, a digest: then masked), a short list of
    small numbers as it is, anything else as :func:`shown` has it (a type, a small number).
    An argument in the wrong place (an email as ``method``, the seed ids as ``fractions``)
    must not reach an error in plain text.

    >>> named("pu_bagging"), named("maria.lopez@example.com"), named((0.01, 0.05))
    ("'pu_bagging'", "'m***@e***.com'", '(0.01, 0.05)')
    >>> named(["maria.lopez@example.com"]), named(16505550199)
    ('a list', 'an int of magnitude 1,000,000 or more')
    """
    if isinstance(value, str):
        return repr(safe_name(value))
    if isinstance(value, (list, tuple)) and len(value) <= 8 \
            and all(v is None or isinstance(v, numbers.Real) for v in value):
        inner = ", ".join(shown(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) \
            else f"[{inner}]"
    return shown(value)


def _a(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def safe_name(name: object) -> str:
    """A column or file name fit to show: as it is, or masked when it looks like data."""
    text = printable(str(name))
    return mask(text) if looks_like_identifier(text) else text


_HEADER_LIKE = re.compile(r"^[a-z0-9_ .\-]{1,64}$")
#: camelCase ('osVersion', 'customerId'): a schema's way of joining words; a value (a name,
#: a city) starts with a capital or is all lower case ('McDonald', 'DeShawn' stay masked).
_CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$")


def header_like(name: str) -> bool:
    """Whether a column name reads as a schema name, not as a value: lower-case words, digits
    and separators (``loyalty_tier``), or a header the library knows (``Email``, ``First
    Name``). A headerless file's first row (``Zaphodina``, an email) does not."""
    if looks_like_identifier(name):
        return False
    if _HEADER_LIKE.match(name) or (len(name) <= 64 and _CAMEL_CASE.match(name)):
        return True
    from ._headers import fold_header
    from ._platforms import file_header
    from ._upload import _header_kind

    headers, aliases = _known_headers()
    return (file_header(name) in headers or fold_header(name) in aliases
            or _header_kind(name)[0] is not None)  # 'Email 2', 'Phone_3'



@functools.lru_cache(maxsize=1)
def _known_headers() -> tuple[frozenset[str], frozenset[str]]:
    """Every platform's upload headers, and the CRM header aliases (folded) with the header
    words written capitalized or in capitals that are no value: a telco's identifier columns
    (acronyms: 'IMSI'), an address in the languages of European CRMs ('Adresse') and the
    quasi-identifiers' names ('Alter')."""
    from ._audit_patterns import ADDRESS_WORDS, QUASI_NAMES
    from ._headers import ALIAS_TO_KIND
    from ._platforms import PLATFORMS, rules_for_platform

    headers = {r.header for p in PLATFORMS for r in rules_for_platform(p).values()}
    words = ({"imsi", "imei", "imeisv", "iccid", "msisdn", "meid", "mdn"} | ADDRESS_WORDS
             | QUASI_NAMES)
    return frozenset(headers), frozenset(ALIAS_TO_KIND) | words


def safe_names(names: object) -> list[str]:
    """Names fit to show. When any looks like data, the row is taken for data (a file without
    a header row) and every name is masked, the innocent-looking ones too; otherwise a name
    that does not read as a schema name (see :func:`header_like`) is masked.

    >>> safe_names(["email", "Phone", "loyalty_tier", "osVersion", "Zaphod", "McDonald"])
    ['email', 'Phone', 'loyalty_tier', 'osVersion', 'Z***', 'M***']
    >>> safe_names(["maria@example.com", "Zaphod"])
    ['m***@e***.com', 'Z***']
    """
    texts = [printable(str(n)) for n in names]  # type: ignore[attr-defined]
    if any(looks_like_identifier(t) for t in texts):
        return [mask(t) for t in texts]
    return [t if header_like(t) else mask(t) for t in texts]


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text with control characters (ANSI escapes, NUL, CR, tabs, bidi overrides) as ``\\xNN``.

    ``keep_newlines`` keeps line feeds, for multi-line reports.
    """
    if keep_newlines:
        return "\n".join(printable(line) for line in text.split("\n"))
    return CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line, ``error: ...`` with exit code 2, and whose echo of a
    bad argument is masked when it looks like data (``--platform maria@example.com``)."""

    def error(self, message: str) -> NoReturn:
        shown = re.sub(r"'([^']*)'", lambda m: "'" + safe_name(m.group(1)) + "'", message)
        sys.stderr.write(f"error: {printable(shown)} (see {self.prog} --help)\n")
        sys.exit(2)


def path_arg(text: str) -> str:
    """An argparse type for a file path: ``-`` is refused, never a file named ``-`` written
    or read where a command line's reader expects standard input or output (``./-`` is that
    file)."""
    if text == "-":
        raise argparse.ArgumentTypeError(
            "'-' (standard input or output) is not supported here; give a file path")
    return text


def rows_text(n: int) -> str:
    """``n`` rows as text: "1 row", "2,500 rows"."""
    return f"{n:,} row" + ("" if n == 1 else "s")
