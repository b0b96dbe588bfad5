"""One regular expression, read alike by polars (Rust's ``regex``), DuckDB (RE2) and Spark
(Java's ``java.util.regex``).

The three agree on literal text, ``^``, groups, alternation and quantifiers, but not on what a
few shorthands mean: ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are Unicode in Rust and ASCII in RE2
(``\\w+`` matched "é" in polars, not in DuckDB); Java's ``.`` and ``$`` also stop at ``\\r``
and before a final line break; Java reads ``[[:alpha:]]`` as a set of the characters
``[:alph]`` and ``(?U)`` as "Unicode classes", not "ungreedy"; ``(?P<name>`` is not Java.
Rust also takes what RE2 refuses or Java reads otherwise: ``a*+`` (possessive in Java, an
error in RE2), ``\\u00e9`` and ``\\U...`` escapes, ``a{ 2 }``, counts over 1,000 or nested
past 1,000 in all, and Unicode scripts and loose property names (``\\p{Greek}``,
``\\p{letter}``); under ``(?i)`` Rust and RE2 fold ``k`` with the Kelvin sign and ``s`` with
``ſ``, Java folds ASCII only.

:func:`portable` rewrites a pattern into the part every engine reads the same way, spelled
out (``\\d`` as ``[0-9]``, ``.`` as ``[^\\n]``, ``$`` as ``\\z``, POSIX classes as ranges,
named groups as plain groups, code points as ``\\x{...}``, ``(?i)`` as both cases of each
ASCII letter) and refuses, with the package's error, what cannot be written alike (``\\b``, a
negated shorthand inside brackets, multi-line and verbose modes, nested or intersected
classes, case-insensitive non-ASCII letters, stacked quantifiers, Unicode properties other than
the general categories, counts past RE2's 1,000).
"""

from __future__ import annotations

