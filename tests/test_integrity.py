"""Integrity: a signature check that was asked for cannot be skipped; the upload and its manifest
are committed together; every output path is checked before any work starts."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import polars as pl
import pytest

import privacy
from privacy import _io
from privacy.__main__ import main

TODAY_KW = {"phone_block": 2_000}


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, privacy.Upload]:
    """A signed meta upload of 300 people and the signer's public key file."""
    crm = privacy.synthetic_crm(300, seed=3)
    upload = privacy.prepare_upload(crm, "meta")
    code, _, err = cli("keygen", str(tmp_path / "k.pem"))
    assert code == 0, err
    key = privacy.load_private_key(tmp_path / "k.pem")
    path = tmp_path / "up.csv"
    upload.write(path, signing_key=key)
    return path, tmp_path / "k.pub.pem", upload


def manifest_of(path: Path) -> dict:
    return json.loads(Path(f"{path}.manifest.json").read_text())


def critical_manifest(report: privacy.AuditReport) -> bool:
    return any(f.check == "manifest" and f.severity == "critical" for f in report.findings)


def test_signed_upload_verifies(signed: tuple[Path, Path, privacy.Upload]) -> None:
    path, pub, _ = signed
    report = privacy.audit(path, public_key=pub, **TODAY_KW)
    assert not critical_manifest(report)
    assert privacy.verify_manifest(f"{path}.manifest.json", privacy.load_public_key(pub), path)


def test_deleted_signature_with_fixed_digest_is_critical(
        signed: tuple[Path, Path, privacy.Upload]) -> None:
    # the attack of the issue: edit the upload, fix sha256/rows in the manifest, drop signature
    path, pub, _ = signed
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    m = manifest_of(path)
    m["sha256"] = privacy._manifest.file_sha256(path)
    m["rows"] -= 1
    del m["signature"]
    Path(f"{path}.manifest.json").write_text(json.dumps(m))
    assert critical_manifest(privacy.audit(path, public_key=pub, **TODAY_KW))
    code, out, _ = cli("audit", str(path), "--public-key", str(pub), "--fail-on", "critical")
    assert code == 1
    assert "not signed" in out
    with pytest.raises(privacy.ManifestError, match="not signed"):
        privacy.verify_manifest(m, privacy.load_public_key(pub))
    # without a key the same manifest is only a low finding: nothing was asked
    report = privacy.audit(path, **TODAY_KW)
    assert not critical_manifest(report)


def test_missing_manifest_with_key_is_critical(signed: tuple[Path, Path, privacy.Upload]) -> None:
    path, pub, _ = signed
    Path(f"{path}.manifest.json").unlink()
    assert critical_manifest(privacy.audit(path, public_key=pub, **TODAY_KW))
    code, _, _ = cli("audit", str(path), "--public-key", str(pub), "--fail-on", "critical")
    assert code == 1
    # without a key: medium, as before
    report = privacy.audit(path, **TODAY_KW)
    assert ("manifest", "medium") in {(f.check, f.severity) for f in report.findings}


@pytest.mark.parametrize("edit", [
    lambda m: m["signature"].__setitem__("value", 12345),
    lambda m: m["signature"].__setitem__("value", "not base64!"),
    lambda m: m["signature"].__setitem__("value", "AAAA"),
    lambda m: m["signature"].__setitem__("algorithm", "rsa"),
    lambda m: m.__setitem__("signature", "signed"),
    lambda m: m.__setitem__("rows", "2001"),
    lambda m: m.__setitem__("rows", True),
    lambda m: m.__setitem__("rows", -1),
    lambda m: m.__setitem__("sha256", 7),
    lambda m: m.__setitem__("sha256", "ABC"),
    lambda m: m.__setitem__("platform", ["meta"]),
])
def test_malformed_manifest_fields(signed: tuple[Path, Path, privacy.Upload], edit) -> None:
    path, pub, _ = signed
    m = manifest_of(path)
    edit(m)
    Path(f"{path}.manifest.json").write_text(json.dumps(m))
    with pytest.raises(privacy.ManifestError, match="malformed"):
        privacy.verify_manifest(m, privacy.load_public_key(pub))
    with pytest.raises(privacy.ManifestError):
        privacy.verify_manifest(f"{path}.manifest.json", privacy.load_public_key(pub), path)
    assert critical_manifest(privacy.audit(path, public_key=pub, **TODAY_KW))
    report = privacy.audit(path, **TODAY_KW)  # no key: still reported, never a crash
    assert any(f.check == "manifest" and f.severity in ("high", "critical")
               for f in report.findings)
    code, _, err = cli("audit", str(path), "--public-key", str(pub))
    assert code == 1, err


