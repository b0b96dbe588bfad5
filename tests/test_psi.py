"""Private set intersection: the right answer, nothing readable in the messages, and every
mismatch or out-of-order step refused.

The reference for the answer is a plain set intersection of values normalized by a hand-written
rule (lower-case, trimmed emails), not the library's own normalization.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from cryptography.hazmat.primitives import hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import privacy
from privacy import PsiError
from privacy._psi import Message, read_key_file, respond

ROOT = Path(__file__).resolve().parents[1]


def _sha256_hex(text: str) -> str:
    h = hashes.Hash(hashes.SHA256())
    h.update(text.encode())
    return h.finalize().hex()


def _emails(prefix: str, start: int, stop: int) -> list[str]:
    return [f"{prefix}{i}@example.com" for i in range(start, stop)]


# --- the answer ----------------------------------------------------------------------------------

locals_ = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mine=st.lists(locals_, min_size=1, max_size=25),
       theirs=st.lists(locals_, min_size=1, max_size=25),
       mode=st.sampled_from(privacy.psi.MODES))
def test_the_size_and_the_rows_are_those_of_the_plain_intersection(mine, theirs, mode):
    # the sender writes its emails in upper case with spaces: normalization makes them meet
    mine_raw = [f"{x}@example.com" for x in mine]
    theirs_raw = [f"  {x.upper()}@Example.COM " for x in theirs]
    result = privacy.psi.match(mine_raw, theirs_raw, mode=mode)
    expected = {x.strip().lower() for x in mine_raw} & {x.strip().lower() for x in theirs_raw}
    assert result.intersection == len(expected)
    assert result.sender_size == len(set(theirs))
    assert result.receiver["distinct"] == len(set(mine))
    if mode == "intersection":
        assert result.matched.to_list() == [x in expected for x in mine_raw]
    else:
        assert result.matched is None


def test_rejected_values_are_counted_never_matched():
    mine = ["ok@example.com", "not an email", "", None, "two@@x.com", "ok@example.com"]
    theirs = ["OK@example.com", "not an email"]
    result = privacy.psi.match(mine, theirs)
    assert result.intersection == 1
    assert result.matched.to_list() == [True, False, False, False, False, True]
    r = result.receiver
    assert r["rows"] == 6
    assert r["distinct"] == 1
    assert r["repeated"] == 1
    assert r["rows"] == r["valid"] + r["rejected"]  # nothing lost
    assert sum(r["rejected_by_reason"].values()) == r["rejected"] == 4


def test_phones_meet_across_formats_and_regions():
    mine = pl.Series(["(650) 555-1212", "020 7946 0018"])
    theirs = ["+1 650 555 1212", "+44 20 7946 0018", "+1 415 555 0000"]
    sender = privacy.psi.Sender(theirs, kind="phone", default_region="FR")
    receiver = privacy.psi.Receiver(mine, kind="phone", default_region=["US", "GB"])
    setup = sender.setup(10)
    result = receiver.finish(setup, sender.respond(receiver.request(setup)))
    assert result.matched.to_list() == [True, True]


def test_an_email_never_meets_a_phone_with_the_same_text():
    # domain separation: identical strings under different kinds are different items
    sender = privacy.psi.Sender(["+16505551212"], kind="phone")
    receiver = privacy.psi.Receiver(["16505551212@x.com"], kind="email")
    with pytest.raises(PsiError, match="same platform rules, kind"):
        receiver.request(sender.setup(10))


# --- what the messages carry ---------------------------------------------------------------------


def test_messages_carry_no_plaintext_no_unkeyed_hash_and_no_key():
    mine = _emails("canary.mine.", 0, 300)
    theirs = _emails("canary.theirs.", 0, 200) + mine[:50]
    sender = privacy.psi.Sender(theirs)
    receiver = privacy.psi.Receiver(mine)
    setup = sender.setup(1000)
    request = receiver.request(setup)
    response = sender.respond(request)
    blobs = [bytes(m) for m in (setup, request, response)]
    forbidden = set()
    for value in mine + theirs:
        for text in (value, value.lower(), f"meta/email/{value}"):
            digest = _sha256_hex(text)
            forbidden |= {text.encode(), digest.encode(), digest.upper().encode(),
                          bytes.fromhex(digest)}
    forbidden |= {b"canary", sender._key, receiver._key}
    for blob in blobs:
        for item in forbidden:
            assert item not in blob
    assert receiver.finish(setup, response).intersection == 50
    # what is readable: the header, which says what leaks (sizes), nothing else
    header = json.loads(blobs[0].split(b"\n")[1])
    assert header["sender_size"] == 250
    assert "canary" not in json.dumps(header)
    # reprs show sizes, never keys or values
    for obj in (sender, receiver, setup, request, response):
        assert "canary" not in repr(obj)
        assert sender._key.hex() not in repr(obj)


# --- refused: mismatches, probes, replays, damage ------------------------------------------------


@pytest.fixture
def flow():
    sender = privacy.psi.Sender(_emails("s", 0, 100))
    receiver = privacy.psi.Receiver(_emails("s", 50, 150))
    setup = sender.setup(200)
    return sender, receiver, setup


@pytest.mark.parametrize(("change", "match"), [
    ({"platform": "google"}, "platform rules"),
    ({"kind": "phone"}, "platform rules"),
    ({"mode": "cardinality"}, "mode"),
])
def test_a_receiver_under_other_rules_or_mode_is_refused(flow, change, match):
    _, _, setup = flow
    args = {"kind": "email", "platform": "meta", "mode": "intersection", **change}
    values = ["+16505551212"] if args["kind"] == "phone" else ["a@example.com"]
    receiver = privacy.psi.Receiver(values, args["kind"], args["platform"], args["mode"])
    with pytest.raises(PsiError, match=match):
        receiver.request(setup)


def test_another_normalization_version_is_refused(flow):
    _, receiver, setup = flow
    header = {**setup.header, "rules": {**setup.header["rules"], "normalization": "2020.1.1"}}
    with pytest.raises(PsiError, match="normalization version"):
        receiver.request(Message(header, setup.payload))


def test_a_request_larger_than_the_setup_answers_is_refused_on_both_sides():
    sender = privacy.psi.Sender(_emails("s", 0, 10))
    setup = sender.setup(5)
    receiver = privacy.psi.Receiver(_emails("s", 0, 6))
    with pytest.raises(PsiError, match="receiver_max of at least 6"):
        receiver.request(setup)
    # a receiver that forges its request past the bound is refused by the sender
    honest = privacy.psi.Sender(_emails("s", 0, 10))
    big_setup = honest.setup(100)
    request = privacy.psi.Receiver(_emails("s", 0, 6)).request(big_setup)
    forged_bound = privacy.psi.Sender(_emails("s", 0, 10))
    small = forged_bound.setup(5, session=big_setup.header["session"])
    assert small.header["receiver_max"] == 5
    with pytest.raises(PsiError, match="more than the 5 this setup answers"):
        forged_bound.respond(request)


def test_a_setup_answers_one_request(flow):
    sender, receiver, setup = flow
    request = receiver.request(setup)
    sender.respond(request)
    with pytest.raises(PsiError, match="answered a request already"):
        sender.respond(request)


def test_a_response_to_another_request_is_refused(flow):
    sender, receiver, setup = flow
    receiver.request(setup)
    other = privacy.psi.Receiver(_emails("s", 60, 160))
    other_request = other.request(setup)
    response = sender.respond(other_request)
    with pytest.raises(PsiError, match="answers another request"):
        receiver.finish(setup, response)


def test_a_request_from_another_session_is_refused(flow):
    sender, receiver, _ = flow
    elsewhere = privacy.psi.Sender(_emails("s", 0, 100)).setup(200)
    with pytest.raises(PsiError, match="another setup"):
        sender.respond(receiver.request(elsewhere))


def test_steps_out_of_order_are_refused(flow):
    sender, receiver, setup = flow
    with pytest.raises(PsiError, match="expected a PSI setup"):
        receiver.request(sender.respond(receiver.request(setup)))
    fresh = privacy.psi.Receiver(_emails("s", 0, 3))
    with pytest.raises(PsiError, match="run request before finish"):
        fresh.finish(setup, Message.make("response", "x" * 32, "intersection", fresh.rules, b"",
                                         request_sha256="0" * 64, receiver_size=0))
    with pytest.raises(PsiError, match="run setup"):
        privacy.psi.Sender(["a@b.com"]).respond(Message.make(
            "request", "x", "intersection", fresh.rules, b"", receiver_size=0,
            setup_sha256="0" * 64))


@pytest.mark.parametrize("damage", [
    lambda b: b[:-1],  # truncated
    lambda b: b[:-5] + bytes(5),  # altered payload
    lambda b: b"NOT-PSI\n" + b,
    lambda b: b.replace(b'"sender_size": ', b'"sender_size": "', 1),  # not JSON any more
    lambda b: b.split(b"\n")[0] + b"\n[1, 2]\n",
    lambda b: b.replace(b'"receiver_max": 200', b'"receiver_max": "200"', 1),
    lambda b: b.replace(b'"step": "setup"', b'"step": "hello"', 1),
    lambda b: b.replace(b'"fpr": 1e-09', b'"fpr": 1e-09, "extra": 1', 1),
    lambda b: b.replace(b'"receiver_max": 200', b'"receiver_max": -5', 1),
    # past any list, and past the float range (the false-positive arithmetic overflowed)
    lambda b: b.replace(b'"receiver_max": 200', b'"receiver_max": 1' + b"0" * 400, 1),
    lambda b: b.replace(b'"receiver_max": 200', b'"receiver_max": 1000000000001', 1),
    lambda b: b.replace(b'"fpr": 1e-09', b'"fpr": NaN', 1),
    lambda b: b.replace(b'"mode": "intersection"', b'"mode": "union"', 1),
    lambda b: b.replace(b'"platform": "meta"', b'"platform": 7', 1),
    lambda b: b.split(b"\n")[0] + b"\n" + b"[" * 100_000 + b"\n",
    lambda b: b.replace(b'"session": "', b'"session": "zz', 1),
])
def test_damaged_messages_are_the_packages_error(flow, damage):
    _, _, setup = flow
    with pytest.raises(PsiError):
        Message.from_bytes(damage(bytes(setup)))


def test_a_payload_that_is_not_protobuf_is_refused(flow):
    sender, receiver, setup = flow
    request = receiver.request(setup)
    bad = Message.make("request", request.header["session"], "intersection", receiver.rules,
                       b"\xff\xfe garbage", receiver_size=100,
                       setup_sha256=request.header["setup_sha256"])
    with pytest.raises(PsiError):
        sender.respond(bad)


def test_wrong_arguments_are_the_packages_errors():
    with pytest.raises(privacy.InputTypeError):
        privacy.psi.Sender("a@b.com")
    with pytest.raises(privacy.InvalidInputError, match="mode must be one of"):
        privacy.psi.Sender(["a@b.com"], mode="union")
    with pytest.raises(privacy.UnknownPlatformError):
        privacy.psi.Sender(["a@b.com"], platform="myspace")
    with pytest.raises(privacy.InvalidInputError, match="no valid identifier"):
        privacy.psi.Sender(["nope", None]).setup(10)
    with pytest.raises(privacy.InvalidInputError, match="receiver_max"):
        privacy.psi.Sender(["a@b.com"]).setup(0)
    with pytest.raises(privacy.InputTypeError, match="key must be bytes"):
        privacy.psi.Receiver(["a@b.com"], key="secret")


@pytest.mark.parametrize(("key", "says"), [
    (b"\x07" * 5, "got 5 bytes"),  # a 40-bit scalar: found from one's own points in seconds
    (b"\x01" * 33, "got 33 bytes"),
    (bytes(31) + b"\x01", "not random enough"),  # the scalar 1
    (bytes(9) + b"\xff" * 23, "not random enough"),  # a 184-bit scalar
], ids=["5 bytes", "33 bytes", "one", "184 bits"])
@pytest.mark.parametrize("side", ["Sender", "Receiver"])
def test_a_short_or_small_key_is_refused(key: bytes, says: str, side: str) -> None:
    """openmined-psi took a 5-byte key as a 40-bit secret scalar: the other side could recover
    it from the points it receives, then test guesses against this side's list offline."""
    with pytest.raises(privacy.PsiError, match=says):
        getattr(privacy.psi, side)(["a@b.com"], key=key)


