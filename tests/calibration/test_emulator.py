"""The GP emulator against functions with known values (not simulator output)."""

import numpy as np
import pytest

from ldnsim.calibration.emulator import fit_gp
from ldnsim.calibration.runs import space_filling


def _f(x):  # a sigmoid in the second input (like an IC50 curve) plus a line in the first
    return 30.0 * x[:, 0] + 20.0 / (1.0 + np.exp(2.0 * (x[:, 1] - 1.0)))


LO, HI = np.array([0.0, -3.0]), np.array([0.6, 5.0])


def test_gp_recovers_a_known_surface_from_noisy_runs():
    rng = np.random.default_rng(1)
    x = space_filling(34, LO, HI, seed=2)
    y = _f(x) + rng.normal(0.0, 0.5, len(x))
    gp = fit_gp(x, y, LO, HI)
    xv = space_filling(200, LO, HI, seed=3)
    rmse = float(np.sqrt(np.mean((gp.predict(xv) - _f(xv)) ** 2)))
    assert rmse < 1.0  # the surface spans ~38 units; noise SD 0.5
    assert 0.1 < gp.noise_sd < 1.5  # the nugget finds the simulator noise, not zero and not the signal


def test_jax_and_numpy_predictions_agree():
    x = space_filling(20, LO, HI, seed=4)
    gp = fit_gp(x, _f(x), LO, HI)
    xv = space_filling(7, LO, HI, seed=5)
    assert np.asarray(gp.predict_jax(xv)) == pytest.approx(gp.predict(xv), rel=1e-4, abs=1e-3)


def test_too_few_finite_runs_is_an_error():
    x = space_filling(5, LO, HI, seed=4)
    with pytest.raises(ValueError, match="finite"):
        fit_gp(x, np.array([1.0, np.nan, np.nan, np.nan, 2.0]), LO, HI)


def test_space_filling_design_covers_the_box():
    x = space_filling(16, LO, HI, seed=0)
    assert x.shape == (16, 2) and np.all(x >= LO) and np.all(x <= HI)
    # Latin hypercube: one point in each of the 16 strata of every input
    for j in range(2):
        strata = np.floor((x[:, j] - LO[j]) / (HI[j] - LO[j]) * 16).astype(int)
        assert sorted(strata) == list(range(16))


def test_stacked_predictor_equals_each_gp():
    from ldnsim.calibration.model import stacked_predictor

    x = space_filling(12, LO, HI, seed=6)
    gps = [fit_gp(x[:n], _f(x[:n]) * k, LO, HI) for n, k in ((12, 1.0), (9, -2.0))]
    xv = space_filling(2, LO, HI, seed=7)
    got = np.asarray(stacked_predictor(gps)(xv))
    assert got == pytest.approx([gps[0].predict(xv[:1])[0], gps[1].predict(xv[1:])[0]], rel=1e-4, abs=1e-3)
