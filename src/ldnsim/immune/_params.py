"""Parameters and condition presets of the immune module, read from ``ldnsim/data/immune/*.yaml``.

Parameters are flat mappings ``name -> float`` (per-patient arrays of shape ``(n_patients,)`` once resolved);
the grouping in the YAML file is only for reading, names are unique across groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from ..data import iter_parameters, load_yaml
from ..errors import DataFileError, InputError, UnknownNameError

__all__ = [
    "PARAMETERS_FILE",
    "CONDITIONS_FILE",
    "CONDITION_FIELDS",
    "DOC_TABLE_BEGIN",
    "DOC_TABLE_END",
    "conditions",
    "condition_names",
    "condition_params",
    "default_params",
    "parameter_entries",
    "parameter_names",
    "ogfr_ki_nM",
    "resolve_params",
    "parameter_table",
    "parameter_table_markdown",
]

PARAMETERS_FILE = "immune/parameters.yaml"
CONDITIONS_FILE = "immune/conditions.yaml"
CONDITION_FIELDS = ("gut_drive", "cns_drive")
DOC_TABLE_BEGIN = "<!-- BEGIN generated immune parameter table (ldnsim.immune.parameter_table_markdown) -->"
DOC_TABLE_END = "<!-- END generated immune parameter table -->"
#: analytes that bind OGFr and the parameter holding each one's Ki (nM)
_KI_PARAMS = {"naltrexone": "ogfr_ki_naltrexone_nM", "6beta-naltrexol": "ogfr_ki_6beta_naltrexol_nM"}
#: parameters that are fractions (checked ≤ 1 as well as ≥ 0)
_FRACTIONS = ("w_tissue",)


@cache
def parameter_entries() -> dict[str, dict[str, Any]]:
    """Every immune parameter entry (value, unit, provenance …) by its flat name (cached; do not mutate)."""
    doc = load_yaml(PARAMETERS_FILE)
    out: dict[str, dict[str, Any]] = {}
    for dotted, entry in iter_parameters({k: v for k, v in doc.items() if k != "meta"}):
        name = dotted.rpartition(".")[2]
        if name in out:
            raise DataFileError(f"{PARAMETERS_FILE}: parameter name {name!r} appears twice")
        out[name] = entry
    return out


def parameter_names() -> list[str]:
    """Names of every immune parameter in the data file."""
    return list(parameter_entries())


def default_params() -> dict[str, float]:
    """The shipped value of every immune parameter, ``name -> float`` (a fresh dict)."""
    return {k: float(e["value"]) for k, e in parameter_entries().items()}


def ogfr_ki_nM() -> dict[str, str]:
    """``{analyte: parameter name}`` of the analytes that bind OGFr (the others do not)."""
    return dict(_KI_PARAMS)


@cache
def conditions() -> dict[str, dict[str, Any]]:
    """Condition presets as loaded (do not mutate)."""
    doc: dict[str, dict[str, Any]] = load_yaml(CONDITIONS_FILE)
    for name, cond in doc.items():
        missing = [f for f in CONDITION_FIELDS if f not in cond]
        if missing:
            raise DataFileError(f"{CONDITIONS_FILE}: condition {name!r} lacks {', '.join(missing)}")
    return doc


def condition_names() -> list[str]:
    """The conditions the immune module covers (``crohns``, ``ms``)."""
    return list(conditions())


_ALIASES = {"crohn": "crohns", "crohn_s": "crohns", "crohns_disease": "crohns", "crohn_s_disease": "crohns",
            "cd": "crohns", "multiple_sclerosis": "ms"}


def normalise_condition(name: Any) -> str | None:
    """The preset key of ``name`` (case, spaces, hyphens and apostrophes ignored; a few aliases), or ``None``
    where the immune module does not cover it."""
    key = str(name).strip().lower().replace("'", "_").replace("’", "_").replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    return key if key in conditions() else None


def condition_params(condition: Any) -> dict[str, Any]:
    """The preset's numbers (``gut_drive``, ``cns_drive``) and its ``name``.

    Raises :class:`~ldnsim.errors.UnknownNameError` (an :class:`~ldnsim.errors.InputError`) naming the field
    ``condition`` and the accepted values for a condition the module does not cover."""
    if not isinstance(condition, str):
        raise InputError("condition", "must be a condition name", accepted=", ".join(condition_names()),
                         value=condition)
    key = normalise_condition(condition)
    if key is None:
        raise UnknownNameError("condition", condition, condition_names())
    c = conditions()[key]
    out: dict[str, Any] = {f: float(c[f]["value"]) for f in CONDITION_FIELDS}
    out["name"] = key
    return out


def resolve_params(condition: Mapping[str, Any], n_patients: int, *,
                   overrides: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Per-patient parameter arrays (each shape ``(n_patients,)``) for one condition.

    ``overrides``: any immune parameter name or condition field as a scalar or a length-``n_patients``
    array. Every value must be finite and ≥ 0 (fractions ≤ 1; Ki and the OGF ratio > 0)."""
    base: dict[str, Any] = default_params()
    base.update({k: condition[k] for k in CONDITION_FIELDS})
    for k, v in (overrides or {}).items():
        if k not in base:
            raise UnknownNameError("parameter", str(k), sorted(base))
        base[k] = v
    p: dict[str, np.ndarray] = {}
    for k, v in base.items():
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise InputError(k, "must be a number", value=repr(v)[:80]) from None
        if arr.ndim == 0:
            arr = np.full(n_patients, float(arr))
        if arr.shape != (n_patients,):
            raise InputError(k, f"needs one value per patient ({n_patients})", value=arr.shape)
        if not np.all(np.isfinite(arr)):
            raise InputError(k, "must be finite", accepted="a finite number ≥ 0")
        positive = k in _KI_PARAMS.values() or k == "ogf_occupancy_ratio"
        if np.any(arr <= 0) if positive else np.any(arr < 0):
            raise InputError(k, "out of range", accepted="> 0" if positive else "≥ 0", value=float(arr.min()))
        if k in _FRACTIONS and np.any(arr > 1):
            raise InputError(k, "out of range", accepted="0-1", value=float(arr.max()))
        p[k] = arr
    return p