def test_respond_refuses_a_small_key_from_a_key_file(flow):
    """The sender's third step from a key file alone checks the key as the constructor does."""
    sender, receiver, setup = flow
    request = receiver.request(setup)
    with pytest.raises(PsiError, match="not random enough"):
        respond(request, bytes(31) + b"\x01", "intersection", sender.rules, sender.session, 200)
    response = respond(request, sender._key, "intersection", sender.rules, sender.session, 200)
    assert receiver.finish(setup, response).intersection == 50


# --- the file flow between two organizations -----------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "privacy", "psi", *args], cwd=cwd, env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)


def test_the_four_steps_over_files(tmp_path):
    telco, partner = tmp_path / "telco", tmp_path / "partner"
    keys_t, keys_p, inbox = tmp_path / "telco-keys", tmp_path / "partner-keys", tmp_path / "x"
    for d in (telco, partner, keys_t, keys_p, inbox):
        d.mkdir()
    pl.DataFrame({"email": [*_emails("canary", 0, 40), "junk"],
                  "plan": ["a"] * 41}).write_csv(telco / "crm.csv")
    pl.DataFrame({"mail": [e.upper() for e in _emails("canary", 30, 90)]}).write_csv(
        partner / "list.csv")
    rules = ["--kind", "email", "--platform", "meta"]
    out = _cli("setup", str(partner / "list.csv"), "--column", "mail", *rules,
               "--receiver-max", "100", "--key", str(keys_p / "k"), "-o", str(inbox / "1.psi"),
               cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(os.stat(keys_p / "k").st_mode) == 0o600
    out = _cli("request", str(telco / "crm.csv"), *rules, "--setup", str(inbox / "1.psi"),
               "--key", str(keys_t / "k"), "-o", str(inbox / "2.psi"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = _cli("respond", "--request", str(inbox / "2.psi"), "--key", str(keys_p / "k"),
               "-o", str(inbox / "3.psi"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not (keys_p / "k").exists()  # one setup, one answer
    out = _cli("finish", str(telco / "crm.csv"), *rules, "--setup", str(inbox / "1.psi"),
               "--response", str(inbox / "3.psi"), "--key", str(keys_t / "k"),
               "-o", str(telco / "matched.csv"), "--json", str(telco / "psi.json"),
               cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "in both: 10 (25.0% of this side's)" in out.stdout
    assert "malformed: 1" in out.stdout
    assert not (keys_t / "k").exists()
    matched = pl.read_csv(telco / "matched.csv")
    assert matched["email"].to_list() == _emails("canary", 30, 40)
    assert json.loads((telco / "psi.json").read_text())["intersection"] == 10
    for message in inbox.iterdir():
        assert b"canary" not in message.read_bytes().lower()


def test_the_cli_chooses_or_takes_the_data_structure(tmp_path):
    pl.DataFrame({"email": ["a@example.com"]}).write_csv(tmp_path / "list.csv")
    (tmp_path / "keys").mkdir()
    rules = ["--kind", "email", "--platform", "meta", "--receiver-max", "100000"]
    out = _cli("setup", "list.csv", *rules, "--data-structure", "gcs", "--key", "keys/k",
               "-o", "s.psi", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: openmined-psi could not build a gcs")
    assert not (tmp_path / "keys" / "k").exists()
    assert not (tmp_path / "s.psi").exists()
    out = _cli("setup", "list.csv", *rules, "--key", "keys/k", "-o", "s.psi", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert Message.read(tmp_path / "s.psi").header["data_structure"] == "raw"


def test_the_cli_refuses_keys_beside_data_and_replacing_messages(tmp_path):
    pl.DataFrame({"email": ["a@example.com"]}).write_csv(tmp_path / "list.csv")
    keys = tmp_path / "keys"
    keys.mkdir()
    rules = ["--kind", "email", "--platform", "meta", "--receiver-max", "10"]
    out = _cli("setup", "list.csv", *rules, "--key", "k", "-o", "s.psi", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: the key file")
    assert not (tmp_path / "k").exists()
    assert not (tmp_path / "s.psi").exists()
    (tmp_path / "s.psi").write_bytes(b"keep me")
    out = _cli("setup", "list.csv", *rules, "--key", "keys/k", "-o", "s.psi", cwd=tmp_path)
    assert out.returncode == 2
    assert "exists" in out.stderr
    assert (tmp_path / "s.psi").read_bytes() == b"keep me"
    out = _cli("setup", "list.csv", *rules, "--key", "keys/k", "-o", "t.psi", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # the key file is never replaced, and reads back only as a sender's
    out = _cli("setup", "list.csv", *rules, "--key", "keys/k", "-o", "u.psi", cwd=tmp_path)
    assert out.returncode == 2
    assert "exists" in out.stderr
    assert read_key_file(keys / "k", "sender")["receiver_max"] == 10
    with pytest.raises(PsiError, match="not of a receiver"):
        read_key_file(keys / "k", "receiver")
    out = _cli("respond", "--request", "t.psi", "--key", "keys/k", "-o", "r.psi", cwd=tmp_path)
    assert out.returncode == 2
    assert "expected a PSI request message" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("role", ["sender", "receiver"])
def test_a_key_file_without_its_session_is_damaged(flow, tmp_path, role):
    """A key file whose state lacks a field (hand-edited, or written by another version)
    failed later as a KeyError: a traceback from the CLI's respond or finish."""
    sender, receiver, setup = flow
    side = sender if role == "sender" else receiver
    (tmp_path / "keys").mkdir()
    path = tmp_path / "keys" / "k"
    path.write_text(side.key_file_text(receiver_max=10), encoding="ascii")
    with pytest.raises(PsiError, match="damaged"):
        read_key_file(path, role)
    if role == "sender":
        (tmp_path / "r.psi").write_bytes(bytes(receiver.request(setup)))
        out = _cli("respond", "--request", "r.psi", "--key", "keys/k", "-o", "out.psi",
                   cwd=tmp_path)
        assert out.returncode == 2
        assert out.stderr.startswith("error: the PSI key file"), out.stderr
        assert not (tmp_path / "out.psi").exists()


@pytest.mark.parametrize("state", ["session", None, ["session"], {"session": "x"}])
def test_restore_takes_a_requests_state(flow, state):
    """restore("x") was an AttributeError ('str' object has no attribute 'get')."""
    _, receiver, setup = flow
    receiver.request(setup)
    with pytest.raises(PsiError, match="restore takes the state"):
        receiver.restore(state)


def test_respond_from_the_key_file_alone_matches_the_in_memory_answer(flow):
    sender, receiver, setup = flow
    request = receiver.request(setup)
    response = respond(request, sender._key, "intersection", sender.rules, sender.session, 200)
    assert receiver.finish(setup, response).intersection == 50


# --- sizes openmined-psi cannot hold as asked -----------------------------------------------------


def test_a_short_list_against_a_large_receiver_max_still_matches():
    # openmined-psi's GCS fails (a raw C++ length_error) for a few identifiers against a large
    # receiver_max: the mean gap between its hashes overflows its Golomb divisor
    theirs = ["a@example.com", "b@example.com", "c@example.com"]
    mine = ["B@example.com", "z@example.com", "c@example.com"]
    with pytest.raises(PsiError, match="could not build a gcs of 3 identifiers"):
        privacy.psi.Sender(theirs).setup(100_000, data_structure="gcs")
    setup = privacy.psi.Sender(theirs).setup(100_000)  # auto: the keyed points themselves
    assert setup.header["data_structure"] == "raw"
    assert len(setup.payload) < 3 * 40  # a Bloom filter for 100,000 would be 900 kB
    result = privacy.psi.match(mine, theirs, receiver_max=100_000)
    assert result.intersection == 2
    assert result.matched.to_list() == [True, False, True]
    assert result.fpr == 0.0  # points compared exactly
    for structure in ("bloom_filter", "raw"):
        assert privacy.psi.match(mine, theirs, receiver_max=100_000,
                                 data_structure=structure).intersection == 2
    # where the GCS can be built, auto builds it (the smaller message)
    assert privacy.psi.Sender(_emails("x", 0, 600)).setup(100_000) \
        .header["data_structure"] == "gcs"


def test_a_setup_too_large_for_a_message_is_refused_before_it_is_built():
    # a Bloom filter answering 10**9 identifiers at fpr 1e-9 is 10 GiB: protobuf cannot hold
    # it (openmined-psi returned an empty payload after 90 s and 20 GB of memory)
    with pytest.raises(PsiError, match=r"takes 10\.0 GiB.*use data_structure='gcs'"):
        privacy.psi.Sender(_emails("x", 0, 600)).setup(10**9, data_structure="bloom_filter")
    with pytest.raises(PsiError,
                       match=r"smaller receiver_max \(--receiver-max\) or a larger fpr \(--fpr\)$"):
        privacy.psi.Sender(["a@example.com"]).setup(10**12, data_structure="bloom_filter")
    # the raw points do not grow with receiver_max
    assert privacy.psi.Sender(["a@example.com"]).setup(10**12).header["data_structure"] == "raw"
    with pytest.raises(privacy.InvalidInputError, match="data_structure must be one of"):
        privacy.psi.Sender(["a@example.com"]).setup(10, data_structure="hash_table")


def test_the_false_positive_bound_is_the_one_the_hash_range_gives():
    # openmined-psi keeps a GCS's hash range in 64 bits: 2,000 identifiers answering 10**8
    # at 1e-9 would need 10**25 values, and get 2**63; the result says what that gives
    theirs = _emails("x", 0, 2000)
    wide = privacy.psi.match(theirs[:10], theirs, receiver_max=10**8)
    assert wide.intersection == 10
    assert wide.fpr == pytest.approx(10**8 * 2000 / 2**63)
    assert wide.to_dict()["false_positive_rate_bound"] > 1e-9
    narrow = privacy.psi.match(theirs[:10], theirs, receiver_max=100)
    assert narrow.fpr == 1e-9


def test_an_empty_setup_is_refused():
    receiver = privacy.psi.Receiver(["a@example.com"])
    empty = Message.make("setup", "0" * 32, "intersection", receiver.rules, b"", sender_size=1,
                         receiver_max=10, fpr=1e-9, data_structure="gcs")
    with pytest.raises(PsiError, match="holds no set"):
        receiver.request(empty)
