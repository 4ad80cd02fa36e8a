"""The exact linear PK engine against independent references (scipy ODE, scipy expm, superposition)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from ldnsim.errors import InputError, UnknownNameError
from ldnsim.pk import Covariates, build_drug_system, expm_batched, load_drug, sample_eta, simulate_pk
from ldnsim.regimen import DoseEvent


def test_expm_batched_matches_scipy():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 6, 6)) * rng.uniform(0.01, 30, size=(20, 1, 1))
    ref = np.stack([sl.expm(a) for a in A])
    assert np.allclose(expm_batched(A), ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())


def _ode_reference(sys, events_base, t_eval):
    """Integrate dx/dt = A x + inputs with scipy (tight tolerances), patient 0."""
    A = sys.A[0, : sys.n, : sys.n]
    B = sys.B[0, : sys.n]
    x = np.zeros(sys.n)
    out = np.zeros((t_eval.size, sys.n))
    bps = sorted({0.0, *[e[0] for e in events_base], *[e[0] + e[3] for e in events_base if e[3] > 0],
                  float(t_eval.max())})
    for a, b in zip(bps[:-1], bps[1:], strict=True):
        for t0, ch, dose, dur in events_base:
            if dur == 0 and t0 == a:
                x = x + B[:, ch] * dose
        rate = np.zeros(B.shape[1])
        for t0, ch, dose, dur in events_base:
            if dur > 0 and t0 <= a < t0 + dur:
                rate[ch] += dose / dur
        mask = (t_eval >= a) & (t_eval < b)
        te = np.r_[t_eval[mask], b]
        sol = solve_ivp(lambda _t, y, r=rate: A @ y + B @ r, (a, b), x, method="DOP853",
                        rtol=1e-11, atol=1e-14, t_eval=te)
        out[mask] = sol.y[:, :-1].T
        x = sol.y[:, -1]
    out[t_eval == bps[-1]] = x
    return out


def test_matches_ode_solver_with_boluses_and_zero_order_release():
    """Naltrexone IR + SR (10 h zero-order release) doses: exact solution vs a stiff ODE solver."""
    spec = load_drug("naltrexone")
    bf = spec.dose_basis.base_fraction.value
    events = [DoseEvent(0.0, "naltrexone", 50.0, "ir"), DoseEvent(5.5, "naltrexone", 10.0, "sr"),
              DoseEvent(30.25, "naltrexone", 4.5, "ir")]
    t = np.linspace(0, 60, 241)
    ds = simulate_pk(events, t, amounts=True)
    sys = build_drug_system("naltrexone", ["ir", "sr"], sinks=True)
    ev_base = [(0.0, 0, 50.0 * bf, 0.0), (5.5, 1, 10.0 * bf, 10.0), (30.25, 0, 4.5 * bf, 0.0)]
    ref = _ode_reference(sys, ev_base, t)
    mass = [i for i, s in enumerate(sys.states) if sys.mass[i]]
    got = ds.amount_mg.values[0]
    assert np.allclose(got, ref[:, mass], rtol=1e-6, atol=1e-9)


def test_matches_direct_expm_per_patient_with_iiv():
    """Per-patient matrices (IIV + covariates) vs scipy.linalg.expm from t = 0 for each patient."""
    spec = load_drug("naltrexone")
    eta = sample_eta(spec, 4, rng=3)
    cov = Covariates(weight_kg=[50, 70, 90, 120], hepatic=["none", "mild", "moderate", "severe"],
                     egfr_ml_min=[100, 60, 30, 15])
    t = np.array([0.5, 1.0, 2.0, 7.3, 24.0])
    ds = simulate_pk([DoseEvent(0.0, "naltrexone", 50.0)], t, cov, eta)
    sys = build_drug_system("naltrexone", ["ir"], cov, eta, sinks=False)
    bf = spec.dose_basis.base_fraction.value
    for p in range(4):
        x0 = sys.B[p, :, 0] * 50.0 * bf
        for i, ti in enumerate(t):
            x = sl.expm(sys.A[p] * ti) @ x0
            assert np.allclose(ds.plasma_ng_ml.values[p, i], sys.plasma[p] @ x, rtol=1e-9)
            assert np.allclose(ds.effect_nM.values[p, i], sys.effect[p] @ x, rtol=1e-9)


def test_regular_and_irregular_grids_agree():
    """The fast regular-grid path and the generic path give the same numbers."""
    ev = [DoseEvent(24.0 * d + 22, "naltrexone", 4.5) for d in range(20)]
    eta = sample_eta(load_drug("naltrexone"), 5, rng=1)
    t = np.arange(0, 24 * 20, 1.0)
    a = simulate_pk(ev, t, eta=eta)
    rng = np.random.default_rng(2)
    t2 = np.sort(np.r_[t, rng.uniform(0, 480, 50)])
    b = simulate_pk(ev, t2, eta=eta)
    idx = np.searchsorted(t2, t)
    assert np.allclose(a.effect_nM.values, b.effect_nM.values[:, idx], rtol=1e-9, atol=1e-15)
    assert np.allclose(a.plasma_ng_ml.values, b.plasma_ng_ml.values[:, idx], rtol=1e-9, atol=1e-15)


def test_unsorted_times_return_in_given_order():
    t = np.array([5.0, 1.0, 3.0, 0.0])
    ds = simulate_pk([DoseEvent(0, "naltrexone", 50)], t)
    ref = simulate_pk([DoseEvent(0, "naltrexone", 50)], np.sort(t))
    assert np.allclose(ds.plasma_ng_ml.values[0, :, 0], ref.plasma_ng_ml.values[0, [3, 1, 2, 0], 0])
    assert list(ds.time_h.values) == list(t)


def test_long_single_dose_year_grid_is_exact():
    """A single dose followed for a long hourly grid (anchored segments) equals the closed form."""
    t = np.arange(0, 24 * 30, 1.0)
    ds = simulate_pk([DoseEvent(0, "naltrexone", 50)], t)
    sys = build_drug_system("naltrexone", ["ir"], sinks=False)
    x0 = sys.B[0, :, 0] * 50 * load_drug("naltrexone").dose_basis.base_fraction.value
    for ti in (1.0, 100.0, 333.0, 700.0):
        x = sl.expm(sys.A[0] * ti) @ x0
        i = int(ti)
        assert ds.plasma_ng_ml.values[0, i] == pytest.approx(sys.plasma[0] @ x, rel=1e-8, abs=1e-300)


@settings(max_examples=25, deadline=None)
@given(
    doses=st.lists(st.tuples(st.floats(0, 100), st.floats(0.5, 100)), min_size=1, max_size=6),
    scale=st.floats(0.1, 10),
)
def test_linearity_and_superposition(doses, scale):
    """Linear in dose; the response to all doses is the sum of the responses to each."""
    t = np.linspace(0, 150, 301)
    evs = [DoseEvent(tt, "naltrexone", d) for tt, d in doses]
    total = simulate_pk(evs, t).plasma_ng_ml.values
    parts = sum(simulate_pk([e], t).plasma_ng_ml.values for e in evs)
    assert np.allclose(total, parts, rtol=1e-8, atol=1e-12)
    scaled = simulate_pk([DoseEvent(e.time_h, e.drug, e.dose_mg * scale) for e in evs], t).plasma_ng_ml.values
    assert np.allclose(scaled, total * scale, rtol=1e-8, atol=1e-12)


def test_population_shapes_and_float32():
    eta = sample_eta(load_drug("naltrexone"), 50, rng=0)
    ev = [DoseEvent(24.0 * d, "naltrexone", 4.5) for d in range(7)]
    t = np.arange(0, 24 * 7, 0.5)
    ds = simulate_pk(ev, t, eta=eta, dtype=np.float32)
    assert ds.plasma_ng_ml.dims == ("patient", "time", "analyte")
    assert ds.plasma_ng_ml.shape == (50, t.size, 2)
    assert ds.effect_nM.dtype == np.float32
    assert np.all(np.isfinite(ds.effect_nM.values))
    ref = simulate_pk(ev, t, eta=eta)
    assert np.allclose(ds.effect_nM.values, ref.effect_nM.values, rtol=1e-5, atol=1e-6)


def test_events_object_with_events_method():
    class Reg:
        def events(self, until_h):
            return [DoseEvent(t, "naltrexone", 4.5) for t in np.arange(0, until_h, 24.0)]

    ds = simulate_pk(Reg(), np.arange(0, 72, 1.0))
    assert ds.plasma_ng_ml.values[0, 49, 0] > 0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"weight_kg": -3}, "weight_kg"),
        ({"weight_kg": 900}, "weight_kg"),
        ({"hepatic": "terrible"}, "hepatic"),
        ({"egfr_ml_min": float("nan")}, "egfr_ml_min"),
        ({"cyp2d6": "xm"}, "cyp2d6"),
        ({"weight_kg": [60, 70], "egfr_ml_min": [1, 2, 3]}, "covariates"),
    ],
)
def test_bad_covariates_name_the_field(kwargs, field):
    with pytest.raises(InputError) as e:
        Covariates(**kwargs)
    assert e.value.field == field


@pytest.mark.parametrize(
    "event, field",
    [
        (DoseEvent(0, "naltrexone", -1), "events[0].dose_mg"),
        (DoseEvent(0, "naltrexone", 0), "events[0].dose_mg"),
        (DoseEvent(float("nan"), "naltrexone", 1), "events[0].time_h"),
        (DoseEvent(0, "naltrexone", 1, "gummy"), "formulation"),
        (DoseEvent(0, "naltrexon", 1), "drug"),
    ],
)
def test_bad_events_name_the_field(event, field):
    with pytest.raises(InputError) as e:
        simulate_pk([event], [0.0, 1.0])
    assert e.value.field == field


def test_unknown_drug_suggests_nearest():
    with pytest.raises(UnknownNameError, match="did you mean naltrexone"):
        simulate_pk([DoseEvent(0, "naltrexon", 1)], [1.0])


def test_bad_eta_key():
    with pytest.raises(InputError, match="unknown random-effect key"):
        simulate_pk([DoseEvent(0, "naltrexone", 1)], [1.0], eta={"naltrexone.XX": np.zeros(3)})


def test_segments_without_output_times():
    """Two doses between consecutive output times (a segment with no outputs) — equals superposition."""
    evs = [DoseEvent(t0 + d, "naltrexone", 4.5) for d in (0.0, 24.0, 48.0) for t0 in (0.2, 0.4)]
    t = np.arange(0, 72, 1.0)
    eta = sample_eta(load_drug("naltrexone"), 3, rng=4)
    total = simulate_pk(evs, t, eta=eta).effect_nM.values
    parts = sum(simulate_pk([e], t, eta=eta).effect_nM.values for e in evs)
    assert np.allclose(total, parts, rtol=1e-9, atol=1e-14)


@settings(max_examples=20, deadline=None)
@given(
    doses=st.lists(st.tuples(st.floats(0, 60), st.floats(0.1, 50), st.sampled_from(["ir", "sr", "liquid"])),
                   min_size=1, max_size=5),
    times=st.lists(st.floats(-5, 120), min_size=1, max_size=60),
)
def test_any_grid_any_events_superposition_and_mass_balance(doses, times):
    """Unsorted, duplicated, negative output times; mixed formulations: superposition of single doses
    and dosed = eliminated + remaining."""
    t = np.asarray(times)
    evs = [DoseEvent(t0, "naltrexone", d, f) for t0, d, f in doses]
    eta = {"naltrexone.CL": np.array([0.0, 0.3]), "ir.ka": np.array([-0.2, 0.4])}
    ds = simulate_pk(evs, t, eta=eta, amounts=True)
    parts = sum(simulate_pk([e], t, eta=eta).plasma_ng_ml.values for e in evs)
    assert np.allclose(ds.plasma_ng_ml.values, parts, rtol=1e-8, atol=1e-12)
    dosed = ds.dosed_mg.values[:, 0]
    total = ds.amount_mg.sum("compartment").values
    assert np.all(np.abs(total - dosed) <= 1e-9 * max(dosed.max(), 1e-12))
