"""How precise is lookalike targeting? Synthetic data against the limit, real data against a table.

1. Synthetic: a 1,000,000-person population with ground truth. Seeds of 1,000 and 10,000
   high-value customers; the non-customers are ranked; precision at 1%, 5% and 10% is the mean
   true ``lookalike_propensity`` of the people chosen. Compared: the default model, the other
   methods, a plain scikit-learn LogisticRegression seed-versus-rest on the same features,
   random choice, and the oracle (ranking by the true propensity: the best possible).
2. Real: the CoIL Challenge 2000 (``--coil``, default ``../shared/data/coil2000``). Seeds are
   the caravan-policy owners of the training file; every other row of both files is unlabeled;
   the 800 best-scored of the 4,000 test customers are chosen and the owners among them counted
   with the test targets, read once, at the end (``--coil-cv-only`` stops before). The model is
   chosen by ``select_lookalike`` with its default candidates: seed-only cross-validation inside
   the training owners, blind to the test targets. Published: 121 (the winner), 47.6 (random).
3. Speed: fitting on 1,000,000 people with 10,000 seeds, and scoring rows per second, against
   a plain scikit-learn model fitted on the same features.

Usage: ``python benchmarks/targeting_precision.py [--people 1000000] [--coil DIR]``; writes
``benchmarks/results/targeting_precision.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from _results import RESULTS, print_and_save
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

import segmentation as seg

FEATURES = list(seg.PLATFORM_FEATURES)  # columns known for customers and non-customers alike
FRACTIONS = (0.01, 0.05, 0.10)
DEFAULT_COIL = Path(__file__).resolve().parents[2] / "shared" / "data" / "coil2000"


def _precision(order: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    n = len(order)
    return {f"{f:.0%}": float(truth[order[: max(1, round(f * n))]].mean()) for f in FRACTIONS}


def synthetic(people: int, results: dict) -> None:
    start = time.perf_counter()
    pop = seg.synthetic_population(people, seed=2026)
    print(f"population of {people:,} generated in {time.perf_counter() - start:.1f} s")
    profiles = pop.profiles.select("user_id", "is_customer", "is_high_value",
                                   "lookalike_propensity").collect()
    candidates = ~profiles["is_customer"].to_numpy()
    truth = profiles["lookalike_propensity"].to_numpy()[candidates]
    hv = pop.select(seg.field("is_high_value"))
    oracle = _precision(np.argsort(-truth, kind="stable"), truth)
    rng = np.random.default_rng(0)
    random_choice = _precision(rng.permutation(len(truth)), truth)
    section: dict = {"oracle": oracle, "random": random_choice,
                     "candidates": int(candidates.sum()), "high_value_customers": hv.size}
    print(f"oracle {oracle}  random {random_choice}")
    for n_seeds in (1_000, 10_000):
        seeds = hv.sample(n=min(n_seeds, hv.size), random_state=1)
        seed_mask = profiles["user_id"].is_in(seeds.ids.implode()).to_numpy()
        row: dict = {}
        x_cache = None
        for method in ("pu_bagging", "classifier", "similarity"):
            model = seg.Lookalike(method=method, features=FEATURES,
                                  event_types=list(seg.PLATFORM_EVENTS), random_state=0)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                model.fit(pop, seeds)
            t_fit = time.perf_counter() - t0
            x = model.features_.transform(pop) if x_cache is None else x_cache
            x_cache = x
            t0 = time.perf_counter()
            scores = model._score(x, oob=True)  # what tiers() gives on the fitted population
            t_score = time.perf_counter() - t0
            p = _precision(np.argsort(-scores[candidates], kind="stable"), truth)
            row[method] = {"precision": p, "ratio_to_oracle": {k: p[k] / oracle[k] for k in p},
                           "fit_seconds": t_fit, "score_rows_per_second": len(x) / t_score}
            print(f"{n_seeds:>6} seeds {method:<11} {p}  vs oracle "
                  f"{ {k: round(p[k] / oracle[k], 3) for k in p} }  fit {t_fit:.1f} s")
        t0 = time.perf_counter()
        plain = LogisticRegression(max_iter=1000).fit(x_cache, seed_mask)
        t_fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = plain.predict_proba(x_cache)[:, 1]
        t_score = time.perf_counter() - t0
        p = _precision(np.argsort(-scores[candidates], kind="stable"), truth)
        row["plain_logistic_regression"] = {
            "precision": p, "ratio_to_oracle": {k: p[k] / oracle[k] for k in p},
            "fit_seconds": t_fit, "score_rows_per_second": len(x_cache) / t_score}
        print(f"{n_seeds:>6} seeds plain LR    {p}  vs oracle "
              f"{ {k: round(p[k] / oracle[k], 3) for k in p} }  fit {t_fit:.1f} s")
        section[f"seeds_{n_seeds}"] = row
    results["synthetic"] = section
    results["speed"] = speed(pop, hv, people)


def speed(pop: seg.Population, hv: seg.Audience, people: int) -> dict:
    """The default model on 10,000 seeds: fit (features included), scoring prebuilt features
    (rows it was not fitted on: every bag), and scoring from profiles and events (features
    built, then scored), against the targets of the speed issue and a plain LR."""
    seeds = hv.sample(n=min(10_000, hv.size), random_state=1)
    model = seg.Lookalike(features=FEATURES, event_types=list(seg.PLATFORM_EVENTS),
                          random_state=0)
    fits = []
    for _ in range(2):  # the second fit is warm (imports, allocator): both reported
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.fit(pop, seeds)
        fits.append(time.perf_counter() - t0)
    x = model.features_.transform(pop)
    score_times, e2e_times = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        model._score(x)
        score_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.score_samples(pop)
        e2e_times.append(time.perf_counter() - t0)
    mask = model.features_.ids(pop).is_in(seeds.ids.implode()).to_numpy()
    plain = LogisticRegression(max_iter=1000).fit(x, mask)
    t0 = time.perf_counter()
    plain.predict_proba(x)
    t_plain = time.perf_counter() - t0
    out = {
        "people": people, "seeds": len(seeds), "features": int(x.shape[1]),
        "bags": len(model.estimators_), "compiled": model.tables_ is not None,
        "pairs": len(model.tables_.pairs) if model.tables_ is not None else None,
        "fit_seconds": fits, "fit_target_seconds": 10.0,
        "score_rows_per_second": len(x) / min(score_times), "score_target": 1_000_000,
        "end_to_end_rows_per_second": len(x) / min(e2e_times), "end_to_end_target": 300_000,
        "plain_lr_score_rows_per_second": len(x) / t_plain,
        "before_this_issue": {"fit_seconds": 66.3, "score_rows_per_second": 18_650},
    }
    print(f"speed: fit {fits[0]:.1f} s (warm {fits[1]:.1f} s; target 10 s), scoring "
          f"{out['score_rows_per_second']:,.0f} rows/s on prebuilt features (target 1,000,000), "
          f"{out['end_to_end_rows_per_second']:,.0f} rows/s from profiles + events (target "
          f"300,000); plain LR {out['plain_lr_score_rows_per_second']:,.0f} rows/s")
    return out


def coil(folder: Path, results: dict, cv_only: bool = False) -> None:
    train_file, test_file, targets_file = (folder / "ticdata2000.txt", folder / "ticeval2000.txt",
                                           folder / "tictgts2000.txt")
    if not train_file.exists():
        print(f"CoIL 2000 data not found in {folder}; skipped")
        results["coil2000"] = {"skipped": f"no data in {folder}"}
        return
    print(f"CoIL 2000 from {folder} (UCI KDD archive files, read-only)")
    train = np.loadtxt(train_file, dtype=float)
    test = np.loadtxt(test_file, dtype=float)
    x_train, owner = train[:, :85], train[:, 85] == 1
    x_all = np.vstack([x_train, test])
    seeds = np.concatenate([owner, np.zeros(len(test), bool)])

    # The model is chosen by seed-only cross-validation (select_lookalike with its default
    # candidates): owners of the training file are hidden fold by fold and their recall in the
    # top 20% (the task's 800 of 4,000) of everyone else compared. No test target is read.
    start = time.perf_counter()
    selection = seg.select_lookalike(x_all, seeds, fraction=0.2, random_state=0)
    t_select = time.perf_counter() - start
    print(selection.table)
    chosen_model = selection.table.filter("chosen")["candidate"].item()
    section = {
        "source": str(folder), "seeds": int(owner.sum()), "unlabeled": int((~seeds).sum()),
        "selection": "segmentation.select_lookalike(fraction=0.2), default candidates, "
                     "5 folds x 2 repeats over the training owners only",
        "cv_table": selection.table.to_dicts(), "chosen": chosen_model,
        "selection_seconds": t_select,
        "published_winner": 121, "published_random": 47.6,
        "history": "an earlier session read the test targets once for Lookalike() with its "
                   "defaults (116 owners); this selection procedure was committed before the "
                   "targets were read again, once",
    }
    if cv_only:
        section["owners_in_800"] = None
        results["coil2000"] = section
        print("--coil-cv-only: the test targets were not read")
        return
    chosen = np.argsort(-selection.scores[len(x_train):], kind="stable")[:800]
    targets = np.loadtxt(targets_file, dtype=int)  # read once, here, for the final count
    owners = int(targets[chosen].sum())
    section["owners_in_800"] = owners
    results["coil2000"] = section
    print(f"CoIL 2000: {owners} owners among the 800 chosen (winner 121, random 47.6) by "
          f"{chosen_model}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--coil", type=Path, default=DEFAULT_COIL)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-coil", action="store_true",
                        help="keep the CoIL result already saved (its targets are read once)")
    parser.add_argument("--coil-cv-only", action="store_true",
                        help="run the CoIL model selection without reading the test targets")
    parser.add_argument("--speed-only", action="store_true",
                        help="run only the speed section (fit, scoring) and keep the rest")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    saved = Path(args.out) / "targeting_precision.json"
    # a skipped part keeps its saved figures (the CoIL count comes from the one run that read
    # the test targets)
    results: dict = json.loads(saved.read_text()) if saved.exists() else {}
    if args.speed_only:
        with threadpool_limits(1):
            pop = seg.synthetic_population(args.people, seed=2026)
            results["speed"] = speed(pop, pop.select(seg.field("is_high_value")), args.people)
        print_and_save(results, "targeting_precision", args.out)
        return
    if not args.skip_coil:
        coil(args.coil, results, cv_only=args.coil_cv_only)
    results.setdefault("coil2000", {"skipped": "--skip-coil"})
    if not args.skip_synthetic:
        with threadpool_limits(1):  # 2 shared cores: the library pins its own fits too
            synthetic(args.people, results)
    print_and_save(results, "targeting_precision", args.out)


if __name__ == "__main__":
    main()
