"""The shipped posterior (system/posterior.npz + posterior.yaml, written by `ldnsim calibrate --write`):
convergence of every sampled parameter, the draws file matches its record, ParameterSet.draws reads it,
the shipped point values are its medians, and docs/credibility.md shows the record's numbers."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from ldnsim.calibration import report
from ldnsim.data import data_path
from ldnsim.data.parameter_set import load_parameter_set
from ldnsim.data.posterior import posterior_record, posterior_samples

REC = posterior_record()
ROOT = Path(__file__).resolve().parents[2]


def test_a_posterior_is_shipped():
    assert REC is not None and {"full", "null"} <= set(REC["variants"])


@pytest.mark.parametrize("variant", sorted((REC or {}).get("variants", {})))
def test_every_sampled_parameter_converged(variant):
    diag = REC["variants"][variant]["diagnostics"]
    assert diag, "no sampled parameter recorded"
    for name, d in diag.items():
        assert d["r_hat"] < 1.01, (variant, name, d["r_hat"])
        assert d["ess_bulk"] >= 400 and d["ess_tail"] >= 400, (variant, name, d["ess_bulk"], d["ess_tail"])
    samples = posterior_samples(variant)
    assert set(samples) == set(diag)  # every sampled population parameter is shipped, and only those


def test_draws_file_matches_its_record():
    blob = data_path("system/posterior.npz").read_bytes()
    assert hashlib.sha256(blob).hexdigest() == REC["meta"]["draws_sha256"]
    n = REC["meta"]["draws_per_variant"]
    assert all(len(a) == n for v in REC["variants"] for a in posterior_samples(v).values())
    for key in ("command", "commit", "date", "seed", "versions"):
        assert REC["meta"][key], key


def test_parameter_set_draws_are_posterior_draws():
    ps = load_parameter_set("full")
    assert ps.provenance["draws"].startswith("POSTERIOR")
    a, b = ps.draws(3000, seed=4), ps.draws(3000, seed=4)
    assert a == b
    post = posterior_samples("full")
    # the new-trial IC50 = population IC50 x a symmetric study effect: same median (log scale)
    l_draws = np.log10([d["tlr4_ic50_nM"] for d in a])
    assert np.median(l_draws) == pytest.approx(np.median(post["log10_tlr4_ic50_nM"]), abs=0.2)
    assert np.std(l_draws) >= np.std(post["log10_tlr4_ic50_nM"]) * 0.98  # heterogeneity widens, never narrows
    cap = ps.realism["placebo.expectation_cap"]
    e = np.array([d["placebo.expectation.double"] for d in a])
    assert np.all((e > 0) & (e < cap))


def test_variant_without_posterior_keeps_approximate_draws():
    uncalibrated = [v for v in ("ogf", "mu-rebound") if posterior_samples(v) is None]
    for v in uncalibrated:
        assert load_parameter_set(v).provenance["draws"].startswith("APPROXIMATE")


def test_every_calibrated_occupancy_variant_draws_from_its_own_posterior():
    """A record's 'mechanism/occupancy' variant: ParameterSet.draws are that variant's posterior, and
    --apply-medians gave it no variants.yaml entry (docs/credibility.md, "Occupancy variants")."""
    from ldnsim.data.parameter_set import variant_names

    for variant in (v for v in REC["variants"] if "/" in v):
        ps = load_parameter_set(variant)
        assert ps.provenance["draws"].startswith("POSTERIOR") and repr(variant) in ps.provenance["draws"]
        assert variant not in variant_names()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_shipped_values_are_the_posterior_medians():
    """One parameter set: the shipped point values of every calibrated variant are its posterior medians
    (``ldnsim calibrate --apply-medians``), to the 5 significant digits written; the default's TLR4 IC50 is
    thus inside its posterior 95 % interval, and the earlier sub-nM fit survives only as the named
    hypothesis ``full-potent-tlr4``."""
    from ldnsim.calibration.apply import point_values

    ps = load_parameter_set("full")
    cap = ps.realism["placebo.expectation_cap"]
    for variant in REC["variants"]:
        if "/" in variant:  # an occupancy variant ships draws only (its point values are its mechanism's)
            continue
        want = point_values(variant, cap)
        got = load_parameter_set(variant)
        for name, value in want.items():
            shipped = got.system[name] if name in got.system else got.realism[name]
            assert shipped == pytest.approx(value, rel=1e-4, abs=1e-6), (variant, name)
    c = REC["variants"]["full"]["conflict"]
    log_ic50 = np.log10(ps.system["tlr4_ic50_nM"])
    assert c["posterior_ci95_log10_nM"][0] < log_ic50 < c["posterior_ci95_log10_nM"][1]
    potent = np.log10(load_parameter_set("full-potent-tlr4").system["tlr4_ic50_nM"])
    assert potent < c["posterior_ci95_log10_nM"][0]  # outside the posterior: a hypothesis, not the fit
    assert c["data_only_ci95_log10_nM"][0] < potent  # but inside what the trials alone allow


@pytest.mark.parametrize("name", [n for n, _ in report.BLOCKS])
def test_credibility_tables_are_the_records(name):
    text = (ROOT / "docs" / "credibility.md").read_text(encoding="utf-8")
    assert report.render_block(name) in text, f"stale calibration block {name!r}: run `ldnsim docs`"


def test_figures_exist():
    for f in ("calibration_fit.png", "calibration_ic50.png", "calibration_predictive.png"):
        assert (ROOT / "docs" / "figures" / f).stat().st_size > 5000, f
