"""``python -m segmentation lookalike``: fit a lookalike on a seed and write its tiers.

The seed (and the people to leave out, customers say) is a segment's JSON file, evaluated over
the population, or a table of ids (CSV or Parquet with the population's id column). The output
is the top of the candidates, best first: the id, the score and the smallest tier that holds
each person (0.01 for the top 1%). A JSON summary goes to stdout; the model's warnings (columns
and events left out, a small seed) go to stderr as ``warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import polars as pl

from privacy._redact import path_arg, printable, safe_name

from ._clock import utc_text
from ._errors import SegmentationError, UnknownColumnError

__all__ = ["add_parser"]

#: the output's columns beside the id
OUTPUTS = ("score", "tier")


def add_parser(sub: Any) -> None:
    """The ``lookalike`` subcommand on the CLI's subparsers."""
    p = sub.add_parser("lookalike", help="fit a lookalike on a seed and write the top of the "
                       "non-seeds, best first, with their tiers")
    p.add_argument("seeds", type=path_arg,
                   help="the seed: a segment written by Segment.to_json() (.json), "
                   "evaluated over the population, or a table of ids (Parquet or CSV with the "
                   "--id column)")
    p.add_argument("--profiles", required=True, type=path_arg, help="profiles (Parquet or CSV)")
    p.add_argument("--events", type=path_arg, help="events (Parquet or CSV)")
    p.add_argument("--id", default="user_id")
    p.add_argument("--now", help="reference time, ISO 8601 (default: now, UTC)")
    p.add_argument("--exclude", type=path_arg,
                   help="people never to target (customers, say): a segment's "
                   "JSON or a table of ids, as for the seed")
    p.add_argument("--tiers", nargs="+", type=float, default=[0.01, 0.02, 0.05, 0.10],
                   metavar="SHARE", help="nested tiers as shares of the candidates (default "
                   "0.01 0.02 0.05 0.1); the output holds the largest")
    p.add_argument("--features", nargs="+", metavar="COLUMN",
                   help="profile columns to learn from (default: all that candidates have)")
    p.add_argument("--event-types", nargs="+", metavar="EVENT",
                   help="event types to aggregate (default: all that candidates have)")
    p.add_argument("--allow-small-seed", action="store_true",
                   help="fit on fewer than 100 seeds (platforms want 1,000+)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--explain", type=int, default=5, metavar="N",
                   help="say the N features that set the seed most apart (default 5; 0: none)")
    p.add_argument("--evaluate", action="store_true",
                   help="also hide a fifth of the seeds three times and say where they rank "
                   "(recall and lift per tier)")
    p.add_argument("-o", "--output", required=True, type=path_arg,
                   help="the ranked top (Parquet or CSV): id, score, tier")
    p.set_defaults(func=run)


#: the library's parameter names in its messages, as this command spells them
_OPTIONS = (("pass allow_small_seed=True", "pass --allow-small-seed"),
            ("features= / event_types=", "--features / --event-types"),
            ("with features=", "with --features"), ("lists in features=", "lists in --features"),
            ("fractions must", "--tiers must"), ("event_types must", "--event-types must"),
            ("features must", "--features must"), ("in features", "in --features"),
            ("in event_types", "in --event-types"))


def _in_cli_words(text: str) -> str:
    for library, cli in _OPTIONS:
        text = text.replace(library, cli)
    return text


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except SegmentationError as exc:  # the same error, in the command's words
        raise type(exc)(_in_cli_words(str(exc))) from None


