"""One regular expression, read alike by polars (Rust's ``regex``), DuckDB (RE2) and Spark
(Java's ``java.util.regex``).

The three agree on literal text, ``^``, groups, alternation and quantifiers, but not on what a
few shorthands mean: ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are Unicode in Rust and ASCII in RE2
(``\\w+`` matched "é" in polars, not in DuckDB); Java's ``.`` and ``$`` also stop at ``\\r``
and before a final line break; Java reads ``[[:alpha:]]`` as a set of the characters
``[:alph]`` and ``(?U)`` as "Unicode classes", not "ungreedy"; ``(?P<name>`` is not Java.
:func:`portable` rewrites a pattern into the part every engine reads the same way, spelled
out (``\\d`` as ``[0-9]``, ``.`` as ``[^\\n]``, ``$`` as ``\\z``, POSIX classes as ranges,
named groups as plain groups) and refuses, with the package's error, what cannot be written
alike (``\\b``, a negated shorthand inside brackets, multi-line and verbose modes, nested or
intersected classes, case-insensitive non-ASCII letters).
"""

from __future__ import annotations

from ._errors import InvalidSegmentError

__all__ = ["portable"]

_WORD, _DIGIT, _SPACE = "0-9A-Za-z_", "0-9", "\\t\\n\\f\\r "
_SHORT = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_POSIX = {
    "alpha": "A-Za-z", "digit": "0-9", "alnum": "0-9A-Za-z", "upper": "A-Z", "lower": "a-z",
    "space": "\\t\\n\\x0B\\f\\r ", "blank": "\\t ", "xdigit": "0-9A-Fa-f", "word": _WORD,
    "punct": "!-/:-@\\[-`{-~", "cntrl": "\\x00-\\x1F\\x7F", "print": " -~", "graph": "!-~",
    "ascii": "\\x00-\\x7F",
}


def _refuse(why: str) -> InvalidSegmentError:
    return InvalidSegmentError(f"{why}: polars, DuckDB and Spark would read it differently")


def _flags(text: str, at: int) -> tuple[str, int, bool]:
    """The flag letters of a group opening ``(?flags)`` or ``(?flags:`` at ``at`` (just after
    ``(?``), where it ends, and whether it scopes a group (``:``)."""
    end = at
    while end < len(text) and (text[end].isalpha() or text[end] == "-"):
        end += 1
    if end >= len(text) or text[end] not in "):":
        return "", at, False
    return text[at:end], end, text[end] == ":"


def _class(text: str, i: int, out: list[str]) -> int:
    """Copy the bracket class that opens at ``text[i] == '['``; return the index after it."""
    out.append("[")
    i += 1
    if i < len(text) and text[i] == "^":
        out.append("^")
        i += 1
    if i < len(text) and text[i] == "]":  # a leading ] is a literal
        out.append("\\]")
        i += 1
    while i < len(text):
        c = text[i]
        if c == "]":
            out.append("]")
            return i + 1
        if c == "[":
            if text.startswith("[:", i):
                end = text.find(":]", i + 2)
                name = text[i + 2:end] if end > 0 else ""
                if name.startswith("^"):
                    raise _refuse(f"the negated POSIX class [:{name}:]")
                if name not in _POSIX:
                    raise InvalidSegmentError(f"unknown POSIX class [:{name}:]")
                out.append(_POSIX[name])
                i = end + 2
                continue
            raise _refuse("a class nested inside brackets")
        if c in "&-~" and i + 1 < len(text) and text[i + 1] == c:
            raise _refuse(f"the class operator {c}{c}")
        if c == "\\" and i + 1 < len(text):
            e = text[i + 1]
            if e in _SHORT:
                out.append(_SHORT[e])
            elif e in "DWS":
                raise _refuse(f"\\{e} inside brackets; write the class out, e.g. [^0-9]")
            elif e == "v":
                out.append("\\x0B")
            else:
                out.append(text[i:i + 2])
            i += 2
            continue
        out.append(c)
        i += 1
    return i  # unclosed: the engines' own check reports it


def portable(pattern: str) -> str:
    """``pattern`` as every engine reads it alike (see the module's docstring)."""
    out: list[str] = []
    stack: list[str] = []  # the flags in force outside each open group
    flags = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e in _SHORT:
                out.append(f"[{_SHORT[e]}]")
            elif e in "DWS":
                out.append(f"[^{_SHORT[e.lower()]}]")
            elif e in "bB":
                raise _refuse(f"\\{e} (a word boundary is ASCII in DuckDB, Unicode elsewhere); "
                              "write it out, e.g. (^|[^0-9A-Za-z_])gamer([^0-9A-Za-z_]|$)")
            elif e == "v":
                out.append("\\x0B")
            else:
                out.append(pattern[i:i + 2])
            i += 2
        elif c == "[":
            i = _class(pattern, i, out)
        elif c == "(":
            stack.append(flags)
            if pattern.startswith("(?P<", i) or (pattern.startswith("(?<", i)
                                                 and pattern[i + 3:i + 4] not in ("=", "!")):
                end = pattern.find(">", i)
                out.append("(?:")  # a match is all a segment needs of a group
                i = end + 1 if end > 0 else len(pattern)
                continue
            if pattern.startswith("(?", i):
                given, end, scoped = _flags(pattern, i + 2)
                if given or end > i + 2:
                    on = given.split("-")[0]
                    for bad, why in (("m", "multi-line mode (?m)"), ("x", "verbose mode (?x)"),
                                     ("U", "(?U), ungreedy in polars and DuckDB but Unicode "
                                           "classes in Java")):
                        if bad in given:
                            raise _refuse(why)
                    flags = "".join(sorted(set(flags + on) - set(given.partition("-")[2])))
                    if not scoped:
                        stack.pop()  # (?flags) sets the flags of the enclosing group
                    out.append(pattern[i:end + 1])
                    i = end + 1
                    continue
            out.append("(")
            i += 1
        elif c == ")":
            flags = stack.pop() if stack else flags
            out.append(")")
            i += 1
        elif c == "." and "s" not in flags:
            out.append("[^\\n]")
            i += 1
        elif c == "$":
            out.append("\\z")
            i += 1
        else:
            out.append(c)
            i += 1
    text = "".join(out)
    if any(ord(ch) > 127 for ch in pattern) and "i" in _all_flags(pattern):
        raise _refuse("case-insensitive matching of letters past ASCII (Java folds ASCII "
                      "only); list both cases instead, e.g. [éÉ]")
    return text


def _all_flags(pattern: str) -> str:
    """Every flag letter turned on anywhere in ``pattern``."""
    seen = ""
    at = pattern.find("(?")
    while at >= 0:
        if at == 0 or pattern[at - 1] != "\\":
            given, _, _ = _flags(pattern, at + 2)
            seen += given.split("-")[0]
        at = pattern.find("(?", at + 2)
    return seen
