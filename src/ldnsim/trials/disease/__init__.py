"""Conditions outside pain: Crohn's disease and multiple sclerosis, read out from the immune module.

The pain conditions (``ldnsim/data/system/conditions.yaml``) run on the neuroimmune pain model; the conditions
here run on the peripheral immune / OGF–OGFr module (:func:`ldnsim.immune.simulate_immune`) and are read out
by their own disease-activity models: :mod:`.crohns` (mucosal inflammation → CDAI, PCDAI, CDEIS) and
:mod:`.ms` (CNS inflammation → MSQLI-54 quality-of-life scores). :mod:`.runner` runs their trial designs
through the same schema, statistics, comparison and report as the pain trials. A condition covered by
neither model is refused (:func:`check_condition`), never run on the pain model.
"""

from __future__ import annotations

from ...data.conditions import (
    DISEASE_CONDITIONS,
    DISEASE_ENDPOINT_KINDS,
    check_condition,
    covered_conditions,
    disease_condition,
    is_disease_condition,
    refuse_disease_condition,
)

__all__ = [
    "DISEASE_CONDITIONS",
    "DISEASE_ENDPOINT_KINDS",
    "check_condition",
    "covered_conditions",
    "disease_condition",
    "is_disease_condition",
    "refuse_disease_condition",
    "typical_readout",
]


def typical_readout(condition: str, inflammation, *, readout=None) -> dict:
    """The readout of a typical patient (population-mean traits, no placebo, no natural course, no noise)
    for an inflammation course (days): Crohn's ``cdai``, ``pcdai``, ``cdeis``; MS each measure's score.
    What the drug alone does on the disease scale, for ``ldnsim simulate --condition``."""
    import numpy as np

    from .ms import MEASURES, better_sign
    from .params import readout_parameters

    p = readout_parameters(condition, readout)
    x = np.clip(np.asarray(inflammation, float), 0.0, None)
    if condition == "crohns":
        act = x ** p["inflammation.elasticity"]
        return {
            "cdai": p["cdai.floor"] + (p["cdai.baseline_mean"] - p["cdai.floor"]) * act,
            "pcdai": p["pcdai.floor"] + (p["pcdai.baseline_mean"] - p["pcdai.floor"]) * act,
            "cdeis": p["cdeis.baseline_mean"] * act,
        }
    return {
        m: p[f"measures.{m}.baseline_mean"] + better_sign(m) * p[f"measures.{m}.effect"] * (1.0 - x)
        for m in MEASURES
    }