def _run(args: argparse.Namespace) -> int:
    import segmentation as seg
    from privacy._io import check_output, table_format, write_frame

    from ._reserved import check_id_not_an_output

    check_output(args.output, inputs=[args.seeds, args.exclude, args.profiles, args.events],
                 what="output")  # before any work: not a folder, a special file or an input
    table_format(args.output)
    from ._lookalike import _fractions, tier_sizes

    fractions = _fractions(tuple(args.tiers))  # the options before the data: nothing is read
    if args.explain < 0:
        raise SegmentationError(f"--explain must be 0 (nothing) or more, got {args.explain}")
    from .__main__ import _parse_now

    now = _parse_now(args.now) if args.now else None
    pop = seg.Population(args.profiles, args.events, id=args.id, now=now)
    check_id_not_an_output(pop.id, OUTPUTS, "the lookalike's output")
    seeds = _audience(args.seeds, pop, "seeds")
    exclude = _audience(args.exclude, pop, "exclude") if args.exclude else None
    model = seg.Lookalike(features=args.features, event_types=args.event_types,
                          allow_small_seed=args.allow_small_seed,
                          random_state=args.random_state)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        model.fit(pop, seeds, exclude=exclude)
        ranked = model.ranked(pop, exclude=exclude)  # ranked once: the tiers are its top rows
        sizes = tier_sizes(fractions, ranked.height)
    for said in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, UserWarning)):
        print(f"warning: {printable(_in_cli_words(said))}", file=sys.stderr)
    shares = sorted(sizes)
    summary: dict[str, Any] = {
        "seeds": int(model.n_seeds_),
        "seeds_not_in_population": int(getattr(model, "n_seeds_missing_", 0)),
        "candidates": ranked.height, "bags": int(model.n_estimators_),
        "features": len(model.feature_names_in_),
        "left_out": [safe_name(c) for c in getattr(model, "left_out_", [])],
        "now": utc_text(pop.now), "tiers": {f"{f:g}": sizes[f] for f in shares},
        # what sets the seed apart, in the data's units (levels held by 1%+ of people)
        "apart": model.explain(args.explain)["reading"].to_list() if args.explain else [],
        "output": safe_name(Path(args.output).name),
    }
    if args.evaluate:  # before the output is written: a failure leaves nothing behind
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # said above, for the same fit
            evaluation = seg.evaluate_lookalike(model, pop, seeds, fractions=fractions,
                                                exclude=exclude)
        summary["evaluation"] = {
            "hidden_share": 0.2, "auc": round(evaluation.auc_mean, 4),
            "tiers": {f"{row['fraction']:g}": {"recall": round(row["recall_mean"], 4),
                                               "lift": round(row["lift_mean"], 3)}
                      for row in evaluation.table.iter_rows(named=True)}}
    top = ranked.head(max(sizes.values()))
    tier = pl.lit(None, dtype=pl.Float64)
    for f in reversed(shares):  # the smallest tier that holds the row, nested tiers
        tier = pl.when(pl.int_range(pl.len()) < sizes[f]).then(pl.lit(f)).otherwise(tier)
    write_frame(top.with_columns(tier.alias("tier")), args.output)
    print(json.dumps(summary))
    return 0


def _audience(path: str, pop: Any, what: str) -> Any:
    """People named by a segment's JSON file (evaluated over ``pop``) or a table of ids."""
    import segmentation as seg

    from ._checks import ids_like
    from ._engines import as_lazy

    if Path(path).suffix.lower() == ".json":
        from .__main__ import _read_segment

        return pop.select(_read_segment(path))
    frame = as_lazy(path, what)
    schema = frame.collect_schema()
    if pop.id not in schema:
        raise UnknownColumnError(
            f"the {what} file {safe_name(Path(path).name)} has no id column {pop.id!r}; it "
            f"has: {', '.join(safe_name(c) for c in list(schema)[:20])}; name the ids' column "
            "with --id, or give a segment's JSON file")
    id_type = pop.schema[pop.id]
    if (Path(path).suffix.lower() == ".csv" and id_type == pl.Utf8
            and schema[pop.id] != pl.Utf8):
        # the population's ids are text: read the file's as written ('007' stays '007')
        from ._engines import _scan_csv

        frame = _scan_csv(Path(path), what, text_column=pop.id)
    ids = frame.select(pl.col(pop.id)).collect()[pop.id]
    ids = ids_like(ids, id_type, f"the {what} ids").unique(maintain_order=True)
    return seg.Audience(ids, None, pop.n, what, id_column=pop.id)

