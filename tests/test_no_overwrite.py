"""Nothing overwritten, nothing replaced: keys, inputs and special files are refused as outputs."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import polars as pl
import pytest

import privacy
from privacy.__main__ import main


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_keygen_never_replaces_a_key(tmp_path: Path) -> None:
    k = tmp_path / "k.pem"
    assert cli("keygen", str(k))[0] == 0
    first = k.read_bytes()
    assert (k.stat().st_mode & 0o777) == 0o600
    code, _, err = cli("keygen", str(k))
    assert code == 2
    assert "exists" in err
    assert k.read_bytes() == first
    # --force replaces the pair on purpose
    assert cli("keygen", str(k), "--force")[0] == 0
    assert k.read_bytes() != first
    assert privacy.load_private_key(k).public_key().public_bytes_raw() == \
        privacy.load_public_key(tmp_path / "k.pub.pem").public_bytes_raw()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_keygen_never_writes_a_key_over_its_own_pair(tmp_path: Path, force: list[str]) -> None:
    same = tmp_path / "same.pem"
    code, out, err = cli("keygen", str(same), "--public", str(same), *force)
    assert code == 2
    assert "same file" in err
    assert out == ""
    assert not same.exists()
    # an existing public key file is refused too, the private key not written either
    pub = tmp_path / "p.pem"
    pub.write_bytes(b"-----BEGIN PUBLIC KEY-----\n")
    code, _, _ = cli("keygen", str(tmp_path / "new.pem"), "--public", str(pub))
    assert code == 2
    assert not (tmp_path / "new.pem").exists()


def test_the_input_is_never_the_output(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": ["a@example.com", "b@example.com"]}).write_csv(crm)
    before = crm.read_bytes()
    for output in (str(crm), str(tmp_path / "." / "crm.csv")):
        code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", output)
        assert code == 2
        assert "input" in err
    hard = tmp_path / "hard.csv"
    os.link(crm, hard)
    assert cli("hash", str(crm), "--platform", "meta", "-o", str(hard))[0] == 2
    assert crm.read_bytes() == before
    # the API refuses it as well, told or not: an upload remembers the file it was read from
    # (before, prepare_upload(path).write(path) replaced the CRM with its own upload)
    upload = privacy.prepare_upload(crm, "meta")
    with pytest.raises(privacy.WriteError, match="input"):
        upload.write(crm, inputs=[crm])
    for target in (crm, tmp_path / "sub" / ".." / "crm.csv", hard):
        with pytest.raises(privacy.WriteError, match="input"):
            upload.write(target)
    assert crm.read_bytes() == before


def test_an_audience_export_never_replaces_its_crm_file(tmp_path: Path) -> None:
    import segmentation as seg

    pop = seg.synthetic_population(2_000, seed=1)
    crm = tmp_path / "crm.csv"
    pop.crm.write_csv(crm)
    before = crm.read_bytes()
    upload = pop.select(seg.field("age") >= 18).export("meta", crm=str(crm))
    with pytest.raises(privacy.WriteError, match="input"):
        upload.write(crm)
    assert crm.read_bytes() == before


def test_keys_are_never_an_upload_target(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": ["a@example.com"]}).write_csv(crm)
    assert cli("keygen", str(tmp_path / "k.pem"))[0] == 0
    key = (tmp_path / "k.pem").read_bytes()
    for target in ("k.pem", "k.pub.pem"):
        code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / target),
                           "--signing-key", str(tmp_path / "k.pem"))
        assert code == 2, err
    assert (tmp_path / "k.pem").read_bytes() == key
    upload = privacy.prepare_upload(crm, "meta")
    with pytest.raises(privacy.WriteError, match="key"):
        upload.write(tmp_path / "k.pub.pem")


@pytest.mark.parametrize("special", ["/dev/null", "/dev/full", "fifo", "symlink", "dir"])
def test_special_files_are_never_replaced(tmp_path: Path, special: str) -> None:
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": ["a@example.com"]}).write_csv(crm)
    if special == "fifo":
        target = tmp_path / "fifo"
        os.mkfifo(target)
    elif special == "symlink":
        target = tmp_path / "link.csv"
        (tmp_path / "real.csv").write_text("keep me")
        target.symlink_to(tmp_path / "real.csv")
    elif special == "dir":
        target = tmp_path / "dir"
        target.mkdir()
    else:
        target = Path(special)
        if not target.exists():
            pytest.skip(f"{special} is not on this machine")
    before = os.lstat(target)
    code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", str(target))
    assert code == 2, err
    assert err.startswith("error: "), err
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if special == "symlink":
        assert (tmp_path / "real.csv").read_text() == "keep me"
    # the manifest target is checked too
    link = tmp_path / "u.csv.manifest.json"
    os.symlink("/dev/null", link)
    code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"))
    assert code == 2
    assert "manifest" in err
    assert not (tmp_path / "u.csv").exists()


def test_audit_json_report_is_checked(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": [f"p{i}@example.com" for i in range(200)]}).write_csv(crm)
    assert cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"))[0] == 0
    before = (tmp_path / "u.csv").read_bytes()
    for target in ("u.csv", "u.csv.manifest.json", "folder/"):
        code, _, err = cli("audit", str(tmp_path / "u.csv"), "--json", f"{tmp_path}/{target}")
        assert code == 2, target
        assert err.startswith("error: "), target
    assert (tmp_path / "u.csv").read_bytes() == before
