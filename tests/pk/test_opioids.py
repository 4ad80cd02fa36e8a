"""Opioid drug files against their cited sources: half-life and label-dose Cmax within ±25%, CYP2D6 direction.

Each row names the source the reference number was read from (the same citation is in the drug file).
Rows without a sourced Cmax are listed and skipped, and sourced numbers the model cannot reproduce are
strict expected failures (KNOWN_GAPS), so each gap shows in the test report.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ldnsim import pk
from ldnsim.pk import Covariates, simulate_pk
from ldnsim.regimen import DoseEvent, Regimen

TOL = 0.25
NO_CMAX = "no label-dose Cmax could be read in the stored sources (see the drug file's notes)"

# drug, formulation, dose_mg (labelled), duration_h, analyte, quantity, reference value, source
ROWS = [
    ("morphine", "iv", 10, 0, "morphine", "t_half", 2.9, "Stanski 1978 (IV), pkpd_parameters.yaml"),
    (
        "morphine",
        "ir",
        30,
        0,
        "morphine",
        "cmax",
        51.4,
        "Collins 1998 systematic review: IR peak ~6 nmol/L per mg dose -> 180 nM = 51.4 ng/mL at 30 mg",
    ),
    ("codeine", "ir", 60, 0, "codeine", "t_half", 3.3, "Swiss Fachinformation codeine (Findlay 2.4-2.9 h)"),
    (
        "codeine",
        "ir",
        60,
        0,
        "codeine",
        "cmax",
        148.0,
        "Findlay: 60 mg codeine phosphate, Cmax 159/138 ng/mL",
    ),
    ("oxycodone", "ir", 15, 0, "oxycodone", "t_half", 3.7, "US oxycodone label Table 2"),
    ("oxycodone", "ir", 15, 0, "oxycodone", "cmax", 22.6, "US oxycodone label Table 2 (15 mg)"),
    ("hydrocodone", "ir", 10, 0, "hydrocodone", "t_half", 3.8, "label via Wikipedia infobox"),
    ("hydrocodone", "ir", 10, 0, "hydrocodone", "cmax", None, NO_CMAX),
    (
        "hydromorphone",
        "ir",
        4,
        0,
        "hydromorphone",
        "t_half",
        2.5,
        "BMC Clin Pharmacol 2007;7:3 (IR t1/2 2-3 h)",
    ),
    ("hydromorphone", "iv", 2, 0, "hydromorphone", "t_half", 1.87, "Westerling 1996 (2 mg IV, HPLC)"),
    (
        "hydromorphone",
        "ir",
        8,
        0,
        "hydromorphone",
        "cmax",
        5.5,
        "US hydromorphone HCl tablets label: 8 mg tablet Cmax 5.5 ng/mL (CV 33%)",
    ),
    ("fentanyl", "iv", 0.1, 0, "fentanyl", "t_half", 3.65, "McClain & Hug 1980 (t1/2 beta 219 min)"),
    (
        "fentanyl",
        "patch",
        2.4,
        24,
        "fentanyl",
        "t_half",
        17.0,
        "Varvel 1989: t1/2 after removal of a 24-h patch",
    ),
    ("tramadol", "ir", 100, 0, "tramadol", "t_half", 6.0, "tramadol SmPC (MIMS)"),
    ("tramadol", "ir", 100, 0, "tramadol", "cmax", 294.0, "tramadol SmPC (MIMS): 280-308 ng/mL after 100 mg"),
    ("tramadol", "ir", 100, 0, "o-desmethyltramadol", "t_half", 7.0, "tramadol SmPC (MIMS): M1 t1/2 ~7 h"),
    ("tapentadol", "ir", 100, 0, "tapentadol", "t_half", 4.0, "Gohler 2013 (IV t1/2 ~4 h)"),
    ("tapentadol", "ir", 100, 0, "tapentadol", "cmax", None, NO_CMAX),
    ("meperidine", "ir", 100, 0, "meperidine", "t_half", 4.0, "Edwards 1982 / Swiss FI pethidine (3-8 h)"),
    (
        "meperidine",
        "ir",
        100,
        0,
        "meperidine",
        "cmax",
        170.0,
        "Swiss FI pethidine: 100 mg HCl oral -> 170 ng/mL",
    ),
    (
        "meperidine",
        "ir",
        112,
        0,
        "normeperidine",
        "cmax",
        102.0,
        "Swiss FI pethidine: 1.6 mg/kg oral -> 102 ng/mL",
    ),
    ("meperidine", "ir", 100, 0, "normeperidine", "t_half", 10.0, "Swiss FI pethidine: norpethidine 8-12 h"),
    ("methadone", "ir", 10, 0, "methadone", "t_half", 25.0, "Swiss FI methadone (13-47 h)"),
    (
        "methadone",
        "ir",
        5,
        0,
        "methadone",
        "cmax",
        8.8,
        "Swiss FI L-Polamidon: 5 mg levomethadone, healthy adults, mean peak 8.8 ng/mL",
    ),
    (
        "buprenorphine",
        "sl",
        16,
        0,
        "buprenorphine",
        "t_half",
        26.0,
        "Harris 2003 SL Subutex (naltrexone block)",
    ),
    (
        "buprenorphine",
        "sl",
        16,
        0,
        "buprenorphine",
        "cmax",
        6.4,
        "Harris 2003: Cmax 1.6-6.4 ng/mL over 2-16 mg",
    ),
]


# Sourced numbers the model cannot honestly reproduce (also `known_gap:` in the drug file): expected failures.
KNOWN_GAPS = {
    ("morphine", "morphine", "cmax"): (
        "morphine (V 224 L, F 0.30 anchored to the naltrexone-blocked oral AUC) peaks at 24.6 ng/mL "
        "after 30 mg vs 51.4 ng/mL (Collins 1998 pooled, -52%); a sourced 2-compartment disposition "
        "(Wang 2013) with the sourced Tmax 0.75 h gives 25-30 ng/mL, so the pooled reference, not the "
        "compartments, is the mismatch (see morphine.yaml known_gap)"
    ),
    ("methadone", "methadone", "cmax"): (
        "racemic model (V 4 L/kg, F 0.86) peaks at 12.7 ng/mL after 5 mg vs 8.8 ng/mL for 5 mg levomethadone "
        "alone (+44%); an indirect reference (one enantiomer, assumed to share the racemate's kinetics)"
    ),
}


def _params():
    out = []
    for row in ROWS:
        drug, form, dose, dur, analyte, what, ref, source = row
        marks = [pytest.mark.skip(reason=f"{drug}: {source}")] if ref is None else []
        gap = KNOWN_GAPS.get((drug, analyte, what))
        if gap and ref is not None:
            marks = [pytest.mark.xfail(strict=True, reason=gap)]
        out.append(pytest.param(*row, id=f"{drug}-{analyte}-{what}-{dose}mg-{form}", marks=marks))
    return out


def _profile(drug, form, dose, dur, analyte, covariates=None, hours=None):
    spec = pk.load_drug(drug)
    slowest = max(math.log(2) / (a.CL.value / a.V.value) for a in spec.analytes.values())
    horizon = hours or max(48.0, dur + 14.0 * max(slowest, 17.0 if form == "patch" else 0.0))
    t = np.arange(0.0, horizon, 0.02)
    ds = simulate_pk([DoseEvent(0.0, drug, float(dose), form, float(dur))], t, covariates=covariates)
    return t, ds.plasma_ng_ml.sel(analyte=analyte).values[0]


def _terminal_half_life(t, c, after_h=0.0):
    """Log-linear slope where the concentration has fallen from 30% to 5% of its peak (after the peak)."""
    i = int(np.argmax(c))
    m = (t > max(t[i], after_h)) & (c < 0.30 * c[i]) & (c > 0.05 * c[i])
    assert m.sum() > 10, "the tail was not reached; lengthen the time grid"
    slope = np.polyfit(t[m], np.log(c[m]), 1)[0]
    return math.log(2) / -slope


@pytest.mark.parametrize("drug,form,dose,dur,analyte,what,ref,source", _params())
def test_against_source(drug, form, dose, dur, analyte, what, ref, source):
    t, c = _profile(drug, form, dose, dur, analyte)
    assert np.all(np.isfinite(c)) and c.max() > 0
    measured = float(c.max()) if what == "cmax" else _terminal_half_life(t, c, after_h=dur)
    rel = measured / ref - 1.0
    assert abs(rel) <= TOL, (
        f"{drug} {analyte} {what}: model {measured:.4g} vs {ref:g} ({rel:+.0%}) [{source}]"
    )


def _fentanyl_steady_state():
    reg = Regimen.parse("fentanyl 100 mcg/h patch q72h for 15 days")
    t = np.arange(0.0, 15 * 24.0, 0.05)
    c = simulate_pk(reg.events(), t).plasma_ng_ml.sel(analyte="fentanyl").values[0]
    fifth = (t >= 288.0) & (t < 360.0)
    return t[fifth], c[fifth]


def test_fentanyl_patch_steady_state_exposure():
    """Portenoy 1993 (100 ug/h, fifth 72-h application): AUC0-72 116.9 ng*h/mL -> mean 1.62 ng/mL."""
    t, c = _fentanyl_steady_state()
    mean = float(np.trapezoid(c, t) / (t[-1] - t[0]))
    assert mean == pytest.approx(116.9 / 72.0, rel=TOL)


@pytest.mark.xfail(
    strict=True,
    reason="constant-rate patch + one skin depot gives a flat steady state: "
    "model Cmax 1.8 vs Portenoy 2.6 ng/mL (-31%); real patches deliver more on day 1-2",
)
def test_fentanyl_patch_steady_state_cmax():
    """Portenoy 1993: fifth-application Cmax 2.6 (SD 1.3) ng/mL."""
    _, c = _fentanyl_steady_state()
    assert float(c.max()) == pytest.approx(2.6, rel=TOL)


def _auc(drug, dose, analyte, phenotype):
    t, c = _profile(drug, "ir", dose, 0, analyte, covariates=Covariates(cyp2d6=phenotype), hours=120.0)
    return float(np.trapezoid(c, t))


@pytest.mark.parametrize(
    "drug,dose,metabolite", [("codeine", 30, "morphine"), ("tramadol", 100, "o-desmethyltramadol")]
)
def test_cyp2d6_direction(drug, dose, metabolite):
    """Poor metabolisers form less active metabolite, ultrarapid more: PM < IM < EM < UM."""
    aucs = [_auc(drug, dose, metabolite, ph) for ph in ("pm", "im", "em", "um")]
    assert aucs == sorted(aucs) and len(set(aucs)) == 4, aucs
    assert aucs[0] < 0.2 * aucs[2], "a poor metaboliser forms only a small fraction of the EM amount"
    # and the parent goes the other way: PM clear the parent more slowly
    parent = [_auc(drug, dose, drug, ph) for ph in ("pm", "em", "um")]
    assert parent[0] > parent[1] > parent[2]


@pytest.mark.parametrize("phenotype,ref", [("em", 11.0), ("um", 16.0)])
def test_codeine_morphine_auc_kirchheiner(phenotype, ref):
    """Kirchheiner 2007 (30 mg codeine, LC-MS/MS): morphine AUC median 11 (EM) and 16 (UM) ng*h/mL."""
    assert _auc("codeine", 30, "morphine", phenotype) == pytest.approx(ref, rel=0.3)


def test_codeine_morphine_is_a_few_percent_of_codeine():
    """Quiding (GC-MS): morphine only 2-3% of codeine concentrations after 60 mg."""
    t, cod = _profile("codeine", "ir", 60, 0, "codeine")
    _, mor = _profile("codeine", "ir", 60, 0, "morphine")
    assert 0.005 < mor.max() / cod.max() < 0.05


def test_tramadol_m1_about_a_quarter_of_parent():
    """Tramadol SmPC: M1 plasma concentrations ~25% of tramadol's."""
    t, par = _profile("tramadol", "ir", 100, 0, "tramadol", hours=120.0)
    _, m1 = _profile("tramadol", "ir", 100, 0, "o-desmethyltramadol", hours=120.0)
    assert np.trapezoid(m1, t) / np.trapezoid(par, t) == pytest.approx(0.25, rel=TOL)


