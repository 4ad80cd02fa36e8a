"""Every shipped drug file: schema, provenance, mass balance, and its own reference checks."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.data import iter_parameters, load_yaml
from ldnsim.errors import DataFileError
from ldnsim.pk import (
    Covariates,
    drug_file,
    known_drugs,
    load_drug,
    parse_drug,
    simulate_pk,
    single_dose_metrics,
)
from ldnsim.regimen import DoseEvent

DRUGS = known_drugs()
FORMS = [(d, f) for d in DRUGS for f in load_drug(d).formulations]
CHECKS = [(d, i) for d in DRUGS for i in range(len(load_drug(d).checks))]


def _check_id(case):
    d, i = case
    c = load_drug(d).checks[i]
    cov = ",".join(f"{k}={v}" for k, v in c.covariates.items())
    return f"{d}:{c.analyte}:{c.what}@{c.dose_mg:g}mg-{c.formulation}" + (f"[{cov}]" if cov else "")


def test_the_core_compounds_exist():
    for d in ("naltrexone", "naloxone", "plus_naltrexone", "dextromethorphan"):
        assert d in DRUGS


@pytest.mark.parametrize("drug", DRUGS)
def test_file_validates_and_every_number_has_provenance(drug):
    spec = load_drug(drug)
    assert spec.id == drug
    doc = load_yaml(drug_file(drug))
    for path, entry in iter_parameters(doc):
        assert entry.get("source") or entry.get("derived") or entry.get("assumed"), path


@pytest.mark.parametrize("drug, form", FORMS, ids=[f"{d}-{f}" for d, f in FORMS])
def test_mass_balance(drug, form):
    """dosed = eliminated + remaining (relative error <= 1e-9), during and after repeated dosing."""
    spec = load_drug(drug)
    f = spec.formulations[form]
    dur = 0.0 if f.release_h is not None or f.route != "transdermal" else 72.0
    evs = [DoseEvent(t, drug, 1.0, form, dur) for t in (0.0, 11.5, 36.0)]
    t = np.r_[np.linspace(0, 48, 97), 500.0]
    ds = simulate_pk(evs, t, Covariates(weight_kg=[55, 95], hepatic=["none", "severe"], cyp2d6=["pm", "um"]),
                     amounts=True)
    total = ds.amount_mg.sum("compartment").values
    dosed = ds.dosed_mg.sum("drug").values
    err = np.abs(total - dosed[None, :]).max() / dosed.max()
    assert err <= 1e-9
    assert np.all(ds.amount_mg.values >= 0)


def _check_params():
    out = []
    for case in CHECKS:
        gap = load_drug(case[0]).checks[case[1]].known_gap
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        out.append(pytest.param(case, id=_check_id(case), marks=marks))
    return out


@pytest.mark.parametrize("case", _check_params())
def test_reference_check(case):
    """Each drug file's `checks:` (label/paper numbers with sources) against the model."""
    drug, i = case
    c = load_drug(drug).checks[i]
    cov = Covariates(**c.covariates) if c.covariates else None
    m = single_dose_metrics(drug, c.dose_mg, c.formulation, cov, duration_h=c.duration_h)[c.analyte]
    key = {"cmax": "cmax_ng_ml", "tmax": "tmax_h", "t_half": "t_half_h", "auc": "auc_ng_h_ml"}[c.what]
    lo, hi = c.bounds
    src = c.value.source[0].cite if c.value.source else c.value.derived
    assert lo <= m[key] <= hi, f"{m[key]:.4g} outside [{lo:.4g}, {hi:.4g}] ({src})"


def _base_doc():
    return load_yaml(drug_file("naltrexone"))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["analytes"]["naltrexone"]["V"].update(unit="mL"), "analytes.naltrexone.V.unit"),
        (lambda d: [d["analytes"]["naltrexone"]["CL"].pop(k) for k in ("source", "derived")],
         "analytes.naltrexone.CL"),
        (lambda d: d["formulations"]["ir"].pop("ka"), "formulations.ir"),
        (lambda d: d["analytes"]["6beta-naltrexol"].update(formed_from="nothing"), "formed_from"),
        (lambda d: d["formulations"]["ir"]["F"].update(value=1.5), "F"),
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["checks"][0].update(analyte="x"), "checks[0].analyte"),
    ],
)
def test_schema_errors_name_file_and_field(mutate, message):
    import copy

    doc = copy.deepcopy(_base_doc())
    mutate(doc)
    with pytest.raises(DataFileError) as e:
        parse_drug(doc, "naltrexone.yaml")
    assert "naltrexone.yaml" in str(e.value)
    assert message in str(e.value)
