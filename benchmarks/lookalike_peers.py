"""The lookalike against the PU-learning peers, and a seed-size sweep, on the same features.

1. Peers: on one synthetic population (ground truth known), seeds of 1,000 and 10,000
   high-value customers, each in 3 draws (the same seeds for every method), the same feature
   matrix (``Lookalike``'s own builder)
   and the same base classifier (the default's shallow histogram boosting) for everyone:
   ours (bagged PU, out-of-bag scores), ``pulearn.BaggingPuClassifier`` (15 bags of as many
   unlabeled as each of ours draws; it fits every bag on all the rows, weighing the undrawn
   zero, so its time grows with the population), ``pulearn.ElkanotoPuClassifier`` and
   ``pu_toolbox``'s ``ElkanNotoClassifier`` in both its modes (weighted retraining, its
   default, and probability correction), plus plain scikit-learn LogisticRegression
   seed-versus-rest.
   Precision at 1%, 5%, 10% of non-customers is the mean true ``lookalike_propensity`` of the
   chosen, printed as a ratio to the oracle (ranking by the truth); fit and score times; per
   method the mean and spread over the draws, and ours minus each peer draw by draw.
   The same peers again on the sweep's population (``--sweep-people``), without pulearn's bagging
   (it fits each of its bags on every row: a run there was stopped before its first seed size
   ended) and with pu-toolbox's default mode only (5 minutes a fit).
2. Sweep, on a population of its own (``--sweep-people``, 1,000,000: 66,430 high-value
   customers, enough for 50k seeds): seeds of 100, 300, 1k, 3k, 10k, 50k over 3 random
   states: precision at 1% against the oracle, and the recall of hidden seeds (a fifth of the
   seeds hidden from the fit) in the top 1%, with their spread; a PNG chart.

Usage: ``python benchmarks/lookalike_peers.py [--people 200000] [--sweep-people 1000000]``;
writes
``benchmarks/results/lookalike_peers.json`` and ``lookalike_sweep.png``. With ``--more-draws N
--seeds 1000``: the peers alone on the small population over N draws from draw 4, each peer's
gap to ours as a paired mean and its standard error (``lookalike_peers_draws_1000.json``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _results import RESULTS, print_and_save
from threadpoolctl import threadpool_limits

import segmentation as seg
from segmentation._lookalike import _default_estimator

FRACTIONS = (0.01, 0.05, 0.10)
SWEEP = (100, 300, 1_000, 3_000, 10_000, 50_000)
#: The seed draws of the peer comparison: every method sees the same seeds in each. Draws 1-3
#: of this population were used to choose the default's number of boosting rounds: not these.
DRAWS = (4, 5, 6)


def _precision(scores: np.ndarray, candidates: np.ndarray, truth: np.ndarray) -> list[float]:
    s = scores[candidates]
    order = np.argsort(-s, kind="stable")
    return [float(truth[order[: max(1, round(f * len(order)))]].mean()) for f in FRACTIONS]


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _positive(proba: np.ndarray) -> np.ndarray:
    """The positive class's column of predict_proba (some peers return it alone)."""
    return proba[:, 1] if proba.ndim == 2 else proba


def summarize(rows: list[dict]) -> list[dict]:
    """Per seed size: the mean and spread over the random states, printed."""
    out = []
    for n in sorted({r["seeds"] for r in rows}):
        runs = [r for r in rows if r["seeds"] == n]
        row = {"seeds": n, "states": len(runs)}
        for key in ("ratio_to_oracle_1pct", "hidden_recall_1pct", "fit_seconds"):
            values = [r[key] for r in runs]
            row[key] = [round(float(np.mean(values)), 3), round(float(np.std(values)), 3)]
        out.append(row)
        print(f"sweep {n:>6} seeds, {len(runs)} states: precision@1% / oracle "
              f"{row['ratio_to_oracle_1pct'][0]:.3f} ± {row['ratio_to_oracle_1pct'][1]:.3f}, "
              f"hidden-seed recall@1% {row['hidden_recall_1pct'][0]:.3f} ± "
              f"{row['hidden_recall_1pct'][1]:.3f}, fit {row['fit_seconds'][0]:.1f} s")
    return out


