"""ldnsim.simulate: the contract the trial and population layers rely on."""

import numpy as np
import pandas as pd
import pytest

import ldnsim
from ldnsim.errors import InputError, UnknownNameError
from ldnsim.regimen import DoseEvent, Regimen
from ldnsim.system import STATE_NAMES

LDN = "naltrexone 4.5 mg nightly for 12 weeks"


def test_dataset_layout_daily():
    ds = ldnsim.simulate(LDN, "fibromyalgia", days=10)
    assert ds.sizes["patient"] == 1 and ds.sizes["time"] == 10
    assert list(ds.time_days.values) == list(range(10))
    np.testing.assert_allclose(ds.time_h.values, np.arange(10) * 24 + 12)
    for v in ("pain_nrs", *STATE_NAMES, "cytokines", "glutamate", "nmda_drive", "opioid_tone",
              "mu_antagonist", "mu_agonist", "mu_endogenous", "tlr4_inhibition", "nmda_block", "plasma_ng_ml",
              "effect_nM"):
        assert v in ds, v
    assert ds.pain_nrs.dims == ("patient", "time")
    assert ds.effect_nM.dims == ("patient", "time", "analyte")
    assert "naltrexone" in list(ds.analyte.values)
    assert ds.sizes["dose"] == 10 and float(ds.dose_mg.sum()) == pytest.approx(45.0)
    assert ds.attrs["condition"] == "fibromyalgia" and ds.attrs["variant"] == "full"
    assert ds.attrs["disclaimer"].startswith("For research and education")
    assert ds.pain_nrs.attrs["units"] == "NRS 0-10"


def test_regimen_forms_agree():
    text = "naltrexone 4.5 mg nightly for 5 days"
    a = ldnsim.simulate(text, days=8)
    b = ldnsim.simulate(Regimen.parse(text), days=8)
    c = ldnsim.simulate([DoseEvent(24.0 * i, "naltrexone", 4.5) for i in range(5)], days=8)
    np.testing.assert_allclose(a.pain_nrs.values, b.pain_nrs.values)
    np.testing.assert_allclose(a.pain_nrs.values, c.pain_nrs.values)


def test_hourly_output():
    ds = ldnsim.simulate(LDN, days=2, output="hourly")
    assert ds.sizes["time"] == 48
    np.testing.assert_allclose(ds.time_h.values, np.arange(48) + 0.5)
    mu = ds.mu_antagonist.values[0]
    assert mu.max() > 2 * mu[:1].min() or mu.argmax() > 0  # the nightly pulse is resolved


def test_patient_table_columns_are_used_per_patient():
    pts = pd.DataFrame({"weight_kg": [60.0, 90.0], "cyp2d6": ["em", "pm"], "esr_mm_h": [5.0, 40.0],
                        "glial_drive": [0.68, 0.8], "k_Sd": [0.0012, 0.002], "subject_id": ["a", "b"]})
    ds = ldnsim.simulate(LDN, days=5, patients=pts)
    assert ds.sizes["patient"] == 2
    used = ds.attrs["patient_columns_used"].split(",")
    assert set(used) == {"weight_kg", "cyp2d6", "esr_mm_h", "glial_drive", "k_Sd"}
    assert not np.allclose(ds.pain_nrs.values[0], ds.pain_nrs.values[1])


def test_vectorised_patients_match_single_runs():
    pts = pd.DataFrame({"glial_drive": [0.68, 0.75]})
    both = ldnsim.simulate(LDN, days=20, patients=pts).pain_nrs.values
    one = ldnsim.simulate(LDN, days=20, params={"glial_drive": 0.75}).pain_nrs.values
    np.testing.assert_allclose(both[1], one[0], rtol=1e-9)


def test_untreated_has_no_doses_and_constant_drivers():
    ds = ldnsim.simulate(None, days=3)
    assert ds.sizes["dose"] == 0 and ds.sizes["analyte"] == 0
    assert float(ds.mu_antagonist.max()) == 0.0


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"days": 0}, "days"),
        ({"days": "x"}, "days"),
        ({"output": "weekly"}, "output"),
        ({"variant": "tlr4-only"}, "variant"),
        ({"patients": [1, 2]}, "patients"),
        ({"regimen": 42}, "regimen"),
        ({"esr_mm_h": -5}, "esr_mm_h"),
        ({"dt_h": 7}, "dt_h"),
    ],
)
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(InputError) as exc:
        ldnsim.simulate(**{"days": 5, **kw})
    assert exc.value.field == field


