"""Command line: ``python -m segmentation demo|build|report|lookalike ...``.

Exit codes: 0 done, 2 bad input (with a message on stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from privacy._redact import ArgumentParser, named, path_arg, printable, safe_name

from . import _format as fmt
from ._clock import utc_text
from ._errors import SegmentationError

_STARTED = [time.perf_counter()]


def _section(title: str) -> None:
    """A section heading with the time since the demo started (the demo says where it is)."""
    elapsed = f" [{time.perf_counter() - _STARTED[0]:.0f} s]"
    print(f"\n== {title}{elapsed} " + "=" * max(0, 60 - len(title) - len(elapsed)), flush=True)


def _table(frame: pl.DataFrame, rows: int = 12) -> None:
    with pl.Config(tbl_rows=rows, tbl_cols=12, fmt_str_lengths=60, tbl_hide_dataframe_shape=True,
                   float_precision=3, tbl_width_chars=120):
        print(frame.head(rows))


#: The smallest demo population: about 160 high-value customers for the lookalike's seed (100
#: is its minimum; 300 people had 23 and stopped at step 5, 10 people had no customer to upload)
_DEMO_MIN_PEOPLE = 2_500


def _demo(args: argparse.Namespace) -> int:
    import privacy
    import segmentation as seg
    from privacy._io import atomic_write, write_frame
    from privacy._manifest import public_key_pem

    from ._format import human_frame

    if args.n < _DEMO_MIN_PEOPLE:  # before any output: it had failed at step 3 or 5
        raise SegmentationError(
            f"the demo needs --n {_DEMO_MIN_PEOPLE:,} or more, got {args.n:,}: its lookalike "
            "learns from the high-value customers (about 7% of the people), and a seed needs "
            "100 of them")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = _STARTED[0] = time.perf_counter()
    _section(f"1. a synthetic telco population of {args.n:,} people (seed {args.seed})")
    t = time.perf_counter()
    pop = seg.synthetic_population(args.n, seed=args.seed)
    events = pop.events.select(pl.len()).collect().item()
    print(f"{pop.n:,} profiles and {events:,} events over 90 days before {pop.now:%Y-%m-%d}, "
          f"generated in {time.perf_counter() - t:.1f} s")

    _section("2. the audience: 18-25 year-old gamers, 3+ year-old phone, under 10 Mb/s")
    example = seg.Segment(
        "young gamers on old slow phones",
        seg.field("age").between(18, 25) & seg.field("interests").contains("gaming")
        & (seg.field("device_age_years") >= 3) & (seg.field("avg_downlink_mbps") < 10),
        "18-25 year-old gamers using a 3+ year-old phone on a connection under 10 Mb/s",
    )
    audience = pop.select(example)
    print(audience)
    print("waterfall (size after each clause):")
    waterfall = pop.waterfall(example)
    _table(human_frame(waterfall, shares=("share_of_population", "share_of_previous")))
    heavy = seg.Segment("heavy gamers", seg.event("game_session").count(within="30d") >= 5,
                        "5+ game sessions in the last 30 days")
    heavy_audience = pop.select(heavy)
    customers = pop.select(seg.field("is_customer"))
    customers = seg.Audience(customers.ids, None, pop.n, "customers")
    print("\noverlap (people in both):")
    overlap = pop.overlap([audience, heavy_audience, customers])
    _table(human_frame(overlap))
    print("\nprofile of the audience against everyone (index > 1: over-represented):")
    profile = pop.profile(audience, ["age", "gender", "region", "device_os", "plan",
                                     "interests", "data_gb_month"], top=4)
    _table(human_frame(profile.sort("index", descending=True, nulls_last=True),
                       ratios=("index",)), rows=10)

    _section("3. export the customers in it: a hashed meta upload with a signed manifest")
    in_crm = seg.Audience((audience & customers).ids, example, pop.n, "customers in audience")
    upload = in_crm.export("meta", crm=pop.crm)
    signing_key = privacy.generate_signing_key()
    upload_path = out / "meta_upload.csv"
    manifest = upload.write(upload_path, signing_key=signing_key)
    # the demo's own public key, new each run with the manifest it verifies: replaced with it
    with atomic_write(out / "signing-key.pub.pem", keys_ok=True) as handle:
        handle.write(public_key_pem(signing_key.public_key()))
    print(upload.report.to_text())
    privacy.verify_manifest(manifest, signing_key.public_key(), upload_path)
    print(f"manifest signature and file digest verify; only the public key is kept "
          f"({out / 'signing-key.pub.pem'})")

    _section("4. audit the upload before it leaves")
    report = privacy.audit(upload_path, public_key=signing_key.public_key())
    print(report.to_text())
    with atomic_write(out / "audit.json", "w") as handle:
        handle.write(report.to_json() + "\n")
    gate = "passes" if report.ok("high") else "FAILS"
    print(f"gate at 'high': {gate} (reversible low-entropy columns are medium for a platform "
          "upload: see the severity policy)")

    _section("5. lookalikes of the high-value customers among non-customers")
    import warnings

    import numpy as np

    high_value = pop.select(seg.field("is_high_value"))
    # platform guidance: 1,000 to 5,000 seeds
    seeds = high_value.sample(n=min(5_000, high_value.size), random_state=args.seed)
    model = seg.Lookalike(features=list(seg.PLATFORM_FEATURES),
                          event_types=list(seg.PLATFORM_EVENTS), random_state=args.seed)
    print(f"fitting on {pop.n:,} people ({seeds.size:,} seeds)...", flush=True)
    step = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # seed-size advice is printed below
        model.fit(pop, seeds)
    print(f"fitted in {time.perf_counter() - step:.1f} s; scoring everyone...", flush=True)
    step = time.perf_counter()
    tiers = model.tiers(pop, (0.01, 0.05), exclude=customers)
    print(f"scored and ranked in {time.perf_counter() - step:.1f} s", flush=True)
    truth = pop.profiles.select("user_id", "is_customer", "lookalike_propensity").collect()
    others = truth.filter(~pl.col("is_customer"))["lookalike_propensity"].sort(descending=True)
    rows = []
    for fraction, tier in tiers.items():
        chosen = truth.filter(pl.col("user_id").is_in(tier.ids.implode()))
        best = float(others.head(tier.size).mean() or 0.0)
        mean = float(chosen["lookalike_propensity"].mean() or 0.0)
        rows.append({"tier": f"top {fmt.tier(fraction)}", "people": tier.size,
                     "mean true propensity": mean, "oracle": best,
                     "share of oracle": mean / best if best else np.nan,
                     "random": float(others.mean() or 0.0)})
    print(f"seed: {seeds.size:,} of the {high_value.size:,} high-value customers; candidates: the "
          f"{others.len():,} non-customers")
    _table(human_frame(pl.DataFrame(rows), ratios=("share of oracle",)))
    print("what sets the seed apart:")
    for reading in model.explain(top=5)["reading"]:
        print(f"  {reading}")
    ranked = model.ranked(pop, exclude=customers)  # the scores tiers() used, best first
    write_frame(ranked.head(tiers[0.01].size), out / "lookalike_top1pct.parquet")
    # the hidden-seed check refits the model per random state: on a random sample of at most
    # 25,000 people of a large population (its own seeds and customers): the demo stays short
    sub = pop
    if pop.n >= 40_000:
        quarter = pop.profiles.select("user_id").collect()["user_id"].sample(
            n=25_000, seed=args.seed).implode()
        sub = seg.Population(
            pop.profiles.filter(pl.col("user_id").is_in(quarter)),
            pop.events.filter(pl.col("user_id").is_in(quarter)),
            now=pop.now)
    sub_ids = sub.profiles.select("user_id").collect()["user_id"].implode()
    sub_seeds = seeds.ids.filter(seeds.ids.is_in(sub_ids))
    evaluation = None
    if sub_seeds.len() >= 125:  # 80% of them, the fitted part, must reach the 100-seed minimum
        print(f"hidden-seed check: hiding a fifth of the seeds, refitting on {sub.n:,} people, "
              "2 random states...", flush=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            evaluation = seg.evaluate_lookalike(
                model, sub, seg.Audience(sub_seeds, None, sub.n),
                exclude=seg.Audience(customers.ids.filter(customers.ids.is_in(sub_ids)), None,
                                     sub.n),
                random_states=(0, 1))
        print(f"hidden-seed check on {sub.n:,} people, 2 random states: AUC "
              f"{evaluation.auc_mean:.3f}; the top 1% finds "
              f"{evaluation.table['recall_mean'][0]:.1%} of the hidden seeds")
    else:
        print(f"hidden-seed check skipped: {sub_seeds.len()} seeds are too few to hide a fifth")

    _section("6. behavioral: RFM groups over top-ups")
    groups = seg.rfm(pop, "top_up", within="90d")
    _table(human_frame(groups.sizes()))

    _section("7. working with partners: a private match, and figures safe to share")
    # the partner holds a third of our customers' emails (written its own way) and others of
    # its own; neither side sees the other's identifiers (openmined-psi's ECDH PSI)
    ours_emails = pop.crm["email"]
    partner = pl.concat([
        ours_emails.sample(fraction=0.3, seed=args.seed).str.to_uppercase(),
        privacy.synthetic_crm(20_000, seed=args.seed + 1)["email"],
    ])
    t = time.perf_counter()
    sender = privacy.psi.Sender(partner, "email", "meta", "cardinality")
    receiver = privacy.psi.Receiver(ours_emails, "email", "meta", "cardinality")
    psi_dir = out / "psi"
    psi_dir.mkdir(exist_ok=True)
    setup = sender.setup(receiver.report["distinct"])
    request = receiver.request(setup)
    response = sender.respond(request)
    for message in (setup, request, response):  # what would cross between the two sides
        with atomic_write(psi_dir / f"{message.step}.psi") as handle:
            handle.write(bytes(message))
    match = receiver.finish(setup, response)
    print(match.to_text())
    exchanged = sum(len(bytes(m)) for m in (setup, request, response))
    print(f"messages in {psi_dir}/ ({exchanged / 1e6:.1f} MB, no identifier in them); "
          f"{time.perf_counter() - t:.1f} s for both sides")
    shareable = seg.shareable_report(
        [audience, heavy_audience, customers], pop, segment=example,
        profile=["gender", "region", "device_os", "plan", "interests"], top=4, epsilon=1.0)
    print("\nshareable figures (counts under 100 hidden, two-digit ranges, epsilon 1.0):")
    print("\n".join(shareable.to_text().splitlines()[:14]))
    with atomic_write(out / "shareable_report.json", "w") as handle:
        handle.write(shareable.to_json() + "\n")
    with atomic_write(out / "shareable_report.txt", "w") as handle:
        handle.write(shareable.to_text() + "\n")

    with atomic_write(out / "segment.json", "w") as handle:
        handle.write(example.to_json())
    write_frame(pl.DataFrame({"user_id": audience.ids}), out / "audience_ids.parquet")
    # for people: separators, percentages, three significant digits (Parquet stays exact)
    write_frame(human_frame(waterfall, shares=("share_of_population", "share_of_previous")),
                out / "waterfall.csv")
    write_frame(human_frame(overlap), out / "overlap.csv")
    write_frame(human_frame(profile, ratios=("index",)), out / "profile.csv")

    _section("8. the audience report: one HTML page with charts, and its shareable variant")
    options = {"others": [heavy_audience, customers], "rfm": groups, "tiers": tiers,
               "evaluation": evaluation, "model": model, "upload": upload, "audit": report,
               "profile": ["age", "gender", "region", "device_os", "plan", "interests",
                           "data_gb_month", "avg_downlink_mbps"]}
    page = audience.report(out / "report.html", pop, **options)
    shared_page = audience.report(out / "report_shareable.html", pop, shareable=True,
                                  epsilon=1.0, **{**options, "profile": ["gender", "plan"]})
    print(f"wrote {page.html.name} and {shared_page.html.name} (epsilon 1.0, no count under "
          f"100), with {len(page.charts) + len(shared_page.charts)} PNG charts beside them")
    _section("summary")
    print(f"audience: {audience.size:,} people ({audience.size / pop.n:.2%}); "
          f"{in_crm.size:,} of them are customers, {upload.report.rows_out:,} uploadable")
    print(f"outputs in {out}/: segment.json, audience_ids.parquet, waterfall.csv, overlap.csv, "
          "profile.csv, meta_upload.csv (+ manifest), audit.json, lookalike_top1pct.parquet, "
          "signing-key.pub.pem, psi/ (the match's messages), shareable_report.json/.txt, "
          "report.html, report_shareable.html (+ PNG charts)")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _build(args: argparse.Namespace) -> int:
    import segmentation as seg
    from privacy._io import write_frame

    now = _parse_now(args.now) if args.now else None
    segment = _read_segment(args.segment)
    if args.output:  # checked before any work: not a folder, a special file or an input
        from privacy._io import check_output, table_format

        check_output(args.output, inputs=[args.segment, args.profiles, args.events],
                     what="output")
        table_format(args.output)
    pop = seg.Population(args.profiles, args.events, id=args.id, now=now)
    audience = pop.select(segment, streaming=args.streaming)
    print(json.dumps({"segment": segment.name, "size": audience.size, "population": pop.n,
                      "now": utc_text(pop.now)}))
    if args.output:
        write_frame(pl.DataFrame({args.id: audience.ids}), args.output)
    return 0


def _read_segment(path: str) -> Any:
    import segmentation as seg
    from privacy._io import read_regular

    name = safe_name(Path(path).name)  # a file named like data is shown masked
    try:  # never from a pipe or a device: the reader refuses them before reading
        data = read_regular(path, _MAX_SEGMENT_BYTES)
    except OSError as exc:  # errno 0: read_regular's pipe, socket or device
        if exc.errno in (0, errno.EISDIR):
            raise SegmentationError(f"segment file {name} is not a regular file; "
                                    "give the segment's JSON file") from None
        raise SegmentationError(f"cannot read segment file {name}: "
                                f"{exc.strerror}") from None
    if len(data) > _MAX_SEGMENT_BYTES:
        raise SegmentationError(f"segment file {name} is over "
                                f"{_MAX_SEGMENT_BYTES // 2**20} MB: not a segment's JSON")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SegmentationError(f"segment file {name} is not UTF-8 text; "
                                "give the JSON that Segment.to_json() wrote") from None
    return seg.Segment.from_json(text)


#: A segment's JSON is a few kilobytes; anything this large is some other file.
_MAX_SEGMENT_BYTES = 16 * 2**20


def _report(args: argparse.Namespace) -> int:
    import segmentation as seg
    from privacy._io import check_output

    inputs = [args.segment, *args.others, args.profiles, args.events]
    check_output(args.output, inputs=inputs, what="report")
    now = _parse_now(args.now) if args.now else None
    segment = _read_segment(args.segment)
    others = [_read_segment(p) for p in args.others]
    pop = seg.Population(args.profiles, args.events, id=args.id, now=now)
    audience = pop.select(segment)
    files = audience.report(args.output, pop, others=[pop.select(o) for o in others],
                            profile=args.profile, shareable=args.shareable, k=args.k,
                            epsilon=args.epsilon)
    n = len(files.charts)
    print(f"wrote {files.html} and {n} chart{'' if n == 1 else 's'} beside it")
    return 0


def _parse_now(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise SegmentationError(
            f"--now must be an ISO 8601 time such as 2026-11-01 or 2026-11-01T12:00:00, got "
            f"{named(text[:40])}"
        ) from None


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m segmentation",
                                     description="Audiences from profiles and events.")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="the end-to-end demo on a synthetic population")
    d.add_argument("--n", type=int, default=200_000,
                   help="people in the population (2,500 or more)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--out", type=path_arg,
                   default="audiencekit-demo", help="folder for the outputs")
    d.set_defaults(func=_demo)
    b = sub.add_parser("build", help="evaluate a segment JSON file over tables")
    b.add_argument("segment", type=path_arg, help="a segment written by Segment.to_json()")
    b.add_argument("--profiles", required=True, type=path_arg, help="profiles (Parquet or CSV)")
    b.add_argument("--events", type=path_arg, help="events (Parquet or CSV)")
    b.add_argument("--id", default="user_id")
    b.add_argument("--now", help="reference time, ISO 8601 (default: now, UTC)")
    b.add_argument("--streaming", action="store_true", help="use polars' streaming engine")
    b.add_argument("-o", "--output", type=path_arg, help="write the ids (Parquet or CSV)")
    b.set_defaults(func=_build)
    r = sub.add_parser("report", help="an audience report: one self-contained HTML page with "
                       "charts (PNG copies beside it)")
    r.add_argument("segment", type=path_arg, help="a segment written by Segment.to_json()")
    r.add_argument("--profiles", required=True, type=path_arg, help="profiles (Parquet or CSV)")
    r.add_argument("--events", type=path_arg, help="events (Parquet or CSV)")
    r.add_argument("--id", default="user_id")
    r.add_argument("--now", help="reference time, ISO 8601 (default: now, UTC)")
    r.add_argument("--others", nargs="*", default=[], type=path_arg,
                   help="more segment files: overlaps with them")
    r.add_argument("--profile", nargs="*", help="profile columns (default: all)")
    r.add_argument("--shareable", action="store_true",
                   help="the variant for outsiders: no count under --k, two-digit ranges")
    r.add_argument("--k", type=int, default=100)
    r.add_argument("--epsilon", type=float,
                   help="differential privacy for the shareable variant (one budget)")
    r.add_argument("-o", "--output", required=True, type=path_arg, help="the HTML file")
    r.set_defaults(func=_report)
    from ._lookalike_cli import add_parser

    add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import privacy

    try:
        return int(args.func(args))
    except (SegmentationError, privacy.PrivacyError) as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc.strerror or type(exc).__name__}", file=sys.stderr)
    except Exception as exc:  # never a traceback: it could quote a value
        print(f"error: unexpected {type(exc).__name__}; please report it (no data is shown)",
              file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
