"""Private set intersection: audiencekit's four steps against the bare openmined-psi calls.

For each scenario (receiver size x sender size) and mode, on synthetic emails with a known
overlap, the same run times:

- **ours**: ``Sender.setup``, ``Receiver.request``, ``Sender.respond``, ``Receiver.finish``
  from raw identifiers (normalization, checks, message framing and digests included);
- **bare**: openmined-psi's ``CreateSetupMessage``, ``CreateRequest``, ``ProcessRequest`` and
  ``GetIntersection``/``GetIntersectionSize`` on the already-normalized, distinct values, plus
  the protobuf serialization a file exchange needs.

It prints items per CPU-second for each side (openmined-psi runs on one core), the bytes
exchanged per item (all three messages), and our time over the bare calls (target: at most
1.2x). Results go to ``benchmarks/results/bench_psi.json``.

Usage: ``python benchmarks/bench_psi.py [--scenarios 1000000x1000000 100000x10000000]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _results import RESULTS, print_and_save
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _lists(n_receiver: int, n_sender: int) -> tuple[list[str], list[str], int]:
    """Receiver and sender emails; a third of the receiver's are also the sender's, written
    the way another CRM would (upper case, spaces)."""
    shared = n_receiver // 3
    receiver = [f"user{i}@example.com" for i in range(n_receiver)]
    sender = [f" USER{i}@Example.com" for i in range(n_receiver - shared, n_receiver)]
    sender += [f"other{i}@example.net" for i in range(n_sender - len(sender))]
    return receiver, sender, shared


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def ours(receiver_ids: list[str], sender_ids: list[str], mode: str) -> dict[str, Any]:
    import privacy

    t: dict[str, float] = {}
    c: dict[str, float] = {}
    sender, t["sender_normalize"], c["sender_normalize"] = _timed(
        lambda: privacy.psi.Sender(sender_ids, "email", "meta", mode))
    receiver, t["receiver_normalize"], c["receiver_normalize"] = _timed(
        lambda: privacy.psi.Receiver(receiver_ids, "email", "meta", mode))
    n = receiver.report["distinct"]
    setup, t["setup"], c["setup"] = _timed(lambda: bytes(sender.setup(n)))
    setup_m = privacy.psi.Message.from_bytes(setup)
    request, t["request"], c["request"] = _timed(lambda: bytes(receiver.request(setup_m)))
    response, t["respond"], c["respond"] = _timed(
        lambda: bytes(sender.respond(privacy.psi.Message.from_bytes(request))))
    result, t["finish"], c["finish"] = _timed(
        lambda: receiver.finish(setup_m, privacy.psi.Message.from_bytes(response)))
    return {"wall": t, "cpu": c, "intersection": result.intersection,
            "bytes": {"setup": len(setup), "request": len(request), "response": len(response)}}


def bare(receiver_ids: list[str], sender_ids: list[str], mode: str) -> dict[str, Any]:
    import private_set_intersection.python as psi

    # the same distinct, normalized items the library feeds the protocol
    client_items = list(dict.fromkeys(f"meta/email/{x}" for x in receiver_ids))
    server_items = list(dict.fromkeys(f"meta/email/{x.strip().lower()}" for x in sender_ids))
    reveal = mode == "intersection"
    t: dict[str, float] = {}
    c: dict[str, float] = {}
    server = psi.server.CreateWithNewKey(reveal)
    client = psi.client.CreateWithNewKey(reveal)
    setup, t["setup"], c["setup"] = _timed(lambda: server.CreateSetupMessage(
        1e-9, len(client_items), server_items, psi.DataStructure.GCS).SerializeToString())
    request, t["request"], c["request"] = _timed(
        lambda: client.CreateRequest(client_items).SerializeToString())

    def respond() -> bytes:
        parsed = psi.Request()
        parsed.ParseFromString(request)
        return server.ProcessRequest(parsed).SerializeToString()

    response, t["respond"], c["respond"] = _timed(respond)

    def finish() -> int:
        s, r = psi.ServerSetup(), psi.Response()
        s.ParseFromString(setup)
        r.ParseFromString(response)
        if reveal:
            return len(client.GetIntersection(s, r))
        return int(client.GetIntersectionSize(s, r))

    size, t["finish"], c["finish"] = _timed(finish)
    return {"wall": t, "cpu": c, "intersection": size,
            "bytes": {"setup": len(setup), "request": len(request), "response": len(response)}}


def scenario(n_receiver: int, n_sender: int, mode: str) -> dict[str, Any]:
    receiver_ids, sender_ids, shared = _lists(n_receiver, n_sender)
    b = bare(receiver_ids, sender_ids, mode)
    o = ours(receiver_ids, sender_ids, mode)
    if o["intersection"] != shared or b["intersection"] != shared:
        raise SystemExit(f"wrong intersection: ours {o['intersection']}, bare "
                         f"{b['intersection']}, expected {shared}")
    sender_cpu = sum(o["cpu"][k] for k in ("sender_normalize", "setup", "respond"))
    receiver_cpu = sum(o["cpu"][k] for k in ("receiver_normalize", "request", "finish"))
    exchanged = sum(o["bytes"].values())
    return {
        "receiver_items": n_receiver, "sender_items": n_sender, "mode": mode,
        "intersection": shared,
        "ours_seconds": round(sum(o["wall"].values()), 2),
        "bare_seconds": round(sum(b["wall"].values()), 2),
        "ours_vs_bare": round(sum(o["wall"].values()) / sum(b["wall"].values()), 3),
        "sender_items_per_cpu_second": round((n_sender + n_receiver) / sender_cpu),
        "receiver_items_per_cpu_second": round(2 * n_receiver / receiver_cpu),
        "bytes_per_item": round(exchanged / (n_sender + n_receiver), 2),
        "bytes": o["bytes"],
        "steps_ours": {k: round(v, 2) for k, v in o["wall"].items()},
        "steps_bare": {k: round(v, 2) for k, v in b["wall"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["1000000x1000000",
                                                           "100000x10000000"],
                        help="RECEIVERxSENDER sizes")
    parser.add_argument("--modes", nargs="+", default=["cardinality", "intersection"])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    runs = []
    for spec in args.scenarios:
        n_receiver, n_sender = (int(x) for x in spec.lower().split("x"))
        for mode in args.modes:
            with threadpool_limits(1):  # polars' own pool is left as it is
                runs.append(scenario(n_receiver, n_sender, mode))
            print(runs[-1], flush=True)
    worst = max(r["ours_vs_bare"] for r in runs)
    print_and_save({"runs": runs, "worst_ours_vs_bare": worst, "target_ours_vs_bare": 1.2},
                   "bench_psi", args.out)


if __name__ == "__main__":
    main()
