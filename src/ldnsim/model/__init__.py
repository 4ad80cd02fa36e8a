"""The model wired once: regimen → dose events → PK → drivers (receptor occupancy, ultra-low-dose site) →
initial state, for the reference integrator, every engine and the SBML export.

Layer: below :mod:`ldnsim.engines`, :mod:`ldnsim.simulate` and :mod:`ldnsim.sbml`, above the receptor and
system layers whose equations it connects (docs/architecture.md). Each piece exists once:

* :func:`dose_events` — dose events from a Regimen, regimen text or DoseEvents;
* :func:`patient_table` / :func:`patient_inputs` / :func:`patient_params` / :func:`patient_covariates` — the
  patient table split into PK covariates, ESR and per-patient system parameters;
* :func:`driver_values` — effect-site concentrations → every system driver over ``xp``
  (:func:`ldnsim.receptors.occupancy_xp`, the receptor equations, and :func:`uld_site`);
* :func:`untreated_start` — the drug-free drivers and the untreated steady state a run starts from;
* :func:`pk_blocks` — each drug's linear PK as input columns for the engines' exact PK and the SBML export;
* :func:`with_occupancy` — the occupancy variant's effect-site values (data/occupancy.yaml) as PK offsets;
* :func:`time_dataset` — results over time labelled with the ``time`` (h) and, daily, ``day`` indexes.
"""

from __future__ import annotations

from ..receptors import occupancy_xp, receptor_constants
from ._drivers import ULD_ANALYTES, baseline_drivers, driver_values, uld_site
from ._events import dose_events
from ._initial import untreated_start
from ._labels import time_dataset
from ._patients import (
    COVARIATE_COLUMNS,
    PK_COVARIATES,
    PatientTable,
    patient_covariates,
    patient_inputs,
    patient_params,
    patient_table,
    system_parameter_names,
)
from ._pk import PKBlock, occupancy_eta, pk_blocks, with_occupancy

__all__ = [
    "COVARIATE_COLUMNS",
    "PK_COVARIATES",
    "PKBlock",
    "PatientTable",
    "ULD_ANALYTES",
    "baseline_drivers",
    "dose_events",
    "driver_values",
    "occupancy_xp",
    "patient_covariates",
    "patient_inputs",
    "patient_params",
    "patient_table",
    "pk_blocks",
    "occupancy_eta",
    "with_occupancy",
    "receptor_constants",
    "system_parameter_names",
    "uld_site",
    "time_dataset",
    "untreated_start",
]
