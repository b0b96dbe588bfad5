"""Figures that are safe to share: thresholds, platform-style ranges, differentially private counts.

An exact small count is a disclosure ("3 people in ZIP 02139 bought the plan"), and exact counts
side by side can be subtracted. This layer turns exact counts into figures for people outside
the data team:

- a count under ``k`` (default 100) is shown as "under 100", never as a number;
- other counts are shown as a range of two significant digits, as the ad platforms show
  audience estimates ("12,000-13,000"), whose lower end is never under ``k``;
- with ``epsilon``, counts get OpenDP's discrete Laplace noise first (its vetted mechanism,
  no hand-rolled noise), scaled to how many counts one person can change (the sensitivity each
  caller states); every release is charged to the report's budget with OpenDP's own privacy
  map, and a release that would overspend it is refused. Thresholds and rounding then apply to
  the noisy counts (post-processing: no further privacy cost).

The guarantee with ``epsilon``: pure epsilon-differential privacy for adding or removing one
person, over everything released under one :class:`Disclosure`; (epsilon, delta)-differential
privacy once names read from the data are released (:meth:`Disclosure.select`: a profile's
levels, whose names say that someone has them), with ``delta`` the report's second budget.
Without ``epsilon``, thresholds and rounding only: no count under ``k`` is shown and no name
held by fewer than ``k`` people, but differences between reports are not hidden.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._checks import finite, whole
from ._errors import InputTypeError, InvalidInputError, PrivacyError
from ._redact import shown

__all__ = ["BudgetExhaustedError", "Disclosure", "SafeCount", "margin95", "round_significant"]

#: The mechanism's name, as reports state it.
MECHANISM = ("discrete Laplace (OpenDP make_laplace over integers), pure epsilon-DP for adding "
             "or removing one person; sequential composition over the report")
#: How names read from the data are chosen, as reports state it once they are.
SELECTION = ("names read from the data (profile levels) by OpenDP's make_laplace_threshold: "
             "a name is shown only when its noisy count passes a threshold, (epsilon, delta)-DP")


class BudgetExhaustedError(PrivacyError, ValueError):
    """A release would spend more privacy budget (epsilon) than the report was given."""


def round_significant(n: int, digits: int = 2, *, up: bool = False) -> int:
    """``n`` rounded down (or ``up``) to ``digits`` significant digits: 12,345 -> 12,000."""
    n = _integer(n)
    places = whole(digits)
    if places is None or places < 1:
        raise InvalidInputError(f"digits must be a positive int, got {shown(digits)}")
    digits = places
    if n <= 0:
        return 0
    step = 10 ** max(len(str(n)) - digits, 0)  # a float log10 counts 10**15 - 1 as 16 digits
    return (-(-n // step) if up else n // step) * step


@dataclass(frozen=True)
class SafeCount:
    """One shareable figure: what to show, and the released number behind it (``None`` when
    under k). Never holds the exact count."""

    shown: str
    low: int | None
    high: int | None
    under_k: bool

    def __str__(self) -> str:
        return self.shown

    @property
    def middle(self) -> float:
        """The middle of the range, for charts and shares (0 under k)."""
        return 0.0 if self.under_k else (self.low + self.high) / 2  # type: ignore[operator]

    @property
    def value(self) -> int | None:
        """A single number for charts and ratios: the range's lower end (None under k)."""
        return self.low

    def to_dict(self) -> dict[str, Any]:
        return {"shown": self.shown, "low": self.low, "high": self.high, "under_k": self.under_k}


def _integer(value: object) -> int:
    """A count as a Python int: ints and NumPy integers, never a bool, float or text."""
    number = whole(value)
    if number is None:
        raise InputTypeError(f"counts must be ints, got {type(value).__name__}")
    return number


def _dp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - the dependency is declared
        raise PrivacyError("differentially private figures need opendp: pip install opendp") \
            from None
    dp.enable_features("contrib")
    return dp


def laplace_measurement(sensitivity: int, epsilon: float) -> tuple[Any, float]:
    """OpenDP's discrete Laplace over a vector of int64 counts whose L1 distance between
    neighbouring datasets is at most ``sensitivity``; and the epsilon OpenDP's map charges."""
    dp = _dp()
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    measurement = dp.m.make_laplace(*space, scale=sensitivity / epsilon)
    return measurement, float(measurement.map(sensitivity))


