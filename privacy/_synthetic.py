"""A generated CRM table with identifiers in realistic, messy formats (no real person in it)."""

from __future__ import annotations

import numpy as np
import polars as pl

from ._errors import InvalidInputError
from ._redact import shown

__all__ = ["synthetic_crm"]

#: The most rows a synthetic CRM holds (it is made in memory).
MAX_ROWS = 100_000_000

_FIRST = ["Mary", "John", "Valéry", "José", "Zoë", "Ana-Maria", "Liam", "Olivia", "Noah", "Emma",
          "Mohammed", "Sofía", "Chloé", "Björn", "Anaïs", "Lucas", "Mia", "Ethan", "Aylin",
          "Jürgen", "Siobhán", "O'Neil", "Jean-Luc", "Wei", "Priya", "Kwame", "Hana", "Mateo"]
_LAST = ["Smith", "García", "Müller", "O'Brien", "Dubois", "Rossi", "Nguyen", "Kowalski",
         "Johnson", "Brown", "Núñez", "Søren", "van der Berg", "Da Silva", "Jones", "Patel",
         "Lee", "Martin", "Schmidt", "Bernard"]
_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "example.com", "icloud.com",
            "googlemail.com", "proton.me", "aol.com", "comcast.net"]
_US_PLACES = [("New York", "NY", "10001"), ("Los Angeles", "California", "90012"),
              ("San Francisco", "CA", "94103"), ("Boston", "MA", "02134"),
              ("Chicago", "Illinois", "60601"), ("Houston", "TX", "77002"),
              ("Miami", "FL", "33101"), ("Seattle", "Washington", "98101"),
              ("Denver", "CO", "80202"), ("Atlanta", "GA", "30303"),
              ("St. Louis", "MO", "63101"), ("Newark", "New Jersey", "07102")]
_US_AREA = ["212", "310", "415", "650", "617", "312", "713", "305", "206", "404", "702", "503",
            "512", "303", "214", "602", "619", "718", "917", "646", "973", "314"]


def _pick(rng: np.random.Generator, options: list[str], n: int) -> pl.Series:
    return pl.Series(np.asarray(options, dtype=object)[rng.integers(0, len(options), n)],
                     dtype=pl.Utf8)


def _digits(rng: np.random.Generator, n: int, width: int, low: int = 0) -> pl.Series:
    return pl.Series(rng.integers(low, 10**width, n)).cast(pl.Utf8).str.zfill(width)


