"""``ldnsim trial`` / ``ldnsim demo`` JSON contract and report files (TEST DOUBLE of the model: fast)."""

import json

from ldnsim.cli import _register
from ldnsim.cli._app import run

_register()


def test_trial_json_contract(fake_model, capsys):
    rc = run(["trial", "younger2013", "--replicates", "2", "--patients", "16", "--seed", "3", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    doc = json.loads(out)  # exactly one JSON document
    assert {"design", "arms", "contrasts", "replicates", "published", "disclaimer"} <= set(doc)
    assert doc["design"]["patients"] == 16 and doc["design"]["replicates"] == 2 and doc["design"]["seed"] == 3
    for arm in doc["arms"].values():
        assert {"n", "pct_reduction_mean", "nrs_change_mean", "responder_rate"} <= set(arm)
    c = doc["contrasts"][0]
    assert {"a", "b", "endpoint", "difference", "ci95", "p_value"} <= set(c)
    assert {"n", "power", "difference_ci95"} <= set(doc["replicates"])


def test_trial_report_and_variant(fake_model, capsys, tmp_path):
    f = tmp_path / "r.html"
    args = ["trial", "younger2009", "--replicates", "2", "--report", str(f), "--variant", "mu-only"]
    rc = run([*args, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and f.exists() and doc["report"] == str(f)
    assert doc["design"]["variant"] == "mu-only"
    text = f.read_text()
    assert "<section id=\"comparison\">" in text
    # a pain design's report says what each hypothesis predicts (the JSON carries the same table)
    assert "What each hypothesis predicts for this design" in text and doc["hypotheses"]["replicates"] == 2
    # the old maximum-likelihood record is dated and marked as superseded, not shown as the current fit
    assert "Maximum-likelihood record of 2026-11-23" in text and "supersedes it" in text


def test_bad_inputs_exit_2(fake_model, capsys):
    assert run(["trial", "younger2013", "--variant", "kappa", "--json"]) == 2
    assert run(["trial", "younger2013", "--patients", "0", "--json"]) == 2
    assert run(["trial", "younger2013", "--report", "x.pdf", "--json"]) == 2
    assert run(["trial", "no-such-file.yaml", "--json"]) == 2
    assert capsys.readouterr().out == ""


def test_demo_writes_report_and_json(fake_model, capsys, tmp_path):
    """The demo report shows the uncertainty: the posterior predictive with the Bayesian calibration and its
    PSIS-LOO table, what each hypothesis predicts, and no stale profile-likelihood wording."""
    from ldnsim.cli.trial import DEMO_DRAWS, DEMO_REPLICATES_PER_DRAW

    rc = run(["demo", "--out", str(tmp_path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    html = (tmp_path / "younger2013_report.html").read_text()
    saved = json.loads((tmp_path / "younger2013.json").read_text())
    assert saved["design"]["name"] == "younger2013"
    assert doc["report"].endswith("younger2013_report.html")
    assert '<section id="posterior">' in html and "Bayesian calibration behind these draws" in html
    assert "elpd_loo" in html and "95% predictive interval" in html
    assert "What each hypothesis predicts for this design" in html
    for v in ("null", "full", "full-potent-tlr4", "mu-rebound"):
        assert f"<tr><td><code>{v}</code></td>" in html
    assert "profile-likelihood interval are below" not in html
    post = saved["posterior"]
    assert (post["draws"], post["replicates_per_draw"]) == (DEMO_DRAWS, DEMO_REPLICATES_PER_DRAW)
    assert post["trials"] == DEMO_DRAWS * DEMO_REPLICATES_PER_DRAW
    # the published Younger 2013 difference (28.8 - 18.0) is checked against the predictive distribution
    pub = {r["quantity"]: r for r in post["comparison"]}
    assert pub["ldn-placebo.pct_reduction.difference"]["published"] == 10.8
    assert saved["hypotheses"]["published"] == 10.8
    assert [r["variant"] for r in saved["hypotheses"]["rows"]][:4] == ["null", "full", "full-potent-tlr4",
                                                                        "mu-rebound"]
    assert doc["posterior"]["draws"] == DEMO_DRAWS and doc["hypotheses"]["rows"]


def test_disease_trials_on_the_cli(capsys, monkeypatch):
    """``ldnsim trial smith2011 --json``: one JSON document with the Crohn's endpoints and the disclaimer
    (TEST DOUBLE of the immune module); pain-model options and an uncovered condition exit 2."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "disease"))
    from fake_immune import fake_simulate_immune

    from ldnsim.trials.disease import immune_link

    monkeypatch.setattr(immune_link, "SIMULATE_IMMUNE", fake_simulate_immune)
    rc = run(["trial", "smith2011", "--replicates", "2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["disclaimer"] == "For research and education only; not medical advice."
    assert {"cdai70", "endoscopic_response", "cdai_remission"} <= set(doc["arms"]["ldn"]["endpoints"])
    assert run(["trial", "smith2011", "--variant", "mu-only", "--json"]) == 2
    assert run(["trial", "smith2011", "--posterior", "--json"]) == 2
    assert capsys.readouterr().out == ""


def test_uncovered_condition_design_exits_2(capsys, tmp_path):
    import yaml

    from ldnsim.trials.design import preset_path

    d = yaml.safe_load(preset_path("smith2011").read_text())
    d["condition"] = "lupus"
    f = tmp_path / "lupus.yaml"
    f.write_text(yaml.safe_dump(d))
    assert run(["trial", str(f), "--json"]) == 2
    err = capsys.readouterr().err
    assert "condition" in err and "not covered" in err


def test_population_trial_refuses_disease_conditions(capsys):
    assert run(["population-trial", "--condition", "crohns", "--json"]) == 2
    assert "immune module" in capsys.readouterr().err
