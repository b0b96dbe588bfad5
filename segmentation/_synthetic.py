"""A synthetic population: a telco's subscribers and a social platform's other users.

Everything is drawn with numpy from one seed, vectorized (no Python loop per person), with
correlations that a telco analyst would recognize: younger people game more, older phones are
slower and rarely 5G-capable, postpaid plans carry a higher ARPU, prepaid customers top up,
travellers roam. ``lookalike_propensity`` is the ground truth of "looks like the high-value
customers", a non-linear function of profile and behavior; ``is_high_value`` is drawn from it
among customers. No real person is in it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from privacy._synthetic import MAX_ROWS

from ._checks import check_int, check_number, shown
from ._clock import checked_now
from ._errors import InvalidSegmentError
from ._population import Population

__all__ = ["DEFAULT_NOW", "EVENT_TYPES", "INTERESTS", "PLATFORM_EVENTS", "PLATFORM_FEATURES",
           "synthetic_population"]

#: The reference time of a synthetic population when ``now`` is not given (deterministic).
DEFAULT_NOW = dt.datetime(2026, 11, 1)
#: The most people a synthetic population holds (made in memory, as privacy's synthetic CRM).
MAX_SYNTHETIC = MAX_ROWS
INTERESTS = ("gaming", "streaming", "sports", "music", "travel", "fashion", "tech", "news",
             "food", "fitness")
#: Profile columns known for everyone, customers or not (what a platform can match on). Plan,
#: ARPU and tenure exist only for customers: a lookalike of customers must not use them.
PLATFORM_FEATURES = ("age", "gender", "region", "city", "device_model", "device_os",
                     "device_age_years", "avg_downlink_mbps", "data_gb_month", "is_5g_capable",
                     "interests")
#: Event types recorded for everyone; top-ups and support calls exist only for customers.
PLATFORM_EVENTS = ("app_open", "game_session", "video_stream", "roaming_day", "data_session")
EVENT_TYPES = ("app_open", "game_session", "video_stream", "top_up", "support_call",
               "roaming_day", "data_session")
_REGIONS = {
    "Northeast": [("New York", "10001"), ("Boston", "02134"), ("Newark", "07102")],
    "Southeast": [("Miami", "33101"), ("Atlanta", "30303")],
    "Midwest": [("Chicago", "60601"), ("St. Louis", "63101")],
    "Southwest": [("Houston", "77002"), ("Phoenix", "85004")],
    "West": [("Los Angeles", "90012"), ("San Francisco", "94103"), ("Seattle", "98101")],
    "Rural": [("Bozeman", "59715"), ("Casper", "82601")],
}
_DEVICES = {
    "iOS": ["iPhone 16", "iPhone 15", "iPhone 14", "iPhone 13", "iPhone 12", "iPhone 11",
            "iPhone X", "iPhone 8"],
    "Android": ["Galaxy S25", "Galaxy S24", "Pixel 9", "Galaxy A54", "Pixel 7", "Galaxy S21",
                "Moto G9", "Galaxy J7"],
}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _profiles(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    young = rng.random(n) < 0.45
    age = np.where(young, rng.integers(16, 35, n), rng.integers(35, 81, n)).astype(np.int16)
    gender = np.where(rng.random(n) < 0.5, "F", "M")
    region_names = np.array(list(_REGIONS))
    region_idx = rng.choice(len(region_names), n, p=[0.22, 0.18, 0.17, 0.15, 0.2, 0.08])
    region = region_names[region_idx]
    rural = region == "Rural"
    # Device: older phones are slower and rarely 5G-capable.
    device_age = np.clip(rng.gamma(2.0, 1.1, n) + (age > 55) * 1.0, 0, 9).round(1)
    is_ios = rng.random(n) < np.where(age < 30, 0.55, 0.42)
    os_name = np.where(is_ios, "iOS", "Android")
    model_rank = np.clip((device_age / 1.2).astype(int), 0, 7)
    ios_models = np.array(_DEVICES["iOS"])
    android_models = np.array(_DEVICES["Android"])
    device_model = np.where(is_ios, ios_models[model_rank], android_models[model_rank])
    is_5g = (device_age < 3.0) & (rng.random(n) < 0.9) | (device_age < 1.0)
    downlink = (
        95.0 * np.exp(-0.42 * device_age) * np.where(rural, 0.35, 1.0)
        * np.where(is_5g, 1.6, 1.0) * rng.lognormal(0.0, 0.5, n)
    ).round(1)
    # Interests depend on age and gender.
    p = {
        "gaming": _sigmoid(1.2 - 0.07 * (age - 16) + 0.4 * (gender == "M")),
        "streaming": _sigmoid(0.8 - 0.03 * (age - 16)),
        "sports": _sigmoid(-0.8 + 0.5 * (gender == "M")),
        "music": _sigmoid(0.6 - 0.04 * (age - 16)),
        "travel": _sigmoid(-1.2 + 0.015 * (age - 16)),
        "fashion": _sigmoid(-0.9 + 0.9 * (gender == "F") - 0.02 * (age - 16)),
        "tech": _sigmoid(-1.0 + 0.5 * (device_age < 1.5)),
        "news": _sigmoid(-2.0 + 0.04 * (age - 16)),
        "food": np.full(n, 0.3),
        "fitness": _sigmoid(-0.5 - 0.02 * (age - 16)),
    }
    interests = {k: rng.random(n) < v for k, v in p.items()}
    data_gb = (
        rng.lognormal(1.6, 0.7, n) * (1 + 1.2 * interests["streaming"] + 0.5 * interests["gaming"])
        * np.clip(downlink / 30.0, 0.3, 2.0)
    ).round(2)
    return {
        "age": age, "gender": gender, "region": region, "device_age_years": device_age,
        "device_os": os_name, "device_model": device_model, "is_5g_capable": is_5g,
        "avg_downlink_mbps": downlink, "data_gb_month": data_gb, "interests": interests,
        "region_idx": region_idx,
    }


def synthetic_population(n: int, seed: int = 0, now: dt.datetime | None = None,
                         customer_share: float = 0.35, events_scale: float = 1.0) -> Population:
    """A deterministic synthetic population of ``n`` people with 90 days of events.

    Parameters
    ----------
    n : int
        Number of people (telco customers and others).
    seed : int
        Everything is drawn from ``numpy.random.default_rng(seed)``.
    now : datetime, optional
        The reference time; events fall in the 90 days before it. Defaults to
        :data:`DEFAULT_NOW` so that a seed always gives the same population.
    customer_share : float
        Share of people who are the telco's own subscribers (``is_customer``).
    events_scale : float
        Multiplies every event rate (1.0 gives about 28 events a person).

    Returns
    -------
    Population
        With ``profiles`` (demographics, device, plan, network, interests, ground truth),
        ``events`` and ``crm`` (messy CRM identifiers of the customers, keyed by ``user_id``).

    Examples
    --------
    >>> import segmentation as seg
    >>> pop = seg.synthetic_population(1_000, seed=1)
    >>> pop.n, sorted(pop.profiles.collect_schema())[:3]
    (1000, ['age', 'arpu', 'avg_downlink_mbps'])
    """
    n = check_int(n, "n", 1)
    if n > MAX_SYNTHETIC:  # a phone-sized n failed as NumPy's MemoryError quoting it
        raise InvalidSegmentError(f"n must be at most {MAX_SYNTHETIC:,} (a synthetic "
                                  f"population is made in memory), got {shown(n)}")
    seed = check_int(seed, "seed", 0)
    # as a Population's: naive UTC, a datetime (pandas' NaT or nanoseconds refused)
    now = checked_now(now) if now is not None else None
    check_number(customer_share, "customer_share", 0, 1)
    check_number(events_scale, "events_scale", 0, 1e6)
    now = now or DEFAULT_NOW
    rng = np.random.default_rng(seed)
    p = _profiles(n, rng)
    age, interests = p["age"], p["interests"]
    is_customer = rng.random(n) < customer_share
    prepaid = is_customer & (rng.random(n) < np.where(age < 30, 0.7, 0.45))
    plan = np.where(~is_customer, "none", np.where(prepaid, "prepaid", "postpaid"))
    tenure = np.where(is_customer, np.clip(rng.gamma(1.6, 22, n), 1, 180).astype(int), 0)

    # Behavior: event counts per person over 90 days, by type.
    gamer = interests["gaming"]
    rates = {
        "app_open": 6.0 + 4.0 * (age < 35),
        "game_session": np.where(gamer, 14.0, 0.6) * np.where(age < 25, 1.5, 1.0),
        "video_stream": np.where(interests["streaming"], 10.0, 2.0),
        "top_up": np.where(prepaid, 3.5, 0.0),
        "support_call": np.where(is_customer, 0.25 + 0.12 * p["device_age_years"], 0.0),
        "roaming_day": np.where(interests["travel"], 2.5, 0.15),
        "data_session": 2.0 + 0.35 * p["data_gb_month"],
    }
    counts = {k: rng.poisson(v * events_scale) for k, v in rates.items()}

    # Ground truth: who looks like the high-value customers (platform-visible signals only).
    games = counts["game_session"]
    z = (
        -3.4
        + 1.3 * interests["streaming"] * (p["data_gb_month"] > 8)
        + 1.1 * gamer * (age < 30) * p["is_5g_capable"]
        + 0.9 * np.tanh((p["data_gb_month"] - 10.0) / 8.0)
        + 0.7 * (counts["roaming_day"] > 0)
        + 0.5 * (p["device_os"] == "iOS")
        - 0.0009 * (age - 33.0) ** 2
        + 0.6 * np.log1p(games) / np.log(30.0)
        + 0.4 * interests["tech"]
    )
    propensity = _sigmoid(z)
    is_high_value = is_customer & (rng.random(n) < propensity)
    arpu = np.where(
        ~is_customer, np.nan,
        np.where(prepaid, rng.normal(22, 7, n), rng.normal(52, 14, n)) * (1 + 0.6 * is_high_value),
    ).clip(5, None).round(2)

    place = {r: rng.integers(0, len(c), n) for r, c in _REGIONS.items()}
    region = p["region"]
    city = np.empty(n, dtype=object)
    zip_code = np.empty(n, dtype=object)
    for r, cities in _REGIONS.items():
        mask = region == r
        pick = place[r][mask]
        city[mask] = np.array([c for c, _ in cities], dtype=object)[pick]
        zip_code[mask] = np.array([z_ for _, z_ in cities], dtype=object)[pick]

    ids = np.arange(1, n + 1, dtype=np.int64)
    interest_cols = [pl.when(pl.Series(interests[k])).then(pl.lit(k)) for k in INTERESTS]
    profiles = pl.DataFrame({
        "user_id": ids,
        "age": p["age"], "gender": p["gender"], "region": region,
        "city": pl.Series(city, dtype=pl.Utf8), "zip": pl.Series(zip_code, dtype=pl.Utf8),
        "device_model": p["device_model"], "device_os": p["device_os"],
        "device_age_years": p["device_age_years"], "plan": plan,
        "arpu": pl.Series(arpu).fill_nan(None), "tenure_months": pl.Series(tenure).cast(pl.Int16),
        "avg_downlink_mbps": p["avg_downlink_mbps"], "data_gb_month": p["data_gb_month"],
        "is_5g_capable": p["is_5g_capable"], "is_customer": is_customer,
        "lookalike_propensity": propensity.round(5), "is_high_value": is_high_value,
    }).with_columns(
        interests=pl.concat_list(interest_cols).list.drop_nulls(),
        tenure_months=pl.when(pl.col("is_customer")).then(pl.col("tenure_months")),
    )

    # Events: one block per type, timestamps uniform over the 90 days before now.
    span = 90 * 86400
    now_us = np.datetime64(now, "us")
    frames = []
    for k in EVENT_TYPES:
        c = counts[k]
        users = np.repeat(ids, c)
        m = len(users)
        offset = (rng.random(m) * span * 1e6).astype("timedelta64[us]")
        if k == "top_up":
            value = rng.choice([10.0, 15.0, 20.0, 25.0, 30.0, 50.0], m)
        elif k == "data_session":
            value = rng.lognormal(4.5, 1.0, m).round(1)
        elif k in ("game_session", "video_stream"):
            value = rng.gamma(2.0, 12.0, m).round(1)  # minutes
        else:
            value = np.ones(m)
        frames.append(pl.DataFrame({
            "user_id": users, "event": pl.repeat(k, m, eager=True, dtype=pl.Utf8),
            "ts": now_us - offset, "value": value,
        }))
    events = pl.concat(frames).with_columns(
        pl.col("ts").cast(pl.Datetime("us")), pl.col("event").cast(pl.Enum(EVENT_TYPES))
    )

    crm = _crm(profiles.filter(pl.col("is_customer")), seed, now)
    return Population(profiles, events, id="user_id", now=now, crm=crm)


def _crm(customers: pl.DataFrame, seed: int, now: dt.datetime) -> pl.DataFrame:
    """Messy CRM identifiers for the customers, consistent with their profiles."""
    import privacy

    m = customers.height
    if m == 0:
        return privacy.synthetic_crm(1, seed=seed).clear().with_columns(
            user_id=pl.lit(None, pl.Int64)
        )
    crm = privacy.synthetic_crm(m, seed=seed + 1, invalid_share=0.02)
    rng = np.random.default_rng(seed + 2)
    birth_year = now.year - customers["age"].to_numpy()
    born = pl.Series(
        (birth_year - 1970).astype("datetime64[Y]") + rng.integers(0, 365, m).astype(
            "timedelta64[D]"
        )
    ).cast(pl.Date)
    return crm.with_columns(
        user_id=customers["user_id"],
        city=customers["city"], zip=customers["zip"], gender=customers["gender"],
        dob=born.dt.strftime("%-m/%-d/%Y"),
    ).select(["user_id", *crm.columns])
