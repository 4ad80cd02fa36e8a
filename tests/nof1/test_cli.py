"""``ldnsim diary`` and ``ldnsim nof1``: JSON documents, disclaimer, exit 2 naming the field, reports."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ldnsim.cli._app import run
from ldnsim.nof1 import make_plan
from ldnsim.nof1.analysis import first_order

DISCLAIMER = "For research and education only; not medical advice."


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LDNSIM_DIARY_DB", str(tmp_path / "d.sqlite"))

    def call(*args):
        code = run(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_diary_commands(cli, tmp_path):
    assert cli("diary", "add-patient", "P1", "--clinician", "dr-a")[0] == 0
    code, out, _ = cli(
        "diary",
        "add",
        "P1",
        "--date",
        "2026-01-02",
        "--pain",
        "6",
        "--worst",
        "8",
        "--dose",
        "4.5",
        "--med",
        "oxycodone 5 mg",
        "--side-effect",
        "vivid_dreams",
        "--json",
    )
    doc = json.loads(out)
    assert code == 0 and doc["alerts"][0]["severity"] == "critical" and doc["vivid_dreams"] is True
    assert doc["disclaimer"] == DISCLAIMER
    for args, field in [
        (("--pain", "11"), "pain_avg"),
        (("--dose", "450"), "dose_mg"),
        (("--side-effect", "hiccups"), "side_effect"),
    ]:
        code, out, err = cli("diary", "add", "P1", "--date", "2026-01-03", *args)
        assert code == 2 and field in err and "Traceback" not in err
    six = [f"{c}=3" for c in ("PAININ9", "PAININ22", "PAININ31", "PAININ34", "PAININ12", "PAININ36")]
    weekly = ["diary", "weekly", "P1", "--week-start", "2026-01-05"]
    code, _, err = cli(*weekly, *[a for it in [*six, "painin9=5"] for a in ("--item", it)])
    assert code == 2 and "item" in err and "PAININ9" in err  # a repeated item is not silently overwritten
    code, out, _ = cli(*weekly, *[a for it in six for a in ("--item", it)], "--json")
    assert code == 0 and json.loads(out)["raw_score"] == 18
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    code, _, err = cli("diary", "add", "P1", "--date", future, "--pain", "5")
    assert code == 2 and "date" in err
    code, out, _ = cli("diary", "list", "P1", "--json")
    assert [e["date"] for e in json.loads(out)["entries"]] == ["2026-01-02"]
    f = tmp_path / "p1.fhir.json"
    assert cli("diary", "export", "P1", "--format", "fhir", "--out", str(f))[0] == 0
    code, out, _ = cli("diary", "import", "P2", str(f), "--json")
    assert code == 0 and json.loads(out)["added"] == 1
    assert cli("diary", "delete", "P1")[0] == 2  # needs --yes
    code, out, _ = cli("diary", "delete", "P1", "--yes", "--json")
    assert json.loads(out)["deleted"]["entries"] == 1
    code, out, _ = cli("diary", "list", "--json")
    assert [p["patient_id"] for p in json.loads(out)["patients"]] == ["P2"]


def test_nof1_plan_and_analyse(cli, tmp_path):
    code, out, _ = cli(
        "nof1", "plan", "--design", "blinded", "--start", "2026-01-05", "--seed", "4", "--json"
    )
    doc = json.loads(out)
    assert code == 0 and doc["disclaimer"] == DISCLAIMER and "pattern" not in doc["plan"]
    assert len(doc["calendar"]) == doc["plan"]["n_days"]
    assert all("contents" not in r for r in doc["calendar"])  # the patient's copy hides the key
    code, out, _ = cli(
        "nof1", "plan", "--design", "blinded", "--pharmacist", "--json", "--start", "2026-01-05"
    )
    assert any("contents" in r for r in json.loads(out)["calendar"])
    assert cli("nof1", "plan", "--design", "crossover")[0] == 2
    # a diary: 2 weeks baseline then LDN, with a clear benefit
    start = dt.date.today() - dt.timedelta(days=111)
    plan = make_plan("open", start=start, ldn_weeks=14)
    on = plan.on_ldn()
    rng = np.random.default_rng(2)
    y = np.round(np.clip(6.5 - 3.0 * first_order(on, 25) + rng.normal(0, 0.8, on.size), 0, 10))
    rows = pd.DataFrame(
        {
            "date": [(start + dt.timedelta(days=i)).isoformat() for i in range(on.size)],
            "pain_avg": y,
            "dose_mg": np.where(on > 0, 4.5, np.nan),
        }
    )
    csv = tmp_path / "d.csv"
    rows.to_csv(csv, index=False)
    assert cli("diary", "import", "P3", str(csv))[0] == 0
    report = tmp_path / "r.html"
    code, out, err = cli("nof1", "analyse", "P3", "--json", "--report", str(report), "--weeks", "4")
    doc = json.loads(out)
    assert code == 0, err
    assert doc["disclaimer"] == DISCLAIMER and doc["design"] == "open"
    # open-label: part of the 3-point fall may be placebo, so the interval is wide but centred on a benefit
    assert doc["benefit_nrs"]["median"] > 1.0 and doc["p_any_benefit"] > 0.8, doc["benefit_nrs"]
    assert DISCLAIMER in report.read_text() and doc["decision"] in report.read_text()
    # the method's sources travel with every analysis: the JSON and the report
    cites = [src["cite"] for src in doc["method_sources"]]
    assert any("Kravitz" in c for c in cites) and any("simulation-based calibration" in c for c in cites)
    assert "Method sources" in report.read_text() and "arxiv.org/abs/1804.06788" in report.read_text()
    pdf = tmp_path / "r.pdf"
    assert cli("nof1", "analyse", "P3", "--report", str(pdf), "--weeks", "")[0] == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    code, _, err = cli("nof1", "analyse", "P3", "--weeks", "x")
    assert code == 2 and "weeks" in err
