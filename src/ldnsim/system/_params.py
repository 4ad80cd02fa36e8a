"""System parameters and condition presets, read from ``ldnsim/data/system/*.yaml``.

Parameters are flat mappings ``name -> float`` (or per-patient arrays of shape ``(n_patients,)``),
which the pure functions in :mod:`._rhs` read by name. The grouping in the YAML file is only for
reading; names are unique across groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from ..data import iter_parameters, load_yaml
from ..data.parameter_set import SYSTEM_FILE, load_parameter_set, system_entries, variant_names
from ..errors import DataFileError, InputError, UnknownNameError

__all__ = [
    "PARAMETERS_FILE",
    "CONDITIONS_FILE",
    "parameter_entries",
    "default_params",
    "parameter_names",
    "conditions",
    "condition_names",
    "condition_params",
    "parameter_table",
    "VARIANTS",
    "resolve_params",
    "parameter_table_markdown",
    "DOC_TABLE_BEGIN",
    "DOC_TABLE_END",
]

DOC_TABLE_BEGIN = "<!-- BEGIN generated parameter table (ldnsim.system.parameter_table_markdown) -->"
DOC_TABLE_END = "<!-- END generated parameter table -->"

PARAMETERS_FILE = SYSTEM_FILE
CONDITIONS_FILE = "system/conditions.yaml"
_CONDITION_FIELDS = ("glial_drive", "tlr4_fraction", "peripheral_drive", "esr_mm_h", "typical_pain_nrs")
#: names that are computed per run (from the condition, covariates and the receptor layer), not read
#: structural switches a variant sets (ldnsim/data/system/variants.yaml) and their value when a variant
#: does not set them (1 = mechanism on)
SWITCHES: dict[str, float] = {"tlr4_on": 0.0, "ogf_on": 0.0, "rebound_on": 0.0, "drug_on": 1.0}
DERIVED_NAMES = ("glial_drive_tlr4", "glial_drive_other", "peripheral_drive", "phi0", *SWITCHES)
#: the top of the Westergren ESR scale (mm/h) accepted by the model; sampled populations are clipped to it
ESR_MAX_MM_H = 150.0


def parameter_entries() -> dict[str, dict]:
    """Every system parameter entry (value, unit, provenance …) by its flat name (cached; do not mutate).

    Read by the parameter set's loader, :func:`ldnsim.data.parameter_set.system_entries`."""
    return system_entries()


def parameter_names() -> list[str]:
    """Names of every system parameter in the data file."""
    return list(parameter_entries())


def default_params(variant: str = "full") -> dict[str, float]:
    """The shipped value of every system parameter for ``variant``, ``name -> float`` (a fresh dict).

    Read through the one loader, :func:`ldnsim.data.parameter_set.load_parameter_set`."""
    return dict(load_parameter_set(variant).system)


#: the declared model variants (ldnsim/data/system/variants.yaml)
VARIANTS: tuple[str, ...] = variant_names()


@cache
def conditions() -> dict[str, dict]:
    """Condition presets as loaded (do not mutate)."""
    doc = load_yaml(CONDITIONS_FILE)
    for name, cond in doc.items():
        missing = [f for f in _CONDITION_FIELDS if f not in cond]
        if missing:
            raise DataFileError(f"{CONDITIONS_FILE}: condition {name!r} lacks {', '.join(missing)}")
    return doc


def condition_names() -> list[str]:
    return list(conditions())


def _normalise_condition(name: str) -> str:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {
        "fm": "fibromyalgia", "pdn": "painful_diabetic_neuropathy", "clbp": "chronic_low_back_pain",
        "oa": "osteoarthritis", "low_back_pain": "chronic_low_back_pain",
        "diabetic_neuropathy": "painful_diabetic_neuropathy", "nociceptive_osteoarthritis": "osteoarthritis",
    }
    return aliases.get(key, key)


def condition_params(condition: str) -> dict[str, Any]:
    """The preset's numbers: glial_drive, tlr4_fraction, peripheral_drive, esr_mm_h, typical_pain_nrs, start.

    Raises :class:`~ldnsim.errors.UnknownNameError` for an unknown condition.
    """
    key = _normalise_condition(condition)
    conds = conditions()
    if key not in conds:
        raise UnknownNameError("condition", str(condition), conds.keys())
    c = conds[key]
    out: dict[str, Any] = {f: float(c[f]["value"]) for f in _CONDITION_FIELDS}
    out["start"] = str(c.get("start", "high"))
    out["name"] = key
    return out