def laplace_threshold(contributions: int, epsilon: float, delta: float, k: int
                      ) -> tuple[Any, float, float, int]:
    """OpenDP's thresholded Laplace over counts by name, for names one person adds 1 to at most
    ``contributions`` of; the threshold is the smallest at or above ``k`` whose delta is at
    most ``delta``. The measurement, its (epsilon, delta) by OpenDP's map, and the threshold."""
    dp = _dp()
    space = (dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=dp.i64)),
             dp.l01inf_distance(dp.absolute_distance(T=dp.i64)))
    scale = contributions / epsilon

    def make(threshold: int) -> tuple[Any, float, float]:
        m = dp.m.make_laplace_threshold(*space, scale=scale, threshold=threshold)
        eps, dlt = m.map((contributions, contributions, 1))
        return m, float(eps), float(dlt)

    low, high = k, k
    while make(high)[2] > delta:
        low, high = high, high * 2
        if high > 2**60:
            raise InvalidInputError(f"no threshold reaches delta {delta:g} at epsilon "
                                    f"{epsilon:g}: give the selection more of the budget")
    while low < high:  # the smallest threshold in (low, high] whose delta is small enough
        mid = (low + high) // 2
        if make(mid)[2] > delta:
            low = mid + 1
        else:
            high = mid
    measurement, eps, dlt = make(high)
    return measurement, eps, dlt, high


def margin95(scale: float) -> float:
    """The smallest m with P(|noise| <= m) >= 0.95 for the discrete Laplace of this scale."""
    a = math.exp(-1 / scale)
    # P(|X| > m) = 2 a^(m+1) / (1 + a)
    return max(math.ceil(math.log(0.05 * (1 + a) / 2) / math.log(a) - 1), 0)


def _check_epsilon(value: object, name: str) -> float:
    """A budget is a positive, finite number (NumPy's too; not a bool, not text), as a float."""
    number = finite(value)
    if number is None or not number > 0:
        raise InvalidInputError(f"{name} must be a positive, finite number, got {shown(value)}")
    return number


def _check_delta(value: object, bound: float, rule: str) -> float:
    """A delta is a number strictly between 0 and ``bound`` (NumPy's too), as a float."""
    number = finite(value)
    if number is None or not 0 < number < bound:
        raise InvalidInputError(f"{rule}, got {shown(value)}")
    return number