def peer_summary(n_seeds: int, draws: list[dict[str, Any]]) -> dict[str, Any]:
    """Per method over the seed draws: precision / oracle at 1/5/10% (mean, sd), fit seconds,
    scoring rows/s; and ours minus each peer at 1%, draw by draw (the same seeds for all)."""
    ours = "audiencekit (default)"
    out: dict[str, Any] = {}
    for name in draws[0]:
        runs = [d[name] for d in draws if "failed" not in d.get(name, {"failed": 1})]
        if not runs:
            out[name] = {"failed": draws[0][name].get("failed", "every draw failed")}
            print(f"{n_seeds:>6} seeds {name:<28} failed in every draw")
            continue
        ratios = np.array([r["ratio_to_oracle"] for r in runs])
        row: dict[str, Any] = {
            "draws": len(runs),
            "ratio_to_oracle_mean": [round(float(v), 4) for v in ratios.mean(axis=0)],
            "ratio_to_oracle_sd": [round(float(v), 4) for v in ratios.std(axis=0)],
            "fit_seconds_mean": round(float(np.mean([r["fit_seconds"] for r in runs])), 2),
            "score_rows_per_second_mean": round(float(np.mean(
                [r["score_rows_per_second"] for r in runs]))),
        }
        if name != ours:
            paired = np.array([np.subtract(d[ours]["ratio_to_oracle"],
                                           d[name]["ratio_to_oracle"])
                               for d in draws if "failed" not in d[name]
                               and "failed" not in d[ours]])
            row["ours_minus_this_at_1pct"] = [round(float(v), 4) for v in paired[:, 0]]
            row.update(_paired(paired))
        out[name] = row
        print(f"{n_seeds:>6} seeds {name:<28} over {len(runs)} draws: precision / oracle "
              f"{row['ratio_to_oracle_mean']} ± {row['ratio_to_oracle_sd']}, fit "
              f"{row['fit_seconds_mean']:.1f} s, score {row['score_rows_per_second_mean']:,} "
              f"rows/s" + (f"; ours minus this at 1%: {row['ours_minus_this_at_1pct']}"
                           if "ours_minus_this_at_1pct" in row else ""), flush=True)
        if "ours_minus_this_mean" in row:
            print(f"{n_seeds:>6} seeds {'':<28} ours minus this at 1/5/10%: "
                  f"{row['ours_minus_this_mean']} ± {row['ours_minus_this_se']} (standard "
                  f"error), ours ahead in {row['ours_ahead_draws']} of {len(paired)} draws",
                  flush=True)
    return out


def _paired(diffs: np.ndarray) -> dict[str, Any]:
    """Ours minus a peer over the draws (rows) at 1/5/10% (columns): the mean, its standard
    error (the draws' sample standard deviation over the square root of their number; none
    for one draw) and in how many draws ours is ahead."""
    if len(diffs) == 0:
        return {}
    se = (diffs.std(axis=0, ddof=1) / np.sqrt(len(diffs)) if len(diffs) > 1
          else np.full(diffs.shape[1], np.nan))
    return {"ours_minus_this_mean": [round(float(v), 4) for v in diffs.mean(axis=0)],
            "ours_minus_this_se": [round(float(v), 4) for v in se],
            "ours_ahead_draws": [int(v) for v in (diffs > 0).sum(axis=0)]}


