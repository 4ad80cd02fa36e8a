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
    assert doc["benefit"]["mean_nrs"]["value"] == pytest.approx(derived["beta_model_mean_nrs"], abs=1e-3)


def test_benefit_sd_matches_the_younger_2013_responder_excess(derived):
    """sd such that P(beta >= 30 % of the untreated level) = 21 % (32 % LDN vs 11 % placebo responders)."""
    doc = load_yaml("nof1/priors.yaml")
    mean = doc["benefit"]["mean_nrs"]["value"]
    sd = doc["benefit"]["sd_nrs"]["value"]
    threshold = 0.3 * derived["baseline_mean_nrs"]
    assert norm.sf(threshold, loc=mean, scale=sd) == pytest.approx(0.32 - 0.11, abs=2e-3)
