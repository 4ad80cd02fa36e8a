"""The engines' modal PK path equals ldnsim.pk.simulate_pk and ldnsim.receptors.occupancy."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.engines.model import occupancy_xp, receptor_constants
from ldnsim.engines.pk import pk_timecourse
from ldnsim.pk import load_drug, sample_eta, simulate_pk
from ldnsim.receptors import occupancy
from ldnsim.regimen import DoseEvent


def _rel(a, b, frac=1e-3):
    m = np.abs(a) > frac * np.abs(a).max(axis=1, keepdims=True)
    return float(np.max(np.abs(a - b)[m] / np.abs(a)[m]))


def test_population_nightly_ldn_matches_simulate_pk():
    ev = [DoseEvent(24.0 * k, "naltrexone", 4.5) for k in range(10)]
    t = np.linspace(0.0, 240.0, 481)
    eta = sample_eta(load_drug("naltrexone"), 40, np.random.default_rng(3))
    ds = simulate_pk(ev, t, None, eta)
    mine = pk_timecourse(ev, t, None, eta)
    for k in ("plasma_ng_ml", "effect_nM"):
        assert _rel(ds[k].values, mine[k]) < 1e-9
    occ = occupancy({str(a): ds.effect_nM.values[:, :, i] for i, a in enumerate(ds.analyte.values)})
    for k in ("mu_antagonist", "mu_endogenous", "tlr4_inhibition"):
        np.testing.assert_allclose(mine[k], occ[k], rtol=1e-9, atol=1e-12)


def test_mixed_regimen_with_zero_order_input():
    ev = [DoseEvent(0.0, "naltrexone", 50.0), DoseEvent(30.0, "naltrexone", 4.5, "liquid"),
          DoseEvent(0.0, "fentanyl", 2.4, "patch", 72.0), DoseEvent(5.5, "oxycodone", 5.0)]
    t = np.linspace(0.0, 100.0, 401)
    ds = simulate_pk(ev, t)
    mine = pk_timecourse(ev, t)
    for k in ("plasma_ng_ml", "effect_nM"):
        assert _rel(ds[k].values, mine[k]) < 1e-9


@pytest.mark.parametrize("drugs", [["naltrexone", "6beta-naltrexol"], ["fentanyl", "naltrexone"]])
def test_occupancy_xp_equals_receptor_layer(drugs):
    rng = np.random.default_rng(0)
    conc = {d: rng.lognormal(0.0, 2.0, size=50) for d in drugs}
    ref = occupancy(conc)
    got = occupancy_xp(conc, receptor_constants(drugs), np)
    for k, v in ref.items():
        np.testing.assert_allclose(np.broadcast_to(got[k], v.shape), v, rtol=1e-12, atol=1e-15)
