"""The command lines as processes: every failure is ``error: ...`` and exit 2, never a
traceback; progress bars go to terminals only; long phases say what they are doing."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,  # noqa: S603
                          text=True, check=False, env=env)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    pl.DataFrame({"email": [f"p{i}@example.com" for i in range(300)]}).write_csv(tmp / "crm.csv")
    assert run("privacy", "keygen", "k.pem", cwd=tmp).returncode == 0
    done = run("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "up.csv",
               "--signing-key", "k.pem", cwd=tmp)
    assert done.returncode == 0, done.stderr
    (tmp / "bad.json").write_text("{not json")
    (tmp / "empty.csv").write_text("")
    os.mkfifo(tmp / "pipe.csv")  # read, it would block until a writer came
    (tmp / "latin1.json").write_bytes(b'{"name": "Caf\xe9"}')
    (tmp / "adults.json").write_text(
        '{"schema_version": 1, "name": "adults", "description": "", "condition": '
        '{"op": "ge", "target": {"field": "age"}, "args": [18]}}')
    return tmp


FAILURES = {
    "missing signing key file": ("privacy", "hash", "crm.csv", "--platform", "meta", "-o",
                                 "x.csv", "--signing-key", "nope.pem"),
    "signing key is not a key": ("privacy", "hash", "crm.csv", "--platform", "meta", "-o",
                                 "x.csv", "--signing-key", "crm.csv"),
    "missing public key file": ("privacy", "audit", "up.csv", "--public-key", "nope.pem"),
    "public key is the private key": ("privacy", "audit", "up.csv", "--public-key", "k.pem"),
    "unreadable manifest": ("privacy", "audit", "up.csv", "--manifest", "bad.json"),
    "missing manifest file": ("privacy", "audit", "up.csv", "--manifest", "nope.json"),
    "output in a file, not a folder": ("privacy", "hash", "crm.csv", "--platform", "meta", "-o",
                                       "crm.csv/x.csv"),
    "output is a folder": ("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "./"),
    "missing input": ("privacy", "hash", "nope.csv", "--platform", "meta", "-o", "x.csv"),
    "input is a folder": ("privacy", "audit", "."),
    "input is a device": ("privacy", "audit", "/dev/zero"),
    "input is a pipe": ("privacy", "hash", "pipe.csv", "--platform", "meta", "-o", "x.csv"),
    "argparse: a negative batch": ("privacy", "audit", "up.csv", "--batch-mb", "-1"),
    "argparse: a batch that is no number": ("privacy", "audit", "up.csv", "--batch-mb", "lots"),
    "unknown encoding": ("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "x.csv",
                         "--encoding", "klingon"),
    "argparse: an unknown platform": ("privacy", "hash", "crm.csv", "--platform",
                                      "maria.canary@example.com", "-o", "x.csv"),
    "argparse: no command": ("privacy",),
    "argparse: segmentation without arguments": ("segmentation", "build"),
    "segmentation: --now yesterday": ("segmentation", "build", "seg.json", "--profiles",
                                      "p.parquet", "--now", "yesterday"),
    "segmentation: missing segment": ("segmentation", "build", "seg.json", "--profiles",
                                      "p.parquet"),
    # an email in the wrong place was quoted in the error before
    "segmentation: --now that is an email": ("segmentation", "build", "seg.json", "--profiles",
                                             "p.parquet", "--now", "maria.canary@example.com"),
    "segmentation: a segment named like an email": ("segmentation", "build",
                                                    "maria.canary@example.com", "--profiles",
                                                    "p.parquet"),
    # read, each of these blocked for good or read until memory ran out
    "segmentation: segment from a device": ("segmentation", "build", "/dev/zero", "--profiles",
                                            "p.parquet"),
    "segmentation: segment from a pipe": ("segmentation", "build", "pipe.csv", "--profiles",
                                          "p.parquet"),
    "segmentation: segment not UTF-8": ("segmentation", "build", "latin1.json", "--profiles",
                                        "p.parquet"),
    "segmentation: profiles from a pipe": ("segmentation", "build", "adults.json",
                                           "--profiles", "pipe.csv"),
    "segmentation: events from a device": ("segmentation", "report", "adults.json",
                                           "--profiles", "crm.csv", "--events", "/dev/zero",
                                           "-o", "x.html"),
    # written as CSV text under these names before
    "an upload that is no table file": ("privacy", "hash", "crm.csv", "--platform", "meta",
                                        "-o", "x.xlsx"),
    "segmentation: ids that are no table file": ("segmentation", "build", "adults.json",
                                                 "--profiles", "crm.csv", "-o", "x.json"),
    # "unexpected NoDataError" before
    "segmentation: empty profiles": ("segmentation", "build", "adults.json", "--profiles",
                                     "empty.csv"),
    # a population too small for the demo's steps: it had stopped at the lookalike's seed
    "demo of 300 people": ("segmentation", "demo", "--n", "300", "--out", "x.json"),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_every_failure_is_error_and_exit_2(folder: Path, name: str) -> None:
    done = run(*FAILURES[name], cwd=folder)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert "maria.canary@example.com" not in done.stderr
    assert not (folder / "x.csv").exists()
    assert not (folder / "x.xlsx").exists()
    assert not (folder / "x.json").exists()


_HASH = ("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "x.csv")
_PSI = ("--kind", "email", "--platform", "meta", "--key", "k.key")
_DASHES = {  # every path a command line takes, given as '-'
    "hash input": ("privacy", "hash", "-", "--platform", "meta", "-o", "x.csv"),
    "hash output": (*_HASH[:-1], "-"),
    "hash signing key": (*_HASH, "--signing-key", "-"),
    "audit input": ("privacy", "audit", "-"),
    "audit manifest": ("privacy", "audit", "up.csv", "--manifest", "-"),
    "audit public key": ("privacy", "audit", "up.csv", "--public-key", "-"),
    "audit dictionary": ("privacy", "audit", "up.csv", "--dictionary", "-"),
    "keygen private": ("privacy", "keygen", "-"),
    "keygen public": ("privacy", "keygen", "new.pem", "--public", "-"),
    "psi setup list": ("privacy", "psi", "setup", "-", *_PSI, "-o", "x.psi"),
    "psi setup key": ("privacy", "psi", "setup", "crm.csv", *_PSI[:-1], "-", "-o", "x.psi"),
    "psi setup output": ("privacy", "psi", "setup", "crm.csv", *_PSI, "-o", "-"),
    "psi request setup": ("privacy", "psi", "request", "crm.csv", *_PSI, "--setup", "-",
                          "-o", "x.psi"),
    "psi respond request": ("privacy", "psi", "respond", "--request", "-", "--key", "k.key",
                            "-o", "x.psi"),
    "psi finish response": ("privacy", "psi", "finish", "crm.csv", *_PSI, "--setup", "s.psi",
                            "--response", "-"),
    "psi finish json": ("privacy", "psi", "finish", "crm.csv", *_PSI, "--setup", "s.psi",
                        "--response", "r.psi", "--json", "-"),
    "build segment": ("segmentation", "build", "-", "--profiles", "p.csv"),
    "build profiles": ("segmentation", "build", "adults.json", "--profiles", "-"),
    "build events": ("segmentation", "build", "adults.json", "--profiles", "p.csv", "--events",
                     "-"),
    "build output": ("segmentation", "build", "adults.json", "--profiles", "p.csv", "-o", "-"),
    "report others": ("segmentation", "report", "adults.json", "--profiles", "p.csv",
                      "--others", "-", "-o", "r.html"),
    "report output": ("segmentation", "report", "adults.json", "--profiles", "p.csv", "-o",
                      "-"),
    "demo folder": ("segmentation", "demo", "--out", "-"),
    "lookalike seeds": ("segmentation", "lookalike", "-", "--profiles", "p.csv", "-o",
                        "x.csv"),
    "lookalike exclude": ("segmentation", "lookalike", "adults.json", "--profiles", "p.csv",
                          "--exclude", "-", "-o", "x.csv"),
    "lookalike output": ("segmentation", "lookalike", "adults.json", "--profiles", "p.csv",
                         "-o", "-"),
}


@pytest.mark.parametrize("name", list(_DASHES))
def test_a_dash_is_no_file_name(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
                                ) -> None:
    # '-o -' had written an upload to a file named '-' (and 'hash -' then read it back as a
    # CRM of hashes); '-' reads as standard input or output to a command line's user
    import privacy.__main__
    import segmentation.__main__

    package, *argv = _DASHES[name]
    main = (privacy.__main__ if package == "privacy" else segmentation.__main__).main
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(SystemExit) as exited:
            main(argv)
    finally:
        os.chdir(cwd)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument "), err
    assert "'-' (standard input or output) is not supported here" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("header", "says"), [
    ("Email,EMAIL", "several columns look like the same identifier"),
    ("a@example.com,b@example.com", "the file seems to have no header row"),
    ("who,what", "no identifier column recognized"),
])
def test_the_hash_command_names_its_own_option(tmp_path: Path, header: str, says: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # the library's "pass columns=" is --column on the command line
    import privacy.__main__

    (tmp_path / "crm.csv").write_text(f"{header}\nc@example.com,d@example.com\n")
    assert privacy.__main__.main(["hash", str(tmp_path / "crm.csv"), "--platform", "x", "-o",
                                  str(tmp_path / "up.csv")]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert "(--column " in err


def test_the_audit_writes_its_json_to_standard_output(folder: Path) -> None:
    done = run("privacy", "audit", "up.csv", "--public-key", "k.pub.pem", "--json", "-",
               cwd=folder)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the JSON alone, for a pipeline
    assert report["rows"] == 300
    assert "audit of 300 rows" in done.stderr  # and the summary for its log
    assert not (folder / "-").exists()
    kept = run("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "./-", cwd=folder)
    assert kept.returncode == 0, kept.stderr  # a file of that name, said so
    assert (folder / "-").is_file()
    (folder / "-").unlink()
    (folder / "-.manifest.json").unlink()


def test_the_audit_gates_with_exit_1(folder: Path) -> None:
    done = run("privacy", "audit", "up.csv", "--public-key", "k.pub.pem", "--fail-on", "low",
               cwd=folder)
    assert done.returncode == 1, done.stderr  # 300 rows: a low audience-size finding
    clean = run("privacy", "audit", "up.csv", "--public-key", "k.pub.pem", "--fail-on",
                "critical", cwd=folder)
    assert clean.returncode == 0, clean.stdout


def test_a_folder_of_parts_is_audited_one_part_at_a_time(folder: Path) -> None:
    parts = folder / "parts"
    parts.mkdir(exist_ok=True)
    upload = pl.read_csv(folder / "up.csv", infer_schema=False)
    for i in range(3):
        upload.slice(i * 100, 100).write_csv(parts / f"part-{i:05d}.csv")
    for batch in ("0", "0.001", "64"):
        done = run("privacy", "audit", "parts", "--batch-mb", batch, "--fail-on", "critical",
                   cwd=folder)
        assert done.returncode == 0, done.stderr
        assert "300" in done.stdout


def test_progress_never_goes_into_a_log(folder: Path) -> None:
    done = run("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "p.csv", "--progress",
               cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    assert "normalizing and hashing: 100%" in done.stderr
    # the phases after hashing say what they are doing
    assert "writing 300 rows" in done.stderr
    assert "checksumming and signing" in done.stderr
    quiet = run("privacy", "hash", "crm.csv", "--platform", "meta", "-o", "q.csv", cwd=folder)
    assert quiet.stderr == ""


@pytest.mark.parametrize("data", [b"\xff\xfe\x00\x00", b"a,b\n\"unterminated\n", b"\x00" * 50,
                                  b"PAR1garbage", b"email\n" + b"x" * 5000 + b"@example.com\n"])
def test_arbitrary_bytes_as_real_processes(folder: Path, data: bytes) -> None:
    (folder / "odd.csv").write_bytes(data)
    for args in (("privacy", "hash", "odd.csv", "--platform", "meta", "-o", "odd-up.csv"),
                 ("privacy", "audit", "odd.csv")):
        done = run(*args, cwd=folder)
        assert done.returncode in (0, 1, 2), done.stderr
        assert "Traceback" not in done.stderr


def test_the_demo_runs_twice_in_one_folder(tmp_path: Path) -> None:
    for _ in range(2):
        done = run("segmentation", "demo", "--n", "3000", "--out", "demo", cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "demo" / "meta_upload.csv.manifest.json").exists()


@pytest.mark.parametrize("name", [n for n in FAILURES if "device" in n or "pipe" in n])
def test_special_files_are_refused_by_name(folder: Path, name: str) -> None:
    done = run(*FAILURES[name], cwd=folder)
    assert "is not a regular file" in done.stderr, done.stderr


def test_a_tsv_upload_is_tab_separated_and_audits_as_written(tmp_path: Path) -> None:
    """A .tsv upload was written with commas, and read back (by the audit) with tabs: one
    column named after the whole header."""
    import privacy

    crm = pl.DataFrame({"email": [f"p{i}@example.com" for i in range(150)],
                        "phone": [f"+1650555{i:04d}" for i in range(150)]})
    privacy.prepare_upload(crm, "meta").write(tmp_path / "up.tsv")
    back = pl.read_csv(tmp_path / "up.tsv", separator="\t")
    assert back.columns == ["email", "phone"]
    report = privacy.audit(tmp_path / "up.tsv")
    assert report.rows == 150
    assert not any(f.check == "plaintext" for f in report.findings)


def test_csv_dates_are_read_year_first_or_left_as_text(tmp_path: Path) -> None:
    # before: polars read '01/02/2026' as the 1st of February whenever no day past the 12th
    # said otherwise (a US file means the 2nd of January): events moved a month, silently
    import segmentation as seg

    (tmp_path / "p.csv").write_text("user_id,signup,joined,since\n1,01/02/2026,2026-01-02,"
                                    "2026/01/02\n2,03/04/2026,2026-03-04,2026/03/04\n")
    profiles = seg.Population(tmp_path / "p.csv").schema
    assert profiles["signup"] == pl.Utf8  # either of two days: text, not a guess
    assert profiles["joined"] == pl.Date
    assert profiles["since"] == pl.Date
    (tmp_path / "e.csv").write_text("user_id,event,ts\n1,game,01/02/2026 10:00\n"
                                    "2,game,03/04/2026 10:00\n")
    with pytest.raises(seg.ColumnTypeError, match="not guessed"):
        seg.Population(tmp_path / "p.csv", tmp_path / "e.csv")
    (tmp_path / "iso.csv").write_text("user_id,event,ts\n1,game,2026-10-31T10:00:00+05:30\n"
                                      "2,game,2026-10-01T03:00:00Z\n")
    pop = seg.Population(tmp_path / "p.csv", tmp_path / "iso.csv",
                         now=dt.datetime(2026, 10, 31, 4, 30))
    assert pop.select(seg.event("game").count(within="30d") >= 1).ids.to_list() == [1]
    (tmp_path / "s.json").write_text(seg.Segment("g", seg.event("game").did()).to_json())
    done = run("segmentation", "build", "s.json", "--profiles", "p.csv", "--events", "e.csv",
               cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "not guessed" in done.stderr
    assert "Traceback" not in done.stderr


def test_csv_columns_are_typed_from_every_row_and_keep_what_cells_say(tmp_path: Path) -> None:
    # before: types came from the first 100 rows ('x200' in row 201 stopped every read with a
    # raw polars ComputeError, "please report it" in the CLI); '007' and '02139' became 7 and
    # 2139 (a segment on zip == '02139' could not match); a date column whose 150th row was
    # '01/02/2026' parsed it day first
    import segmentation as seg
    from segmentation._engines import as_lazy

    rows = [f"{i:03d},{'02139' if i % 2 else '10001'},{20 + i % 40},{i},{i / 4},2026-01-02"
            for i in range(200)]
    (tmp_path / "p.csv").write_text("user_id,zip,age,n,amount,joined\n" + "\n".join(rows) + "\n")
    schema = seg.Population(tmp_path / "p.csv").schema
    assert schema["user_id"] == pl.Utf8
    assert schema["zip"] == pl.Utf8
    assert schema["age"] == pl.Int64
    assert schema["n"] == pl.Int64
    assert schema["amount"] == pl.Float64  # '0.25', '0.0': a zero before the point is a number
    assert schema["joined"] == pl.Date
    pop = seg.Population(tmp_path / "p.csv")
    assert pop.select(seg.field("zip") == "02139").size == 100
    assert "007" in pop.select(seg.field("n") == 7).ids.to_list()

    later = [*rows, "x200,10001,thirty,-01,1.5,01/02/2026"]
    (tmp_path / "q.csv").write_text("user_id,zip,age,n,amount,joined\n" + "\n".join(later))
    schema = seg.Population(tmp_path / "q.csv").schema
    assert schema["age"] == pl.Utf8  # 'thirty' in row 201: text, not a parse error
    assert schema["n"] == pl.Utf8  # '-01'
    assert schema["joined"] == pl.Utf8  # one day-first date past row 100: not guessed
    assert schema["amount"] == pl.Float64
    instants = [f"{i},game,2026-11-{1 + i % 28:02d}T10:00:00Z" for i in range(150)]
    for last, kind in (("2026-11-30", pl.Utf8), ("2026-11-30T10:00:00", pl.Utf8),
                       ("", pl.Datetime("us", "UTC"))):  # a date among instants: text
        (tmp_path / "e.csv").write_text("\n".join(["user_id,event,ts", *instants,
                                                   f"999,game,{last}"]) + "\n")
        assert seg.Population(tmp_path / "p.csv").schema["joined"] == pl.Date
        assert pl.Schema(as_lazy(tmp_path / "e.csv", "events").collect_schema())["ts"] == kind

    (tmp_path / "latin1.csv").write_bytes(b"user_id,plan\n1,caf\xe9\n2,b\n")
    (tmp_path / "ragged.csv").write_text("user_id,plan\n1,a\n2,b,c\n")
    (tmp_path / "stray.csv").write_text('user_id,plan\n1,a\n2,"b,c"\n3,caf"e\n')
    (tmp_path / "open.csv").write_text('user_id,plan\n1,a\n2,"caf\n3,b\n')
    (tmp_path / "after.csv").write_text('user_id,plan\n1,"caf"e\n')
    for name, expected in (
            ("latin1.csv", "not UTF-8"),
            ("ragged.csv", "line 3 (3 fields, the header 2) has more fields than its header"),
            ("stray.csv", "line 4 has a double quote inside a field that does not begin with "
                          "one"),
            ("open.csv", "a quoted field in the row that starts on line 3 is never closed"),
            ("after.csv", "line 2 has text after a field's closing quote")):
        with pytest.raises(seg.SegmentationError, match=re.escape(expected)) as caught:
            seg.Population(tmp_path / name)
        assert "caf" not in str(caught.value)  # no cell is quoted
        (tmp_path / "s.json").write_text(seg.Segment("a", seg.field("plan") == "a").to_json())
        done = run("segmentation", "build", "s.json", "--profiles", name, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: ")
        assert expected in done.stderr
        assert "Traceback" not in done.stderr
        assert "report it" not in done.stderr


def test_csv_lines_ending_in_a_carriage_return_alone_are_rows(tmp_path: Path) -> None:
    """Excel's "CSV (Macintosh)" ends lines in a carriage return alone: polars read such a
    file as one header row, so a Population had no rows and columns named by cells ('plan\r1'),
    and every segment was silently empty. Its rows are rows, typed as a line-feed file's."""
    import segmentation as seg

    profiles = ["user_id,plan,joined", "007,a,2026-01-02", "100,b,2026-03-04", "101,a,"]
    events = ["user_id,event,ts", "100,game,2026-11-30T10:00:00Z", "007,game,2026-11-29T10:00:00Z",
              "007,game,2026-11-28T10:00:00Z"]
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    for name, lines in (("p", profiles), ("e", events)):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
        (tmp_path / f"{name}_mac.csv").write_bytes("\r".join(lines).encode())
    unix = seg.Population(tmp_path / "p.csv", tmp_path / "e.csv", now=now)
    mac = seg.Population(tmp_path / "p_mac.csv", tmp_path / "e_mac.csv", now=now)
    assert mac.schema == unix.schema
    assert mac.profiles.collect().equals(unix.profiles.collect())
    assert mac.events.collect().equals(unix.events.collect())
    segment = (seg.field("plan") == "a") & (seg.event("game").count(within="7d") >= 2)
    assert mac.select(segment).ids.to_list() == unix.select(segment).ids.to_list() == ["007"]
    (tmp_path / "s.json").write_text(seg.Segment("a", segment).to_json())
    done = run("segmentation", "build", "s.json", "--profiles", "p_mac.csv", "--events",
               "e_mac.csv", "--now", "2026-12-01T01:00:00+01:00", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["size"] == 1
    assert json.loads(done.stdout)["now"] == "2026-12-01T00:00:00+00:00"  # UTC, said so


def test_two_csv_files_match_ids_as_written_when_one_kept_them_as_text(tmp_path: Path) -> None:
    # once '007' stays text, events whose ids all read as numbers could not be matched with
    # the profiles at all (ColumnTypeError: "cast one to the other's type", which a CLI user
    # cannot do): both id columns are read as text then, and '7' is not '007'
    import segmentation as seg

    (tmp_path / "p.csv").write_text("user_id,plan\n007,a\n100,b\n7000,c\n")
    (tmp_path / "e.csv").write_text("user_id,event,ts\n100,game,2026-11-30T10:00:00Z\n"
                                    "7,game,2026-11-30T10:00:00Z\n")
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    pop = seg.Population(tmp_path / "p.csv", tmp_path / "e.csv", now=now)
    gamers = seg.Segment("g", seg.event("game").count(within="30d") >= 1)
    assert pop.select(gamers).ids.to_list() == ["100"]
    assert gamers.to_polars(tmp_path / "p.csv", tmp_path / "e.csv",
                            now=now).collect()["user_id"].to_list() == ["100"]
    (tmp_path / "s.json").write_text(gamers.to_json())
    done = run("segmentation", "build", "s.json", "--profiles", "p.csv", "--events", "e.csv",
               "--now", "2026-12-01T00:00:00Z", "-o", "ids.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ids.csv").read_text().split() == ["user_id", "100"]
    # must-pass: numbers on both sides stay numbers; a Parquet side is not re-read
    (tmp_path / "q.csv").write_text("user_id,plan\n7,a\n100,b\n")
    both = seg.Population(tmp_path / "q.csv", tmp_path / "e.csv", now=now)
    assert both.schema["user_id"] == pl.Int64
    assert sorted(both.select(gamers).ids.to_list()) == [7, 100]
    pl.read_csv(tmp_path / "e.csv", try_parse_dates=True).write_parquet(tmp_path / "e.parquet")
    with pytest.raises(seg.ColumnTypeError, match="cast one"):
        seg.Population(tmp_path / "p.csv", tmp_path / "e.parquet", now=now)