def peers(x: np.ndarray, mask: np.ndarray, candidates: np.ndarray, truth: np.ndarray,
          oracle: list[float], large: bool = False) -> dict[str, Any]:
    """Every method on one seed draw; ``large``: without pulearn's bagging (it fits every bag on
    every row) and pu-toolbox's second mode (each pu-toolbox fit takes minutes there)."""
    from pu_toolbox.estimators.classic import ElkanNotoClassifier
    from pulearn import BaggingPuClassifier, ElkanotoPuClassifier
    from sklearn.linear_model import LogisticRegression

    n_seeds = int(mask.sum())
    y = mask.astype(int)
    out: dict[str, Any] = {}

    def record(name: str, fit: Any, score: Any) -> None:
        try:
            model, t_fit = _timed(fit)
            scores, t_score = _timed(lambda: score(model))
        except Exception as exc:  # a peer that fails is reported, not hidden
            out[name] = {"failed": f"{type(exc).__name__}: {str(exc)[:200]}"}
            print(f"{n_seeds:>6} seeds {name:<28} failed: {out[name]['failed']}")
            return
        p = _precision(np.asarray(scores, dtype=float), candidates, truth)
        out[name] = {"precision": p, "ratio_to_oracle": [a / b for a, b in
                                                          zip(p, oracle, strict=True)],
                     "fit_seconds": t_fit, "score_rows_per_second": len(x) / t_score}
        print(f"{n_seeds:>6} seeds {name:<28} vs oracle "
              f"{[round(a / b, 3) for a, b in zip(p, oracle, strict=True)]} fit {t_fit:.1f} s, "
              f"score {len(x) / t_score:,.0f} rows/s", flush=True)

    record("audiencekit (default)",
           lambda: seg.Lookalike(random_state=0).fit(x, mask),
           lambda m: m._score(x, oob=True))
    default = seg.Lookalike()
    k = min(int((~mask).sum()), max(round(default.unlabeled_ratio * n_seeds),
                                     default.min_unlabeled))  # what each of our bags draws
    if not large:
        record("pulearn BaggingPuClassifier",
               lambda: BaggingPuClassifier(estimator=_default_estimator(0), n_estimators=15,
                                           max_samples=k, n_jobs=1, random_state=0).fit(x, y),
               lambda m: m.predict_proba(x)[:, 1])
    record("pulearn ElkanotoPuClassifier",
           lambda: ElkanotoPuClassifier(estimator=_default_estimator(0), hold_out_ratio=0.1,
                                        random_state=0).fit(x, np.where(mask, 1, -1)),
           lambda m: _positive(m.predict_proba(x)))
    # its default mode refits on every unlabeled row weighed by how unlike a seed it looks (the
    # edge at 1,000 seeds); the plain Elkan-Noto correction only rescales one fit's scores.
    # Seeded like every other method here (its folds were unseeded before: its figures moved
    # between runs by up to 0.008 of the oracle)
    for mode in ("weighted_retraining",) + (() if large else ("probability_correction",)):
        record(f"pu-toolbox ElkanNoto {mode.split('_')[0]}",
               lambda mode=mode: ElkanNotoClassifier(base_estimator=_default_estimator(0),
                                                     mode=mode, random_state=0).fit(x, y),
               lambda m: m.predict_proba(x)[:, 1])
    record("plain LogisticRegression",
           lambda: LogisticRegression(max_iter=1000).fit(x, mask),
           lambda m: m.predict_proba(x)[:, 1])
    return out


def compare(x: np.ndarray, ids: Any, hv: seg.Audience, candidates: np.ndarray,
            truth: np.ndarray, oracle: list[float], sizes: tuple[int, ...],
            large: bool = False, seed_draws: tuple[int, ...] = DRAWS) -> dict[str, Any]:
    """The peers over the seed draws for each seed size: every draw's figures and a summary."""
    out: dict[str, Any] = {}
    for n_seeds in sizes:
        draws = []
        for draw in seed_draws:
            seeds = hv.sample(n=n_seeds, random_state=draw)
            mask = ids.is_in(seeds.ids.implode()).to_numpy()
            print(f"{n_seeds:>6} seeds, draw {draw}, {len(mask):,} people:", flush=True)
            draws.append(peers(x, mask, candidates, truth, oracle, large))
        out[f"peers_{n_seeds}"] = {"draws": draws, "summary": peer_summary(n_seeds, draws)}
    return out


