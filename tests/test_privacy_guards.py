"""Privacy by construction: no plaintext in errors or reports, no hashlib, keys kept secret."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import polars as pl
import pytest

import privacy

from .oracle import KEY

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ["maria.secret@example.com", "+1 650 555 0199", "Zaphod", "1977-05-25"]


@pytest.mark.parametrize("package", ["privacy", "segmentation"])
def test_library_never_imports_hashlib(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert "hashlib" not in names, f"{path} imports hashlib"


def test_reports_and_rejections_carry_no_plaintext() -> None:
    crm = pl.DataFrame({
        "email": [SECRETS[0], "broken " + SECRETS[0]], "phone": [SECRETS[1], "x" + SECRETS[1]],
        "first_name": [SECRETS[2], "123"], "dob": [SECRETS[3], "99/99/" + SECRETS[3]],
    })
    up = privacy.prepare_upload(crm, "meta")
    texts = [up.report.to_text(), json.dumps(up.report.to_dict()), repr(up),
             str(up.rejections.to_dicts())]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_errors_carry_no_plaintext() -> None:
    messages = []
    bad_calls = [
        lambda: privacy.normalize([{SECRETS[0]: 1}], "email"),
        lambda: privacy.normalize(SECRETS[0], "shoe_size"),
        lambda: privacy.normalize(SECRETS[0], "email", default_region=SECRETS[2]),
        lambda: privacy.Hasher().hash(pl.Series([1, 2])),
        lambda: privacy.prepare_upload(pl.DataFrame({SECRETS[2]: [SECRETS[0]]}), "meta"),
    ]
    for call in bad_calls:
        with pytest.raises(privacy.PrivacyError) as info:
            call()
        messages.append(str(info.value))
    for message in messages:
        assert SECRETS[0] not in message
    # a column name is echoed (it is schema, not data); values never are
    assert all(SECRETS[0] not in m for m in messages)


def test_key_never_in_repr_or_errors() -> None:
    key = b"S3cr3t-key-material-0123456789abcdef"
    hasher = privacy.Hasher(key=key)
    assert "S3cr3t" not in repr(hasher)
    assert "S3cr3t" not in str(hasher)
    with pytest.raises(TypeError):
        pickle.dumps(hasher)
    with pytest.raises(privacy.InvalidInputError) as info:
        privacy.Hasher(key=b"short")
    assert "short" not in str(info.value)


@pytest.mark.parametrize("placeholder", [bytes(32), b"k" * 32, b"ab" * 16, b"\xff" * 64,
                                         b"0123456" * 5])
def test_placeholder_keys_are_refused(placeholder: bytes) -> None:
    """Long enough but not random: zeros, a letter repeated, a short cycle. A key drawn from
    os.urandom(32) has about 30 distinct byte values; fewer than 8 is a placeholder."""
    with pytest.raises(privacy.InvalidInputError, match="distinct byte values") as info:
        privacy.Hasher(key=placeholder)
    assert placeholder.decode("latin-1")[:8] not in str(info.value)
    with pytest.raises(privacy.InvalidInputError, match="distinct byte values"):
        privacy.prepare_upload(pl.DataFrame({"email": ["a@example.com"]}), "meta",
                               key=placeholder)
    privacy.Hasher(key=KEY)  # random bytes pass
    privacy.Hasher(key=KEY.hex().encode())  # so does their hex text (16 distinct values)


def test_error_leaves_subclass_builtins() -> None:
    assert issubclass(privacy.UnknownPlatformError, ValueError)
    assert issubclass(privacy.InputTypeError, TypeError)
    assert issubclass(privacy.MissingColumnError, KeyError)
    assert issubclass(privacy.ReadError, OSError)
    with pytest.raises(ValueError, match="use one of"):
        privacy.normalize("a@b.com", "email", platform="myspace")
    with pytest.raises(privacy.UnsupportedIdentifierError, match="it takes: email"):
        privacy.normalize("+16505551212", "phone", platform="linkedin")


def test_null_and_empty_never_hashed() -> None:
    out = privacy.Hasher().hash(pl.Series(["", None, "a"]))
    assert out.to_list()[:2] == [None, None]
    assert privacy.Hasher().hash("") is None


def test_worker_pieces_take_every_route_with_the_same_hashes() -> None:
    """A piece goes through a shared-memory slot, or the pipe when every slot is taken or it
    is too large for one; the hashes do not depend on the route."""
    import threading

    from privacy import _hashing

    values = pl.Series([f"user{i}@example.com" for i in range(120_000)])
    long = pl.Series(["x" * 300 + str(i) for i in range(120_000)])  # 4.5 MB pieces
    hasher = privacy.Hasher(processes=2)
    for series in (values, long):
        assert hasher.hash(series).to_list() == privacy.Hasher().hash(series).to_list()
    arena = _hashing._ARENA[2]
    slots = len(arena._free)
    taken = list(iter(arena.take, None))
    try:
        assert hasher.hash(values).to_list() == privacy.Hasher().hash(values).to_list()
    finally:
        for slot in taken:
            arena.release(slot)
    # a piece whose hashes nobody waits for frees its slot once the worker is done with it
    job = _hashing._send(2, b"a\nb", 2, None)
    assert len(arena._free) == slots - 1
    future, finished = job.job, threading.Event()  # type: ignore[attr-defined]
    del job
    future.add_done_callback(lambda _: finished.set())  # runs after the slot's release
    assert finished.wait(60)
    assert len(arena._free) == slots


def test_multiprocess_hashing_matches_single() -> None:
    values = pl.Series([f"user{i}@example.com" for i in range(120_000)] + [None, "", "a\nb"])
    single = privacy.Hasher().hash(values)
    multi = privacy.Hasher(processes=2).hash(values)
    assert multi.to_list() == single.to_list()
    assert single[-1] == privacy.Hasher().hash("a\nb")
    assert single[110_000] == privacy.Hasher().hash(values[110_000])  # the second local slice
    assert single.to_list()[-3:-1] == [None, None]
    lines = values.slice(0, 120_000)
    for encoding in ("hex", "base64"):
        one = privacy.Hasher(encoding=encoding, key=KEY).hash(lines)
        two = privacy.Hasher(encoding=encoding, key=KEY, processes=2).hash(lines)
        assert one.to_list() == two.to_list()
        assert one[5] == privacy.Hasher(encoding=encoding, key=KEY).hash(lines[5])


@pytest.mark.parametrize("reader", ["manifest", "public key", "private key", "PSI message",
                                    "PSI key file", "dictionary"])
@pytest.mark.parametrize("special", ["pipe", "device"])
def test_small_files_are_never_read_from_a_pipe_or_a_device(tmp_path, reader: str,
                                                            special: str) -> None:
    """A pipe would block the read until a writer came, /dev/zero would never end: both are
    refused before any read, with the package's own error."""
    import os

    from privacy._psi import Message, read_key_file

    if special == "pipe":
        path = tmp_path / "named.pipe"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    export = tmp_path / "up.csv"
    pl.DataFrame({"email": ["0" * 64] * 3}).write_csv(export)
    calls = {
        "manifest": lambda: privacy.audit(export, platform="meta", manifest=path),
        "public key": lambda: privacy.load_public_key(path),
        "private key": lambda: privacy.load_private_key(path),
        "PSI message": lambda: Message.read(path),
        "PSI key file": lambda: read_key_file(path, "sender"),
        "dictionary": lambda: privacy.audit(export, platform="meta", dictionary=path),
    }
    with pytest.raises(privacy.PrivacyError, match=r"not a regular file|cannot read"):
        calls[reader]()
