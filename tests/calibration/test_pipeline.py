"""The calibration pipeline end to end on a FAKE simulator with a known response (no virtual trials):
emulator design, NUTS, diagnostics, PSIS-LOO comparison, prior–data conflict, storage. Marked slow: the
two NUTS compilations (with and without a sampled IC50) take ~20 s on an idle 2-core machine."""

import numpy as np
import pytest
import yaml

from ldnsim.calibration import SMOKE, Settings, calibrate
from ldnsim.calibration import runs as runs_mod
from ldnsim.calibration.spec import load_spec
from ldnsim.calibration.store import write_posterior
from ldnsim.errors import InputError


def _fake(study, variant, inputs, seed):
    """pct reductions: placebo = 100 E; LDN = placebo + 25 x TLR4 inhibition (IC50 relative to 1 nM);
    responder rates and the dose-finding rate follow the pct reduction."""
    rng = np.random.default_rng(seed)
    e = inputs["expectation"]
    inh = 1.0 / (1.0 + 10.0 ** inputs["log10_tlr4_ic50_nM"]) if "log10_tlr4_ic50_nM" in inputs else 0.0
    out = []
    for t in study.targets:
        pct = 100.0 * e + (
            25.0 * inh if t.quantity.startswith("ldn") or t.quantity.startswith("rate") else 0.0
        )
        v = pct / 100.0 + 0.2 if ("rate" in t.quantity) else pct
        out.append(float(v + rng.normal(0.0, 0.01 * max(abs(v), 1.0))))
    return out


#: the shipped smoke settings, with more emulator runs and fewer NUTS iterations for the fake simulator
SETTINGS = {**SMOKE, "design_points_per_dim": 6, "warmup": 100, "samples": 100}
SETTINGS.pop("replicates_scale")  # the fake simulator ignores it; Settings' default, as before


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result():
    mp = pytest.MonkeyPatch()
    mp.setattr(runs_mod, "simulate_study", _fake)
    try:
        yield calibrate(["null", "full"], settings=Settings.from_spec(load_spec(), **SETTINGS), seed=5)
    finally:
        mp.undo()


def test_every_sampled_parameter_has_diagnostics(result):
    full = result.variants["full"]
    assert set(full.diagnostics) >= {"log10_tlr4_ic50_nM", "placebo_logit_single", "sigma_study_placebo"}
    assert "log10_tlr4_ic50_nM" not in result.variants["null"].diagnostics
    for d in full.diagnostics.values():
        assert 0.9 < d["r_hat"] < 1.2 and d["ess_bulk"] > 20 and d["q2.5"] <= d["q50"] <= d["q97.5"]
    # the emulator reproduces the fake simulator on held-out runs (its noise is ~1%)
    assert max(r["rmse_over_se"] for r in full.emulator) < 1.0


def test_data_with_a_drug_effect_pull_the_ic50_below_the_in_vitro_prior(result):
    c = result.variants["full"].conflict
    # LDN arms exceed placebo by ~11-30 points in the published trials: the fake drug needs IC50 << 1 µM
    assert c["data_only_median_log10_nM"] < 1.0 < c["prior_median_log10_nM"]
    assert c["posterior_median_log10_nM"] < c["prior_median_log10_nM"]
    assert 0.0 <= c["p_conflict"] <= 1.0


def test_loo_comparison_prefers_the_variant_that_can_make_a_drug_effect(result):
    cmp = {r["variant"]: r for r in result.comparison}
    assert cmp["full"]["rank"] == 0 and cmp["null"]["elpd_diff"] > 0 and cmp["null"]["dse"] > 0
    assert len(result.variants["null"].loo["pareto_k"]) == load_spec().n_obs


def test_store_writes_draws_and_record(result, tmp_path):
    paths = write_posterior(result, tmp_path, "ldnsim calibrate --test")
    with np.load(paths["draws"]) as z:
        assert z["full/log10_tlr4_ic50_nM"].shape == (100,) and "null/log10_tlr4_ic50_nM" not in z.files
    rec = yaml.safe_load(paths["record"].read_text())
    assert rec["meta"]["command"] == "ldnsim calibrate --test" and rec["meta"]["seed"] == 5
    assert rec["variants"]["full"]["diagnostics"]["log10_tlr4_ic50_nM"]["r_hat"] > 0.9


@pytest.mark.parametrize(
    ("over", "field"),
    [({"chains": 0}, "chains"), ({"warmup": 5}, "warmup"), ({"target_accept": 1.0}, "target_accept")],
)
def test_bad_settings_name_the_field(over, field):
    with pytest.raises(InputError, match=field):
        Settings.from_spec(load_spec(), **over)


def test_unknown_variant_names_the_field():
    with pytest.raises(InputError, match="variants"):
        calibrate(["quantum"])


def test_cli_writes_the_posterior_and_prints_one_json_document(result, tmp_path, capsys, monkeypatch):
    import json

    from ldnsim.cli import _register
    from ldnsim.cli._app import run

    _register()
    monkeypatch.setattr(runs_mod, "simulate_study", _fake)
    args = ["calibrate", "--variants", "null", "--design-points-per-dim", "6", "--chains", "2", "--warmup",
            "100", "--samples", "100", "--predictive-draws", "0", "--out", str(tmp_path), "--json"]
    assert run(args) == 0  # same shapes as the fixture's run: the compiled sampler is reused
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["variants"]) == {"null"} and doc["comparison"] == []
    assert (tmp_path / "posterior.npz").exists() and doc["written"]["record"].endswith("posterior.yaml")


def test_cli_bad_input_exits_2_without_json(capsys):
    from ldnsim.cli import _register
    from ldnsim.cli._app import run

    _register()
    assert run(["calibrate", "--variants", "quantum", "--json"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and "variants" in err.err
    assert run(["calibrate", "--write", "--out", "x", "--json"]) == 2


def test_an_emulator_without_a_finite_validation_run_is_refused_not_taken_as_exact(monkeypatch):
    """If every validation run of one target failed, the emulator's error is unknown: the calibration stops
    naming the target instead of adding 0 to the likelihood variance (an overconfident posterior)."""
    from ldnsim.calibration import pipeline
    from ldnsim.errors import SolverError

    real = pipeline.run_design

    def failing_validation(studies, variant, names, points, seed, progress=None, stage="simulator runs"):
        out = real(studies, variant, names, points, seed, progress, stage)
        if "validation" in stage:
            out[studies[0].name][:, 0] = np.nan
        return out

    monkeypatch.setattr(runs_mod, "simulate_study", _fake)
    monkeypatch.setattr(pipeline, "run_design", failing_validation)
    with pytest.raises(SolverError, match="emulator's error is unknown"):
        calibrate(["null"], settings=Settings.from_spec(load_spec(), **SETTINGS), seed=5)
