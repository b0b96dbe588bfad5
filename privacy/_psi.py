"""Private set intersection with a partner: openmined-psi's ECDH protocol, over message files.

Two organizations learn how many identifiers they share (``cardinality``), or one of them learns
which of its own rows are in the other's list (``intersection``), without either seeing the
other's identifiers. The protocol is OpenMined's (``openmined-psi``): ECDH over P-256 with
hash-to-curve; the sender's set travels as a Golomb-compressed set (or a Bloom filter) of
doubly-keyed points. Nothing here is a home-made protocol: this module normalizes, checks and
packages.

Roles and steps (each step reads the other side's message and writes its own)::

    sender (holds a list)                     receiver (learns the result)
    1. setup     -> setup message   ------>
                                              2. request  -> request message
    3. respond   -> response message <-----
                                    ------>   4. finish   -> size, or its own matched rows

What each side learns: the receiver learns the size of the sender's set (distinct valid
identifiers) and the intersection (``intersection``) or only its size (``cardinality``); the
sender learns the size of the receiver's set and nothing else. Messages hold curve points keyed
by a secret scalar of one side or both: no plaintext, no unkeyed hash. A setup answers one
request, of at most the size it announced: a receiver cannot probe the sender's list with more
identifiers than agreed, nor ask twice under the same key.

Both sides normalize with the same platform rules first (:func:`privacy.normalize`); every
message carries the rule set and the normalization version, and a mismatch is an error, since
two sides that normalize differently silently match less.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.hazmat.primitives import hashes

from ._checks import check_one_column, whole
from ._errors import InputTypeError, InvalidInputError, PsiError, ReadError
from ._normalize import NORMALIZATION_VERSION, normalize
from ._platforms import check_platform
from ._redact import safe_name, shown

__all__ = ["MODES", "PSI_FORMAT", "Message", "PsiResult", "Receiver", "Sender", "match"]

PSI_FORMAT = "audiencekit-psi/1"
MODES = ("cardinality", "intersection")
_MAGIC = b"AUDIENCEKIT-PSI\n"
_KEY_BEGIN = "-----BEGIN AUDIENCEKIT PSI KEY-----"
_KEY_END = "-----END AUDIENCEKIT PSI KEY-----"
_STEPS = ("setup", "request", "response")
_POINT_BYTES = 33  # a compressed P-256 point
_DATA_STRUCTURES = ("gcs", "bloom_filter", "raw")
#: openmined-psi keeps a GCS's hash range in a signed 64-bit integer: asked for more (a large
#: receiver_max at a small fpr), it hashes into 2**63 values, and the query's false-positive
#: bound is what that range gives (:func:`fpr_bound`), not the fpr asked for.
_GCS_RANGE_MAX = 2.0 ** 63
#: protobuf cannot hold a message of 2 GiB (openmined-psi then returns an empty one); a setup
#: is refused above 1 GiB, before a Bloom filter of that size is allocated.
_MAX_SETUP_BYTES = 1 << 30
#: The largest set size a message may state (a trillion identifiers): past it the sizes reach
#: no real list, and 10**400 has no float for the false-positive arithmetic.
MAX_SET_SIZE = 10**12
_MAX_HEADER = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SESSION = re.compile(r"[0-9a-f]{32}")
#: The header's fields and their types, per step (beside the common ones).
_COMMON = {"format": str, "step": str, "session": str, "mode": str, "rules": dict,
           "protocol": str, "payload_bytes": int, "payload_sha256": str}
_FIELDS = {
    "setup": {"sender_size": int, "receiver_max": int, "fpr": float, "data_structure": str},
    "request": {"receiver_size": int, "setup_sha256": str},
    "response": {"request_sha256": str, "receiver_size": int},
}


def _psi() -> Any:
    try:
        import private_set_intersection.python as psi
    except ImportError:  # pragma: no cover - the dependency is declared
        raise PsiError("private set intersection needs openmined-psi: pip install openmined-psi") \
            from None
    return psi


def _sha256(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def _protocol() -> str:
    return f"openmined-psi {_psi().__version__} (ECDH P-256)"


def _rules(platform: str, kind: str) -> dict[str, str]:
    return {"platform": platform, "kind": kind, "normalization": NORMALIZATION_VERSION}


def _check_mode(mode: object) -> str:
    if mode not in MODES:
        raise InvalidInputError(
            f"mode must be one of {', '.join(MODES)}, got {safe_name(str(mode))}")
    return str(mode)


# --- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One message between the two sides: a JSON header and openmined-psi's protobuf payload.

    The header says which step made it, the session it belongs to, the mode, the normalization
    rules, the set sizes, and the SHA-256 of the payload it answers; the payload holds keyed
    curve points only. ``bytes(message)`` is the file's content.
    """

    header: dict[str, Any]
    payload: bytes = field(repr=False)

    def __repr__(self) -> str:
        h = self.header
        sizes = {k: h[k] for k in ("sender_size", "receiver_max", "receiver_size") if k in h}
        return (f"Message(step={h['step']!r}, mode={h['mode']!r}, session={h['session'][:8]}..., "
                f"{sizes}, payload={len(self.payload):,} bytes)")

    @property
    def step(self) -> str:
        return str(self.header["step"])

    @property
    def digest(self) -> str:
        """SHA-256 of the payload (the next message names it)."""
        return str(self.header["payload_sha256"])

    def __bytes__(self) -> bytes:
        return _MAGIC + json.dumps(self.header, sort_keys=True).encode() + b"\n" + self.payload

    @classmethod
    def make(cls, step: str, session: str, mode: str, rules: dict[str, str], payload: bytes,
             **fields: Any) -> Message:
        header = {"format": PSI_FORMAT, "step": step, "session": session, "mode": mode,
                  "rules": rules, "protocol": _protocol(), "payload_bytes": len(payload),
                  "payload_sha256": _sha256(payload), **fields}
        return cls(header, payload)

    @classmethod
    def from_bytes(cls, data: bytes, expect: str | None = None) -> Message:
        """Parse and check a message: its shape, field types, payload length and digest."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InputTypeError(f"a PSI message is bytes, got {type(data).__name__}")
        data = bytes(data)
        if not data.startswith(_MAGIC):
            raise PsiError("not an audiencekit PSI message (the first line is not "
                           f"{_MAGIC.decode().strip()})")
        end = data.find(b"\n", len(_MAGIC))
        if end < 0:
            raise PsiError("truncated PSI message: no header line")
        if end - len(_MAGIC) > _MAX_HEADER:
            raise PsiError("malformed PSI message: its header line is too long")
        try:
            header = json.loads(data[len(_MAGIC):end].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise PsiError("malformed PSI message: its header is not JSON") from None
        if not isinstance(header, dict):
            raise PsiError("malformed PSI message: its header is not a JSON object")
        step = header.get("step")
        if step not in _STEPS:
            raise PsiError(f"malformed PSI message: unknown step {safe_name(str(step))}")
        wanted = {**_COMMON, **_FIELDS[step]}
        for name, kind in wanted.items():
            value = header.get(name)
            ok = isinstance(value, kind) and not isinstance(value, bool)
            if kind is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok:
                raise PsiError(f"malformed PSI {step} message: field {name} is missing or "
                               f"not a {kind.__name__}")
        extra = sorted(set(header) - set(wanted))
        if extra:
            raise PsiError(f"malformed PSI {step} message: unexpected fields "
                           f"{[safe_name(x) for x in extra]}")
        _check_values(header, step)
        if header["format"] != PSI_FORMAT:
            raise PsiError(f"PSI message format {safe_name(header['format'])}, this library "
                           f"reads {PSI_FORMAT}: both sides need the same audiencekit version")
        if expect is not None and step != expect:
            raise PsiError(f"expected a PSI {expect} message, got a {step} message")
        payload = data[end + 1:]
        if len(payload) != header["payload_bytes"] or _sha256(payload) != header["payload_sha256"]:
            raise PsiError(f"PSI {step} message is truncated or altered: its payload does not "
                           "match the length and SHA-256 in its header")
        return cls(header, payload)

    def write(self, path: str | os.PathLike[str],
              inputs: Sequence[str | os.PathLike[str] | None] = ()) -> Path:
        """Write the message atomically; never over an input, a key or an existing message."""
        from ._io import atomic_write, check_output

        check_output(path, inputs=inputs, what="PSI message", replace=False)
        with atomic_write(path, replace=False) as handle:
            handle.write(bytes(self))
        return Path(path)

    @classmethod
    def read(cls, path: str | os.PathLike[str], expect: str | None = None) -> Message:
        from ._io import read_regular

        try:
            data = read_regular(path)
        except OSError as exc:
            raise ReadError(f"cannot read the PSI message {safe_name(os.fspath(path))} "
                            f"({exc.strerror or type(exc).__name__})") from None
        return cls.from_bytes(data, expect)


def _check_values(header: dict[str, Any], step: str) -> None:
    """Values in range: sizes positive, digests and session hex, a known mode and data
    structure, a false-positive rate in (0, 1), rules as three strings."""
    bad: str | None = None
    for name in ("sender_size", "receiver_max", "receiver_size"):
        if name in header and not (
                (0 if name == "receiver_size" else 1) <= header[name] <= MAX_SET_SIZE):
            bad = name
    for name in ("payload_sha256", "setup_sha256", "request_sha256"):
        if name in header and not _HEX64.fullmatch(header[name]):
            bad = name
    if not _SESSION.fullmatch(header["session"]):
        bad = "session"
    if header["mode"] not in MODES:
        bad = "mode"
    if header.get("data_structure", "gcs") not in _DATA_STRUCTURES:
        bad = "data_structure"
    if "fpr" in header and not 0 < header["fpr"] < 1:  # NaN fails both
        bad = "fpr"
    rules = header["rules"]
    if sorted(rules) != ["kind", "normalization", "platform"] or not all(
            isinstance(v, str) for v in rules.values()):
        bad = "rules"
    if bad is not None:
        raise PsiError(f"malformed PSI {step} message: field {bad} is out of range")


def _parse(proto_class: Any, payload: bytes, what: str) -> Any:
    from google.protobuf.message import DecodeError

    out = proto_class()
    try:
        out.ParseFromString(payload)
    except (DecodeError, ValueError):
        raise PsiError(f"malformed PSI {what}: its payload is not openmined-psi's protobuf") \
            from None
    return out


def _check_points(elements: Sequence[bytes], expected: int, what: str) -> None:
    if len(elements) != expected:
        raise PsiError(f"PSI {what} holds {len(elements):,} points, its header says "
                       f"{expected:,}")
    if any(len(e) != _POINT_BYTES for e in elements):
        raise PsiError(f"PSI {what} holds values that are not compressed P-256 points")


# --- one side's identifiers ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Items:
    """A side's identifiers after normalization: the distinct valid values (in first-seen
    order) that enter the protocol, and what happened to each input row."""

    values: pl.Series  # normalized, null where rejected, one per input row
    reasons: pl.Series
    distinct: list[str] = field(repr=False)

    @property
    def report(self) -> dict[str, Any]:
        rejected = self.reasons.drop_nulls().value_counts()
        # by name, as an upload's report: value_counts' order changes from run to run
        by_reason = dict(sorted((str(r), int(n)) for r, n in rejected.iter_rows()))
        valid = int(self.values.is_not_null().sum())
        return {"rows": len(self.values), "valid": valid, "distinct": len(self.distinct),
                "repeated": valid - len(self.distinct), "rejected": sum(by_reason.values()),
                "rejected_by_reason": by_reason}

    def digest(self) -> str:
        """SHA-256 over the whole distinct list, kept on this side only (in its key file), to
        check that ``finish`` reads the list that ``request`` read."""
        return _sha256("".join(v + "\n" for v in self.distinct).encode())


def _items(values: object, kind: str, platform: str, default_region: object,
           now: Any) -> _Items:
    check_one_column(values, "values")
    if values is None or isinstance(values, str):
        raise InputTypeError(
            f"values must be a sequence or column of identifiers, got {type(values).__name__}")
    frame = normalize(values, kind, platform, default_region, reasons=True, now=now)
    prefix = f"{platform}/{kind}/"  # domain separation: a phone never meets an email
    distinct = (prefix + frame["value"].drop_nulls()).unique(maintain_order=True).to_list()
    return _Items(frame["value"], frame["reason"], distinct)


# --- the two sides -------------------------------------------------------------------------------


#: A side's secret scalar: 32 bytes, as openmined-psi makes them.
KEY_BYTES = 32


def check_key(key: object) -> bytes:
    """A side's PSI key, or the package's error: 32 bytes of a P-256 scalar with at least 192
    significant bits. openmined-psi takes shorter keys as they are (a 5-byte key is a 40-bit
    scalar: the other side finds it from its own points in about a million steps, then tests
    guesses against this side's points offline); a random scalar has fewer than 192 bits about
    once in 2**65 keys."""
    if not isinstance(key, (bytes, bytearray)):
        raise InputTypeError(f"key must be bytes (from a PSI key file), got {type(key).__name__}")
    if len(key) != KEY_BYTES or int.from_bytes(key, "big") < 1 << 191:
        raise PsiError(f"a PSI key is the {KEY_BYTES} bytes of a random P-256 scalar (from a "
                       f"PSI key file); got {len(key)} bytes"
                       + ("" if len(key) != KEY_BYTES else " that are not random enough")
                       + ": leave key=None for a new one")
    return bytes(key)


class _Side:
    role = ""

    def __init__(self, values: object, kind: str = "email", platform: str = "meta",
                 mode: str = "intersection", default_region: object = "US", *,
                 key: bytes | None = None, now: Any = None) -> None:
        self.session: str | None = None
        self.platform = check_platform(platform)
        self.mode = _check_mode(mode)
        self.kind = kind
        checked = check_key(key) if key is not None else None
        self._items = _items(values, kind, self.platform, default_region, now)
        self._key = checked
        self.rules = _rules(self.platform, kind)

    def __repr__(self) -> str:
        r = self._items.report
        return (f"{type(self).__name__}(mode={self.mode!r}, rules={self.rules}, "
                f"rows={r['rows']:,}, distinct={r['distinct']:,})")

    @property
    def report(self) -> dict[str, Any]:
        """Rows in, valid, distinct, repeated, and rejections by reason (never sent)."""
        return self._items.report

    def _check(self, message: Message) -> None:
        h = message.header
        if h["mode"] != self.mode:
            raise PsiError(f"the other side runs the {h['mode']} mode, this side "
                           f"{self.mode}: agree on one mode")
        if h["rules"] != self.rules:
            theirs = {k: safe_name(str(v)) for k, v in h["rules"].items()}
            raise PsiError(f"the other side normalized under {theirs}, this side under "
                           f"{self.rules}: both sides must use the same platform rules, kind "
                           "and normalization version (upgrade audiencekit on one side)")

    def _party(self, cls: Any) -> Any:
        """openmined-psi's client or server for this side: from its key, or with a new one."""
        reveal = self.mode == "intersection"
        if self._key is None:
            party = cls.CreateWithNewKey(reveal)
            self._key = party.GetPrivateKeyBytes()
            return party
        try:
            return cls.CreateFromKey(self._key, reveal)
        except RuntimeError:
            raise PsiError(f"the {self.role}'s PSI key is not a valid P-256 scalar") from None

    def key_file_text(self, **state: Any) -> str:
        """This side's secret and session state, armored like a PEM key (so that no output of
        the library ever replaces it). Kept on this side; never next to the data."""
        body = json.dumps({"role": self.role, "mode": self.mode, "rules": self.rules,
                           "key": base64.b64encode(self._key or b"").decode(), **state},
                          sort_keys=True).encode()
        lines = [base64.b64encode(body[i:i + 48]).decode() for i in range(0, len(body), 48)]
        return "\n".join([_KEY_BEGIN, *lines, _KEY_END]) + "\n"


#: A PSI key file holds a key and a side's small state: a few kilobytes.
_MAX_KEY_FILE = 1 << 20


def read_key_file(path: str | os.PathLike[str], role: str) -> dict[str, Any]:
    """A side's state from its PSI key file (see :meth:`_Side.key_file_text`)."""
    shown = safe_name(os.fspath(path))
    try:
        from ._io import read_regular

        text = read_regular(path, _MAX_KEY_FILE).decode("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        why = f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else ""
        raise ReadError(f"cannot read the PSI key file {shown}{why}") from None
    if len(text) > _MAX_KEY_FILE:
        raise PsiError(f"{shown} is over {_MAX_KEY_FILE >> 10} KiB: not a PSI key file")
    lines = [x.strip() for x in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != _KEY_BEGIN or lines[-1] != _KEY_END:
        raise PsiError(f"{shown} is not an audiencekit PSI key file")
    try:
        body = b"".join(base64.b64decode(x, validate=True) for x in lines[1:-1])
        state = json.loads(body)
        key = base64.b64decode(state["key"], validate=True)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise PsiError(f"the PSI key file {shown} is damaged") from None
    if not isinstance(state, dict) or state.get("role") != role:
        raise PsiError(f"{shown} is the key file of a PSI {state.get('role')}, not of a {role}")
    if any(name not in state for name in _KEY_FILE_FIELDS[role]):
        # a key file without its session failed later as a KeyError, a traceback in the CLI
        raise PsiError(f"the PSI key file {shown} is damaged")
    state["key"] = key
    return state


#: What a receiver's state() holds, and each side's key file besides its key.
_RECEIVER_STATE = ("session", "setup_sha256", "request_sha256", "items_sha256")
_KEY_FILE_FIELDS = {
    "sender": ("mode", "rules", "session", "receiver_max"),
    "receiver": ("mode", "rules", *_RECEIVER_STATE),
}


def _gcs_range(sender_size: int, receiver_max: int, fpr: float) -> float:
    """The hash range openmined-psi asks for: every sender hash in it, each receiver point
    colliding with one with probability fpr / receiver_max."""
    return max(sender_size, receiver_max) * receiver_max / fpr


def _gcs_fits(sender_size: int, receiver_max: int, fpr: float) -> bool:
    """Whether openmined-psi builds a GCS for these sizes. It derives its Golomb divisor from
    the mean gap g between hashes as round(-log2(-log2(1 - 1/g))); when 1 - 1/g rounds to 1 in
    a double (a few identifiers against a range of 10**17 or more) the divisor is infinite and
    the build fails. The mean gap of the real hashes is at most this one, so True is sure."""
    gap = min(_gcs_range(sender_size, receiver_max, fpr), _GCS_RANGE_MAX) / sender_size
    inner = -math.log2(1.0 - 1.0 / gap) if gap > 1 else 1.0
    return inner > 0 and -math.log2(inner) < 62


def _bloom_bytes(sender_size: int, receiver_max: int, fpr: float) -> int:
    """openmined-psi's Bloom filter size: -max(n, m) log2(fpr / m) / ln 2 bits."""
    return math.ceil(-max(sender_size, receiver_max) * math.log2(fpr / receiver_max)
                     / math.log(2) / 8)


def fpr_bound(header: dict[str, Any]) -> float:
    """The false-positive bound of the whole query a setup answers: its fpr; 0 for raw points
    (compared exactly); for a GCS whose range openmined-psi capped at 2**63, the union bound
    over the receiver's points of sender_size / 2**63 each."""
    if header["data_structure"] == "raw":
        return 0.0
    fpr = float(header["fpr"])
    n, m = int(header["sender_size"]), int(header["receiver_max"])
    if header["data_structure"] == "gcs" and _gcs_range(n, m, fpr) > _GCS_RANGE_MAX:
        return max(fpr, m * n / _GCS_RANGE_MAX)
    return fpr


class Sender(_Side):
    """The side that holds a list and answers: it learns the receiver's set size, nothing else.

    Parameters
    ----------
    values : sequence or column of identifiers
        Raw identifiers; normalized under ``platform``'s rules for ``kind`` first (invalid
        ones are counted by reason in :attr:`report` and never enter the protocol).
    kind : str
        ``email``, ``phone``, ... (one of :data:`privacy.KINDS`).
    platform : str
        Whose normalization rules both sides apply.
    mode : ``"intersection"`` or ``"cardinality"``
    default_region : str
        For national phone numbers.
    key : bytes, optional
        This side's secret scalar (from :meth:`key_file_text` of an earlier setup); a new one
        is drawn when not given.
    """

    role = "sender"

    receiver_max: int | None = None
    answered = False

    def setup(self, receiver_max: int, *, fpr: float = 1e-9, data_structure: str = "auto",
              session: str | None = None) -> Message:
        """The first message: the sender's set as keyed points in a compressed set.

        ``receiver_max`` is the largest receiver set this setup answers (agreed beforehand; it
        calibrates the false-positive rate ``fpr`` of the whole query, and bounds what a
        receiver can probe). ``data_structure`` is ``"gcs"`` (a Golomb-compressed set, the
        smallest for long lists), ``"bloom_filter"``, ``"raw"`` (the keyed points themselves,
        sorted: 33 bytes each, no false positive) or ``"auto"``: the GCS, unless openmined-psi
        cannot build one for so few identifiers against so large a ``receiver_max`` (the gaps
        between its hashes overflow its divisor; under 512 identifiers), then the raw points.
        """
        largest = whole(receiver_max)
        if largest is None or not 1 <= largest <= MAX_SET_SIZE:
            raise InvalidInputError(f"receiver_max must be a positive int of at most "
                                    f"{MAX_SET_SIZE:,}, got {shown(receiver_max)}")
        receiver_max = largest
        if not isinstance(fpr, float) or not 0 < fpr < 1:
            raise InvalidInputError(f"fpr must be a float between 0 and 1, got {shown(fpr)}")
        if data_structure not in ("auto", *_DATA_STRUCTURES):
            raise InvalidInputError(f"data_structure must be one of {('auto', *_DATA_STRUCTURES)}"
                                    f", got {safe_name(str(data_structure))}")
        if session is not None and not (isinstance(session, str) and _SESSION.fullmatch(session)):
            raise InvalidInputError("session must be 32 lower-case hex characters")
        n = len(self._items.distinct)
        if not n:
            raise InvalidInputError("the sender has no valid identifier: nothing to match "
                                    f"(rejected: {self.report['rejected_by_reason']})")
        if data_structure == "auto":
            data_structure = "gcs" if _gcs_fits(n, receiver_max, fpr) else "raw"
        if data_structure == "bloom_filter" and _bloom_bytes(n, receiver_max, fpr) \
                > _MAX_SETUP_BYTES:
            raise PsiError(
                f"a Bloom filter answering up to {receiver_max:,} identifiers at fpr {fpr:g} "
                f"takes {_bloom_bytes(n, receiver_max, fpr) / 2**30:,.1f} GiB, more than a setup "
                "message can hold (1 GiB): agree on a smaller receiver_max (--receiver-max) or "
                "a larger fpr (--fpr)" + (", or use data_structure='gcs' (--data-structure gcs)"
                                          if _gcs_fits(n, receiver_max, fpr) else ""))
        psi = _psi()
        server = self._server()
        ds = {"gcs": psi.DataStructure.GCS, "bloom_filter": psi.DataStructure.BLOOM_FILTER,
              "raw": psi.DataStructure.RAW}[data_structure]
        try:
            payload = server.CreateSetupMessage(fpr, receiver_max, self._items.distinct, ds) \
                .SerializeToString()
        except (RuntimeError, ValueError, MemoryError):
            raise PsiError(
                f"openmined-psi could not build a {data_structure} of {n:,} identifiers answering "
                f"up to {receiver_max:,} at fpr {fpr:g} (a GCS needs more identifiers against so "
                "large a receiver_max): use data_structure='auto' or 'raw' (--data-structure), "
                "or a smaller receiver_max (--receiver-max)") from None
        if not payload or len(payload) > _MAX_SETUP_BYTES:
            raise PsiError(f"the setup of {n:,} identifiers does not fit in a message (1 GiB at "
                           "most): split the list, or agree on a larger fpr")
        self.session = session or secrets.token_hex(16)
        self.receiver_max = receiver_max
        return Message.make("setup", self.session, self.mode, self.rules, payload,
                            sender_size=n, receiver_max=receiver_max,
                            fpr=fpr, data_structure=data_structure)

    def _server(self) -> Any:
        return self._party(_psi().server)

    def state(self) -> dict[str, Any]:
        """What :meth:`respond` needs in another process (the key file's content)."""
        if self.session is None:
            raise PsiError("run setup first")
        return {"session": self.session, "receiver_max": self.receiver_max}

    def respond(self, request: Message) -> Message:
        """The answer to the receiver's request: its points keyed again by this side."""
        return respond(request, self._key, self.mode, self.rules, self.session,
                       self.receiver_max, answered=self._mark_answered())

    def _mark_answered(self) -> bool:
        was, self.answered = self.answered, True
        return was


def respond(request: Message, key: bytes | None, mode: str, rules: dict[str, str],
            session: str | None, receiver_max: int | None, answered: bool = False) -> Message:
    """The sender's third step, from its key and session state alone (no list needed)."""
    if session is None or key is None or receiver_max is None:
        raise PsiError("run setup before respond")
    if answered:
        raise PsiError("this setup has answered a request already: run setup again (a new "
                       "key) for a new match, so that no receiver can probe twice")
    if not isinstance(request, Message):
        raise InputTypeError(f"request must be a PSI Message, got {type(request).__name__}")
    h = request.header
    if request.step != "request":
        raise PsiError(f"expected a PSI request message, got a {request.step} message")
    if h["session"] != session:
        raise PsiError("this request answers another setup (its session differs): the "
                       "receiver must request against this side's latest setup")
    if h["mode"] != mode or h["rules"] != rules:
        raise PsiError("the request's mode or rules differ from this setup's")
    if h["receiver_size"] > receiver_max:
        raise PsiError(f"the request holds {h['receiver_size']:,} identifiers, more than the "
                       f"{receiver_max:,} this setup answers: refused (a larger request could "
                       "probe the list); agree on a larger receiver_max and run setup again")
    key = check_key(key)
    psi = _psi()
    parsed = _parse(psi.Request, request.payload, "request")
    _check_points(parsed.encrypted_elements, h["receiver_size"], "request")
    if parsed.reveal_intersection != (mode == "intersection"):
        raise PsiError("the request's protobuf asks for another mode than its header")
    try:
        server = psi.server.CreateFromKey(key, mode == "intersection")
        payload = server.ProcessRequest(parsed).SerializeToString()
    except RuntimeError:
        raise PsiError("openmined-psi refused the request (points not on the curve)") from None
    return Message.make("response", session, mode, rules, payload,
                        request_sha256=request.digest, receiver_size=h["receiver_size"])


class Receiver(_Side):
    """The side that learns the result: the intersection (its own matching rows) or its size.

    Parameters are those of :class:`Sender`.
    """

    role = "receiver"

    setup_sha256: str | None = None
    request_sha256: str | None = None

    def _client(self) -> Any:
        return self._party(_psi().client)

    def request(self, setup: Message) -> Message:
        """The second message: this side's identifiers as points keyed by its own secret."""
        if not isinstance(setup, Message):
            raise InputTypeError(f"setup must be a PSI Message, got {type(setup).__name__}")
        if setup.step != "setup":
            raise PsiError(f"expected a PSI setup message, got a {setup.step} message")
        self._check(setup)
        n = len(self._items.distinct)
        if n == 0:
            raise InvalidInputError("the receiver has no valid identifier: nothing to match "
                                    f"(rejected: {self.report['rejected_by_reason']})")
        if n > setup.header["receiver_max"]:
            raise PsiError(f"this side has {n:,} distinct identifiers, the setup answers at "
                           f"most {setup.header['receiver_max']:,}: ask the sender for a setup "
                           f"with receiver_max of at least {n:,}")
        parsed = _parse(_psi().ServerSetup, setup.payload, "setup")
        if not setup.payload or not parsed.ListFields():
            raise PsiError("malformed PSI setup: its payload holds no set")
        payload = self._client().CreateRequest(self._items.distinct).SerializeToString()
        self.session = setup.header["session"]
        self.setup_sha256 = setup.digest
        message = Message.make("request", self.session, self.mode, self.rules, payload,
                               receiver_size=n, setup_sha256=setup.digest)
        self.request_sha256 = message.digest
        return message

    def state(self) -> dict[str, Any]:
        """What :meth:`finish` needs in another process (the key file's content)."""
        if self.session is None:
            raise PsiError("run request first")
        return {"session": self.session, "setup_sha256": self.setup_sha256,
                "request_sha256": self.request_sha256, "items_sha256": self._items.digest()}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back the state of an earlier :meth:`request` (from this side's key file)."""
        if not isinstance(state, Mapping) or any(name not in state for name in _RECEIVER_STATE):
            raise PsiError(f"restore takes the state() of an earlier request (or the key "
                           f"file's, from read_key_file), got {type(state).__name__} without "
                           "its session")
        if state.get("mode") != self.mode or state.get("rules") != self.rules:
            raise PsiError("the key file was made under another mode or other rules")
        if state.get("items_sha256") != self._items.digest():
            raise PsiError("this list differs from the one the request was made from: finish "
                           "with the same file, column, kind and region")
        self.session = state["session"]
        self.setup_sha256 = state["setup_sha256"]
        self.request_sha256 = state["request_sha256"]

    def finish(self, setup: Message, response: Message) -> PsiResult:
        """The result, from the sender's setup and response."""
        for message, step in ((setup, "setup"), (response, "response")):
            if not isinstance(message, Message):
                raise InputTypeError(f"{step} must be a PSI Message, got "
                                     f"{type(message).__name__}")
            if message.step != step:
                raise PsiError(f"expected a PSI {step} message, got a {message.step} message")
            self._check(message)
        if self.session is None or self._key is None:
            raise PsiError("run request before finish")
        if setup.header["session"] != self.session or setup.digest != self.setup_sha256:
            raise PsiError("this setup is not the one the request answered")
        if response.header["session"] != self.session \
                or response.header["request_sha256"] != self.request_sha256:
            raise PsiError("this response answers another request")
        psi = _psi()
        parsed_setup = _parse(psi.ServerSetup, setup.payload, "setup")
        parsed = _parse(psi.Response, response.payload, "response")
        n = len(self._items.distinct)
        _check_points(parsed.encrypted_elements, n, "response")
        client = self._client()
        try:
            if self.mode == "intersection":
                indices = sorted(client.GetIntersection(parsed_setup, parsed))
                size = len(indices)
            else:
                size = int(client.GetIntersectionSize(parsed_setup, parsed))
        except RuntimeError:
            raise PsiError("openmined-psi refused the response (damaged points)") from None
        matched = None
        if self.mode == "intersection":
            prefix = f"{self.platform}/{self.kind}/"
            hits = pl.Series([self._items.distinct[i][len(prefix):] for i in indices],
                             dtype=pl.Utf8)
            matched = self._items.values.is_in(hits.implode()).fill_null(False) \
                .alias("psi_matched")
        return PsiResult(mode=self.mode, rules=self.rules, receiver=self.report,
                         sender_size=int(setup.header["sender_size"]), intersection=size,
                         fpr=fpr_bound(setup.header), matched=matched)


@dataclass(frozen=True)
class PsiResult:
    """What the receiver learned. ``matched`` (intersection mode) is one boolean per input row
    of the receiver's own list; it never holds the sender's identifiers."""

    mode: str
    rules: dict[str, str]
    receiver: dict[str, Any]
    sender_size: int
    intersection: int
    fpr: float  # the false-positive bound of the whole query (:func:`fpr_bound`)
    matched: pl.Series | None = field(default=None, repr=False)

    @property
    def match_rate(self) -> float:
        """Share of the receiver's distinct valid identifiers found in the sender's set."""
        return self.intersection / max(self.receiver["distinct"], 1)

    @property
    def matched_rows(self) -> int | None:
        return None if self.matched is None else int(self.matched.sum())

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "rules": self.rules, "receiver": self.receiver,
                "sender_size": self.sender_size, "intersection": self.intersection,
                "match_rate": round(self.match_rate, 6), "matched_rows": self.matched_rows,
                "false_positive_rate_bound": self.fpr,
                "leaked": LEAKS[self.mode]}

    def to_text(self) -> str:
        r = self.receiver
        lines = [
            f"PSI {self.mode} under {self.rules['platform']} rules for {self.rules['kind']} "
            f"(normalization {self.rules['normalization']})",
            "  " + report_text("this side", r),
            f"  the other side: {self.sender_size:,} distinct identifiers",
            f"  in both: {self.intersection:,} ({self.match_rate:.1%} of this side's)",
        ]
        if self.matched is not None:
            lines.append(f"  matched rows of this side's list: {self.matched_rows:,}")
        lines.append(f"  what each side learned: {LEAKS[self.mode]}")
        return "\n".join(lines)


def report_text(who: str, report: dict[str, Any]) -> str:
    """One line: rows, distinct valid identifiers, rejections by reason."""
    reasons = ", ".join(f"{r}: {n:,}" for r, n in report["rejected_by_reason"].items())
    return (f"{who}: {report['rows']:,} rows, {report['distinct']:,} distinct valid "
            f"identifiers, {report['rejected']:,} rejected" + (f" ({reasons})" if reasons else ""))


#: What each side learns, by mode (written into every result).
LEAKS = {
    "cardinality": "the receiver: both set sizes and the intersection's size; the sender: the "
                   "receiver's set size",
    "intersection": "the receiver: both set sizes and which of its own identifiers are in the "
                    "sender's set; the sender: the receiver's set size",
}


def match(mine: object, theirs: object, kind: str = "email", platform: str = "meta",
          mode: str = "intersection", default_region: object = "US", *,
          receiver_max: int | None = None, fpr: float = 1e-9,
          data_structure: str = "auto") -> PsiResult:
    """Both sides in one process (tests, benchmarks, or one party holding both lists): the
    same four steps as the file flow, with fresh keys."""
    sender = Sender(theirs, kind, platform, mode, default_region)
    receiver = Receiver(mine, kind, platform, mode, default_region)
    setup = sender.setup(receiver_max or max(receiver.report["distinct"], 1), fpr=fpr,
                         data_structure=data_structure)
    request = receiver.request(setup)
    return receiver.finish(setup, sender.respond(request))
