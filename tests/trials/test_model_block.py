"""Every trial result says which model produced it: the ``model`` block of the trial JSON (CLI ``--json`` and
the Python API), the posterior-predictive and population-trial JSON, and the report's Model section.

Expected values are read here straight from the shipped data files with a plain YAML/numpy reader (not
through :mod:`ldnsim.data.parameter_set`), so the block is checked against the files, not against itself.
Trial mechanics use the TEST DOUBLE of the model (``fake_model``): the block does not depend on the
model's numbers.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.metadata import version

import numpy as np
import pytest
import yaml

from ldnsim.cli import _register
from ldnsim.cli._app import run
from ldnsim.trials.posterior import run_posterior
from ldnsim.trials.report import render_report
from ldnsim.trials.run import run_trial

_register()

DATA = resources.files("ldnsim") / "data"


def _yaml(rel: str) -> dict:
    return yaml.safe_load((DATA / rel).read_text(encoding="utf-8"))


META = _yaml("system/posterior.yaml")["meta"]
VARIANTS = _yaml("system/variants.yaml")["variants"]
SHIPPED_IC50 = next(g["tlr4_ic50_nM"]["value"] for g in _yaml("system/parameters.yaml").values()
                    if isinstance(g, dict) and "tlr4_ic50_nM" in g)


def _trial_doc(capsys, *args: str) -> dict:
    """``ldnsim trial younger2013 … --json``: exit 0 and exactly one JSON document."""
    assert run(["trial", "younger2013", "--patients", "16", "--replicates", "2", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_variant_block_on_the_cli(fake_model, capsys):
    m = _trial_doc(capsys)["model"]
    assert (m["variant"], m["mechanism"], m["occupancy"]) == ("full/metabolite-sustained", "full",
                                                              "metabolite-sustained")
    assert m["shipped_default"] is True and m["default_variant"] == "full/metabolite-sustained"
    assert m["description"] == VARIANTS["full"]["description"]
    ps = m["parameter_set"]
    assert ps["draws_kind"] == "posterior" and ps["draws"].startswith("POSTERIOR")
    cal = ps["calibration"]  # the calibration record of system/posterior.yaml
    assert (cal["command"], cal["commit"], cal["date"], cal["seed"]) == (
        META["command"], META["commit"], META["date"], META["seed"])
    assert cal["record"] == "system/posterior.yaml" and ps["overrides"] == {}
    ic50 = m["tlr4_ic50_nM"]
    assert ic50["value"] == pytest.approx(SHIPPED_IC50) and ic50["unit"] == "nM" and ic50["acts"] is True
    # the 95% interval of the sampled population IC50, from the shipped draws themselves
    with np.load(str(DATA / "system/posterior.npz")) as z:
        log10 = z["full/log10_tlr4_ic50_nM"]
    assert ic50["ci95_kind"] == "posterior"
    assert ic50["ci95"] == pytest.approx(list(10.0 ** np.percentile(log10, [2.5, 97.5])))
    assert ic50["ci95"][0] < ic50["value"] < ic50["ci95"][1]
    assert m["notes"] == [] and m["ldnsim_version"] == version("ldnsim")


def test_non_default_variant_block_on_the_cli(fake_model, capsys):
    m = _trial_doc(capsys, "--variant", "ogf/parent-transient")["model"]
    names = (m["variant"], m["mechanism"], m["occupancy"])
    assert names == ("ogf/parent-transient", "ogf", "parent-transient")
    assert m["shipped_default"] is False
    assert m["description"] == VARIANTS["ogf"]["description"]
    occ = _yaml("occupancy.yaml")["variants"]["parent-transient"]["description"]
    assert m["occupancy_description"] == occ
    ps = m["parameter_set"]
    # no posterior was sampled for this combination: approximate draws only
    shipped = np.load(str(DATA / "system/posterior.npz")).files
    assert "ogf/parent-transient/placebo_logit_single" not in shipped
    assert ps["draws_kind"] == "approximate" and ps["draws"].startswith("APPROXIMATE")
    assert ps["calibration"]["commit"] == VARIANTS["ogf"]["calibration"]["commit"] == META["commit"]
    assert any("metabolite-sustained" in n and "parent-transient" in n for n in m["notes"])
    assert m["tlr4_ic50_nM"]["acts"] is False  # ogf switches the glial TLR4 block off


def test_calibrated_occupancy_variant_draws_from_its_own_posterior(fake_model, capsys):
    m = _trial_doc(capsys, "--variant", "mu-rebound/parent-transient")["model"]
    shipped = np.load(str(DATA / "system/posterior.npz")).files
    assert "mu-rebound/parent-transient/placebo_logit_single" in shipped
    assert m["parameter_set"]["draws_kind"] == "posterior"
    assert m["shipped_default"] is False and m["occupancy"] == "parent-transient"


def test_hypothesis_variant_has_its_own_ic50_and_no_calibration_record(fake_model):
    m = run_trial("younger2013", patients=16, replicates=1, variant="full-potent-tlr4").to_json()["model"]
    assert m["tlr4_ic50_nM"]["value"] == VARIANTS["full-potent-tlr4"]["system"]["tlr4_ic50_nM"]["value"]
    assert m["parameter_set"]["calibration"] is None
    assert m["parameter_set"]["draws_kind"] == "approximate" and m["shipped_default"] is False


def test_python_api_matches_the_cli_and_is_deterministic(fake_model, capsys):
    cli = _trial_doc(capsys, "--variant", "mu-rebound/parent-transient", "--seed", "4")
    a = run_trial("younger2013", patients=16, replicates=2, seed=4, variant="mu-rebound/parent-transient")
    b = run_trial("younger2013", patients=16, replicates=2, seed=4, variant="mu-rebound/parent-transient")
    assert a.summary["model"] == b.summary["model"] == cli["model"]
    assert a.model is not None and a.model.variant == "mu-rebound/parent-transient"
    sa, sb = a.summary, b.summary
    sa.pop("timing_s"), sb.pop("timing_s")
    assert json.dumps(sa, default=str) == json.dumps(sb, default=str)


def test_overrides_are_recorded_and_make_it_non_default(fake_model):
    m = run_trial("younger2013", patients=16, replicates=1, params={"tlr4_ic50_nM": 50.0},
                  realism={"placebo.expectation.double": 0.1}).to_json()["model"]
    assert m["variant"] == "full/metabolite-sustained" and m["shipped_default"] is False
    assert m["parameter_set"]["overrides"] == {"tlr4_ic50_nM": 50.0, "placebo.expectation.double": 0.1}
    assert m["tlr4_ic50_nM"]["value"] == 50.0 and "overrides" in m["parameter_set"]["values"]
    u = run_trial("younger2013", patients=16, replicates=1, use_calibrated=False).to_json()["model"]
    assert u["shipped_default"] is False and u["parameter_set"]["values"].startswith("uncalibrated")


def test_report_has_a_model_section_near_the_top(fake_model):
    default = render_report(run_trial("younger2013", patients=16, replicates=1))
    other = render_report(run_trial("younger2013", patients=16, replicates=1,
                                    variant="mu-rebound/parent-transient"))
    for text in (default, other):
        start = text.index('<section id="model">')
        assert start < text.index('<section id="summary">')
        section = text[start:text.index("</section>", start)]
        assert "<h2>Model</h2>" in section and META["commit"] in section and "TLR4 IC50" in section
        assert section.count("<li>") >= 6  # one line per field
    assert "full/metabolite-sustained (the shipped default)" in default
    assert "NOT the shipped default" not in default
    assert "mu-rebound/parent-transient — NOT the shipped default (full/metabolite-sustained)" in other
    assert "does not act" in other  # the IC50 is shown, and said not to matter, for a μ-only mechanism


def test_posterior_predictive_result_carries_the_block_with_its_draws(fake_model):
    post = run_posterior("younger2013", draws=3, patients=16, replicates=1, seed=2)
    m = post.to_json()["model"]
    assert m["variant"] == "full/metabolite-sustained" and m["parameter_set"]["draws"] == post.kind
    ic50 = [d["tlr4_ic50_nM"] for d in post.parameters]
    d = m["tlr4_ic50_nM"]["draws"]
    assert d["n"] == 3 and d["median"] == pytest.approx(float(np.median(ic50)))
    assert min(ic50) <= d["range95"][0] <= d["range95"][1] <= max(ic50)
    own = run_posterior("younger2013", draws=2, patients=16, replicates=1, seed=2,
                        param_draws=[{"placebo.expectation.double": 0.2}] * 2, kind="a test's own draws")
    om = own.to_json()["model"]
    assert om["parameter_set"]["draws"] == "a test's own draws" and "draws" not in om["tlr4_ic50_nM"]
    html = render_report(run_trial("younger2013", patients=16, replicates=1), {"posterior": post})
    assert "over the 3 draws median" in html


def test_trial_posterior_json_carries_both_blocks(fake_model, capsys):
    doc = _trial_doc(capsys, "--posterior", "--draws", "2", "--variant", "mu-only")
    assert doc["model"]["variant"] == doc["posterior"]["model"]["variant"] == "mu-only/metabolite-sustained"
    assert doc["posterior"]["model"]["parameter_set"]["draws"] == doc["posterior"]["kind"]


def test_population_trial_json_carries_the_block(capsys):
    args = ["population-trial", "--patients", "20", "--days", "4", "--n-sub", "6", "--json"]
    assert run([*args, "--variant", "mu-rebound/parent-transient"]) == 0
    m = json.loads(capsys.readouterr().out)["model"]
    assert m["variant"] == "mu-rebound/parent-transient" and m["shipped_default"] is False
    assert m["parameter_set"]["calibration"]["commit"] == META["commit"]
    assert run(args) == 0
    assert json.loads(capsys.readouterr().out)["model"]["shipped_default"] is True
