"""How a column name reads: its words in plain ASCII, whatever the CRM's language.

A French CRM writes ``Téléphone`` and ``Prénom``, a German one ``Straße`` and ``E-Mail``, a
spreadsheet ``ＥＭＡＩＬ`` in full-width letters. Names are compared after case folding (``ß``
is ``ss``), compatibility decomposition (full-width letters, ligatures) and the removal of
accents, so that a header list of plain words (``telephone``, ``prenom``, ``strasse``) names
them all; punctuation and spaces separate words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_name", "fold_header"]


#: Latin letters that have no decomposition into an ASCII base and an accent.
_LATIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                        "þ": "th", "ı": "i"})


def ascii_name(name: str) -> str:
    """``name`` case-folded, decomposed and without accents (``Fødselsdato`` is
    ``fodselsdato``); letters of other scripts are kept as they are."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_LATIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_header(name: str) -> str:
    """A header as lower-case ASCII words joined by ``_``: "E-Mail", "e_mail" and "EMAIL"
    are ``e_mail``, ``e_mail`` and ``email``; "Téléphone" is ``telephone``."""
    return re.sub(r"[^0-9a-z]+", "_", ascii_name(name.strip())).strip("_")
