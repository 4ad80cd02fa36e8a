"""Engines: the same model and seed give the same endpoints on every engine (within 1e-6 relative)."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.engines import (
    BLOCK,
    LdnModel,
    Problem,
    Schedule,
    available_engines,
    get_engine,
    max_rel_diff,
    modal_form,
)
from ldnsim.errors import InputError
from ldnsim.regimen import DoseEvent

LDN = "naltrexone 4.5 mg nightly"


@pytest.fixture(scope="module")
def small_model():
    return LdnModel(LDN, "fibromyalgia", days=5, population=False, n_sub=8)


def test_numpy_engine_reproduces_simulate_when_no_step_is_refined():
    from ldnsim.simulate import simulate

    m = LdnModel(LDN, "fibromyalgia", days=10, population=False)
    res = get_engine("numpy").run(Problem(m, n_patients=3, rtol=0.5, endpoint_days=(0, 9)))
    ds = simulate(LDN, "fibromyalgia", days=10)
    ref = ds.pain_nrs.values[0]
    assert res.steps == 0
    # same scheme and steps; the start differs only by simulate's steady-state stopping rule (1e-6)
    np.testing.assert_allclose(res.day_mean, ref, rtol=1e-5)
    np.testing.assert_allclose(res.pain_endpoints[:, 1], ref[9], rtol=1e-5)
    final = np.array([ds[n].values[0, -1] for n in m.state_names])
    assert res.final_state.shape == (3, len(m.state_names))
    assert np.all(np.isfinite(final))


def test_error_control_moves_toward_the_fine_step_solution():
    from ldnsim.simulate import simulate

    days = 10
    fine = simulate(LDN, "fibromyalgia", days=days, dt_h=1.0, n_sub=1).pain_nrs.values[0]
    m = LdnModel(LDN, "fibromyalgia", days=days, population=False)
    loose = get_engine("numpy").run(Problem(m, n_patients=1, rtol=0.5))
    tight = get_engine("numpy").run(Problem(m, n_patients=1, rtol=1e-4, atol=1e-8))
    err_loose = np.max(np.abs(loose.day_mean - fine) / fine)
    err_tight = np.max(np.abs(tight.day_mean - fine) / fine)
    assert tight.steps > 0
    assert err_tight < 0.2 * err_loose


def test_results_do_not_depend_on_chunking_and_follow_the_seed():
    m = LdnModel(LDN, "fibromyalgia", days=2, n_sub=4)
    n = BLOCK + 5
    a = get_engine("numpy").run(Problem(m, n_patients=n, seed=3, chunk_size=BLOCK))
    b = get_engine("numpy").run(Problem(m, n_patients=n, seed=3, chunk_size=2 * BLOCK))
    assert max_rel_diff(a, b) < 1e-12
    c = get_engine("numpy").run(Problem(m, n_patients=5, seed=3))
    np.testing.assert_array_equal(c.pain_endpoints, a.pain_endpoints[:5])
    d = get_engine("numpy").run(Problem(m, n_patients=5, seed=4))
    assert not np.allclose(d.pain_endpoints, c.pain_endpoints)
    e = get_engine("numpy").run(Problem(m, n_patients=5, seed=3, keep_patients=False))
    assert e.pain_endpoints is None and np.allclose(e.day_mean, c.day_mean)
    ds = c.to_dataset()
    assert ds.pain_nrs.dims == ("patient", "endpoint_day")


def test_sub_batches_inside_a_chunk_change_no_number(monkeypatch):
    """The numpy engine steps a chunk in sub-batches (cache-sized); with refinement active, any batching gives
    bit-identical results."""
    from ldnsim.engines import numpy_engine

    m = LdnModel(LDN, "fibromyalgia", days=4, n_sub=8)
    prob = dict(n_patients=7, seed=5, rtol=1e-4, atol=1e-8)
    whole = get_engine("numpy").run(Problem(m, **prob))
    monkeypatch.setattr(numpy_engine, "SUB_BATCH", 3)
    split = get_engine("numpy").run(Problem(m, **prob))
    assert whole.steps > 0 and split.steps == whole.steps
    assert max_rel_diff(whole, split) == 0.0


def test_schedule_and_modal_form():
    ev = [DoseEvent(0.0, "naltrexone", 4.5), DoseEvent(30.0, "naltrexone", 4.5),
          DoseEvent(0.0, "fentanyl", 2.4, "patch", 72.0)]
    s = Schedule.from_events(ev, 4)
    assert {0.0, 24.0, 30.0, 48.0, 72.0, 96.0} <= set(s.t.tolist())
    assert s.rates[:, s.keys.index("fentanyl/patch")].max() == pytest.approx(2.4 / 72.0)
    A = np.array([[[-1.0, 0.0], [1.0, -1.0]]])  # defective (repeated eigenvalue)
    lam, V, Vinv = modal_form(A)
    rec = np.einsum("pij,pj,pjk->pik", V, lam, Vinv)
    assert np.allclose(rec, A, atol=1e-5)
    with pytest.raises(InputError):
        get_engine("no-such-engine")


def test_available_engines_lists_numpy():
    assert "numpy" in available_engines()


@pytest.mark.slow
def test_jax_engine_agrees_with_numpy(small_model):
    pytest.importorskip("jax")
    pr = Problem(small_model, n_patients=16, seed=1, rtol=1e-4, atol=1e-8, max_level=1)
    rn = get_engine("numpy").run(pr)
    rj = get_engine("jax", device="cpu").run(pr)
    assert rn.steps > 0 and rj.steps == rn.steps
    assert max_rel_diff(rn, rj) < 1e-6


@pytest.mark.slow
def test_jax_fused_path_takes_numpys_steps_with_refinement_and_padding():
    """The device-resident path (one lax.scan: drivers from modal PK, masked refinement, reductions) gives
    every patient numpy's sequence of steps: same refined-step count, endpoints within 1e-12; 19 patients in
    chunks padded to 4,096; a reducer sees the same sums."""
    pytest.importorskip("jax")
    from ldnsim.trials.population import ChangeReducer

    # virtual patients (not identical ones: the SD of identical patients is rounding noise on any engine)
    model = LdnModel(LDN, "fibromyalgia", days=5, n_sub=8)
    pr = Problem(model, n_patients=19, seed=3, rtol=1e-4, atol=1e-8, reducer=ChangeReducer())
    eng = get_engine("jax", device="cpu", mode="fused")
    assert eng.uses_fused(pr)
    rn, rj = get_engine("numpy").run(pr), eng.run(pr)
    assert rn.steps > 0 and rj.steps == rn.steps
    assert max_rel_diff(rn, rj) < 1e-12
    assert rj.reduced["responders_30"] == rn.reduced["responders_30"]
    assert rj.reduced["sum_change"] == pytest.approx(rn.reduced["sum_change"], rel=1e-12)


def test_jax_fused_path_is_for_bolus_schedules_only():
    pytest.importorskip("jax")
    patch = LdnModel("fentanyl 25 mcg/h patch q72h", "fibromyalgia", days=3, population=False)
    eng = get_engine("jax", mode="fused")
    assert not eng.uses_fused(Problem(patch, n_patients=1))  # zero-order input: the hybrid path runs it
    assert not get_engine("jax", mode="hybrid").uses_fused(Problem(LdnModel(LDN, days=3), n_patients=1))
    with pytest.raises(InputError):
        get_engine("jax", mode="warp")


@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["hybrid", "fused"])
def test_jax_engine_on_gpu(small_model, mode):
    pytest.importorskip("jax")
    from ldnsim.engines.jax_engine import gpu_available

    if not gpu_available():
        pytest.skip("no GPU")
    pr = Problem(small_model, n_patients=64, seed=1, max_level=1)
    got = get_engine("jax", device="gpu", mode=mode).run(pr)
    assert max_rel_diff(get_engine("numpy").run(pr), got) < 1e-6


def test_dask_engine_agrees_with_numpy(small_model):
    pytest.importorskip("distributed")
    pr = Problem(small_model, n_patients=BLOCK + 3, seed=2, rtol=1e-3)
    rn = get_engine("numpy").run(pr)
    with get_engine("dask", n_workers=1, processes=False) as eng:
        rd, rd2 = eng.run_many([pr, Problem(small_model, n_patients=4, seed=2, rtol=1e-3)])
    assert max_rel_diff(rn, rd) < 1e-6
    np.testing.assert_allclose(rd2.pain_endpoints, rn.pain_endpoints[:4], rtol=1e-12)


def test_simulate_daily_runs_a_patient_table_like_simulate():
    from ldnsim.engines import simulate_daily
    from ldnsim.population import sample_population
    from ldnsim.simulate import simulate

    table = sample_population(3, "fibromyalgia", seed=5)
    ds = simulate_daily(LDN, "fibromyalgia", days=6, patients=table, rtol=0.5)
    ref = simulate(LDN, "fibromyalgia", days=6, patients=table)
    assert ds.pain_nrs.shape == (3, 6)
    np.testing.assert_allclose(ds.pain_nrs.values, ref.pain_nrs.values, rtol=1e-5)


def test_reference_engine_is_registered_and_agrees_with_numpy_on_the_fixed_step():
    """The reference integrator is an engine with the same contract: same patients (seeded blocks, PK
    random effects included), same endpoints as the numpy engine run without refinement (``max_level=0``);
    only the PK path (dense matrix exponential vs modal sums) and the steady-state stopping rule differ."""
    assert "reference" in available_engines()
    m = LdnModel("morphine 10 mg every 6 hours; naltrexone 0.001 mg every 12 hours", "crps", days=4, n_sub=6,
                 pk_iiv=True)
    pr = Problem(m, n_patients=7, seed=2, max_level=0, endpoint_days=(0, 1, 2, 3))
    ref = get_engine("reference").run(pr)
    num = get_engine("numpy").run(pr)
    assert ref.engine == "reference" and ref.pain_endpoints.shape == (7, 4)
    assert max_rel_diff(ref, num) < 1e-9
    assert not np.allclose(ref.pain_endpoints[0], ref.pain_endpoints[1])  # different patients


def test_reference_engine_is_what_simulate_runs():
    from ldnsim.simulate import simulate

    m = LdnModel(LDN, "fibromyalgia", days=6, population=False)
    res = get_engine("reference").run(Problem(m, n_patients=2, endpoint_days=tuple(range(6))))
    ds = simulate(LDN, "fibromyalgia", days=6)
    # the same integrator; two patients vectorised together vs one (last-bit differences)
    np.testing.assert_allclose(res.pain_endpoints, np.vstack([ds.pain_nrs.values[0]] * 2), rtol=1e-14)
    assert ds.attrs["engine"] == "reference"
    ds2 = simulate(LDN, "fibromyalgia", days=6, engine="reference")
    np.testing.assert_array_equal(ds2.pain_nrs.values, ds.pain_nrs.values)


@pytest.mark.slow
def test_occupancy_variant_reaches_every_engine_identically():
    """'full/parent-transient' (data/occupancy.yaml) changes the PK every engine builds: the endpoints differ
    from the default occupancy, and numpy, jax (fused) and dask agree on them to 1e-12 — with PK random
    effects sampled on top of the variant's offsets."""
    pytest.importorskip("jax")
    pytest.importorskip("distributed")
    pt = LdnModel(LDN, "fibromyalgia", days=5, n_sub=8, variant="full/parent-transient", pk_iiv=True)
    ms = LdnModel(LDN, "fibromyalgia", days=5, n_sub=8, variant="full", pk_iiv=True)
    pr = Problem(pt, n_patients=7, seed=3, rtol=1e-4, atol=1e-8)
    rn = get_engine("numpy").run(pr)
    default = get_engine("numpy").run(Problem(ms, n_patients=7, seed=3, rtol=1e-4, atol=1e-8))
    assert np.max(np.abs(rn.pain_endpoints - default.pain_endpoints)) > 1e-3
    rj = get_engine("jax", device="cpu", mode="fused").run(pr)
    assert max_rel_diff(rn, rj) < 1e-12
    with get_engine("dask", n_workers=1, processes=False) as eng:
        (rd,) = eng.run_many([pr])
    assert max_rel_diff(rn, rd) < 1e-12


def test_occupancy_variant_reference_and_numpy_agree():
    """The reference integrator (ldnsim.simulate) and the numpy engine read the same occupancy variant."""
    from ldnsim.simulate import simulate

    v = "mu-rebound/parent-transient"
    m = LdnModel(LDN, "fibromyalgia", days=10, population=False, variant=v)
    res = get_engine("numpy").run(Problem(m, n_patients=1, rtol=0.5, endpoint_days=(0, 9)))
    ref = simulate(LDN, "fibromyalgia", days=10, variant=v).pain_nrs.values[0]
    np.testing.assert_allclose(res.day_mean, ref, rtol=1e-5)
    default = simulate(LDN, "fibromyalgia", days=10, variant="mu-rebound").pain_nrs.values[0]
    assert np.max(np.abs(ref - default)) > 1e-3
