"""Peripheral immune / OGF–OGFr module: naltrexone and 6β-naltrexol at the opioid growth factor receptor,
OGF ([Met5]-enkephalin) and OGFr up-regulation, T/B-lymphocyte proliferation, cytokines, and the tissue
inflammation of Crohn's disease (gut mucosa) and multiple sclerosis (CNS/peripheral immune activity).

Declared as data (``ldnsim/data/immune/*.yaml``: every parameter with unit and source, or ``assumed`` with a
reason), equations written once over ``xp`` (:mod:`._rhs`), run by the engines (numpy, jax, dask) and exported
to SBML (:func:`ldnsim.sbml.immune_model_spec`). Layer: above :mod:`ldnsim.simulate`, below the trial layer
(docs/architecture.md). Equations and assumptions: docs/immune.md.

    >>> from ldnsim.immune import simulate_immune
    >>> ds = simulate_immune("naltrexone 4.5 mg nightly", 84, "crohns")       # doctest: +SKIP
    >>> float(ds.mucosal_inflammation.sel(day=83)[0])                         # doctest: +SKIP

For research and education only; not medical advice.
"""

from __future__ import annotations

from ._model import BLOCKADE_THRESHOLD, ImmuneModel, ogfr_driver, step
from ._params import (
    condition_names,
    condition_params,
    conditions,
    default_params,
    normalise_condition,
    parameter_entries,
    parameter_names,
    parameter_table,
    parameter_table_markdown,
    resolve_params,
)
from ._rhs import (
    ALGEBRAIC_NAMES,
    DRIVER_NAMES,
    OUTPUT_NAMES,
    STATE_LABELS,
    STATE_NAMES,
    STATE_RANGES,
    algebra,
    production_loss,
    rhs,
    untreated_state,
)
from .simulate import simulate_immune

__all__ = [
    "ALGEBRAIC_NAMES",
    "BLOCKADE_THRESHOLD",
    "DRIVER_NAMES",
    "ImmuneModel",
    "OUTPUT_NAMES",
    "STATE_LABELS",
    "STATE_NAMES",
    "STATE_RANGES",
    "algebra",
    "condition_names",
    "condition_params",
    "conditions",
    "default_params",
    "normalise_condition",
    "ogfr_driver",
    "parameter_entries",
    "parameter_names",
    "parameter_table",
    "parameter_table_markdown",
    "production_loss",
    "resolve_params",
    "rhs",
    "simulate_immune",
    "step",
    "untreated_state",
]