def resolve_params(
    condition: Mapping[str, Any],
    n_patients: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    esr_mm_h: Any = None,
    variant: str = "full",
) -> dict[str, np.ndarray]:
    """Per-patient parameter arrays (each shape ``(n_patients,)``) for one condition.

    ``overrides`` may hold any system parameter name or condition field (glial_drive, tlr4_fraction,
    peripheral_drive) as a scalar or a length-``n_patients`` array. ``esr_mm_h`` scales the
    TLR4-dependent glial drive as ``(esr/esr_ref)**esr_exponent``.
    """
    pset = load_parameter_set(variant)  # mechanism[/occupancy]; InputError names the accepted values
    base: dict[str, Any] = dict(pset.system)
    base.update({k: condition[k] for k in ("glial_drive", "tlr4_fraction", "peripheral_drive")})
    known = set(base)
    for k, v in (overrides or {}).items():
        if k not in known:
            raise UnknownNameError("parameter", k, sorted(known))
        base[k] = v
    p: dict[str, np.ndarray] = {}
    for k, v in base.items():
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            arr = np.full(n_patients, float(arr))
        if arr.shape != (n_patients,):
            raise InputError(k, f"needs one value per patient ({n_patients})", value=arr.shape)
        if not np.all(np.isfinite(arr)):
            raise InputError(k, "must be finite", value=arr.tolist()[:5])
        if np.any(arr < 0):  # every rate, gain, drive and constant is non-negative
            raise InputError(k, "must be ≥ 0", value=float(arr.min()))
        p[k] = arr
    if np.any(p["tlr4_fraction"] > 1):
        raise InputError("tlr4_fraction", "must be ≤ 1", accepted="0-1",
                         value=float(p["tlr4_fraction"].max()))
    esr = np.asarray(condition["esr_mm_h"] if esr_mm_h is None else esr_mm_h, dtype=float)
    esr = np.broadcast_to(esr, (n_patients,)).astype(float)
    bad = ~np.isfinite(esr) | (esr < 0) | (esr > ESR_MAX_MM_H)
    if np.any(bad):  # name the offending values (and patients), not the first few
        idx = np.flatnonzero(bad)[:5]
        raise InputError("esr_mm_h", f"out of range for patient(s) {idx.tolist()}",
                         accepted=f"0-{ESR_MAX_MM_H:g} mm/h", value=esr[idx].tolist())
    # ESR shifts the glial drive toward the TLR4 (DAMP) pathway: the odds of the TLR4 share scale as
    # (esr/esr_ref)**esr_exponent, the total drive is kept (docs/model.md, "ESR covariate")
    esr_factor = (np.maximum(esr, 1.0) / p["esr_ref_mm_h"]) ** p["esr_exponent"]
    f = p["tlr4_fraction"]
    f_eff = f * esr_factor / (f * esr_factor + (1.0 - f))
    p["esr_mm_h"] = esr
    p["tlr4_fraction_eff"] = f_eff
    p["glial_drive_tlr4"] = p["glial_drive"] * f_eff
    p["glial_drive_other"] = p["glial_drive"] * (1.0 - f_eff)
    for sw, default in SWITCHES.items():  # structural switches of the variant (1 = mechanism on)
        p[sw] = np.full(n_patients, float(pset.switches.get(sw, default)))
    # p["phi0"] (the resting endogenous μ occupancy) is set by model._initial.untreated_start, which every
    # run goes through; it is left unset here so a caller that skips it fails loudly instead of using a guess
    return p


def parameter_table() -> list[dict[str, Any]]:
    """Rows ``{name, group, value, unit, assumed, provenance, cv, prior}`` for every system parameter.

    Used by docs/model.md (and ``ldnsim docs``) to publish the parameter table from the data file.
    """
    from ..data.provenance import provenance_of

    doc = load_yaml(PARAMETERS_FILE)
    rows = []
    for dotted, entry in iter_parameters(doc):
        group, _, name = dotted.rpartition(".")
        rows.append(
            {
                "name": name,
                "group": group,
                "value": entry["value"],
                "unit": entry["unit"],
                "assumed": bool(entry.get("assumed")),
                "provenance": provenance_of(entry),
                "cv": entry.get("cv"),
                "prior": entry.get("prior"),
            }
        )
    return rows


def parameter_table_markdown() -> str:
    """The system parameter table as Markdown (docs/model.md embeds it between the marker comments)."""
    from ..data.provenance import format_prior
    from ..data.provenance import markdown_cell as _cell

    lines = [
        DOC_TABLE_BEGIN,
        "",
        "| group | parameter | value | unit | prior | provenance |",
        "|---|---|---|---|---|---|",
    ]
    for r in parameter_table():
        prior = format_prior(r["prior"])
        lines.append(
            f"| {_cell(r['group'])} | `{_cell(r['name'])}` | {_cell(r['value'])} | {_cell(r['unit'])} | "
            f"{_cell(prior)} | {_cell(r['provenance'])} |"
        )
    lines += ["", DOC_TABLE_END]
    return "\n".join(lines)