def sweep(pop: seg.Population, hv: seg.Audience, x: np.ndarray, ids: Any,
          candidates: np.ndarray, truth: np.ndarray, oracle: list[float]) -> list[dict]:
    rows = []
    for n in SWEEP:
        if n > hv.size:
            print(f"sweep: {n:,} seeds skipped (the population has {hv.size:,} high-value "
                  "customers)")
            continue
        for state in (0, 1, 2):
            seeds = hv.sample(n=n, random_state=state)
            fit_seeds, hidden = seeds.split(test=0.2, random_state=state)
            mask = ids.is_in(fit_seeds.ids.implode()).to_numpy()
            is_hidden = ids.is_in(hidden.ids.implode()).to_numpy()
            model = seg.Lookalike(random_state=state, allow_small_seed=True)
            _, t_fit = _timed(lambda m=model, k=mask: m.fit(x, k))
            scores = model._score(x, oob=True)
            # candidates: everyone but the fitted seeds (hidden seeds stay candidates)
            pool = ~mask
            order = np.argsort(-scores[pool], kind="stable")
            top = order[: max(1, round(0.01 * pool.sum()))]
            recall = float(is_hidden[pool][top].sum() / max(is_hidden.sum(), 1))
            p1 = _precision(scores, candidates, truth)[0]
            rows.append({"seeds": n, "random_state": state, "precision_1pct": p1,
                         "ratio_to_oracle_1pct": p1 / oracle[0],
                         "hidden_recall_1pct": recall, "fit_seconds": t_fit})
            print(f"sweep {n:>6} seeds state {state}: {p1 / oracle[0]:.3f} of the oracle, "
                  f"hidden-seed recall@1% {recall:.3f}, fit {t_fit:.1f} s", flush=True)
    return rows