import re

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
#: What ``(?i)`` adds to a POSIX class holding letters of one case only.
_OTHER_CASE = {"upper": "a-z", "lower": "A-Z"}
#: The Unicode general categories, by their short names: the only properties all three read.
_CATEGORIES = frozenset((
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs"))
#: Control-character escapes every engine reads, by letter.
_CONTROL = {"n": 10, "t": 9, "r": 13, "f": 12, "a": 7, "v": 11}
_FOLD_PAST_ASCII = ("case-insensitive matching of letters past ASCII (Java folds ASCII only); "
                    "list both cases instead, e.g. [éÉ]")
_MAX_REPEAT = 1000  # RE2's limit on a count, and on the product of counts nested in each other
_COUNT = re.compile(r"\{\s*([0-9]+)\s*(?:(,)\s*([0-9]*)\s*)?\}")
_HEX = re.compile(r"x(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{2}))"
                  r"|u(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{4}))"
                  r"|U(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{8}))")


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


def _both_cases(cp: int) -> str | None:
    """``(?:k|K)`` for an ASCII letter: how ``(?i)`` reads it, spelled out; None otherwise.

    Not ``[kK]``: RE2 turns a class of one letter's two cases into a case-folded literal, and
    folds it past ASCII once an alternation merges it (``[bB]|[kK]`` matched the Kelvin sign
    in DuckDB, not in polars or Spark)."""
    c = chr(cp)
    return f"(?:{c.lower()}|{c.upper()})" if c.isascii() and c.isalpha() else None


def _code_point(text: str, i: int, fold: bool) -> tuple[int, str, int] | None:
    """The escape ``\\xHH``, ``\\x{H}``, ``\\uHHHH``, ``\\u{H}`` or ``\\UHHHHHHHH`` at
    ``text[i] == '\\'``: its code point, the ``\\x{H}`` every engine reads, and where it ends."""
    match = _HEX.match(text, i + 1)
    if match is None:
        return None
    cp = int(next(g for g in match.groups() if g), 16)
    if fold and cp > 127:
        raise _refuse(_FOLD_PAST_ASCII)
    return cp, f"\\x{{{cp:X}}}", match.end()


def _property(text: str, i: int, fold: bool) -> tuple[str, int]:
    """The ``\\pL`` or ``\\p{Lu}`` (or ``\\P``) at ``text[i] == '\\'``, spelled ``\\p{Lu}``."""
    e = text[i + 1]
    if text.startswith("{", i + 2):
        end = text.find("}", i + 2)
        name, after = (text[i + 3:end], end + 1) if end > 0 else (text[i + 3:], len(text))
    else:
        name, after = text[i + 2:i + 3], i + 3
    if name not in _CATEGORIES:
        raise _refuse(f"the Unicode property \\{e}{{{name[:24]}}} (scripts, binary properties "
                      "and long or lower-case names are not read alike; use a general category "
                      "by its short name, e.g. \\p{L} or \\p{Lu})")
    if fold:
        raise _refuse("a Unicode property under (?i) (Java folds ASCII only)")
    return f"\\{e}{{{name}}}", after


def _class(text: str, i: int, out: list[str], fold: bool) -> int:
    """Copy the bracket class that opens at ``text[i] == '['``; return the index after it.
    Under ``(?i)`` (``fold``) the other case of each ASCII letter it holds is added."""
    begin = len(out)
    out.append("[")
    i += 1
    negated = i < len(text) and text[i] == "^"
    if negated:
        out.append("^")
        i += 1
    opaque = False  # holds a POSIX class, shorthand or property
    spans: list[tuple[int, int]] = []  # the single characters and ranges, for (?i)
    extra: list[str] = []
    start: int | None = None  # the code point a range may start at (the last single character)
    if i < len(text) and text[i] == "]":  # a leading ] is a literal
        out.append("\\]")
        spans.append((93, 93))
        start = 93
        i += 1
    while i < len(text):
        c = text[i]
        if c == "]":
            if fold:
                for lo, hi in spans:
                    extra += [chr(x).swapcase() for x in range(lo, hi + 1)
                              if chr(x).isascii() and chr(x).isalpha()]
            out.append("".join(dict.fromkeys(extra)) + "]")
            if not negated and not opaque and sum(hi - lo + 1 for lo, hi in spans) <= 64:
                members = {chr(x) for lo, hi in spans for x in range(lo, hi + 1)} | set(extra)
                letter = min(members, default="").lower()
                if members == {letter, letter.upper()} and letter.isascii() and letter.isalpha():
                    out[begin:] = [_both_cases(ord(letter)) or ""]  # not [kK]: see _both_cases
            return i + 1
        if c in "&-~" and i + 1 < len(text) and text[i + 1] == c:
            raise _refuse(f"the class operator {c}{c}")
        if c == "-" and start is not None and i + 1 < len(text) and text[i + 1] != "]":
            cp, piece, after = _single(text, i + 1, fold)
            if cp is None:
                raise _refuse("a range that ends in a class or a property")
            out.append("-" + piece)
            spans.append((start, cp))
            start = None
            i = after
            continue
        if c == "[":
            if text.startswith("[:", i):
                end = text.find(":]", i + 2)
                name = text[i + 2:end] if end > 0 else ""
                if name.startswith("^"):
                    raise _refuse(f"the negated POSIX class [:{name}:]")
                if name not in _POSIX:
                    raise InvalidSegmentError(f"unknown POSIX class [:{name}:]")
                out.append(_POSIX[name])
                opaque = True
                if fold and name in _OTHER_CASE:
                    extra.append(_OTHER_CASE[name])
                start = None
                i = end + 2
                continue
            raise _refuse("a class nested inside brackets")
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "dwsDWSpP":
            e = text[i + 1]
            if e in "DWS":
                raise _refuse(f"\\{e} inside brackets; write the class out, e.g. [^0-9]")
            if e in "pP":
                piece, i = _property(text, i, fold)
                out.append(piece)
            else:
                out.append(_SHORT[e])
                i += 2
            start, opaque = None, True
            continue
        cp, piece, i = _single(text, i, fold)
        out.append("\\-" if piece == "-" else piece)
        if cp is not None:
            spans.append((cp, cp))
        start = cp
    return i  # unclosed: the engines' own check reports it


def _single(text: str, i: int, fold: bool) -> tuple[int | None, str, int]:
    """One character of a class at ``text[i]``: its code point (None when unknown), its text
    for every engine and where it ends."""
    c = text[i]
    if c != "\\" or i + 1 >= len(text):
        return ord(c), c, i + 1
    e = text[i + 1]
    escaped = _code_point(text, i, fold)
    if escaped is not None:
        return escaped
    if e == "v":
        return 11, "\\x0B", i + 2
    if e in _CONTROL:
        return _CONTROL[e], text[i:i + 2], i + 2
    return (None if e.isalnum() else ord(e)), text[i:i + 2], i + 2


def _quantifier(text: str, i: int) -> tuple[str, int, int] | None:
    """The quantifier at ``text[i]`` (``*``, ``+``, ``?``, ``{n}``, ``{n,}``, ``{n,m}``, each
    maybe lazy): its text for every engine, where it ends, and what it multiplies RE2's
    nested-count budget by."""
    c = text[i]
    if c in "*+?":
        piece, after, times = c, i + 1, 1
    elif c == "{" and (match := _COUNT.match(text, i)) is not None:
        lo, comma, hi = match.groups()
        biggest = max(len(lo), len(hi or ""))
        counts = [int(x) for x in (lo, hi) if x and len(x) <= 9]
        if biggest > 9 or max(counts) > _MAX_REPEAT:
            raise InvalidSegmentError(
                f"a repetition count is at most {_MAX_REPEAT:,} (the limit of DuckDB's RE2), "
                f"got {match.group(0)[:40]}")
        piece = "{" + lo.lstrip("0").rjust(1, "0") + (
            "," + (str(int(hi)) if hi else "") if comma else "") + "}"
        top = int(hi) if hi else int(lo)
        after, times = match.end(), max(top, 1)
    else:
        return None
    if after < len(text) and text[after] == "?":
        piece, after = piece + "?", after + 1
    return piece, after, times


def portable(pattern: str) -> str:
    """``pattern`` as every engine reads it alike (see the module's docstring)."""
    out: list[str] = []
    # per open group: the flags in force outside it, and the largest repetition product of
    # what came before it in the enclosing group
    stack: list[tuple[str, int]] = []
    flags = ""
    level = 1  # the largest product of nested counts in the current group so far
    last: int | None = None  # the product of the atom a quantifier would repeat
    i = 0
    while i < len(pattern):
        c = pattern[i]
        fold = "i" in flags
        quantifier = _quantifier(pattern, i)
        if quantifier is not None:
            piece, i, times = quantifier
            if last is None:
                raise _refuse(f"a quantifier {piece} after another or with nothing to repeat "
                              "(a*+ is possessive in Java, an error in RE2); group what it "
                              "repeats, e.g. (a*)+")
            product = last * times
            if product > _MAX_REPEAT:
                raise InvalidSegmentError(
                    f"counts nested inside one another multiply past {_MAX_REPEAT:,} (the "
                    "limit of DuckDB's RE2); write fewer repetitions")
            level = max(level, product)
            last = None
            out.append(piece)
            continue
        atom = 1
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            escaped = _code_point(pattern, i, fold)
            if escaped is not None:
                cp, piece, i = escaped
                out.append((_both_cases(cp) or piece) if fold else piece)
            elif e in "pP":
                piece, i = _property(pattern, i, fold)
                out.append(piece)
            else:
                if e in _SHORT:
                    out.append(f"[{_SHORT[e]}]")
                elif e in "DWS":
                    out.append(f"[^{_SHORT[e.lower()]}]")
                elif e in "bB":
                    raise _refuse(
                        f"\\{e} (a word boundary is ASCII in DuckDB, Unicode elsewhere); "
                        "write it out, e.g. (^|[^0-9A-Za-z_])gamer([^0-9A-Za-z_]|$)")
                elif e == "v":
                    out.append("\\x0B")
                else:
                    out.append(pattern[i:i + 2])
                i += 2
        elif c == "[":
            i = _class(pattern, i, out, fold)
        elif c == "(":
            group = pattern.startswith("(?", i)
            given, end, scoped = _flags(pattern, i + 2) if group else ("", i, False)
            if group and (given or end > i + 2):
                on, _, off = given.partition("-")
                for bad, why in (("m", "multi-line mode (?m)"), ("x", "verbose mode (?x)"),
                                 ("U", "(?U), ungreedy in polars and DuckDB but Unicode "
                                       "classes in Java")):
                    if bad in given:
                        raise _refuse(why)
                if set(given) - set("is-"):
                    raise _refuse(f"the flags (?{given}) (only i and s are read alike)")
                if scoped:
                    stack.append((flags, level))
                    level = 1
                flags = "".join(sorted(set(flags + on) - set(off)))
                on, off = on.replace("i", ""), off.replace("i", "")  # (?i) is spelled out
                if on or off:
                    out.append(f"(?{on}{'-' + off if off else ''}{':' if scoped else ')'}")
                elif scoped:
                    out.append("(?:")
                last = None
                i = end + 1
                continue
            stack.append((flags, level))
            level = 1
            if pattern.startswith("(?P<", i) or (pattern.startswith("(?<", i)
                                                 and pattern[i + 3:i + 4] not in ("=", "!")):
                end = pattern.find(">", i)
                out.append("(?:")  # a match is all a segment needs of a group
                i = end + 1 if end > 0 else len(pattern)
            else:
                out.append("(?:" if pattern.startswith("(?:", i) else "(")
                i += 3 if pattern.startswith("(?:", i) else 1
            last = None
            continue
        elif c == ")":
            atom = level
            flags, level = stack.pop() if stack else (flags, level)
            out.append(")")
            i += 1
        elif c == "|":
            out.append("|")
            i += 1
            last = None
            continue
        elif c == "." and "s" not in flags:
            out.append("[^\\n]")
            i += 1
        elif c == "$":
            out.append("\\z")
            i += 1
        else:
            out.append((_both_cases(ord(c)) or c) if fold else c)
            i += 1
        last = atom
        level = max(level, atom)
    if any(ord(ch) > 127 for ch in pattern) and "i" in _all_flags(pattern):
        raise _refuse(_FOLD_PAST_ASCII)
    return "".join(out)


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
