"""One declaration, several engines: numpy, jax and dask give the same immune trajectories (1e-12), at the
default tolerance (the jitted macro-step) and with refinement (the engines' step-doubling recursion)."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.immune import OUTPUT_NAMES, simulate_immune

LDN = "naltrexone 4.5 mg nightly"


def _max_rel(a, b) -> float:
    worst = 0.0
    for k in (*OUTPUT_NAMES, "final_state"):
        x, y = a[k].values, b[k].values
        den = np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-12)
        worst = max(worst, float(np.max(np.abs(x - y) / den)))
    return worst


@pytest.mark.parametrize("rtol", [1e-2, 1e-4])
def test_jax_agrees_with_numpy(rtol):
    pytest.importorskip("jax")
    kw = dict(n_patients=5, seed=2, rtol=rtol)
    a = simulate_immune(LDN, 21, "crohns", **kw)
    b = simulate_immune(LDN, 21, "crohns", engine="jax", **kw)
    assert b.attrs["engine"] == "jax"
    assert _max_rel(a, b) <= 1e-12
    if rtol == 1e-4:
        assert a.attrs["refined_patient_steps"] > 0  # the refinement path ran


def test_dask_agrees_with_numpy():
    pytest.importorskip("distributed")
    from ldnsim.engines.dask_engine import DaskEngine

    kw = dict(n_patients=5, seed=2)
    a = simulate_immune(LDN, 14, "ms", **kw)
    with DaskEngine(processes=False, n_workers=1) as eng:
        b = simulate_immune(LDN, 14, "ms", engine=eng, **kw)
    assert b.attrs["engine"] == "dask"
    assert _max_rel(a, b) <= 1e-12


def test_refinement_converges():
    """The default daily step against the refined solution: within 1% on every output over 30 days."""
    a = simulate_immune(LDN, 30, "crohns")
    b = simulate_immune(LDN, 30, "crohns", rtol=1e-5, atol=1e-9)
    for k in ("ogf", "ogfr_density", "lymphocyte_proliferation", "mucosal_inflammation", "cytokines"):
        np.testing.assert_allclose(a[k].values, b[k].values, rtol=1e-2, err_msg=k)
