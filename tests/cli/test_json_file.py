"""``ldnsim --json-file PATH …``: the --json document written atomically (issue 16). A shell's
``--json > file`` empties the file before ldnsim starts, so a killed run leaves it empty; with --json-file
the previous good document stays until a complete new one replaces it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ldnsim.cli._app import run


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ldnsim", *args]


def test_document_goes_to_the_file_not_stdout(tmp_path, capsys):
    out = tmp_path / "check.json"
    assert run(["--json-file", str(out), "check", "Dolantin 50 mg", "--json"]) == 0
    assert capsys.readouterr().out == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["highest_severity"] == "critical"
    assert "not medical advice" in doc["disclaimer"]


@pytest.mark.parametrize(
    "path,args,message",
    [
        ("out.txt", ["drugs", "--json"], "accepted: .json"),
        ("missing/out.json", ["drugs", "--json"], "folder does not exist"),
        ("out.json", ["drugs"], "(add --json)"),
    ],
)
def test_bad_use_exits_2_naming_the_option(tmp_path, capsys, path, args, message):
    assert run(["--json-file", str(tmp_path / path), *args]) == 2
    err = capsys.readouterr().err
    assert "--json-file" in err and message in err
    assert not (tmp_path / "missing").exists()  # no folder created


def test_bad_input_leaves_the_previous_document(tmp_path):
    out = tmp_path / "hold.json"
    out.write_text('{"previous": true}\n', encoding="utf-8")
    assert run(["--json-file", str(out), "hold", "--dose", "4.5mg", "--weight", "inf", "--json"]) == 2
    assert json.loads(out.read_text(encoding="utf-8")) == {"previous": True}


@pytest.mark.slow
def test_killed_run_never_empties_the_previous_document(tmp_path):
    out = tmp_path / "trial.json"
    args = ["--json-file", str(out), "trial", "younger2013", "--patients", "8", "--replicates", "1", "--json"]
    t0 = time.perf_counter()
    assert subprocess.run(_cli(*args), capture_output=True, timeout=600).returncode == 0
    full_s = time.perf_counter() - t0
    good = out.read_text(encoding="utf-8")
    json.loads(good)
    for frac in (0.2, 0.6, 0.95):
        proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=frac * full_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        now = out.read_text(encoding="utf-8")
        json.loads(now)  # the old document or a whole new one, never empty or half
        good = now
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["trial.json"]


def test_stale_temp_files_of_killed_writes_are_removed(tmp_path):
    from ldnsim import _io

    out = tmp_path / "r.json"
    stale = tmp_path / ".r.json.abc123.tmp.json"  # what a SIGKILL during a write leaves behind
    fresh = tmp_path / ".r.json.def456.tmp.json"  # may belong to a writer still running
    stale.write_text("{")
    fresh.write_text("{")
    old = time.time() - 2 * _io.STALE_TEMP_S
    os.utime(stale, (old, old))
    _io.atomic_write_text(out, "{}\n")
    assert out.read_text() == "{}\n"
    assert not stale.exists() and fresh.exists()
