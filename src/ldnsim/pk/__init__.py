"""Pharmacokinetics: drug files, exact linear compartment models, covariates, effect compartments.

Public names (others code against these):

- :func:`load_drug`, :func:`known_drugs`, :func:`resolve_drug` — drug files and names.
- :class:`Covariates` — weight, hepatic impairment, eGFR, CYP2D6 (scalars or arrays over patients).
- :func:`simulate_pk` — dose events → ``xarray.Dataset`` (patient × time × analyte) of
  ``plasma_ng_ml`` and ``effect_nM``; ``amounts=True`` adds compartment amounts for mass balance.
- :func:`sample_eta` — random effects from a drug file's IIV.
- :func:`nca` / :func:`single_dose_metrics` — Cmax, Tmax, terminal t½, AUC.
- :class:`DrugSpec` and the schema models — see ``docs/drug-files.md``.
"""

from __future__ import annotations

from ._covariates import CYP2D6_PHENOTYPES, HEPATIC_LEVELS, Covariates, sample_eta
from ._drugs import all_drugs, drug_file, known_drugs, load_drug, resolve_drug
from ._linear import expm_batched
from ._nca import analysis_horizon_h, nca, single_dose_metrics
from ._schema import DrugSpec, Param, parse_drug
from ._simulate import Event, PKArrays, build_drug_system, normalise_events, simulate_pk, simulate_pk_arrays
from ._variants import occupancy_eta, with_occupancy

__all__ = [
    "DrugSpec",
    "Param",
    "parse_drug",
    "load_drug",
    "known_drugs",
    "resolve_drug",
    "drug_file",
    "all_drugs",
    "Covariates",
    "HEPATIC_LEVELS",
    "CYP2D6_PHENOTYPES",
    "sample_eta",
    "simulate_pk",
    "simulate_pk_arrays",
    "PKArrays",
    "Event",
    "normalise_events",
    "build_drug_system",
    "expm_batched",
    "nca",
    "single_dose_metrics",
    "analysis_horizon_h",
    "occupancy_eta",
    "with_occupancy",
]
