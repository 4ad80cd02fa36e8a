"""The N-of-1 priors stored in data/nof1/priors.yaml are derived from the shipped model: re-deriving them
from the one parameter set must give the stored numbers, so a parameter change cannot leave a stale copy."""

from __future__ import annotations

import pytest
from scipy.stats import norm

from ldnsim.data import load_yaml
from ldnsim.nof1.priors import derive_onset_prior


@pytest.fixture(scope="module")
def derived():
    return derive_onset_prior()  # 400 virtual patients, seed 0, as recorded in the file


def test_onset_and_benefit_priors_equal_the_shipped_models(derived):
    doc = load_yaml("nof1/priors.yaml")
    assert doc["onset"]["tau_log_mean"]["value"] == pytest.approx(derived["tau_log_mean"], abs=1e-3)
    assert doc["onset"]["tau_log_sd"]["value"] == pytest.approx(derived["tau_log_sd"], abs=1e-3)
    assert doc["onset"]["fast_fraction"]["value"] == pytest.approx(derived["fast_fraction"], abs=1e-3)
    slope = doc["onset"]["fast_fraction_per_log_tau"]["value"]
    assert slope == pytest.approx(derived["fast_fraction_per_log_tau"], abs=1e-3)
    assert doc["onset"]["fast_tau_days"]["value"] == pytest.approx(derived["fast_tau_days"], abs=1e-9)
    assert doc["benefit"]["mean_nrs"]["value"] == pytest.approx(derived["beta_model_mean_nrs"], abs=1e-3)


def test_benefit_sd_matches_the_younger_2013_responder_excess(derived):
    """sd such that P(beta >= 30 % of the untreated level) = 21 % (32 % LDN vs 11 % placebo responders)."""
    doc = load_yaml("nof1/priors.yaml")
    mean = doc["benefit"]["mean_nrs"]["value"]
    sd = doc["benefit"]["sd_nrs"]["value"]
    threshold = 0.3 * derived["baseline_mean_nrs"]
    assert norm.sf(threshold, loc=mean, scale=sd) == pytest.approx(0.32 - 0.11, abs=2e-3)


def test_each_patients_posterior_draw_reaches_the_model():
    """with_posterior_draws sets tlr4_ic50_nM per patient; the trial layer passed only covariates and IIV
    parameters to the model until 2026-12-06, so the draws were silently ignored (every patient had the
    point IC50 and the benefit's SD over 400 patients was 0.04 NRS instead of 0.12)."""

    from ldnsim.data.parameter_set import load_parameter_set
    from ldnsim.nof1.priors import NO_TLR4, with_posterior_draws
    from ldnsim.population import sample_population
    from ldnsim.regimen import Regimen
    from ldnsim.trials.model import simulate_pain

    params = dict(load_parameter_set().system)
    pats = with_posterior_draws(sample_population(3, seed=0), seed=0)
    assert pats["tlr4_ic50_nM"].nunique() == 3
    pats["tlr4_ic50_nM"] = [0.24, params["tlr4_ic50_nM"], NO_TLR4]  # potent, shipped median, no block
    reg = Regimen.parse("naltrexone 4.5 mg nightly for 60 days")
    untreated, _ = simulate_pain(None, pats, 60, condition="fibromyalgia", params=params)
    treated, _ = simulate_pain(reg, pats, 60, condition="fibromyalgia", params=params)
    benefit = (untreated - treated)[:, -1]
    assert benefit[0] > 0.3 > benefit[1] and benefit[1] > benefit[2]  # the per-patient IC50 is used


def test_benefit_prior_is_centred_on_the_posterior_predictive_mean(derived):
    """The prior mean is the model's posterior-predictive mean benefit (~0 at the µM IC50), and the prior is
    weakly informative: its SD (Younger 2013 rule) is many times the model's own spread of the benefit."""
    doc = load_yaml("nof1/priors.yaml")
    assert abs(doc["benefit"]["mean_nrs"]["value"]) < 0.2
    assert doc["benefit"]["sd_nrs"]["value"] > 5 * derived["beta_model_sd_nrs"]


def test_fast_share_follows_the_slow_time_constant():
    """In the model's glial curves a faster slow phase goes with a larger fast share; the analysis's onset
    uses that relation (clipped to 0-0.95), and the curve it gives for the prior median equals the fitted
    two-phase form."""
    import numpy as np

    from ldnsim.nof1 import load_priors

    P = load_priors()
    assert P.onset_fast_slope < 0
    fast, slow = P.fast_fraction_at(15.0), P.fast_fraction_at(200.0)
    assert 0.0 <= slow < P.onset_fast_fraction < fast <= 0.95
    tau = P.tau_median_days
    t = np.arange(120) + 1.0
    w = P.onset_fast_fraction
    expected = w * (1 - np.exp(-t / P.onset_fast_tau_days)) + (1 - w) * (1 - np.exp(-t / tau))
    assert np.allclose(P.onset(np.ones(120), tau), expected, atol=0.02)