def synthetic_crm(n: int, seed: int = 0, *, invalid_share: float = 0.03) -> pl.DataFrame:
    """A CRM table of ``n`` people: messy emails, phones, names, dates of birth, places.

    About 85% of people are in the US, the rest in the UK, Germany and France, with phones in
    national and international styles. ``invalid_share`` of the values are empty or junk, as in
    real CRM exports.

    Examples
    --------
    >>> from privacy import synthetic_crm
    >>> synthetic_crm(3, seed=1).columns[:4]
    ['customer_id', 'email', 'phone', 'first_name']
    """
    for name, value in (("n", n), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InvalidInputError(f"{name} must be a non-negative int, got {shown(value)}")
    if n > MAX_ROWS:  # a phone-sized n failed as NumPy's MemoryError quoting it
        raise InvalidInputError(f"n must be at most {MAX_ROWS:,} (a synthetic CRM is made in "
                                f"memory), got {shown(n)}")
    if (isinstance(invalid_share, bool) or not isinstance(invalid_share, (int, float))
            or not 0 <= invalid_share <= 1):
        raise InvalidInputError(f"invalid_share must be a number within [0, 1], got "
                                f"{shown(invalid_share)}")
    rng = np.random.default_rng(seed)
    first = _pick(rng, _FIRST, n)
    last = _pick(rng, _LAST, n)
    country = pl.Series(rng.choice(["US", "GB", "DE", "FR"], n, p=[0.85, 0.05, 0.05, 0.05]))
    num = pl.Series(rng.integers(1, 10_000, n)).cast(pl.Utf8)
    ascii_last = last.str.replace_all(r"[^A-Za-z]", "")
    ascii_first = first.str.replace_all(r"[^A-Za-z]", "")
    sep = _pick(rng, [".", "_", "", "."], n)
    local = ascii_first + sep + ascii_last + num
    tag = pl.Series(np.where(rng.random(n) < 0.1, "+promo", ""))
    upper = pl.Series(rng.random(n) < 0.2)
    email = (local + tag + "@" + _pick(rng, _DOMAINS, n))
    email = pl.select(
        pl.when(upper).then(email.str.to_uppercase()).otherwise(email)
        + pl.Series(np.where(rng.random(n) < 0.05, " ", ""))
    ).to_series()

    area = _pick(rng, _US_AREA, n)
    exch = _digits(rng, n, 3, 200).str.replace(r"^[01]", "2")
    line = _digits(rng, n, 4)
    style = rng.integers(0, 5, n)
    us = pl.select(
        pl.when(pl.Series(style == 0)).then("(" + area + ") " + exch + "-" + line)
        .when(pl.Series(style == 1)).then(area + "-" + exch + "-" + line)
        .when(pl.Series(style == 2)).then("+1 " + area + " " + exch + " " + line)
        .when(pl.Series(style == 3)).then("1" + area + exch + line)
        .otherwise(area + "." + exch + "." + line)
    ).to_series()
    gb = "07" + _digits(rng, n, 3, 400) + " " + _digits(rng, n, 6)
    de = "+49 151 " + _digits(rng, n, 8)
    fr = "06 " + pl.concat_str([_digits(rng, n, 2) for _ in range(4)], separator=" ")
    phone = pl.select(
        pl.when(country == "US").then(us).when(country == "GB").then(gb)
        .when(country == "DE").then(de).otherwise(fr)
    ).to_series()

    place = rng.integers(0, len(_US_PLACES), n)
    city = pl.Series([p[0] for p in _US_PLACES])[place]
    state = pl.Series([p[1] for p in _US_PLACES])[place]
    zip5 = pl.Series([p[2] for p in _US_PLACES])[place]
    zip_plus4 = pl.Series(rng.random(n) < 0.2)
    zip_code = pl.select(
        pl.when(zip_plus4).then(zip5 + "-" + _digits(rng, n, 4)).otherwise(zip5)
    ).to_series()

    born = np.datetime64("1940-01-01") + rng.integers(0, 365 * 65, n).astype("timedelta64[D]")
    dob = pl.Series(born).cast(pl.Date)
    dstyle = rng.integers(0, 3, n)
    dob_text = pl.select(
        pl.when(pl.Series(dstyle == 0)).then(dob.dt.strftime("%Y-%m-%d"))
        .when((country == "US") & pl.Series(dstyle == 1)).then(dob.dt.strftime("%-m/%-d/%Y"))
        .when(pl.Series(dstyle == 1)).then(dob.dt.strftime("%d/%m/%Y"))
        .otherwise(dob.dt.strftime("%Y%m%d"))
    ).to_series()
    gender = _pick(rng, ["F", "M", "female", "Male", "f", "m", "", "non-binary"], n)

    frame = pl.DataFrame({
        "customer_id": pl.Series([f"C{i:08d}" for i in range(n)]) if n < 50_000 else
        ("C" + pl.int_range(0, n, eager=True).cast(pl.Utf8).str.zfill(8)),
        "email": email, "phone": phone, "first_name": first, "last_name": last,
        "city": city, "state": state, "zip": zip_code, "country": country,
        "gender": gender, "dob": dob_text,
    })
    # Junk and gaps, as real exports have.
    junk = ["", "n/a", "unknown", "0", "null", "test@test.com"]
    cols = {}
    for name in ("email", "phone", "first_name", "dob"):
        hit = pl.Series(rng.random(n) < invalid_share)
        cols[name] = pl.when(hit).then(pl.lit(junk[rng.integers(0, len(junk))])).otherwise(
            pl.col(name)
        )
    return frame.with_columns(**cols)
