"""Lookup tables for states, provinces and countries (names, codes, aliases -> codes)."""

from __future__ import annotations

import functools
import unicodedata

import phonenumbers
import pycountry
from phonenumbers.geodata.locale import LOCALE_DATA

__all__ = ["country_lookup", "region_lookup", "state_country", "state_lookup"]

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
    "usa": "us", "u s a": "us", "u s": "us", "the united states": "us",
    "the united kingdom": "gb", "united states of america": "us", "america": "us",
    "uk": "gb", "u k": "gb", "great britain": "gb", "england": "gb", "scotland": "gb",
    "wales": "gb", "northern ireland": "gb", "holland": "nl", "the netherlands": "nl",
    "deutschland": "de", "espana": "es", "south korea": "kr", "korea": "kr", "russia": "ru",
    "czech republic": "cz", "czechia": "cz", "ivory coast": "ci", "uae": "ae",
    "vietnam": "vn", "turkey": "tr", "turkiye": "tr", "britain": "gb",
    "republic of ireland": "ie", "burma": "mm", "dr congo": "cd", "drc": "cd", "macau": "mo",
    "u a e": "ae", "ksa": "sa", "bosnia": "ba", "trinidad": "tt", "czech rep": "cz",
    "st kitts": "kn", "st vincent": "vc",
}
#: How US and Canadian styles abbreviate states and provinces (the AP's and the GPO's 'Calif.',
#: 'W. Va.', Canada Post's older 'Que.', 'Nfld.'), folded; codes are also read with their
#: letters apart ('N.Y.', 'D.C.', 'B.C.', 'P.E.I.' as 'pei').
_STATE_ABBREVIATIONS = {
    "ala": "al", "ariz": "az", "ark": "ar", "calif": "ca", "cal": "ca", "colo": "co",
    "conn": "ct", "del": "de", "fla": "fl", "ill": "il", "ind": "in", "kan": "ks",
    "kans": "ks", "mass": "ma", "mich": "mi", "minn": "mn", "miss": "ms", "mont": "mt",
    "neb": "ne", "nebr": "ne", "nev": "nv", "okla": "ok", "ore": "or", "oreg": "or",
    "penn": "pa", "penna": "pa", "tenn": "tn", "tex": "tx", "wash": "wa", "w va": "wv",
    "wis": "wi", "wisc": "wi", "wyo": "wy", "p r": "pr", "v i": "vi",
    "alta": "ab", "man": "mb", "nfld": "nl", "n w t": "nt", "nwt": "nt", "nvt": "nu",
    "ont": "on", "p e i": "pe", "pei": "pe", "que": "qc", "sask": "sk", "y t": "yt",
    "yuk": "yt",
}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, spaces collapsed (lookup keys)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


@functools.cache
def country_lookup() -> dict[str, str]:
    """Folded name, alpha-2 or alpha-3 code -> lowercase alpha-2 code.

    Which countries exist comes from ISO 3166-1 as pycountry ships it: a withdrawn code
    (``AN``, Netherlands Antilles, split in 2010) is unknown, not a country a platform would
    match. Names are ISO's (short, official and common: ``North Macedonia``, ``Eswatini``,
    ``Cabo Verde``), then phonenumbers' names in many languages; every alpha-2 and alpha-3
    code wins over a name that happens to spell it (Vietnamese ``Nga`` is Russia, ``NGA`` is
    Nigeria's code).
    """
    current = {c.alpha_2.lower(): c for c in pycountry.countries}
    table: dict[str, str] = {}
    shorter: dict[str, set[str]] = {}
    for code, country in current.items():
        for name in (country.name, getattr(country, "official_name", None),
                     getattr(country, "common_name", None)):
            if name:
                table.setdefault(fold(name), code)
                # "Sint Maarten (Dutch part)", "Korea, Republic of": the name before the
                # bracket or comma too, where it names one country only ("korea" names two).
                for part in (name.split(" (")[0], name.split(", ")[0]):
                    shorter.setdefault(fold(part), set()).add(code)
    for name, codes in shorter.items():
        if len(codes) == 1:
            table.setdefault(name, codes.pop())
    for region, names in LOCALE_DATA.items():
        code = region.lower()
        if code not in current:
            continue
        for name in names.values():
            if name and not name.startswith("*"):
                table.setdefault(fold(name), code)
    for name, code in list(table.items()):  # as CRMs write them: '&' and 'St.' for the words
        for variant in (name.replace(" and ", " "), name.replace("saint ", "st "),
                        name.replace(" and ", " ").replace("saint ", "st ")):
            table.setdefault(variant, code)
    for code, country in current.items():
        table[code] = code
        table[country.alpha_3.lower()] = code
    table.update(_COUNTRY_ALIASES)
    return table


#: Names of the phone regions ISO 3166-1 does not list (phonenumbers' own names skip them).
_PHONE_ONLY_NAMES = {"xk": ("Kosovo", "Kosova", "Republic of Kosovo"),
                     "ac": ("Ascension Island", "Ascension"), "ta": ("Tristan da Cunha",)}


@functools.cache
def region_lookup() -> dict[str, str]:
    """:func:`country_lookup` plus the phone regions phonenumbers numbers that ISO 3166-1 does
    not list (``XK`` Kosovo, ``AC`` Ascension Island, ``TA`` Tristan da Cunha), by code and
    name: the regions a row's phone number may be read in, as one ``default_region`` string
    already could be. A country column keeps to ISO 3166-1."""
    table = dict(country_lookup())
    for region in sorted(set(phonenumbers.SUPPORTED_REGIONS) - {c.upper() for c in table.values()}):
        code = region.lower()
        table[code] = code
        for name in _PHONE_ONLY_NAMES.get(code, ()):
            table.setdefault(fold(name), code)
    return table


@functools.cache
def state_lookup() -> dict[str, str]:
    """Folded US state / Canadian province name or code -> lowercase two-letter code."""
    table: dict[str, str] = {}
    for codes in (_US_STATES, _CA_PROVINCES):
        for code, name in codes.items():
            table[code] = code
            table[" ".join(code)] = code  # 'N.Y.' folds to 'n y'
            table[fold(name)] = code
    table.update(_STATE_ABBREVIATIONS)
    return table


@functools.cache
def state_country() -> dict[str, str]:
    """Two-letter state or province code -> the country it belongs to ('US' or 'CA')."""
    return {**dict.fromkeys(_US_STATES, "US"), **dict.fromkeys(_CA_PROVINCES, "CA")}
