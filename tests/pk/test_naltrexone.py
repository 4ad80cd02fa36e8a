"""Naltrexone PK against its label and the papers its drug file cites."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.pk import Covariates, simulate_pk, single_dose_metrics
from ldnsim.regimen import DoseEvent

SWISS = "Swiss Fachinformation naltrexone (generika.cc 56109)"

# (analyte, quantity, target, lo, hi, source)
LABEL_50MG = [
    ("naltrexone", "cmax_ng_ml", 13.3, 13.3 * 0.85, 13.3 * 1.15, SWISS),
    ("naltrexone", "tmax_h", 1.0, 0.5, 1.5, SWISS),
    ("naltrexone", "t_half_h", 4.0, 3.0, 5.0, SWISS + "; Meyer 1984"),
    ("6beta-naltrexol", "cmax_ng_ml", 108.0, 108 * 0.8, 108 * 1.2, SWISS),
    ("6beta-naltrexol", "t_half_h", 13.0, 11.0, 15.0, SWISS),
]


@pytest.fixture(scope="module")
def m50():
    return single_dose_metrics("naltrexone", 50.0, "ir")


@pytest.mark.parametrize("analyte, key, target, lo, hi, source", LABEL_50MG,
                         ids=[f"{a}-{k}-{s.split()[0]}" for a, k, _, _, _, s in LABEL_50MG])
def test_50mg_ir_label(m50, analyte, key, target, lo, hi, source):
    assert lo <= m50[analyte][key] <= hi, source


@pytest.mark.parametrize("dose", [1.0, 1.5, 3.0, 4.5, 12.5, 50.0, 100.0, 200.0])
def test_auc_proportional_to_dose(dose):
    """Meyer 1984: linear 50-200 mg; extrapolated (assumed) down to LDN doses."""
    ref = single_dose_metrics("naltrexone", 50.0)
    m = single_dose_metrics("naltrexone", dose)
    for a in ("naltrexone", "6beta-naltrexol"):
        assert m[a]["auc_ng_h_ml"] / dose == pytest.approx(ref[a]["auc_ng_h_ml"] / 50.0, rel=1e-6)


def test_severe_hepatic_raises_parent_auc_5_to_10_fold_metabolite_unchanged():
    """Bertolotti 1997: cirrhosis parent AUC x8 (1610 vs 200), 6beta-naltrexol AUC and t1/2 unchanged."""
    base = single_dose_metrics("naltrexone", 100.0)
    cir = single_dose_metrics("naltrexone", 100.0, covariates=Covariates(hepatic="severe"))
    fold = cir["naltrexone"]["auc_ng_h_ml"] / base["naltrexone"]["auc_ng_h_ml"]
    assert 5.0 <= fold <= 10.0
    met = "6beta-naltrexol"
    assert cir[met]["auc_ng_h_ml"] == pytest.approx(base[met]["auc_ng_h_ml"], rel=0.1)
    assert cir["naltrexone"]["t_half_h"] == pytest.approx(base["naltrexone"]["t_half_h"], rel=0.05)


def test_hepatic_levels_are_ordered():
    levels = ("none", "mild", "moderate", "severe")
    aucs = [single_dose_metrics("naltrexone", 50, covariates=Covariates(hepatic=h))["naltrexone"]
            ["auc_ng_h_ml"] for h in levels]
    assert aucs == sorted(aucs)


def test_renal_impairment_scales_metabolite_clearance_only():
    """ASSUMED (no study found): 6beta-naltrexol CL scales with eGFR (renal secretion); parent unchanged."""
    base = single_dose_metrics("naltrexone", 50)
    ren = single_dose_metrics("naltrexone", 50, covariates=Covariates(egfr_ml_min=30))
    assert ren["6beta-naltrexol"]["auc_ng_h_ml"] > 1.8 * base["6beta-naltrexol"]["auc_ng_h_ml"]
    assert ren["6beta-naltrexol"]["t_half_h"] > base["6beta-naltrexol"]["t_half_h"]
    assert ren["naltrexone"]["auc_ng_h_ml"] == pytest.approx(base["naltrexone"]["auc_ng_h_ml"], rel=1e-5)


def test_liquid_absorbed_faster_than_tablet_same_extent():
    """Meyer 1984: tablet absorbed more slowly than syrup, to the same extent."""
    tab = single_dose_metrics("naltrexone", 4.5, "ir")["naltrexone"]
    liq = single_dose_metrics("naltrexone", 4.5, "liquid")["naltrexone"]
    assert liq["tmax_h"] < tab["tmax_h"]
    assert liq["cmax_ng_ml"] > tab["cmax_ng_ml"]
    assert liq["auc_ng_h_ml"] == pytest.approx(tab["auc_ng_h_ml"], rel=1e-4)


def test_slow_release_blunts_the_peak_and_spreads_exposure():
    """SR (ASSUMED 10 h zero-order release): lower, later peak; same AUC; longer exposure."""
    ir = single_dose_metrics("naltrexone", 4.5, "ir")["naltrexone"]
    sr = single_dose_metrics("naltrexone", 4.5, "sr")["naltrexone"]
    assert sr["cmax_ng_ml"] < 0.7 * ir["cmax_ng_ml"]
    assert sr["tmax_h"] > 5 * ir["tmax_h"]
    assert sr["auc_ng_h_ml"] == pytest.approx(ir["auc_ng_h_ml"], rel=1e-4)


def test_weight_scales_exposure():
    light = single_dose_metrics("naltrexone", 50, covariates=Covariates(weight_kg=50))["naltrexone"]
    heavy = single_dose_metrics("naltrexone", 50, covariates=Covariates(weight_kg=110))["naltrexone"]
    assert light["cmax_ng_ml"] > heavy["cmax_ng_ml"]


def test_ldn_peaks_are_linear_extrapolation_of_label():
    """Dossier derived_for_model: 4.5 mg -> ~1.2 ng/mL parent, ~9.7 ng/mL 6beta-naltrexol (assumed linear)."""
    m = single_dose_metrics("naltrexone", 4.5)
    assert m["naltrexone"]["cmax_ng_ml"] == pytest.approx(1.2, rel=0.15)
    assert m["6beta-naltrexol"]["cmax_ng_ml"] == pytest.approx(9.7, rel=0.2)


def test_nightly_ldn_reaches_steady_state_without_nan():
    ev = [DoseEvent(24.0 * d + 22, "naltrexone", 4.5) for d in range(30)]
    ds = simulate_pk(ev, np.arange(0, 24 * 30, 0.5))
    c = ds.plasma_ng_ml.sel(analyte="6beta-naltrexol").values[0]
    assert np.all(np.isfinite(c))
    day = 48
    assert c[-day:].max() == pytest.approx(c[-2 * day : -day].max(), rel=1e-3)


def test_bertolotti_auc0_24_at_100mg():
    """Bertolotti 1997 controls, 100 mg: AUC0-24 naltrexone 200 +/- 97, 6beta-naltrexol 2467 ng*h/mL."""
    t = np.arange(0, 24.0001, 0.01)
    ds = simulate_pk([DoseEvent(0, "naltrexone", 100)], t)
    names = ("naltrexone", "6beta-naltrexol")
    auc = {a: np.trapezoid(ds.plasma_ng_ml.sel(analyte=a).values[0], t) for a in names}
    assert auc["naltrexone"] == pytest.approx(200, rel=0.3)
    assert auc["6beta-naltrexol"] == pytest.approx(2467, rel=0.1)
    assert auc["6beta-naltrexol"] / auc["naltrexone"] == pytest.approx(12.3, rel=0.25)
