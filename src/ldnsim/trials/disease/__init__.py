"""Conditions outside pain: Crohn's disease and multiple sclerosis, read out from the immune module.

The pain conditions (``ldnsim/data/system/conditions.yaml``) run on the neuroimmune pain model; the conditions
here run on the peripheral immune / OGF–OGFr module (:func:`ldnsim.immune.simulate_immune`) and are read out
by their own disease-activity models: :mod:`.crohns` (mucosal inflammation → CDAI, PCDAI, CDEIS) and
:mod:`.ms` (CNS inflammation → MSQLI-54 quality-of-life scores). :mod:`.runner` runs their trial designs
through the same schema, statistics, comparison and report as the pain trials. A condition covered by
neither model is refused (:func:`check_condition`), never run on the pain model.
"""

from __future__ import annotations

from .registry import (
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
]
