"""The neuroimmune pain system: slow ODE states (glia, cytokines, glutamate handling, sensitisation,
endorphin and receptor adaptation, tolerance), fast synaptic algebra, the pain readout, condition
presets and the integrator. Equations and parameters: docs/model.md.
"""

from __future__ import annotations

from ._integrate import OUTPUT_ALGEBRA, integrate, steady_state, step, step_pair
from ._params import (
    VARIANTS,
    condition_names,
    condition_params,
    conditions,
    default_params,
    parameter_entries,
    parameter_names,
    parameter_table,
    parameter_table_markdown,
    resolve_params,
)
from ._rhs import (
    ALGEBRAIC_NAMES,
    DRIVER_NAMES,
    STATE_LABELS,
    STATE_NAMES,
    STATE_RANGES,
    algebra,
    healthy_state,
    high_branch_start,
    production_loss,
    rhs,
)

__all__ = [
    "ALGEBRAIC_NAMES",
    "DRIVER_NAMES",
    "OUTPUT_ALGEBRA",
    "STATE_LABELS",
    "STATE_NAMES",
    "STATE_RANGES",
    "VARIANTS",
    "algebra",
    "condition_names",
    "condition_params",
    "conditions",
    "default_params",
    "healthy_state",
    "high_branch_start",
    "integrate",
    "parameter_entries",
    "parameter_names",
    "parameter_table",
    "parameter_table_markdown",
    "production_loss",
    "resolve_params",
    "rhs",
    "steady_state",
    "step",
    "step_pair",
]
