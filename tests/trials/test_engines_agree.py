"""Issue 4: same seed, same numbers, whatever the engine (real model, small trial)."""

import importlib.util

import pytest

from ldnsim.trials.design import load_design
from ldnsim.trials.run import run_trial

ENGINES = [None, "numpy"]
if importlib.util.find_spec("jax"):
    ENGINES.append("jax")
if importlib.util.find_spec("distributed"):
    ENGINES.append("dask")


@pytest.fixture(scope="module")
def reference():
    return run_trial(load_design("younger2009"), patients=8, replicates=2, seed=11).summary


@pytest.mark.parametrize("engine", ENGINES[1:])
def test_trial_same_numbers_on_every_engine(reference, engine):
    got = run_trial(load_design("younger2009"), patients=8, replicates=2, seed=11, engine=engine).summary
    for arm, vals in reference["arms"].items():
        for key in ("pct_reduction_mean", "nrs_change_mean", "responder_rate"):
            assert got["arms"][arm][key] == pytest.approx(vals[key], rel=1e-6, abs=1e-9), (arm, key)
    ref_diff = reference["contrasts"][0]["difference"]
    assert got["contrasts"][0]["difference"] == pytest.approx(ref_diff, rel=1e-6)