def parameter_table() -> list[dict[str, Any]]:
    """Rows ``{name, group, value, unit, assumed, provenance, cv, prior}`` for every immune parameter
    (docs/immune.md embeds them, ``ldnsim docs``)."""
    from ..data.provenance import provenance_of

    doc = load_yaml(PARAMETERS_FILE)
    rows = []
    for dotted, entry in iter_parameters({k: v for k, v in doc.items() if k != "meta"}):
        group, _, name = dotted.rpartition(".")
        rows.append({"name": name, "group": group, "value": entry["value"], "unit": entry["unit"],
                     "assumed": bool(entry.get("assumed")), "provenance": provenance_of(entry),
                     "cv": entry.get("cv"), "prior": entry.get("prior")})
    return rows


def parameter_table_markdown() -> str:
    """The immune parameter table as Markdown, between the marker comments docs/immune.md carries."""
    from ..data.provenance import format_prior
    from ..data.provenance import markdown_cell as _cell

    lines = [DOC_TABLE_BEGIN, "", "| group | parameter | value | unit | IIV (CV) | prior | provenance |",
             "|---|---|---|---|---|---|---|"]
    for r in parameter_table():
        cv = "" if r["cv"] is None else f"{r['cv']:g}"
        lines.append(f"| {_cell(r['group'])} | `{_cell(r['name'])}` | {_cell(r['value'])} "
                     f"| {_cell(r['unit'])} "
                     f"| {cv} | {_cell(format_prior(r['prior']))} | {_cell(r['provenance'])} |")
    lines += ["", DOC_TABLE_END]
    return "\n".join(lines)