def speed_ratios(results: dict[str, Any]) -> dict[str, list[float]]:
    """How many times faster ours fits and scores than each peer (the plain logistic
    regression is a baseline, not a peer), over every seed size and population: the range."""
    ours = "audiencekit (default)"
    fit, score = [], []
    for section in (results, results.get("large", {})):
        for key, value in section.items():
            if not key.startswith("peers_"):
                continue
            summary = value["summary"]
            for name, row in summary.items():
                if name in (ours, "plain LogisticRegression") or "failed" in row:
                    continue
                fit.append(row["fit_seconds_mean"] / summary[ours]["fit_seconds_mean"])
                score.append(summary[ours]["score_rows_per_second_mean"]
                             / row["score_rows_per_second_mean"])
    out = {"fits_faster": [min(fit), max(fit)], "scores_faster": [min(score), max(score)]}
    print(f"ours fits {min(fit):.1f}x to {max(fit):.0f}x faster than every peer and scores "
          f"{min(score):.1f}x to {max(score):.0f}x faster")
    return out


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["seeds"] for r in rows})
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for key, label in (("ratio_to_oracle_1pct", "precision@1% / oracle"),
                       ("hidden_recall_1pct", "hidden-seed recall@1%")):
        mean = [np.mean([r[key] for r in rows if r["seeds"] == n]) for n in sizes]
        sd = [np.std([r[key] for r in rows if r["seeds"] == n]) for n in sizes]
        ax.errorbar(sizes, mean, yerr=sd, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("seeds (log scale)")
    ax.set_ylabel("mean of 3 random states (± 1 sd)")
    ax.set_title("Lookalike quality by seed size", loc="left")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _world(people: int) -> tuple[Any, ...]:
    """A synthetic population, its high-value customers, the default's feature matrix, ids,
    who the candidates are (non-customers), their true propensity and the oracle's precision."""
    pop = seg.synthetic_population(people, seed=2026)
    profiles = pop.profiles.select("user_id", "is_customer", "lookalike_propensity").collect()
    ids = profiles["user_id"]
    candidates = ~profiles["is_customer"].to_numpy()
    truth = profiles["lookalike_propensity"].to_numpy()[candidates]
    oracle = [float(np.sort(truth)[::-1][: max(1, round(f * len(truth)))].mean())
              for f in FRACTIONS]
    hv = pop.select(seg.field("is_high_value"))
    builder = seg.Lookalike(features=list(seg.PLATFORM_FEATURES),
                            event_types=list(seg.PLATFORM_EVENTS), n_estimators=1,
                            random_state=0, allow_small_seed=True)
    builder.fit(pop, hv.sample(n=min(1_000, hv.size), random_state=0))
    x = builder.features_.transform(pop)
    print(f"{people:,} people, {hv.size:,} high-value customers, {x.shape[1]} features",
          flush=True)
    return pop, hv, x, ids, candidates, truth, oracle


def more_draws(args: argparse.Namespace) -> None:
    """The peer comparison alone over more seed draws, so that "ahead" can be told from the
    draw-to-draw spread (the paired mean difference and its standard error)."""
    if args.more_draws < 1 or any(n < 1 for n in args.seeds):
        raise SystemExit("error: --more-draws and --seeds take positive counts")
    warnings.simplefilter("ignore", UserWarning)
    seed_draws = tuple(range(DRAWS[0], DRAWS[0] + args.more_draws))
    with threadpool_limits(1):
        _, hv, x, ids, candidates, truth, oracle = _world(args.people)
        results: dict[str, Any] = {"people": args.people, "features": x.shape[1],
                                   "high_value_customers": hv.size, "oracle": oracle,
                                   "seed_draws": list(seed_draws)}
        results.update(compare(x, ids, hv, candidates, truth, oracle,
                               tuple(min(n, hv.size) for n in args.seeds),
                               seed_draws=seed_draws))
    print_and_save(results, "lookalike_peers_draws_" + "_".join(map(str, args.seeds)),
                   args.out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--sweep-people", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--skip-large-peers", action="store_true",
                        help="compare the peers on the small population only (the large one "
                        "takes about 40 minutes: pu-toolbox fits for 5 minutes at 1,000,000)")
    parser.add_argument("--chart-only", action="store_true",
                        help="print the speed ratios and the sweep's summary and redraw the "
                        "PNG from the saved results, without running")
    parser.add_argument("--more-draws", type=int, metavar="N",
                        help="only the peers on the small population, over N seed draws from "
                        "draw 4 on (never the tuning draws 1-3), for the seed sizes of --seeds; "
                        "writes lookalike_peers_draws_<seeds>.json")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    if args.more_draws is not None:
        more_draws(args)
        return
    png = Path(args.out) / "lookalike_sweep.png"
    if args.chart_only:
        import json

        saved = json.loads((Path(args.out) / "lookalike_peers.json").read_text())
        rows = saved["sweep"]
        speed_ratios(saved)
        summarize(rows)
        chart(rows, png)
        print(f"wrote {png}")
        return
    warnings.simplefilter("ignore", UserWarning)
    with threadpool_limits(1):
        pop, hv, x, ids, candidates, truth, oracle = _world(args.people)
        results: dict[str, Any] = {"people": args.people, "features": x.shape[1],
                                   "high_value_customers": hv.size, "oracle": oracle}
        results.update(compare(x, ids, hv, candidates, truth, oracle,
                               (1_000, min(10_000, hv.size))))
        del pop, x
        pop, hv, x, ids, candidates, truth, oracle = _world(args.sweep_people)
        results.update(sweep_people=args.sweep_people, sweep_high_value_customers=hv.size,
                       sweep_oracle=oracle)
        if not args.skip_large_peers:
            # the same peers on the sweep's population, five times larger
            results["large"] = compare(x, ids, hv, candidates, truth, oracle,
                                       (1_000, min(10_000, hv.size)), large=True)
        rows = sweep(pop, hv, x, ids, candidates, truth, oracle)
    results["sweep"] = rows
    results["sweep_summary"] = summarize(rows)
    results["speed_ratios"] = speed_ratios(results)
    png.parent.mkdir(parents=True, exist_ok=True)
    chart(rows, png)
    print(f"wrote {png}")
    print_and_save(results, "lookalike_peers", args.out)


if __name__ == "__main__":
    main()
