"""simulate_immune: the contract the condition models build on (dims, variables, units, untreated state,
invariants) and bad input (InputError naming the field and the accepted values)."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.errors import InputError
from ldnsim.immune import OUTPUT_NAMES, STATE_NAMES, condition_names, simulate_immune

LDN = "naltrexone 4.5 mg nightly"
CONTRACT = ("ogfr_occupancy", "ogf", "ogfr_density", "lymphocyte_proliferation", "mucosal_inflammation",
            "cns_inflammation", "cytokines")


@pytest.fixture(scope="module")
def ldn_crohns():
    return simulate_immune(LDN, 28, "crohns", n_patients=3, seed=11)


def test_dataset_contract(ldn_crohns):
    ds = ldn_crohns
    for k in CONTRACT:
        assert ds[k].dims == ("patient", "time"), k
        assert ds[k].shape == (3, 28)
    np.testing.assert_array_equal(ds["time"].values, np.arange(28) * 24.0 + 12.0)
    np.testing.assert_array_equal(ds["day"].values, np.arange(28))
    assert float(ds.sel(day=3)["time"]) == 84.0  # the day index works like simulate()'s
    assert ds.attrs["condition"] == "crohns" and ds.attrs["engine"] == "numpy"
    assert ds.attrs["disclaimer"] == "For research and education only; not medical advice."
    assert list(ds["state"].values) == list(STATE_NAMES)
    assert set(OUTPUT_NAMES) <= set(ds.data_vars)


def test_invariants(ldn_crohns):
    ds = ldn_crohns
    occ = ds["ogfr_occupancy"].values
    assert np.all((occ >= 0) & (occ <= 1)) and occ.max() > 0.1
    for k in CONTRACT:
        assert np.all(np.isfinite(ds[k].values)) and np.all(ds[k].values >= 0), k
    assert np.all(ds["cns_inflammation"].values == 0.0)  # Crohn's spares the CNS compartment
    h = ds["ogfr_blockade_hours"].values
    assert np.all((h >= 0) & (h <= 24))


@pytest.mark.parametrize("condition", ["crohns", "ms"])
def test_untreated_steady_state_is_flat(condition):
    """No drug: every level stays at its untreated value (1; the spared tissue 0), to rounding."""
    ds = simulate_immune(None, 60, condition)
    tissue = {"crohns": "mucosal_inflammation", "ms": "cns_inflammation"}[condition]
    spared = {"crohns": "cns_inflammation", "ms": "mucosal_inflammation"}[condition]
    for k in ("ogf", "ogfr_density", "lymphocyte_proliferation", "cytokines", "ogfr_signal", tissue):
        np.testing.assert_allclose(ds[k].values, 1.0, rtol=0, atol=1e-12, err_msg=k)
    assert np.all(ds[spared].values == 0.0)
    assert np.all(ds["ogfr_occupancy"].values == 0.0)


@pytest.mark.parametrize("name", ["Crohns", "crohn's disease", "Multiple Sclerosis", "MS"])
def test_condition_aliases(name):
    assert simulate_immune(None, 1, name).attrs["condition"] in condition_names()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(condition="fibromyalgia"), "condition"),  # a pain condition is not run on the immune module
        (dict(condition="ulcerative colitis"), "condition"),
        (dict(condition=None), "condition"),
        (dict(days=0), "days"),
        (dict(days=float("nan")), "days"),
        (dict(days="many"), "days"),
        (dict(days=10**6), "days"),
        (dict(n_patients=0), "n_patients"),
        (dict(n_patients=2.5), "n_patients"),
        (dict(n_patients=True), "n_patients"),
        (dict(engine="cuda"), "engine"),
        (dict(seed=-1), "seed"),
        (dict(params={"k_gut": -1.0}), "k_gut"),
        (dict(params={"k_gut": float("inf")}), "k_gut"),
        (dict(params={"ogfr_ki_naltrexone_nM": 0.0}), "ogfr_ki_naltrexone_nM"),
        (dict(params={"w_tissue": 2.0}), "w_tissue"),
        (dict(params={"no_such": 1.0}), "parameter"),
        (dict(params={"k_gut": [0.1, 0.2]}), "k_gut"),  # one value per patient (1)
        (dict(params=[1, 2]), "params"),
        (dict(regimen="naltrexone minus 3 mg"), None),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    args = dict(regimen=LDN, days=7, condition="crohns")
    args.update(kwargs)
    regimen, days, condition = args.pop("regimen"), args.pop("days"), args.pop("condition")
    with pytest.raises(InputError) as exc:
        simulate_immune(regimen, days, condition, **args)
    if field is not None:
        assert exc.value.field == field
    if field == "condition":
        assert "crohns" in str(exc.value) and "ms" in str(exc.value)


def test_per_patient_parameters_and_seeded_population():
    ds = simulate_immune(LDN, 21, "ms", n_patients=3, params={"n_cns": [1.0, 4.0, 12.0]})
    last = ds["cns_inflammation"].values[:, -1]
    assert last[0] > last[1] > last[2]  # a more sensitive tissue responds more to the same proliferation
    a = simulate_immune(LDN, 14, "ms", n_patients=4, seed=5)
    b = simulate_immune(LDN, 14, "ms", n_patients=4, seed=5)
    c = simulate_immune(LDN, 14, "ms", n_patients=4, seed=6)
    np.testing.assert_array_equal(a["cns_inflammation"].values, b["cns_inflammation"].values)
    assert not np.array_equal(a["cns_inflammation"].values, c["cns_inflammation"].values)
    assert np.ptp(a["ogfr_occupancy"].values[:, -1]) > 0  # PK random effects: patients differ
