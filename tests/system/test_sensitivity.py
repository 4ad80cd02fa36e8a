"""Global sensitivity (ldnsim.validation.sensitivity): every assumed parameter is varied, and the Sobol'
indices find what the model's structure says — parameters of switched-off mechanisms have exactly zero
influence, the glial TLR4 potency has the largest on the LDN effect. Tiny N: the converged run is
bench/sensitivity.py."""

from __future__ import annotations

from functools import cache

import numpy as np

from ldnsim.data.parameter_set import system_entries
from ldnsim.validation.sensitivity import assumed_parameters, convergence, run


@cache
def tiny():
    return run(8, seed=1)


def test_every_assumed_system_parameter_is_varied_around_its_shipped_value():
    ps = {p.name: p for p in assumed_parameters()}
    assumed = {k for k, e in system_entries().items() if e.get("assumed")}
    assert set(ps) == assumed
    for p in ps.values():
        assert p.lo < p.hi and p.lo <= p.value <= p.hi, p


def test_indices_follow_the_model_structure():
    res = tiny()
    names = [p["name"] for p in res["parameters"]]
    st = {k: dict(zip(names, res["outputs"][k]["ST"], strict=True)) for k in res["outputs"]}
    # 'mu-rebound' threshold and steepness act only in that variant (switched off in the shipped 'full')
    for k in st:
        assert st[k]["theta_reb"] == 0.0 and st[k]["n_reb"] == 0.0
    # the LDN effect rests on the TLR4 potency (prior 0.01 nM - 100 µM): its total index is the largest
    assert max(st["ldn_effect_w12"], key=st["ldn_effect_w12"].get) == "tlr4_ic50_nM"


def test_convergence_compares_within_intervals():
    res = tiny()
    same = convergence(res, res)
    assert all(v["max_excess"] <= 0 and not v["disagree"] for v in same.values())
    shifted = {**res, "outputs": {k: {**o, "ST": list(np.asarray(o["ST"]) + 1.0)} for k, o in
                                  res["outputs"].items()}}
    assert any(v["disagree"] for v in convergence(res, shifted).values())


def test_rows_follow_the_saltelli_scheme():
    res = tiny()
    assert res["rows"] == 8 * (len(res["parameters"]) + 2)
    assert res["outputs"]["ldn_effect_w12"]["sd"] > 0