def test_every_opioid_has_mu_binding_and_tlr4_role_where_expected():
    agonists = [
        "morphine",
        "codeine",
        "oxycodone",
        "hydrocodone",
        "hydromorphone",
        "fentanyl",
        "tramadol",
        "tapentadol",
        "meperidine",
        "methadone",
        "buprenorphine",
    ]
    for drug in agonists:
        spec = pk.load_drug(drug)
        parent = spec.analytes[spec.parent_analyte]
        assert parent.receptors.mu is not None and parent.receptors.mu.role in (
            "agonist",
            "partial_agonist",
        ), drug
    bup = pk.load_drug("buprenorphine").analytes["buprenorphine"].receptors.mu
    mor = pk.load_drug("morphine").analytes["morphine"].receptors.mu
    assert bup.role == "partial_agonist" and bup.efficacy_value < 1.0 and bup.ki.value < mor.ki.value
    assert pk.load_drug("morphine").analytes["morphine"].receptors.tlr4.role == "activator"


@pytest.mark.parametrize(
    "drug,dose,analyte,ref,source",
    [
        ("morphine", 100, "morphine", 395.1, "Morphine ARER 100 mg ER (naltrexone-blocked): AUC0-inf"),
        (
            "morphine",
            60,
            "morphine",
            265.0,
            "Bashaw 1995: 60 mg CR morphine sulfate with naltrexone: AUC0-24",
        ),
        ("hydrocodone", 90, "hydrocodone", 1064.0, "J Pain 2013 abstract: 90 mg ER hydrocodone: AUC0-t"),
    ],
)
def test_oral_exposure_against_extended_release_studies(drug, dose, analyte, ref, source):
    """Where only ER/CR studies give exposure, compare AUC (a linear model's AUC ignores the release rate)."""
    t, c = _profile(drug, "ir", dose, 0, analyte, hours=72.0)
    auc = float(np.trapezoid(c, t))
    assert auc == pytest.approx(ref, rel=TOL), f"{drug}: AUC {auc:.4g} vs {ref:g} [{source}]"
