"""``ldnsim simulate``: one JSON document; exit 2 naming the field on bad input; the mechanism plot."""

import json
import subprocess
import sys

import pytest


def ldnsim(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ldnsim", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_simulate_json_document():
    res = ldnsim("simulate", "--condition", "fibromyalgia", "--regimen",
                 "naltrexone 4.5 mg nightly for 12 weeks", "--days", "30", "--variant", "mu-only",
                 "--esr", "30", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert len(doc["time_days"]) == len(doc["pain_nrs"]) == 30
    assert set(doc["occupancy"]) >= {"mu", "tlr4", "nmda"}
    panel = {"microglia", "sensitisation", "endorphin", "mu_density", "tolerance", "glutamate", "nmda_drive"}
    assert panel <= set(doc["states"])
    assert all(len(v) == 30 for v in doc["states"].values())
    assert doc["variant"] == "mu-only"
    assert doc["disclaimer"].startswith("For research and education")
    assert max(doc["occupancy"]["mu"]) > 0.2


@pytest.mark.parametrize(
    "args, field",
    [
        (["--days", "-1"], "days"),
        (["--condition", "fibromyalga"], "condition"),
        (["--variant", "tlr4-only"], "variant"),
        (["--esr", "500"], "esr_mm_h"),
        (["--regimen", "naltrexone lots nightly"], "regimen"),
    ],
)
def test_bad_input_exit_2_naming_field(args, field):
    res = ldnsim("simulate", *args, "--json")
    assert res.returncode == 2, res.stdout + res.stderr
    assert field in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_plot_is_written(tmp_path):
    out = tmp_path / "pain.png"
    res = ldnsim("simulate", "--regimen", "naltrexone 4.5 mg nightly", "--days", "20", "--plot", str(out),
                 "--json")
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size > 10_000
    assert json.loads(res.stdout)["plot"] == str(out)
