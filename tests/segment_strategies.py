"""Hypothesis strategies: small random populations and random conditions over them."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import strategies as st

import segmentation as seg

NOW = dt.datetime(2026, 11, 1, 12, 0, 0)
# adversarial literals too: quotes, backslashes, LIKE wildcards, non-ASCII
PLANS = ["prepaid", "postpaid", "none", "O'Brien", "back\\slash", "50%_off", "ünï"]
TAGS = ["gaming", "music", "travel"]
EVENTS = ["game", "top_up"]
# halves, and the floats SQL cannot write as digits (NaN, infinities: CAST('NaN' AS DOUBLE))
SCORES = st.integers(-8, 8).map(lambda x: x / 2) | st.sampled_from(
    [float("nan"), float("inf"), float("-inf"), -0.0])
# account numbers around 2**53, where a float64 can no longer tell neighbours apart
BIG = [2**53 - 1, 2**53, 2**53 + 1, 2**53 + 2, -(2**53) - 1, 0, 7]
# literals of the other kind: floats for integer columns, integers past 2**53 and 2**63
OTHER_KIND = [2.0**53, 2.0**63, -(2.0**63), 7.5, 2**64, -(2**64), 10**30]


@st.composite
def populations(draw: st.DrawFn) -> seg.Population:
    n = draw(st.integers(0, 25))
    maybe = lambda s: st.none() | s  # noqa: E731
    profiles = pl.DataFrame(
        {
            "user_id": list(range(1, n + 1)),
            "age": draw(st.lists(maybe(st.integers(15, 80)), min_size=n, max_size=n)),
            "score": draw(st.lists(maybe(SCORES), min_size=n, max_size=n)),
            "plan": draw(st.lists(maybe(st.sampled_from(PLANS)), min_size=n, max_size=n)),
            "tags": draw(st.lists(maybe(st.lists(maybe(st.sampled_from(TAGS)), max_size=3)),
                                  min_size=n, max_size=n)),
            "active": draw(st.lists(maybe(st.booleans()), min_size=n, max_size=n)),
            "joined": draw(st.lists(maybe(st.integers(0, 400).map(
                lambda d: (NOW - dt.timedelta(days=d)).date())), min_size=n, max_size=n)),
            "acct": draw(st.lists(maybe(st.sampled_from(BIG)), min_size=n, max_size=n)),
        },
        schema={"user_id": pl.Int64, "age": pl.Int64, "score": pl.Float64, "plan": pl.Utf8,
                "tags": pl.List(pl.Utf8), "active": pl.Boolean, "joined": pl.Date,
                "acct": pl.Int64},
    )
    m = draw(st.integers(0, 60))
    events = pl.DataFrame(
        {
            "user_id": draw(st.lists(st.integers(1, n + 3), min_size=m, max_size=m)),
            "event": draw(st.lists(st.sampled_from(EVENTS), min_size=m, max_size=m)),
            "ts": draw(st.lists(st.integers(0, 100 * 86400).map(
                lambda s: NOW - dt.timedelta(seconds=s)), min_size=m, max_size=m)),
            "value": draw(st.lists(st.integers(0, 20).map(float), min_size=m, max_size=m)),
            "channel": draw(st.lists(st.sampled_from(["app", "web"]), min_size=m, max_size=m)),
        },
        schema={"user_id": pl.Int64, "event": pl.Utf8, "ts": pl.Datetime("us"),
                "value": pl.Float64, "channel": pl.Utf8},
    )
    return seg.Population(profiles, events, now=NOW, event_types=EVENTS)


_durations = st.sampled_from(["1d", "7d", "30d", "45d", "90d"])
_windows = st.one_of(
    st.just({}),
    _durations.map(lambda d: {"within": d}),
    st.sampled_from([("90d", "30d"), ("30d", "7d"), ("60d", "1d")]).map(lambda b: {"between": b}),
)


def _compare(target: object, values: st.SearchStrategy) -> st.SearchStrategy:
    ops = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"])
    simple = st.tuples(ops, values).map(
        lambda t: {"eq": target.__eq__, "ne": target.__ne__, "lt": target.__lt__,  # type: ignore[attr-defined]
                   "le": target.__le__, "gt": target.__gt__, "ge": target.__ge__}[t[0]](t[1])
    )
    def _between(t: tuple) -> object:  # an empty range (5, 5, 'left') is refused when built
        lo, hi = min(t[0], t[1]), max(t[0], t[1])
        return target.between(lo, hi, closed=t[2] if lo != hi else "both")  # type: ignore[attr-defined]

    between = st.tuples(values, values, st.sampled_from(["both", "left", "right", "none"])).map(
        _between)
    isin = st.lists(values, min_size=1, max_size=3).map(target.isin)  # type: ignore[attr-defined]
    nulls = st.sampled_from([target.is_null(), target.is_not_null()])  # type: ignore[attr-defined]
    return st.one_of(simple, between, isin, nulls)


def _event_predicate() -> st.SearchStrategy:
    where = st.none() | st.just(seg.field("channel") == "app")

    @st.composite
    def build(draw: st.DrawFn) -> seg.Condition:
        q = seg.event(draw(st.sampled_from(EVENTS)), where=draw(where))
        w = draw(_windows)
        kind = draw(st.sampled_from(["count", "sum", "mean", "min", "max", "distinct_days",
                                     "days_since_last", "did", "did_not"]))
        if kind == "did":
            return q.did(**w)
        if kind == "did_not":
            return q.did_not(**w)
        if kind == "days_since_last":
            target = q.days_since_last()
        elif kind in ("count", "distinct_days"):
            target = getattr(q, kind)(**w)
        else:
            target = getattr(q, kind)("value", **w)
        return draw(_compare(target, st.integers(0, 30)))

    return build()


def _field_predicate() -> st.SearchStrategy:
    age, score = seg.field("age"), seg.field("score")
    plan, tags = seg.field("plan"), seg.field("tags")
    return st.one_of(
        _compare(age, st.integers(10, 85) | st.integers(20, 170).map(lambda v: v / 2)),
        _compare(score, SCORES | st.sampled_from(BIG + OTHER_KIND)),
        _compare(plan, st.sampled_from(PLANS)),
        st.sampled_from(TAGS).map(tags.contains),
        st.sampled_from(["pre", "post", "no", "O'", "back\\", "50%", "ü"]).map(plan.starts_with),
        st.sampled_from(["paid$", "^p", "o.e"]).map(plan.matches),
        st.sampled_from(["aid", "x", "'", "\\", "%_"]).map(plan.contains),
        st.sampled_from([True, False]).map(lambda b: seg.field("active") == b),
        _durations.map(seg.field("joined").within),
        st.just(tags.is_null()),
        _compare(seg.field("acct"), st.sampled_from(BIG + OTHER_KIND)),
        # a long list (more than 32 values) of big integers
        st.lists(st.sampled_from(BIG) | st.integers(-(2**62), 2**62), min_size=33,
                 max_size=40).map(seg.field("acct").isin),
        _compare(seg.field("joined"), st.integers(0, 400).map(
            lambda d: (NOW - dt.timedelta(days=d)).date())),
    )


conditions = st.recursive(
    st.one_of(_field_predicate(), _event_predicate()),
    lambda children: st.one_of(
        st.tuples(children, children).map(lambda t: t[0] & t[1]),
        st.tuples(children, children).map(lambda t: t[0] | t[1]),
        children.map(lambda c: ~c),
    ),
    max_leaves=6,
)
