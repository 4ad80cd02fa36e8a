"""The patient table: which columns are PK covariates, which are the ESR, which override system
parameters — and the per-patient inputs every engine (and the reference integrator) builds a chunk from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError, UnknownNameError
from ..system import parameter_names, resolve_params

__all__ = ["COVARIATE_COLUMNS", "PK_COVARIATES", "PatientTable", "patient_table", "patient_inputs",
           "patient_params", "patient_covariates", "system_parameter_names"]

#: patient-table columns read as PK covariates (:class:`ldnsim.pk.Covariates`)
PK_COVARIATES = ("weight_kg", "hepatic", "egfr_ml_min", "cyp2d6")
#: patient-table columns read as PK covariates or the ESR covariate
COVARIATE_COLUMNS = (*PK_COVARIATES, "esr_mm_h")
#: condition fields a patient table may also set per patient
_CONDITION_FIELDS = ("glial_drive", "tlr4_fraction", "peripheral_drive")


def system_parameter_names() -> set[str]:
    """Names a patient column or ``params=`` may override: every system parameter and condition field."""
    return set(parameter_names()) | set(_CONDITION_FIELDS)


class PatientTable(NamedTuple):
    """A patient table split by use: ``n`` patients; ``covariates`` (PK covariate columns);
    ``overrides`` (system parameter → value or per-patient array; ``params=`` first, columns win);
    ``esr_mm_h`` (per-patient array or ``None``); ``used`` (the columns read); ``eta`` (PK random effects,
    columns ``eta:<drug>/<analyte|formulation>.<param>``, log-scale multipliers as
    :func:`ldnsim.pk.sample_eta` draws them)."""

    n: int
    covariates: dict[str, Any]
    overrides: dict[str, Any]
    esr_mm_h: np.ndarray | None
    used: list[str]
    eta: dict[str, np.ndarray] = {}


def patient_table(patients: Any, params: Mapping[str, Any] | None = None) -> PatientTable:
    """Split a patient table (``pandas.DataFrame``, one row per patient, or ``None`` for one typical patient)
    into PK covariates, ESR and per-patient system parameters; ``params`` are typical values for everyone
    (an unknown name is an :class:`~ldnsim.errors.UnknownNameError`)."""
    sys_names = system_parameter_names()
    overrides: dict[str, Any] = {}
    for k, v in (params or {}).items():
        if k not in sys_names:
            raise UnknownNameError("parameter", k, sorted(sys_names))
        overrides[k] = v
    if patients is None:
        return PatientTable(1, {}, overrides, None, [], {})
    import pandas as pd

    if not isinstance(patients, pd.DataFrame):
        raise InputError("patients", "must be a pandas DataFrame, one row per patient",
                         value=type(patients).__name__)
    n = len(patients)
    if n == 0:
        raise InputError("patients", "has no rows")
    cov: dict[str, Any] = {}
    eta: dict[str, np.ndarray] = {}
    used = []
    for col in patients.columns:
        c = str(col)
        if c in PK_COVARIATES:
            cov[c] = patients[col].to_numpy()
            used.append(c)
        elif c.startswith("eta:"):
            try:
                eta[c[4:]] = patients[col].to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"patients.{c}", "must be numeric (log-scale random effect)") from None
            used.append(c)
        elif c in sys_names:
            try:
                overrides[c] = patients[col].to_numpy(dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"patients.{c}", "must be numeric") from None
            used.append(c)
    esr = None
    if "esr_mm_h" in patients.columns:
        try:
            esr = patients["esr_mm_h"].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise InputError("patients.esr_mm_h", "must be numeric (mm/h)") from None
        used.append("esr_mm_h")
    return PatientTable(n, cov, overrides, esr, used, eta)


def patient_inputs(patients: Any) -> dict[str, np.ndarray]:
    """The per-patient inputs of a patient table as the engines pass them around (picklable arrays):
    ``_n``; PK covariate columns by name; ``p:NAME`` system parameter columns; ``esr_mm_h``."""
    t = patient_table(patients)
    out: dict[str, Any] = {"_n": np.full(t.n, t.n)}
    out.update({k: np.asarray(v) for k, v in t.covariates.items()})
    out.update({f"p:{k}": np.asarray(v, dtype=float) for k, v in t.overrides.items()})
    out.update({f"eta:{k}": v for k, v in t.eta.items()})
    if t.esr_mm_h is not None:
        out["esr_mm_h"] = np.asarray(t.esr_mm_h, dtype=float)
    return out


def patient_params(condition: Mapping[str, Any], inputs: Mapping[str, Any], params: Mapping[str, Any] | None,
                   variant: str) -> dict[str, Any]:
    """Each patient's system parameters (:func:`ldnsim.system.resolve_params`): typical values from
    ``params``, then each patient's own ``p:NAME`` input wins; ESR from ``esr_mm_h``. The number of patients
    is ``len(inputs["_n"])`` (or ``inputs["_n"]`` itself where it is a number)."""
    overrides = dict(params or {})
    overrides.update({k[2:]: v for k, v in inputs.items() if k.startswith("p:")})
    n = len(inputs["_n"]) if np.ndim(inputs["_n"]) else int(inputs["_n"])
    return resolve_params(condition, n, overrides=overrides, esr_mm_h=inputs.get("esr_mm_h"), variant=variant)


def patient_covariates(inputs: Mapping[str, Any]) -> Any:
    """:class:`ldnsim.pk.Covariates` of the PK covariate inputs, or ``None`` where there are none."""
    covs = {k: inputs[k] for k in PK_COVARIATES if k in inputs}
    if not covs:
        return None
    from ..pk import Covariates

    return Covariates(**covs)
