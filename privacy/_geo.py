"""Lookup tables for states, provinces and countries (names, codes, aliases -> codes)."""

from __future__ import annotations

import functools
import unicodedata

from phonenumbers.geodata.locale import LOCALE_DATA

__all__ = ["country_lookup", "state_lookup"]

_US_STATES = {
    "al": "alabama", "ak": "alaska", "az": "arizona", "ar": "arkansas", "ca": "california",
    "co": "colorado", "ct": "connecticut", "de": "delaware", "fl": "florida", "ga": "georgia",
    "hi": "hawaii", "id": "idaho", "il": "illinois", "in": "indiana", "ia": "iowa",
    "ks": "kansas", "ky": "kentucky", "la": "louisiana", "me": "maine", "md": "maryland",
    "ma": "massachusetts", "mi": "michigan", "mn": "minnesota", "ms": "mississippi",
    "mo": "missouri", "mt": "montana", "ne": "nebraska", "nv": "nevada", "nh": "new hampshire",
    "nj": "new jersey", "nm": "new mexico", "ny": "new york", "nc": "north carolina",
    "nd": "north dakota", "oh": "ohio", "ok": "oklahoma", "or": "oregon", "pa": "pennsylvania",
    "ri": "rhode island", "sc": "south carolina", "sd": "south dakota", "tn": "tennessee",
    "tx": "texas", "ut": "utah", "vt": "vermont", "va": "virginia", "wa": "washington",
    "wv": "west virginia", "wi": "wisconsin", "wy": "wyoming", "dc": "district of columbia",
    "pr": "puerto rico", "gu": "guam", "vi": "us virgin islands", "as": "american samoa",
    "mp": "northern mariana islands",
}
_CA_PROVINCES = {
    "ab": "alberta", "bc": "british columbia", "mb": "manitoba", "nb": "new brunswick",
    "nl": "newfoundland and labrador", "ns": "nova scotia", "nt": "northwest territories",
    "nu": "nunavut", "on": "ontario", "pe": "prince edward island", "qc": "quebec",
    "sk": "saskatchewan", "yt": "yukon",
}
_COUNTRY_ALIASES = {
    "usa": "us", "u s a": "us", "united states of america": "us", "america": "us",
    "uk": "gb", "u k": "gb", "great britain": "gb", "england": "gb", "scotland": "gb",
    "wales": "gb", "northern ireland": "gb", "holland": "nl", "the netherlands": "nl",
    "deutschland": "de", "espana": "es", "south korea": "kr", "korea": "kr", "russia": "ru",
    "czech republic": "cz", "czechia": "cz", "ivory coast": "ci", "uae": "ae",
    "vietnam": "vn", "turkey": "tr", "turkiye": "tr",
}
# ISO 3166-1 alpha-3 for the markets this library is most used in; alpha-2 and names cover the rest.
_ALPHA3 = {
    "usa": "us", "can": "ca", "mex": "mx", "bra": "br", "arg": "ar", "gbr": "gb", "irl": "ie",
    "fra": "fr", "deu": "de", "ita": "it", "esp": "es", "prt": "pt", "nld": "nl", "bel": "be",
    "che": "ch", "aut": "at", "swe": "se", "nor": "no", "dnk": "dk", "fin": "fi", "pol": "pl",
    "cze": "cz", "hun": "hu", "rou": "ro", "grc": "gr", "tur": "tr", "rus": "ru", "ukr": "ua",
    "ind": "in", "chn": "cn", "jpn": "jp", "kor": "kr", "sgp": "sg", "hkg": "hk", "twn": "tw",
    "idn": "id", "phl": "ph", "tha": "th", "vnm": "vn", "mys": "my", "aus": "au", "nzl": "nz",
    "zaf": "za", "nga": "ng", "ken": "ke", "egy": "eg", "are": "ae", "sau": "sa", "isr": "il",
    "chl": "cl", "col": "co", "per": "pe",
}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, spaces collapsed (lookup keys)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


@functools.cache
def country_lookup() -> dict[str, str]:
    """Folded name, alpha-2 or alpha-3 code -> lowercase alpha-2 code."""
    table: dict[str, str] = {}
    for region, names in LOCALE_DATA.items():
        if len(region) != 2 or not region.isalpha():
            continue
        code = region.lower()
        table[code] = code
        for name in names.values():
            if name and not name.startswith("*"):
                table.setdefault(fold(name), code)
    table.update(_ALPHA3)
    table.update(_COUNTRY_ALIASES)
    return table


@functools.cache
def state_lookup() -> dict[str, str]:
    """Folded US state / Canadian province name or code -> lowercase two-letter code."""
    table: dict[str, str] = {}
    for codes in (_US_STATES, _CA_PROVINCES):
        for code, name in codes.items():
            table[code] = code
            table[fold(name)] = code
    return table