def test_unknown_condition_and_drug():
    with pytest.raises(UnknownNameError):
        ldnsim.simulate(None, "fibromyalga", days=2)
    with pytest.raises(InputError):
        ldnsim.simulate("unobtainium 5 mg daily", days=2)


def test_time_and_day_are_index_coordinates():
    """``time`` (h) indexes the results by value; daily results also by ``day``; the old coordinate names
    stay (``time_h``, ``time_days``)."""
    ds = ldnsim.simulate("naltrexone 4.5 mg nightly", "fibromyalgia", days=5)
    assert "time" in ds.indexes and "day" in ds.indexes
    np.testing.assert_array_equal(ds["time"].values, [12.0, 36.0, 60.0, 84.0, 108.0])
    np.testing.assert_array_equal(ds["time_h"].values, ds["time"].values)
    assert float(ds.pain_nrs.sel(time=36.0)[0]) == float(ds.pain_nrs.values[0, 1])
    assert float(ds.pain_nrs.sel(day=3)[0]) == float(ds.pain_nrs.values[0, 3])
    sub = ds.sel(time=slice(30.0, 90.0))
    np.testing.assert_array_equal(sub.day.values, [1, 2, 3])
    hourly = ldnsim.simulate("naltrexone 4.5 mg nightly", "fibromyalgia", days=1, output="hourly")
    assert "day" not in hourly.coords
    assert float(hourly.mu_antagonist.sel(time=22.5)[0]) == float(hourly.mu_antagonist.values[0, 22])


def test_engine_results_carry_the_same_time_index():
    ds = ldnsim.simulate("naltrexone 4.5 mg nightly", "fibromyalgia", days=3, engine="numpy")
    ref = ldnsim.simulate("naltrexone 4.5 mg nightly", "fibromyalgia", days=3)
    np.testing.assert_array_equal(ds["time"].values, ref["time"].values)
    np.testing.assert_array_equal(ds["day"].values, ref["day"].values)


def test_pk_random_effects_from_the_patient_table_reach_the_pk_and_every_engine():
    """Between-subject PK variability: an ``eta:`` column multiplies the drug file's value per patient
    (here bioavailability x2 for the second patient: twice the plasma and effect-site exposure, linear PK),
    in the reference integrator and the numpy engine alike."""
    from ldnsim.pk import load_drug, sample_eta

    pts = pd.DataFrame({"eta:naltrexone/ir.F": [0.0, np.log(2.0)]})
    ds = ldnsim.simulate("naltrexone 4.5 mg nightly", days=3, patients=pts, output="hourly")
    pla = ds.plasma_ng_ml.sel(analyte="naltrexone").values
    np.testing.assert_allclose(pla[1].max() / pla[0].max(), 2.0, rtol=1e-9)
    assert "eta:naltrexone/ir.F" in ds.attrs["patient_columns_used"]
    ref = ldnsim.simulate("naltrexone 4.5 mg nightly", days=10, patients=pts).pain_nrs.values
    eng = ldnsim.simulate("naltrexone 4.5 mg nightly", days=10, patients=pts, engine="numpy").pain_nrs.values
    assert abs(ref[1, -1] - ref[0, -1]) > 1e-3
    np.testing.assert_allclose(eng, ref, rtol=1e-2)
    # the drug file's CVs as sampled columns run too
    draws = sample_eta(load_drug("naltrexone"), 4, 0)
    table = pd.DataFrame({f"eta:naltrexone/{k}": v for k, v in draws.items()})
    pain = ldnsim.simulate("naltrexone 4.5 mg nightly", days=3, patients=table).pain_nrs.values
    assert np.isfinite(pain).all()
    with pytest.raises(InputError, match="eta"):
        ldnsim.simulate("naltrexone 4.5 mg nightly", days=3,
                        patients=pd.DataFrame({"eta:naltrexone/bogus.F": [0.1]}))