@pytest.mark.parametrize("text", [
    "[1, 2]", '{"rows": 3', "", "null", "\"text\"", "\xff",
    # a field twice: Python keeps the last, other readers the first (a signature over one
    # reading would vouch for the other); NaN and Infinity are Python's, not JSON
    '{"rows": 3, "rows": 4}', '{"report": {"rows": 1, "rows": 2}}', '{"rows": NaN}',
    '{"report": [-Infinity]}',
    '{"rows": 1' + "0" * 5000 + "}",  # Python reads no int of over 4,300 digits
])
def test_unreadable_manifest_is_the_package_error(signed: tuple[Path, Path, privacy.Upload],
                                                  text: str) -> None:
    path, pub, _ = signed
    Path(f"{path}.manifest.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(privacy.ManifestError):
        privacy._manifest.read_manifest(f"{path}.manifest.json")
    with pytest.raises(privacy.ManifestError):
        privacy.verify_manifest(f"{path}.manifest.json", privacy.load_public_key(pub))
    with pytest.raises(privacy.ManifestError):
        privacy.audit(path, public_key=pub, **TODAY_KW)
    code, _, err = cli("audit", str(path), "--public-key", str(pub))
    assert code == 2
    assert err.startswith("error: manifest")


def test_a_kill_between_the_renames_never_passes(signed: tuple[Path, Path, privacy.Upload],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a kill leaves is either temporary files or fails verification."""
    path, pub, upload = signed
    key = privacy.load_private_key(path.parent / "k.pem")
    fresh = path.parent / "fresh.csv"
    real_commit = _io.commit
    calls: list[Path] = []

    def killed_after(n: int):
        def commit(tmp: Path, target: Path, **kw: object) -> None:
            if len(calls) == n:
                raise KeyboardInterrupt  # the process dies here
            calls.append(target)
            real_commit(tmp, target, **kw)
        return commit

    import privacy._upload as up_mod

    for n in (0, 1):
        calls.clear()
        monkeypatch.setattr(up_mod, "commit", killed_after(n))
        with pytest.raises(KeyboardInterrupt):
            upload.write(fresh, signing_key=key)
        monkeypatch.setattr(up_mod, "commit", real_commit)
        # a fresh target: nothing under the final name, or a manifest without its file
        assert not fresh.exists()
        # over an existing upload: the old file with a new manifest never verifies
        calls.clear()
        changed = privacy.prepare_upload(privacy.synthetic_crm(250, seed=9), "meta")
        monkeypatch.setattr(up_mod, "commit", killed_after(n))
        with pytest.raises(KeyboardInterrupt):
            changed.write(path, signing_key=key)
        monkeypatch.setattr(up_mod, "commit", real_commit)
        report = privacy.audit(path, public_key=pub, **TODAY_KW)
        assert critical_manifest(report) == (n == 1), n
    # temporary files of this process are cleaned up on error; none are left
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_stale_temp_files_of_a_dead_writer_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "up.csv"
    dead = 2**22 + 12345  # above the default pid_max: no such process
    stale = tmp_path / f".up.csv.{dead}.abc123.tmp"
    stale.write_text("half an upload")
    live = tmp_path / f".up.csv.{os.getpid()}.abc123.tmp"
    live.write_text("being written")
    other = tmp_path / f".other.csv.{dead}.abc123.tmp"
    other.write_text("another target's")
    privacy.prepare_upload(pl.DataFrame({"email": ["a@example.com"]}), "meta").write(target)
    assert not stale.exists()
    assert live.exists()
    assert other.exists()


def test_output_is_checked_before_any_work(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": ["a@example.com"] * 3}).write_csv(crm)
    import privacy._upload as up_mod

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("hashing started before the output was checked")

    monkeypatch.setattr(up_mod, "prepare_upload", no_work)
    folder = tmp_path / "out"
    folder.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for output, words in ((f"{folder}/", "folder"), (str(folder), "folder"),
                          (str(blocker / "up.csv"), "does not take new files")):
        code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", output)
        assert code == 2, output
        assert err.startswith("error: "), err
        assert words in err, err
    assert list(folder.iterdir()) == []
    # a missing signing key is found before the work too
    code, _, err = cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
                       "--signing-key", str(tmp_path / "nope.pem"))
    assert code == 2
    assert "signing key file not found" in err


def test_read_only_folder_fails_before_hashing(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root writes into read-only folders; a read-only file system refuses everyone
        target = "/proc/audiencekit-upload.csv"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "up.csv")
    crm = tmp_path / "crm.csv"
    pl.DataFrame({"email": ["a@example.com"]}).write_csv(crm)
    code, out, err = cli("hash", str(crm), "--platform", "meta", "-o", target)
    assert code == 2
    assert err.startswith("error: ")
    assert out == ""


def test_a_table_in_memory_cannot_pass_a_digest_check(signed) -> None:
    path, pub, upload = signed
    manifest = manifest_of(path)
    report = privacy.audit(upload.frame, manifest=manifest, public_key=pub, **TODAY_KW)
    assert any(f.check == "manifest" and f.severity == "high" and "table in memory" in f.message
               for f in report.findings)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), "\ud800", {1: 2, "a": 3}])
def test_a_manifest_holding_what_json_cannot_is_refused_not_signed(value: object) -> None:
    key = privacy.generate_signing_key()
    with pytest.raises(privacy.ManifestError, match="JSON values only"):
        privacy.sign_manifest({"platform": "meta", "note": value}, key)
    signed = privacy.sign_manifest({"platform": "meta", "rows": 1}, key)
    with pytest.raises(privacy.ManifestError, match="JSON values only"):
        privacy.verify_manifest({**signed, "note": value}, key.public_key())
    assert privacy.verify_manifest(signed, key.public_key())


def test_a_signed_manifest_with_a_repeated_field_does_not_verify(tmp_path: Path) -> None:
    key = privacy.generate_signing_key()
    signed = privacy.sign_manifest({"platform": "meta", "sha256": "a" * 64}, key)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(signed))
    assert privacy.verify_manifest(path, key.public_key())
    # the signed digest last (what Python reads), another first (what other readers read)
    path.write_text(json.dumps(signed).replace("{", '{"sha256": "' + "b" * 64 + '", ', 1))
    with pytest.raises(privacy.ManifestError, match="names the field sha256 twice"):
        privacy.verify_manifest(path, key.public_key())
