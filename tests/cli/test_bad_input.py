"""Issue 16: every bad input is exit 2 naming the field — never exit 1 ("internal error") or exit 0.

One row per kind the issue found; each runs the real CLI entry point in-process (``run(argv)``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ldnsim.cli._app import run

DESIGN = Path(__file__).parents[2] / "src/ldnsim/data/trials/younger2013.yaml"


def _design(tmp_path: Path, old: str, new: str) -> str:
    text = DESIGN.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "d.yaml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    return str(p)


CASES = [
    # (id, argv, field named in the message)
    (
        "zero-volume",
        ["compound", "--dose", "4.5mg", "--form", "liquid", "--concentration", "1 mg/0 ml"],
        "concentration",
    ),
    ("zero-volume-titrate", ["titrate", "--form", "liquid", "--concentration", "1mg/0mL"], "concentration"),
    (
        "conc-for-capsule",
        ["compound", "--dose", "4.5mg", "--form", "capsule", "--concentration", "garbage"],
        "concentration",
    ),
    ("q0h", ["simulate", "--regimen", "naltrexone 4.5 mg q0h", "--days", "3"], "regimen"),
    ("year-1-hold", ["hold", "--procedure-time", "0001-01-01T00:00", "--dose", "4.5mg"], "procedure_time"),
    ("year-9999-hold", ["hold", "--procedure-time", "9999-12-31T23:00", "--dose", "4.5mg"], "procedure_time"),
    (
        "year-1-restart",
        ["restart", "--opioid", "oxycodone 10 mg q6h", "--last-dose", "0001-01-01T00:00"],
        "last_dose",
    ),
    (
        "year-9999-restart",
        ["restart", "--opioid", "oxycodone 10 mg q6h", "--last-dose", "9999-12-31T23:00"],
        "last_dose",
    ),
    ("year-9999-titrate", ["titrate", "--start-date", "9999-12-31"], "start_date"),
    (
        "seed-hold",
        ["hold", "--procedure-time", "2026-12-01T08:00", "--dose", "4.5mg", "--seed", "-1"],
        "seed",
    ),
    ("seed-trial", ["trial", "younger2013", "--seed", "-1", "--patients", "4", "--replicates", "1"], "seed"),
    ("seed-population", ["population-trial", "--patients", "4", "--days", "3", "--seed", "-1"], "seed"),
    ("plot-not-png", ["simulate", "--days", "3", "--plot", "x.txt"], "--plot"),
    ("plot-no-folder", ["simulate", "--days", "3", "--plot", "{tmp}/missing/x.png"], "--plot"),
    (
        "pop-plot-no-folder",
        ["population-trial", "--patients", "4", "--days", "3", "--plot", "{tmp}/missing/x.png"],
        "--plot",
    ),
    (
        "report-no-folder",
        ["trial", "younger2013", "--patients", "4", "--replicates", "1", "--report", "{tmp}/missing/R.html"],
        "--report",
    ),
    ("sbml-no-folder", ["export-sbml", "{tmp}/missing/x.xml"], "OUT"),
    ("fhir-deep", ["check", "--fhir", "{deep_json}"], "fhir"),
    ("fhir-devzero", ["check", "--fhir", "/dev/zero"], "fhir"),
    ("fhir-fifo", ["check", "--fhir", "{fifo}"], "fhir"),
    ("fhir-folder", ["check", "--fhir", "{tmp}"], "fhir"),
    ("design-self-ref", ["trial", "{selfref}"], "d.yaml"),
    ("design-deep", ["trial", "{deep_yaml}"], "d.yaml"),
    ("design-fifo", ["trial", "{fifo}"], "fifo.yaml"),
    (
        "design-inf-fraction",
        ["trial", "{inf_fraction}", "--patients", "4", "--replicates", "1"],
        "sequences[0].fraction",
    ),
    (
        "design-inf-published",
        ["trial", "{inf_published}", "--patients", "4", "--replicates", "1"],
        "published.p_value",
    ),
    (
        "regimen-spaces",
        ["simulate", "--days", "3", "--regimen", "naltrexone 4.5 mg" + " " * 100_000 + "nightly"],
        "regimen",
    ),
    ("invalid-utf8-arg", ["check", "oxy\udcff\udcfecodone", "--json"], "argument 2"),
]


@pytest.fixture
def paths(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    selfref = tmp_path / "d.yaml"
    selfref.write_text("&a [*a]\n")
    deep_yaml = tmp_path / "deep" / "d.yaml"
    deep_yaml.parent.mkdir()
    deep_yaml.write_text("[" * 5000 + "]" * 5000)
    inf_dir = tmp_path / "inf"
    inf_dir.mkdir()
    inf_pub = tmp_path / "pub"
    inf_pub.mkdir()
    return {
        "tmp": str(tmp_path),
        "deep_json": str(deep),
        "fifo": str(fifo),
        "selfref": str(selfref),
        "deep_yaml": str(deep_yaml),
        "inf_fraction": _design(inf_dir, "fraction: 16", "fraction: .inf"),
        "inf_published": _design(inf_pub, "p_value: 0.016", "p_value: .inf"),
    }


@pytest.mark.parametrize("argv, field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_exit_2_naming_the_field(argv, field, paths, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    argv = [a.format(**paths) if "{" in a else a for a in argv]
    code = run(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("ldnsim: error: ") and field in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "missing").exists()  # no folder created that the user did not ask for


def _sub(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ldnsim", *args],
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_ascii_only_locale(json_flag):
    """LANG=C / PYTHONIOENCODING=ascii: never an internal error. JSON is pure ASCII (\\u escapes, the
    same document); text goes through click, which writes UTF-8 to a misconfigured ASCII stream."""
    env = {"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}
    res = _sub("check", "oxycodone 5 mg", *json_flag, env=env)
    assert res.returncode == 0, res.stderr
    if json_flag:
        assert json.loads(res.stdout.decode("ascii"))["medications"][0]["severity"] == "critical"
    else:
        assert "CRITICAL" in res.stdout.decode("utf-8")


def test_closed_stdout_is_not_an_internal_error():
    """`ldnsim ... | head -c1`: the reader goes away; exit like a SIGPIPE'd program, no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ldnsim", "drugs"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.read(1)
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 141), err
    assert b"Traceback" not in err and b"internal error" not in err


def test_ctrl_c_is_exit_130_without_traceback():
    """SIGINT mid-run: exit 130 (the shell convention), one line on stderr, no traceback."""
    import signal
    import time

    # a test runner started in the background (`pytest &`) has SIGINT ignored, and a child inherits SIG_IGN,
    # so Python would never see the signal; with a handler installed here the child starts with the default
    # disposition (exec resets handled signals, keeps ignored ones). Not preexec_fn: unsafe with JAX threads.
    old_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ldnsim",
            "population-trial",
            "--patients",
            "100000",
            "--days",
            "3650",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    signal.signal(signal.SIGINT, old_handler)
    try:
        time.sleep(10)  # usually inside the run (minutes long); start-up may be slow on a loaded machine
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # never leave a 100,000-patient run behind
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"internal error" not in err
    assert out == b""  # no half document on stdout
