"""Crohn's readout as pure functions of an inflammation trajectory, against the published definitions
(Best 1976 CDAI: remission < 150, response >= 70-point fall; Smith 2011 CDEIS: response >= 5-point fall,
remission < 6; PCDAI remission <= 10, response >= 12.5) and the meta-analytic placebo rates (Su 2004,
Sedano 2022). No immune module needed: the placebo arm is untreated (inflammation 1 throughout)."""

import numpy as np
import pytest

from ldnsim.trials.design import Endpoint
from ldnsim.trials.disease import crohns
from ldnsim.trials.disease.params import readout_parameters
from ldnsim.trials.disease.runner import endpoint_value


@pytest.fixture(scope="module")
def p():
    return readout_parameters("crohns")


def _traits(n, **kw):
    base = dict(
        cdai0=np.full(n, 300.0),
        cdeis0=np.full(n, 14.0),
        pcdai0=np.full(n, 40.0),
        nu=np.zeros(n),
        gamma=np.ones(n),
        responsiveness=np.ones(n),
    )
    base.update({k: np.asarray(v, float) for k, v in kw.items()})
    return crohns.CrohnsTraits(**base)


def test_untreated_without_natural_course_stays_at_baseline(p):
    tr = _traits(3)
    act = crohns.activity(np.ones((3, 30)), tr, p)
    np.testing.assert_allclose(crohns.cdai(act, np.zeros((3, 30)), tr, p), 300.0)
    np.testing.assert_allclose(crohns.cdeis(act, tr), 14.0)


def test_healed_mucosa_reaches_the_floor_and_zero_cdeis(p):
    tr = _traits(2)
    act = crohns.activity(np.zeros((2, 10)), tr, p)
    np.testing.assert_allclose(crohns.cdai(act, np.zeros((2, 10)), tr, p), p["cdai.floor"])
    np.testing.assert_allclose(crohns.pcdai(act, np.zeros((2, 10)), tr, p), p["pcdai.floor"])
    np.testing.assert_allclose(crohns.cdeis(act, tr), 0.0)


def test_activity_is_monotone_in_inflammation_and_natural_course(p):
    tr = _traits(1, nu=[0.5])
    m = np.linspace(1.0, 0.2, 40)[None, :]
    act = crohns.activity(m, tr, p)
    assert np.all(np.diff(act[0]) < 0)
    # natural course alone: 1 - nu (1 - exp(-d/tau)) at day 21 with tau from the data file
    act1 = crohns.activity(np.ones((1, 22)), tr, p)
    assert act1[0, 21] == pytest.approx(1 - 0.5 * (1 - np.exp(-21 / p["natural_course.tau_days"])))


def test_the_definitions_come_from_the_sources(p):
    assert (p["cdai.remission_below"], p["cdai.response_drop"]) == (150, 70)
    assert (p["cdeis.response_drop"], p["cdeis.remission_below"]) == (5, 6)
    assert (p["pcdai.remission_at_most"], p["pcdai.response_drop"]) == (10, 12.5)


@pytest.mark.parametrize(
    "kind, thr, base, end, want",
    [
        ("cdai_response", None, 300, 230, 1.0),  # exactly 70 points: response
        ("cdai_response", None, 300, 231, 0.0),
        ("cdai_response", 100, 300, 230, 0.0),  # CDAI-100
        ("cdai_remission", None, 300, 149.9, 1.0),
        ("cdai_remission", None, 300, 150, 0.0),  # remission is < 150
        ("endoscopic_response", None, 14, 9, 1.0),
        ("endoscopic_remission", None, 14, 6, 0.0),  # remission is < 6
        ("pcdai_remission", None, 40, 10, 1.0),  # PCDAI remission is <= 10
        ("pcdai_response", None, 40, 27.5, 1.0),
        ("cdai_change", None, 300, 220, -80.0),
    ],
)
def test_endpoint_thresholds(p, kind, thr, base, end, want):
    ep = Endpoint(name="e", kind=kind, threshold_points=thr)
    v = endpoint_value(ep, p, np.array([float(base)]), np.array([float(end)]))
    assert v[0] == pytest.approx(want)


def test_missing_reading_is_missing_not_a_non_responder(p):
    ep = Endpoint(name="e", kind="cdai_response")
    assert np.isnan(endpoint_value(ep, p, np.array([300.0]), np.array([np.nan]))[0])


def test_measurement_noise_has_the_stated_sd(p):
    rng = np.random.default_rng(0)
    x = crohns.measure(rng, np.full(200000, 300.0), p["cdai.measurement_sd"], 0, 600)
    assert x.std() == pytest.approx(p["cdai.measurement_sd"], rel=0.02)


def test_between_patient_variability(p):
    tr = crohns.draw_traits(np.random.default_rng(1), 20000, p)
    assert tr.cdai0.mean() == pytest.approx(p["cdai.baseline_mean"], rel=0.02)
    assert tr.gamma.mean() == pytest.approx(p["inflammation.elasticity"], rel=0.03)
    assert tr.gamma.std() / tr.gamma.mean() == pytest.approx(p["inflammation.elasticity_cv"], rel=0.1)
    assert tr.nu.mean() == pytest.approx(p["natural_course.improvement_mean"], abs=0.01)
    assert tr.cdeis0.min() >= p["cdeis.minimum"]
