"""Normalize + hash throughput on generated CRM rows, against the peers, in one process.

Baselines run in the same process on the same rows:
- Meta's Python SDK (``facebook_business``), ``Normalize.normalize_field`` per value (it
  normalizes and hashes with hashlib);
- a bare ``hashlib.sha256(x).hexdigest()`` loop over already-normalized emails (the floor of any
  per-value Python loop);
- per-row ``phonenumbers.parse`` + ``format_number`` (E.164).

Usage: ``python benchmarks/bench_hashing.py [--rows 1000000] [--rounds 5] [--out DIR]``.
Prints the figures and writes ``bench_hashing.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time

import phonenumbers
import polars as pl
from _results import RESULTS, peak_rss_mb, print_and_save

import privacy
from privacy._normalize import normalize_frame


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def _rounds(tasks: dict, rounds: int) -> tuple[dict, dict]:
    """Run every task once per round, interleaved; the median time and last result of each.

    The machine is shared and noisy: interleaving makes each ratio compare runs made moments
    apart, and the median drops the round a neighbour disturbed.
    """
    times: dict = {k: [] for k in tasks}
    results: dict = {}
    for _ in range(rounds):
        for key, fn in tasks.items():
            start = time.perf_counter()
            results[key] = fn()
            times[key].append(time.perf_counter() - start)
    medians = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    results["_round_seconds"] = {k: [round(t, 3) for t in v] for k, v in times.items()}
    return results, medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    try:
        from facebook_business.adobjects.serverside.normalize import Normalize
    except ImportError:
        sys.exit("install the bench extra first: pip install -e '.[bench]'")

    n = args.rows
    crm = privacy.synthetic_crm(n, seed=42, invalid_share=0.0)
    us = crm.filter(pl.col("country") == "US")
    emails = crm["email"]
    phones = us["phone"]
    regions_e = pl.repeat("US", len(emails), eager=True)
    regions_p = pl.repeat("US", len(phones), eager=True)
    hasher = privacy.Hasher()
    results: dict[str, object] = {
        "rows": n, "timing": f"median of {args.rounds} interleaved rounds",
        "us_phone_rows": len(phones),
        "python": platform.python_version(),
        "polars": pl.__version__, "cores": os.cpu_count(),
    }

    def ours_email(processes: int) -> pl.Series:
        """The library's one-column path: normalization overlapped with hashing."""
        return privacy.prepare_values(emails, "email", "meta", processes=processes)

    def sdk_loop(field: str, values: list[str]) -> list[str | None]:
        """The SDK's per-value normalize + hash; a value it refuses becomes None."""
        out: list[str | None] = []
        for v in values:
            try:
                out.append(Normalize.normalize_field(field, v))
            except (TypeError, ValueError):
                out.append(None)
        return out

    multi_hasher = privacy.Hasher(processes=2)
    multi_hasher.hash(pl.Series(["warm"] * 200_000))  # start the pool outside the timings
    email_list = emails.to_list()
    normalized_emails = normalize_frame(emails, "email", "meta", regions_e)["value"].drop_nulls()
    encoded = [v.encode() for v in normalized_emails.to_list()]
    phone_list = phones.to_list()
    sample = phone_list[: min(len(phone_list), 100_000)]

    def pn_loop() -> list[str]:
        out = []
        for v in sample:
            try:
                out.append(phonenumbers.format_number(
                    phonenumbers.parse(v, "US"), phonenumbers.PhoneNumberFormat.E164))
            except phonenumbers.NumberParseException:
                out.append("")
        return out

    tasks = {
        "email_ours": lambda: ours_email(1),
        "email_ours_2proc": lambda: ours_email(2),
        "email_sdk": lambda: sdk_loop("em", email_list),
        "hashlib": lambda: [hashlib.sha256(b).hexdigest() for b in encoded],
        "hash_ours": lambda: hasher.hash(normalized_emails),
        "hash_ours_2proc": lambda: multi_hasher.hash(normalized_emails),
        "phone_ours": lambda: privacy.prepare_values(phones, "phone", "meta"),
        "phone_normalize": lambda: normalize_frame(phones, "phone", "meta", regions_p),
        "phone_sdk": lambda: sdk_loop("ph", phone_list),
        "phonenumbers": pn_loop,
    }
    out, t = _rounds(tasks, args.rounds)
    results["round_seconds"] = out.pop("_round_seconds")
    ours, ours_mp, sdk = out["email_ours"], out["email_ours_2proc"], out["email_sdk"]
    assert ours_mp.to_list() == ours.to_list()
    pairs = zip(ours.to_list(), sdk, strict=True)
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    identical = sum(a == b for a, b in both) / max(len(both), 1)
    pairs_ph = zip(out["phone_ours"].to_list(), out["phone_sdk"], strict=True)
    both_ph = [(a, b) for a, b in pairs_ph if a is not None and b is not None]
    identical_ph = sum(a == b for a, b in both_ph) / max(len(both_ph), 1)
    t_ours, t_ours_mp, t_sdk = t["email_ours"], t["email_ours_2proc"], t["email_sdk"]
    t_hashlib, t_hash_only, t_hash_only_mp = t["hashlib"], t["hash_ours"], t["hash_ours_2proc"]
    t_ours_ph, t_norm_ph, t_sdk_ph, t_pn = (t["phone_ours"], t["phone_normalize"],
                                           t["phone_sdk"], t["phonenumbers"])

    results.update({
        "email_rate_ours": _rate(len(emails), t_ours),
        "email_rate_ours_2proc": _rate(len(emails), t_ours_mp),
        "email_rate_sdk": _rate(len(emails), t_sdk),
        "email_ratio_vs_sdk": t_sdk / t_ours,
        "email_ratio_vs_sdk_2proc": t_sdk / t_ours_mp,
        "email_identical_hashes_where_both_accept": identical,
        "email_both_accept": len(both),
        "hash_rate_hashlib_loop": _rate(len(encoded), t_hashlib),
        "hash_rate_ours": _rate(len(encoded), t_hash_only),
        "hash_rate_ours_2proc": _rate(len(encoded), t_hash_only_mp),
        "hash_ratio_vs_hashlib": t_hashlib / t_hash_only,
        "hash_ratio_vs_hashlib_2proc": t_hashlib / t_hash_only_mp,
        "hash_2proc_speedup": t_hash_only / t_hash_only_mp,
        # the ceiling of the one-process email ratio: hashing alone, without normalizing
        "hash_only_ratio_vs_sdk_email": t["email_sdk"] / t_hash_only,
        "phone_rate_ours": _rate(len(phones), t_ours_ph),
        "phone_rate_sdk": _rate(len(phones), t_sdk_ph),
        "phone_ratio_vs_sdk": t_sdk_ph / t_ours_ph,
        "phone_identical_hashes_where_both_accept": identical_ph,
        "phone_normalize_rate_ours": _rate(len(phones), t_norm_ph),
        "phone_rate_phonenumbers": _rate(len(sample), t_pn),
        "phone_normalize_ratio_vs_phonenumbers": _rate(len(phones), t_norm_ph)
        / _rate(len(sample), t_pn),
        "peak_rss_mb": peak_rss_mb(),
    })
    print_and_save(results, "bench_hashing", args.out)


if __name__ == "__main__":
    main()
