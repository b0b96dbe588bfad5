"""``python -m privacy psi setup|request|respond|finish``: the two-party flow over files.

Each step reads the other side's message file and writes its own; each side's secret lives in a
key file of its own (0600, never replaced, never in a folder with the data or the messages) and
is removed once its last step is done: a setup answers one request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from ._errors import InvalidInputError, MissingColumnError
from ._io import atomic_write, check_output, read_table, table_format, write_frame
from ._platforms import KINDS, PLATFORMS
from ._psi import MODES, Message, Receiver, Sender, read_key_file, report_text, respond
from ._redact import path_arg, safe_name


def _column(args: argparse.Namespace) -> Any:
    frame = read_table(args.list, what="list", encoding=args.encoding, separator=args.delimiter)
    column = args.column or args.kind
    if column not in frame.columns:
        raise MissingColumnError(
            f"no column {safe_name(column)} in the list (columns: "
            f"{', '.join(safe_name(c) for c in frame.columns)}); name it with --column")
    return frame, frame[column]


def _shown(path: str) -> str:
    return safe_name(Path(path).name)


def _check_key_place(key: str, others: list[str | None]) -> None:
    """A key file never sits in a folder with the data or the messages."""
    folder = Path(key).resolve().parent
    for other in others:
        if other is not None and Path(other).resolve().parent == folder:
            raise InvalidInputError(
                f"the key file {_shown(key)} would sit in the folder of "
                f"{_shown(other)}: keep PSI keys in a folder of their own, away from the "
                "data and the messages")


def _write_key(path: str, text: str) -> None:
    with atomic_write(path, "w", replace=False, file_mode=0o600) as handle:
        handle.write(text)


def _remove_key(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _setup(args: argparse.Namespace, say: Any) -> int:
    _check_key_place(args.key, [args.list, args.output])
    check_output(args.key, inputs=[args.list], what="PSI key file", replace=False)
    check_output(args.output, inputs=[args.list, args.key], what="setup message", replace=False)
    _, values = _column(args)
    sender = Sender(values, args.kind, args.platform, args.mode, args.region)
    setup = sender.setup(args.receiver_max, fpr=args.fpr, data_structure=args.data_structure)
    _write_key(args.key, sender.key_file_text(**sender.state()))
    setup.write(args.output, inputs=[args.list, args.key])
    say(report_text("this side", sender.report))
    say(f"wrote the setup message {_shown(args.output)} ({len(bytes(setup)):,} bytes, "
        f"{setup.header['sender_size']:,} identifiers, answers up to "
        f"{args.receiver_max:,}); keep {_shown(args.key)} for respond")
    return 0


def _request(args: argparse.Namespace, say: Any) -> int:
    _check_key_place(args.key, [args.list, args.setup, args.output])
    check_output(args.key, inputs=[args.list, args.setup], what="PSI key file", replace=False)
    check_output(args.output, inputs=[args.list, args.setup, args.key],
                 what="request message", replace=False)
    setup = Message.read(args.setup, expect="setup")
    _, values = _column(args)
    receiver = Receiver(values, args.kind, args.platform, args.mode, args.region)
    request = receiver.request(setup)
    _write_key(args.key, receiver.key_file_text(**receiver.state()))
    request.write(args.output, inputs=[args.list, args.setup, args.key])
    say(report_text("this side", receiver.report))
    say(f"wrote the request message {_shown(args.output)} ({len(bytes(request)):,} bytes); "
        f"keep {_shown(args.key)} for finish")
    return 0


def _respond(args: argparse.Namespace, say: Any) -> int:
    _check_key_place(args.key, [args.request, args.output])
    check_output(args.output, inputs=[args.request, args.key], what="response message",
                 replace=False)
    state = read_key_file(args.key, "sender")
    request = Message.read(args.request, expect="request")
    response = respond(request, state["key"], state["mode"], state["rules"], state["session"],
                       state["receiver_max"])
    response.write(args.output, inputs=[args.request, args.key])
    _remove_key(args.key)  # one setup answers one request
    say(f"wrote the response message {_shown(args.output)} ({len(bytes(response)):,} bytes) "
        f"for {request.header['receiver_size']:,} identifiers; removed the key file (a setup "
        "answers one request)")
    return 0


def _finish(args: argparse.Namespace, say: Any) -> int:
    _check_key_place(args.key, [args.list, args.setup, args.response, args.output, args.json])
    inputs = [args.list, args.setup, args.response, args.key]
    for out, what in ((args.output, "matched rows"), (args.json, "JSON result")):
        if out:
            check_output(out, inputs=inputs, what=what)
    if args.output:
        table_format(args.output, "matched rows")
    state = read_key_file(args.key, "receiver")
    setup = Message.read(args.setup, expect="setup")
    response = Message.read(args.response, expect="response")
    frame, values = _column(args)
    receiver = Receiver(values, args.kind, args.platform, args.mode, args.region,
                        key=state["key"])
    receiver.restore(state)
    result = receiver.finish(setup, response)
    if args.output:
        if result.matched is None:
            raise InvalidInputError("--output needs the intersection mode (cardinality gives "
                                    "a size only)")
        write_frame(frame.filter(result.matched), args.output)
    if args.json:
        with atomic_write(args.json, "w") as handle:
            handle.write(json.dumps(result.to_dict(), indent=2) + "\n")
    _remove_key(args.key)
    say(result.to_text())
    if args.output:
        say(f"wrote {result.matched_rows:,} matched rows of this side's list to "
            f"{_shown(args.output)}")
    return 0


def add_psi_parser(sub: Any, say: Any) -> None:
    """The ``psi`` command and its four steps."""
    p = sub.add_parser("psi", help="match with a partner without exchanging identifiers "
                       "(private set intersection over message files)")
    steps = p.add_subparsers(dest="step", required=True)

    def common(q: argparse.ArgumentParser, with_list: bool = True) -> None:
        if with_list:
            q.add_argument("list", type=path_arg,
                           help="this side's list: CSV or Parquet with a header row")
            q.add_argument("--kind", required=True, choices=KINDS, help="identifier kind")
            q.add_argument("--column", help="the identifier column (default: the kind's name)")
            q.add_argument("--platform", required=True, choices=PLATFORMS,
                           help="whose normalization rules both sides apply")
            q.add_argument("--mode", default="intersection", choices=MODES)
            q.add_argument("--region", default="US", help="default region for phones")
            q.add_argument("--encoding", default="utf-8", help="the CSV's text encoding")
            q.add_argument("--delimiter", help="the CSV's delimiter")
        q.add_argument("--key", required=True, type=path_arg,
                       help="this side's PSI key file (in a folder of its own)")

    s = steps.add_parser("setup", help="sender, step 1: write the setup message")
    common(s)
    s.add_argument("--receiver-max", type=int, required=True,
                   help="the largest receiver list this setup answers (agreed beforehand)")
    s.add_argument("--fpr", type=float, default=1e-9, help="false-positive rate of the query")
    s.add_argument("--data-structure", default="auto",
                   choices=("auto", "gcs", "bloom_filter", "raw"),
                   help="how the setup holds the set (auto: a GCS where openmined-psi can "
                        "build one, else the raw keyed points)")
    s.add_argument("-o", "--output", required=True, type=path_arg, help="the setup message file")
    s.set_defaults(func=lambda a: _setup(a, say))
    r = steps.add_parser("request", help="receiver, step 2: write the request message")
    common(r)
    r.add_argument("--setup", required=True, type=path_arg, help="the sender's setup message")
    r.add_argument("-o", "--output", required=True, type=path_arg, help="the request message file")
    r.set_defaults(func=lambda a: _request(a, say))
    d = steps.add_parser("respond", help="sender, step 3: write the response message")
    common(d, with_list=False)
    d.add_argument("--request", required=True, type=path_arg, help="the receiver's request message")
    d.add_argument("-o", "--output", required=True, type=path_arg, help="the response message file")
    d.set_defaults(func=lambda a: _respond(a, say))
    f = steps.add_parser("finish", help="receiver, step 4: the result")
    common(f)
    f.add_argument("--setup", required=True, type=path_arg, help="the sender's setup message")
    f.add_argument("--response", required=True, type=path_arg, help="the sender's response message")
    f.add_argument("-o", "--output", type=path_arg,
                   help="write this side's matched rows here (intersection)")
    f.add_argument("--json", type=path_arg, help="write the result as JSON here")
    f.set_defaults(func=lambda a: _finish(a, say))
