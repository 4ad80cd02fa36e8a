"""Receptor layer: naltrexone μ occupancy against human PET, competition, TLR4, NMDA, NOX2."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.errors import InputError, UnknownNameError
from ldnsim.pk import Covariates, simulate_pk
from ldnsim.receptors import (
    OCCUPANCY_KEYS,
    ligand_table,
    mu_occupancy_by_naltrexone,
    occupancy,
    occupancy_from_pk,
)
from ldnsim.regimen import DoseEvent

RABINER = "Rabiner 2011 PET via Trostheim 2022 Table 1 (scans < 8 h)"
# (oral dose mg, lo, hi, source) for the peak occupancy within 8 h; each target +/- 15 points
PET_PEAK = [
    (2.0, 0.27 - 0.15, 0.27 + 0.15, RABINER + ": 27%"),
    (5.0, 0.43 - 0.15, 0.58 + 0.15, RABINER + ": 43/46/58%"),
    (15.0, 0.61 - 0.15, 0.61 + 0.15, RABINER + ": 61%"),
    (50.0, 0.90 - 0.15, 1.0, RABINER + ": 92/98% (>= 90%)"),
]
# (dose, time h, lo, hi, source)
PET_LATE = [
    # Lee 1988: blockade half-time 72-108 h from ~0.95 at 1 h -> 0.61-0.70 at 48 h, +/- 15 points (the
    # label's '70-80% at 48 h' is the trough on 50 mg every other day: tests/pk/test_occupancy_refit.py)
    (50.0, 48.0, 0.61 - 0.15, 0.70 + 0.15, "Lee 1988 blockade half-time 72-108 h"),
    (12.5, 3.0, 0.5, 1.0, "CPT 2005;77:P26: 12.5 mg significant blockade at 3 h"),
    (12.5, 24.0, 0.2, 1.0, "CPT 2005;77:P26: 12.5 mg significant blockade at 24 h (>= 0.20, occupancy.yaml)"),
    (12.5, 72.0, 0.0, 0.25, "CPT 2005;77:P26: 12.5 mg not significant at 72 h"),
]


@pytest.mark.parametrize("dose, lo, hi, source", PET_PEAK, ids=[f"{d:g}mg-peak" for d, *_ in PET_PEAK])
def test_peak_mu_occupancy_matches_pet(dose, lo, hi, source):
    occ = mu_occupancy_by_naltrexone(dose, np.linspace(0, 8, 161))[0]
    assert lo <= occ.max() <= hi, f"{occ.max():.3f} not in [{lo:.2f}, {hi:.2f}] ({source})"


@pytest.mark.parametrize("dose, t, lo, hi, source", PET_LATE,
                         ids=[f"{d:g}mg-{t:g}h" for d, t, *_ in PET_LATE])
def test_mu_occupancy_time_course_matches_pet(dose, t, lo, hi, source):
    occ = mu_occupancy_by_naltrexone(dose, [t])[0, 0]
    assert lo <= occ <= hi, f"{occ:.3f} not in [{lo:.2f}, {hi:.2f}] ({source})"


def test_ldn_peak_near_dossier_fit_and_falls_within_a_day():
    """pkpd_parameters.yaml occupancy_ED50_oral_dose: ~45% peak at 4.5 mg (derived from Rabiner)."""
    occ = mu_occupancy_by_naltrexone(4.5, np.arange(0, 73, 0.5))[0]
    assert occ.max() == pytest.approx(0.45, abs=0.1)
    assert occ[-1] < 0.15


def test_occupancy_outputs_all_keys_and_fractions():
    occ = occupancy({"naltrexone": np.array([0.0, 1.0, 1000.0]), "morphine": np.array([5.0, 5.0, 5.0])})
    for k in OCCUPANCY_KEYS:
        assert k in occ
        assert np.all((occ[k] >= 0) & (occ[k] <= 1))


def test_competitive_binding_at_mu():
    """Antagonist, agonist and endogenous tone share one site: fractions add up to < 1 and compete."""
    nal = ligand_table()["naltrexone"].mu_ki_nM
    alone = occupancy({"naltrexone": nal}, endogenous=0.0)
    assert alone["mu_antagonist"] == pytest.approx(0.5)
    both = occupancy({"naltrexone": nal, "morphine": 100.0})
    total = both["mu_antagonist"] + both["mu_agonist_occupancy"] + both["mu_endogenous"]
    assert total < 1
    assert both["mu_antagonist"] < alone["mu_antagonist"]
    more_endo = occupancy({"naltrexone": nal}, endogenous=5.0)
    assert more_endo["mu_antagonist"] < occupancy({"naltrexone": nal})["mu_antagonist"]
    blocked = occupancy({"morphine": 10.0, "naltrexone": 1000.0})
    assert blocked["mu_agonist"] < 0.05 * occupancy({"morphine": 10.0})["mu_agonist"]


def test_partial_agonist_efficacy_weighting():
    table = ligand_table()
    partial = [a for a, L in table.items() if L.mu_role == "partial_agonist"]
    assert partial, "buprenorphine's drug file declares a partial agonist"
    a = partial[0]
    occ = occupancy({a: 1000 * table[a].mu_ki_nM})
    assert occ["mu_agonist"] < occ["mu_agonist_occupancy"]


def test_tlr4_ic50_is_a_parameter_and_isomers_are_equipotent():
    from ldnsim.data.parameter_set import load_parameter_set

    ic50 = load_parameter_set().system["tlr4_ic50_nM"]  # the one parameter set's value
    c = {"naltrexone": np.array([ic50])}
    base = occupancy(c)["tlr4_inhibition"]
    assert base[0] == pytest.approx(0.5)  # half-maximal at the IC50
    assert occupancy(c, params={"tlr4_ic50_nM": ic50 / 100})["tlr4_inhibition"][0] > 0.98
    plus = occupancy({"plus_naltrexone": np.array([ic50])})
    assert plus["tlr4_inhibition"][0] == pytest.approx(base[0])
    assert plus["mu_antagonist"][0] == 0.0  # (+)-naltrexone: TLR4 only, no mu
    nlx = occupancy({"naloxone": np.array([ic50])})
    assert nlx["tlr4_inhibition"][0] == pytest.approx(base[0])
    assert occupancy({"naloxone": np.array([1000.0])})["mu_antagonist"][0] > 0.99


def test_opioid_agonists_activate_tlr4_when_files_say_so():
    activators = [a for a, L in ligand_table().items() if L.tlr4_role == "activator"]
    assert activators, "morphine's drug file declares TLR4 activation"
    a = activators[0]
    occ = occupancy({a: np.array([1e5])})
    assert occ["tlr4_agonism"][0] > 0.5
    with_ntx = occupancy({a: np.array([1e5]), "naltrexone": np.array([1e6])})
    assert with_ntx["tlr4_agonism"][0] < occ["tlr4_agonism"][0]


def test_nmda_block_and_nox2_cap_from_dextromethorphan():
    occ = occupancy({"dextromethorphan": np.array([550.0, 1e7])})
    assert occ["nmda_block"][0] == pytest.approx(0.5)
    assert occ["nox2_inhibition"][1] <= 0.5 + 1e-12
    assert occupancy({"dextrorphan": np.array([1e4])})["nmda_block"][0] > 0.9


def test_dextromethorphan_pm_vs_em_dextrorphan_exposure():
    """CYP2D6: PMs have high DXM and little dextrorphan; EMs the reverse (Schadel-type study)."""
    t = np.arange(0, 48, 0.25)
    ds = simulate_pk([DoseEvent(0, "dextromethorphan", 30)], t, Covariates(cyp2d6=["pm", "im", "em", "um"]))
    dxo = ds.plasma_ng_ml.sel(analyte="dextrorphan").values
    dxm = ds.plasma_ng_ml.sel(analyte="dextromethorphan").values
    auc_dxo = np.trapezoid(dxo, t, axis=1)
    auc_dxm = np.trapezoid(dxm, t, axis=1)
    assert auc_dxo[2] > 5 * auc_dxo[0]
    assert auc_dxm[0] > 10 * auc_dxm[2]
    assert auc_dxm[0] > auc_dxm[1] > auc_dxm[2]


def test_occupancy_from_pk_dataset():
    evs = [DoseEvent(0, "naltrexone", 4.5), DoseEvent(0, "dextromethorphan", 30)]
    ds = simulate_pk(evs, np.arange(0, 24, 1.0))
    occ = occupancy_from_pk(ds)
    assert occ["mu_antagonist"].dims == ("patient", "time")
    assert float(occ["nmda_block"].max()) > 0
    assert float(occ["tlr4_inhibition"].max()) > 0


@pytest.mark.parametrize(
    "conc, kwargs, exc",
    [
        ({"naltrexone": [-1.0]}, {}, InputError),
        ({"naltrexone": [np.nan]}, {}, InputError),
        ({"naltrexon": [1.0]}, {}, UnknownNameError),
        ({"naltrexone": [1.0]}, {"params": {"tlr4_ic50_nM": -5}}, InputError),
        ({"naltrexone": [1.0]}, {"params": {"tlr4_ic50": 5}}, UnknownNameError),
        ({"naltrexone": [1.0]}, {"endogenous": -1}, InputError),
    ],
)
def test_bad_inputs(conc, kwargs, exc):
    with pytest.raises(exc):
        occupancy(conc, **kwargs)
