"""``simulate(..., engine=NAME)`` and ``ldnsim simulate --engine`` run the population engines and agree
with the reference integrator."""

import json

import numpy as np
import pytest

import ldnsim
from ldnsim.cli._app import run
from ldnsim.errors import InputError

CASES = [
    ("naltrexone 4.5 mg nightly", "fibromyalgia", None),
    ("naltrexone 4.5 mg nightly", "crps", 45.0),
    (None, "fibromyalgia", None),
]


#: the engines refine a daily step whose step-doubling error exceeds rtol 1e-2 (simulate_daily); the reference
#: integrator keeps its fixed daily step. Where nothing is refined they are identical (the untreated case and
#: tests/engines/test_engines.py); with the nightly dose's fast onset the engines refine day 0 and agree with
#: the reference within the error control (and are closer to a fine-step solution).
ENGINE_RTOL = 1e-2  # = simulate_daily rtol


@pytest.mark.parametrize("regimen,condition,esr", CASES)
def test_numpy_engine_matches_reference(regimen, condition, esr):
    ref = ldnsim.simulate(regimen, condition=condition, days=21, esr_mm_h=esr)
    eng = ldnsim.simulate(regimen, condition=condition, days=21, esr_mm_h=esr, engine="numpy")
    assert eng["pain_nrs"].shape == ref["pain_nrs"].shape
    rtol = 1e-6 if regimen is None else ENGINE_RTOL
    np.testing.assert_allclose(eng["pain_nrs"].values, ref["pain_nrs"].values, rtol=rtol, atol=1e-9)


def test_engine_refinement_moves_toward_the_fine_step_solution():
    """Where the engine's error control refines a step, it is closer to a 15-minute-step solution than the
    reference integrator's daily step."""
    reg = "naltrexone 4.5 mg nightly"
    ref = ldnsim.simulate(reg, days=3).pain_nrs.values[0]
    eng = ldnsim.simulate(reg, days=3, engine="numpy").pain_nrs.values[0]
    fine = ldnsim.simulate(reg, days=3, dt_h=0.25, n_sub=4).pain_nrs.values[0]
    assert abs(eng[0] - fine[0]) <= abs(ref[0] - fine[0])


def test_unknown_engine_names_field():
    with pytest.raises(InputError, match="engine"):
        ldnsim.simulate("naltrexone 4.5 mg nightly", days=3, engine="cuda")


def test_cli_engine_reports_agreement(capsys):
    args = ["simulate", "--regimen", "naltrexone 4.5 mg nightly", "--days", "10", "--engine", "numpy"]
    rc = run([*args, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["engine"] == "numpy"
    assert doc["engine_max_abs_diff_nrs"] < ENGINE_RTOL * 7.0  # NRS ~7: within the error control
    assert len(doc["pain_nrs"]) == 10


def test_patient_columns_win_over_params_as_in_reference():
    """A per-patient column (trial populations carry k_Sd) overrides the typical value in ``params``."""
    import pandas as pd

    pts = pd.DataFrame({"k_Sd": [0.0008, 0.003], "glial_drive": [0.7, 0.75]})
    params = {"k_Sd": 0.00145, "tau_mu": 15.5}
    ref = ldnsim.simulate("naltrexone 4.5 mg nightly", days=30, patients=pts, params=params)
    eng = ldnsim.simulate("naltrexone 4.5 mg nightly", days=30, patients=pts, params=params, engine="numpy")
    np.testing.assert_allclose(eng["pain_nrs"].values, ref["pain_nrs"].values, rtol=ENGINE_RTOL, atol=1e-9)
    other = ldnsim.simulate("naltrexone 4.5 mg nightly", days=30, patients=pts, params={"tau_mu": 15.5},
                            engine="numpy")  # k_Sd from the columns either way: the same numbers
    np.testing.assert_array_equal(other["pain_nrs"].values, eng["pain_nrs"].values)