@dataclass
class Disclosure:
    """Releases counts safely; one per report (the budget is the report's).

    Parameters
    ----------
    k : int
        Counts under ``k`` are shown as "under k" (default 100).
    epsilon : float, optional
        The report's privacy budget. ``None``: thresholds and rounding only, no noise.
    digits : int
        Significant digits of the shown ranges (2, as the platforms show sizes).
    """

    k: int = 100
    epsilon: float | None = None
    digits: int = 2
    #: The report's delta budget, spent only on names read from the data (:meth:`select`).
    delta: float = 1e-9
    # what was spent, and on what: kept by the releases, never given (a "spent" of -5 passed
    # in used to widen the budget by 5)
    spent: float = field(default=0.0, init=False)
    spent_delta: float = field(default=0.0, init=False)
    ledger: list[dict[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        k = whole(self.k)
        if k is None or k < 1:
            raise InvalidInputError(f"k must be a positive int, got {shown(self.k)}")
        self.k = k
        if self.epsilon is not None:
            self.epsilon = _check_epsilon(self.epsilon, "epsilon")
        digits = whole(self.digits)
        if digits is None or not 1 <= digits <= 6:
            raise InvalidInputError(f"digits must be an int from 1 to 6, got {shown(self.digits)}")
        self.digits = digits
        self.delta = _check_delta(self.delta, 1e-3, "delta must be a float above 0 and under "
                                  "0.001 (far under 1 / the population)")

    @property
    def remaining(self) -> float | None:
        return None if self.epsilon is None else max(self.epsilon - self.spent, 0.0)

    def release(self, counts: Sequence[int], *, sensitivity: int, label: str,
                epsilon: float | None = None) -> list[SafeCount]:
        """Release a group of exact counts, of which one person can change at most
        ``sensitivity`` in total (L1), spending ``epsilon`` of the budget (default: all that
        is left)."""
        if isinstance(counts, (str, bytes, Mapping)) or not isinstance(counts, Iterable):
            raise InputTypeError(f"counts must be a sequence of ints (one figure: [n]), got "
                                 f"{type(counts).__name__}")
        exact = [self._count(c) for c in counts]
        bound = whole(sensitivity)
        if bound is None or bound < 1:
            raise InvalidInputError(f"sensitivity must be a positive int, got "
                                    f"{shown(sensitivity)}")
        sensitivity = bound
        if self.epsilon is None or not exact:  # nothing released, nothing spent
            return [self.show(c) for c in exact]
        if epsilon is not None:
            epsilon = _check_epsilon(epsilon, "release's epsilon")
        share = self.remaining if epsilon is None else epsilon
        if share is None or share <= 0:
            raise BudgetExhaustedError(
                f"the privacy budget (epsilon {self.epsilon:g}) is spent: {label} cannot be "
                "released; make a new report with its own budget, or give this one more")
        measurement, cost = laplace_measurement(sensitivity, share)
        if self.spent + cost > self.epsilon * (1 + 1e-9):
            raise BudgetExhaustedError(
                f"releasing {label} costs epsilon {cost:.4g}, but only {self.remaining:.4g} of "
                f"{self.epsilon:g} is left; split the budget over fewer figures")
        noisy = measurement(exact)
        self.spent += cost
        self.ledger.append({"figures": label, "counts": len(exact), "sensitivity": sensitivity,
                            "epsilon": cost, "scale": sensitivity / share})
        return [self.show(int(c)) for c in noisy]

    @property
    def remaining_delta(self) -> float:
        return max(self.delta - self.spent_delta, 0.0)

    def select(self, counts: Mapping[Hashable, int], *, contributions: int, label: str,
               epsilon: float | None = None, delta: float | None = None,
               ) -> dict[Hashable, int]:
        """Which names read from the data may be shown, with the count to rank them by.

        ``counts`` maps each name (a column's level, say) to how many people have it; one
        person is counted under at most ``contributions`` names. A name is itself a disclosure
        (a level held by one person says that someone has it), so without ``epsilon`` only
        names held by at least ``k`` people are kept (with their exact counts, for ranking
        only); with it, OpenDP's thresholded Laplace keeps a name when its noisy count passes
        a threshold of at least ``k``, spending ``epsilon`` (default: all that is left) and
        ``delta`` (default: all of the delta budget that is left).
        """
        if not isinstance(counts, Mapping):
            raise InputTypeError(f"counts must map names to counts, got {type(counts).__name__}")
        exact = {name: self._count(c) for name, c in counts.items()}
        most = whole(contributions)
        if most is None or most < 1:
            raise InvalidInputError(f"contributions must be a positive int, got "
                                    f"{shown(contributions)}")
        contributions = most
        if self.epsilon is None:
            return {name: c for name, c in exact.items() if c >= self.k}
        if epsilon is not None:
            epsilon = _check_epsilon(epsilon, "selection's epsilon")
        if delta is not None:
            delta = _check_delta(delta, 1.0, "the selection's delta must be a float between "
                                 "0 and 1")
        share = self.remaining if epsilon is None else epsilon
        share_delta = self.remaining_delta if delta is None else delta
        if not share or share <= 0 or share_delta <= 0:
            raise BudgetExhaustedError(
                f"the privacy budget (epsilon {self.epsilon:g}, delta {self.delta:g}) is spent: "
                f"{label} cannot be released; make a new report with its own budget")
        measurement, cost, cost_delta, threshold = laplace_threshold(
            contributions, share, share_delta, self.k)
        if self.spent + cost > self.epsilon * (1 + 1e-9) \
                or self.spent_delta + cost_delta > self.delta * (1 + 1e-9):
            raise BudgetExhaustedError(
                f"selecting {label} costs epsilon {cost:.4g} and delta {cost_delta:.3g}, but "
                f"only {self.remaining:.4g} and {self.remaining_delta:.3g} are left")
        keys = {str(name): name for name in exact}
        if len(keys) != len(exact):
            raise InvalidInputError(f"{label}: two names have the same text")
        noisy = measurement({text: exact[name] for text, name in keys.items()})
        self.spent += cost
        self.spent_delta += cost_delta
        self.ledger.append({"figures": label, "counts": len(noisy), "sensitivity": contributions,
                            "epsilon": cost, "scale": contributions / share,
                            "delta": cost_delta, "threshold": threshold})
        return {keys[text]: int(c) for text, c in noisy.items()}

    def show(self, count: int) -> SafeCount:
        """Threshold and round one (exact or already noisy: it may be negative) count."""
        count = _integer(count)
        if count < self.k:
            return SafeCount(f"under {self.k:,}", None, None, True)
        low = max(round_significant(count, self.digits), self.k)
        high = round_significant(count + 1, self.digits, up=True)  # above count: above low
        return SafeCount(f"{low:,}-{high:,}", low, high, False)

    @staticmethod
    def _count(value: object) -> int:
        c = _integer(value)
        if c < 0:
            raise InvalidInputError(f"counts are never negative, got {c}")
        if c >= 2**62:  # the noise is added in 64-bit integers, with room for it
            raise InvalidInputError(f"counts must be under 2**62, got one of {c.bit_length()} "
                                    "bits")
        return c

    def summary(self) -> dict[str, Any]:
        """What a reader of the report needs to know about how its figures were protected."""
        out: dict[str, Any] = {"k": self.k, "ranges": f"{self.digits} significant digits"}
        if self.epsilon is None:
            out["method"] = ("thresholds and rounding (no noise): no count under k is shown; "
                             "differences between reports are not protected")
        else:
            out.update(method="differential privacy", mechanism=MECHANISM,
                       epsilon_budget=self.epsilon, epsilon_used=round(self.spent, 6),
                       releases=list(self.ledger))
            if self.spent_delta:
                out.update(selection=SELECTION, delta_budget=self.delta,
                           delta_used=float(f"{self.spent_delta:.3g}"))
        return out
