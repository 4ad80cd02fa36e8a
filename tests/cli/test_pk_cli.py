"""`ldnsim pk` and `ldnsim drugs`: JSON contract, numbers, and bad input (exit 2, no traceback)."""

from __future__ import annotations

import json
import math

import pytest

from ldnsim.cli import _register
from ldnsim.cli._app import run

_register()


def call(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_pk_json_document(capsys):
    code, out, err = call(capsys, "pk", "naltrexone", "--dose", "50mg", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["drug"] == "naltrexone" and doc["dose_mg"] == 50.0
    nal = doc["analytes"]["naltrexone"]
    assert nal["cmax_ng_ml"] == pytest.approx(13.3, rel=0.15)  # Swiss label
    assert 0.5 <= nal["tmax_h"] <= 1.5
    assert doc["analytes"]["6beta-naltrexol"]["cmax_ng_ml"] == pytest.approx(108, rel=0.2)
    assert set(doc["occupancy"]["mu"]["at_h"]) == {"2", "8", "24", "48", "72"}
    # Lee 1988: blockade half-time 72-108 h from ~0.95 at 1 h -> 0.61-0.70 at 48 h (minus 15 points)
    assert doc["occupancy"]["mu"]["at_h"]["48"] >= 0.46
    assert {"tlr4", "nmda"} <= set(doc["occupancy"])
    tc = doc["timecourse"]
    assert len(tc["time_h"]) == len(tc["plasma_ng_ml"]["naltrexone"]) == len(tc["mu_occupancy"])
    assert doc["disclaimer"].startswith("For research")

    def finite(x):
        if isinstance(x, dict):
            return all(finite(v) for v in x.values())
        if isinstance(x, list):
            return all(finite(v) for v in x)
        return not isinstance(x, float) or math.isfinite(x)

    assert finite(doc)


@pytest.mark.parametrize(
    "argv",
    [
        ("pk", "naloxone", "--dose", "4mg", "--formulation", "intranasal", "--json"),
        ("pk", "dextromethorphan", "--dose", "30mg", "--cyp2d6", "pm", "--json"),
        ("pk", "plus_naltrexone", "--dose", "4.5 mg", "--json"),
        ("pk", "LDN", "--dose", "4.5mg", "--formulation", "liquid", "--hours", "24", "--weight", "55",
         "--json"),
        ("pk", "naltrexone", "--dose", "4.5mg", "--hepatic", "severe", "--egfr", "20", "--json"),
    ],
    ids=["naloxone-in", "dxm-pm", "plus-ntx", "ldn-liquid", "ntx-hepatic-renal"],
)
def test_pk_variants(capsys, argv):
    code, out, err = call(capsys, *argv)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["analytes"]


def test_dxm_reports_nmda_and_plus_naltrexone_no_mu(capsys):
    _, out, _ = call(capsys, "pk", "dextromethorphan", "--dose", "60mg", "--json")
    assert json.loads(out)["occupancy"]["nmda"]["peak"] > 0
    _, out, _ = call(capsys, "pk", "plus_naltrexone", "--dose", "50mg", "--json")
    assert json.loads(out)["occupancy"]["mu"]["peak"] == 0.0


@pytest.mark.parametrize(
    "argv, needle",
    [
        (("pk", "naltrexon", "--dose", "4.5mg", "--json"), "did you mean naltrexone"),
        (("pk", "naltrexone", "--dose", "-4mg", "--json"), "--dose"),
        (("pk", "naltrexone", "--dose", "0mg", "--json"), "--dose"),
        (("pk", "naltrexone", "--dose", "5 kg", "--json"), "--dose"),
        (("pk", "naltrexone", "--dose", "9000mg", "--json"), "--dose"),
        (("pk", "naltrexone", "--dose", "4.5 parsecs", "--json"), "--dose"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--hours", "0", "--json"), "--hours"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--weight", "2", "--json"), "--weight"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--egfr", "-1", "--json"), "--egfr"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--hepatic", "bad", "--json"), "--hepatic"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--cyp2d6", "xm", "--json"), "--cyp2d6"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--formulation", "patch", "--json"), "--formulation"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--plot", "/no/such/dir/x.png"), "--plot"),
        (("pk", "naltrexone", "--dose", "4.5mg", "--plot", "x.txt"), "--plot"),
    ],
)
def test_bad_input_exit_2(capsys, argv, needle):
    code, out, err = call(capsys, *argv)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert out == ""


def test_plot_writes_png(capsys, tmp_path):
    png = tmp_path / "ntx.png"
    code, out, err = call(capsys, "pk", "naltrexone", "--dose", "4.5mg", "--plot", str(png), "--json")
    assert code == 0, err
    assert png.stat().st_size > 1000
    assert json.loads(out)["plot"] == str(png)


def test_table_output(capsys):
    code, out, _ = call(capsys, "pk", "naltrexone", "--dose", "4.5mg")
    assert code == 0
    assert "6beta-naltrexol" in out and "not medical advice" in out


def test_drugs_json_lists_sources(capsys):
    code, out, err = call(capsys, "drugs", "--json")
    assert code == 0, err
    doc = json.loads(out)
    ids = {d["id"] for d in doc["drugs"]}
    assert {"naltrexone", "naloxone", "plus_naltrexone", "dextromethorphan"} <= ids
    ntx = next(d for d in doc["drugs"] if d["id"] == "naltrexone")
    assert ntx["sources"] and all("cite" in s for s in ntx["sources"])
    code, out, _ = call(capsys, "drugs")
    assert code == 0 and "naltrexone" in out
