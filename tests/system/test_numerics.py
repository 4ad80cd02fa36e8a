"""Numerics: the daily exponential step against an hourly reference, no silent NaN, pure xp code."""

import numpy as np
import pytest

from ldnsim.errors import InputError, SolverError
from ldnsim.simulate import simulate
from ldnsim.system import (
    DRIVER_NAMES,
    STATE_NAMES,
    condition_params,
    high_branch_start,
    integrate,
    production_loss,
    resolve_params,
)

REGIMENS = ["naltrexone 4.5 mg nightly for 8 weeks", "morphine 30 mg every 12 hours"]


@pytest.mark.parametrize("regimen", REGIMENS, ids=["ldn", "morphine"])
def test_daily_step_matches_hourly_reference(regimen):
    """Δ = 24 h with hourly driver samples (default) vs Δ = 1 h: pain within 0.1 NRS over 60 days."""
    a = simulate(regimen, days=60)
    b = simulate(regimen, days=60, dt_h=1.0, n_sub=1)
    assert np.abs(a.pain_nrs.values - b.pain_nrs.values).max() < 0.1
    for s in STATE_NAMES:
        assert np.abs(a[s].values - b[s].values).max() < 0.05, s


def _setup(n=2):
    p = resolve_params(condition_params("fibromyalgia"), n)
    p["phi0"] = np.full(n, 0.09)
    d = {k: np.zeros((48, n)) for k in DRIVER_NAMES}
    d["mu_endogenous"] = np.full((48, n), 0.09)
    return high_branch_start(np, n), d, p


def test_non_finite_state_raises_solver_error():
    y0, d, p = _setup()
    d["tlr4_inhibition"] = d["tlr4_inhibition"].copy()
    d["tlr4_inhibition"][30, 1] = np.nan
    with pytest.raises(SolverError, match="patient 1"):
        integrate(y0, d, p)


def test_bad_parameter_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="k_Sd"):
        simulate(None, days=5, params={"k_Sd": -1.0})
    with pytest.raises(InputError, match="parameter"):
        simulate(None, days=5, params={"no_such_parameter": 1.0})


def test_production_and_loss_are_non_negative():
    rng = np.random.default_rng(1)
    y0, d, p = _setup(50)
    y = np.abs(y0 + rng.normal(0, 0.3, y0.shape))
    dr = {k: rng.uniform(0, 0.3, (5, 50)) for k in DRIVER_NAMES}
    prod, loss = production_loss(y, dr, p, np)
    assert prod.shape == loss.shape == (5, 50, len(STATE_NAMES))
    assert (prod >= 0).all() and (loss >= 0).all()


def test_the_same_code_runs_under_jax():
    jnp = pytest.importorskip("jax.numpy")
    import jax

    jax.config.update("jax_enable_x64", True)
    from ldnsim.system import step

    y0, d, p = _setup()
    ds = {k: v[:24] for k, v in d.items()}
    y_np, o_np = step(y0, ds, p, 24.0, np)
    y_j, o_j = jax.jit(lambda y, d, p: step(y, d, p, 24.0, jnp))(y0, ds, p)
    np.testing.assert_allclose(np.asarray(y_j), y_np, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(o_j["pain_nrs"]), o_np["pain_nrs"], rtol=1e-10)
