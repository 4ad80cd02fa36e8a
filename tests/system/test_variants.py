"""Mechanism variants declared as data over the one system (system/variants.yaml)."""

from functools import cache

import numpy as np
import pytest

from ldnsim.data.parameter_set import load_parameter_set, variant_names
from ldnsim.errors import InputError
from ldnsim.simulate import simulate
from ldnsim.system import condition_params, healthy_state, resolve_params
from ldnsim.system._rhs import IE, production_loss

LDN = "naltrexone 4.5 mg nightly for 12 weeks"


@cache
def _run(regimen, variant):
    return simulate(regimen, days=90, variant=variant)


def test_every_declared_variant_runs_and_starts_on_the_same_untreated_state():
    base = _run(None, "full").pain_nrs.values[0, 0]
    for v in variant_names():
        p = _run(None, v).pain_nrs.values[0]
        assert np.isfinite(p).all()
        assert p[0] == pytest.approx(base, abs=1e-9), v  # switches act on drug drivers only


def test_null_variant_has_no_drug_effect():
    base = _run(None, "null").pain_nrs.values[0]
    for reg in (LDN, "naltrexone 50 mg nightly for 12 weeks"):
        assert np.allclose(_run(reg, "null").pain_nrs.values[0], base, atol=1e-9)


def test_tlr4_variant_with_in_vitro_potency_inhibits_glial_tlr4_negligibly():
    """At the in-vitro prior's µM IC50, 4.5 mg (peak parent ~3.5 nM in plasma) inhibits < 1 % of TLR4."""
    ds = _run(LDN, "tlr4")
    assert float(ds.tlr4_inhibition.values[0, 60]) < 0.01
    assert load_parameter_set("tlr4").system["tlr4_ic50_nM"] >= 10.0


def test_mu_rebound_up_regulation_follows_time_above_threshold_not_mean_occupancy():
    """Same mean occupancy (0.225): 0.9 for 6 h a day vs 0.225 all day. The mu-rebound drive counts
    hours above theta_reb (0.3), so only the intermittent course up-regulates; the proportional
    (full) variant up-regulates both equally."""
    cond = condition_params("healthy")
    y = healthy_state(np, 1)
    n_sub = 24

    def drive(course, variant):
        p = resolve_params(cond, 1, variant=variant)
        p["phi0"] = np.full(1, 0.09)
        d = {k: np.zeros((n_sub, 1)) for k in ("mu_agonist", "tlr4_inhibition", "tlr4_agonism",
                                                "nmda_block", "nox2_inhibition", "uld_site")}
        d["mu_endogenous"] = np.full((n_sub, 1), 0.09)
        d["mu_antagonist"] = course[:, None]
        prod, _ = production_loss(y, d, p, np)
        return float(prod[..., IE].mean() - p["k_E"][0])  # day-averaged up-regulating production

    inter = np.r_[np.full(6, 0.9), np.zeros(18)]
    cont = np.full(24, 0.225)
    assert drive(inter, "mu-rebound") > 2.0 * drive(cont, "mu-rebound")
    assert drive(inter, "full") == pytest.approx(drive(cont, "full"), rel=1e-9)


def test_ldn_effect_differs_between_mechanisms():
    base = _run(None, "full").pain_nrs.values[0, 83]
    eff = {v: base - _run(LDN, v).pain_nrs.values[0, 83]
           for v in ("full", "full-potent-tlr4", "null", "tlr4", "mu-rebound")}
    assert eff["null"] == pytest.approx(0.0, abs=1e-9)
    assert abs(eff["tlr4"]) < 0.1  # in-vitro (µM) potency: nothing at LDN concentrations
    assert abs(eff["full"]) < 0.25  # the shipped posterior median is µM too
    assert eff["full-potent-tlr4"] > 0.3 and eff["mu-rebound"] > 0.1


def test_unknown_variant_is_an_input_error():
    with pytest.raises(InputError, match="variant"):
        simulate(LDN, days=5, variant="homeopathy")
