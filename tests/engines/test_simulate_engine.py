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


@pytest.mark.parametrize("regimen,condition,esr", CASES)
def test_numpy_engine_matches_reference(regimen, condition, esr):
    ref = ldnsim.simulate(regimen, condition=condition, days=21, esr_mm_h=esr)
    eng = ldnsim.simulate(regimen, condition=condition, days=21, esr_mm_h=esr, engine="numpy")
    assert eng["pain_nrs"].shape == ref["pain_nrs"].shape
    np.testing.assert_allclose(eng["pain_nrs"].values, ref["pain_nrs"].values, rtol=1e-6, atol=1e-9)


def test_unknown_engine_names_field():
    with pytest.raises(InputError, match="engine"):
        ldnsim.simulate("naltrexone 4.5 mg nightly", days=3, engine="cuda")


def test_cli_engine_reports_agreement(capsys):
    args = ["simulate", "--regimen", "naltrexone 4.5 mg nightly", "--days", "10", "--engine", "numpy"]
    rc = run([*args, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["engine"] == "numpy"
    assert doc["engine_max_abs_diff_nrs"] < 1e-6
    assert len(doc["pain_nrs"]) == 10


def test_patient_columns_win_over_params_as_in_reference():
    """A per-patient column (trial populations carry k_Sd) overrides the typical value in ``params``."""
    import pandas as pd

    pts = pd.DataFrame({"k_Sd": [0.0008, 0.003], "glial_drive": [0.7, 0.75]})
    params = {"k_Sd": 0.00145, "tau_mu": 15.5}
    ref = ldnsim.simulate("naltrexone 4.5 mg nightly", days=30, patients=pts, params=params)
    eng = ldnsim.simulate("naltrexone 4.5 mg nightly", days=30, patients=pts, params=params, engine="numpy")
    np.testing.assert_allclose(eng["pain_nrs"].values, ref["pain_nrs"].values, rtol=1e-6, atol=1e-9)
