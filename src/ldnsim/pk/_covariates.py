"""Patient covariates and per-patient PK parameters (covariates × random effects).

:class:`Covariates` holds body weight, hepatic impairment, eGFR and CYP2D6 phenotype, each a scalar
or an array over patients. :func:`patient_parameters` turns a drug file plus covariates plus
random effects (eta) into per-patient arrays of every parameter the linear system needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ._schema import ANALYTE_ETA_PARAMS, FORMULATION_ETA_PARAMS, CovariateEffect, DrugSpec

__all__ = ["Covariates", "HEPATIC_LEVELS", "CYP2D6_PHENOTYPES", "PatientParams", "patient_parameters",
           "sample_eta"]

HEPATIC_LEVELS = ("none", "mild", "moderate", "severe")
CYP2D6_PHENOTYPES = ("pm", "im", "em", "um")
_HEPATIC_ALIASES = {
    "none": "none", "normal": "none", "no": "none", "healthy": "none",
    "mild": "mild", "child-pugh a": "mild", "a": "mild",
    "moderate": "moderate", "child-pugh b": "moderate", "b": "moderate",
    "severe": "severe", "child-pugh c": "severe", "c": "severe", "cirrhosis": "severe",
}
_CYP_ALIASES = {
    "pm": "pm", "poor": "pm", "poor metaboliser": "pm", "poor metabolizer": "pm",
    "im": "im", "intermediate": "im",
    "em": "em", "extensive": "em", "normal": "em", "nm": "em",
    "um": "um", "ultrarapid": "um", "ultra-rapid": "um", "ultrarapid metabolizer": "um",
}
WEIGHT_RANGE_KG = (20.0, 300.0)
EGFR_RANGE = (1.0, 200.0)


def _as_1d(value, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim > 1:
        raise InputError(name, "must be a scalar or a 1-D array over patients", value=f"shape {arr.shape}")
    return arr.reshape(-1) if arr.ndim == 1 else arr.reshape(1)


def _numeric(value, name: str, lo: float, hi: float, unit: str) -> np.ndarray:
    arr = _as_1d(value, name)
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise InputError(name, "must be a number", accepted=f"{lo:g}-{hi:g} {unit}", value=value) from None
    bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
    if bad.any():
        raise InputError(name, "out of range", accepted=f"{lo:g}-{hi:g} {unit}", value=arr[bad][0].item())
    return arr


def _levels(value, name: str, aliases: Mapping[str, str], accepted: Sequence[str]) -> np.ndarray:
    arr = _as_1d(np.asarray(value, dtype=object), name)
    out = []
    for v in arr:
        key = str(v).strip().lower().replace("_", " ")
        if key not in aliases:
            raise InputError(name, "unknown level", accepted="|".join(accepted), value=str(v))
        out.append(aliases[key])
    return np.asarray(out, dtype=object)


@dataclass(frozen=True)
class Covariates:
    """Patient covariates; each field a scalar or an array of length n_patients.

    weight_kg: body weight, kg (20-300); scales CL^0.75 and V^1 unless the drug file says otherwise.
    hepatic: "none" | "mild" | "moderate" | "severe" (Child-Pugh A/B/C; "cirrhosis" = severe).
    egfr_ml_min: estimated GFR, mL/min (1-200); scales the renal part of each analyte's clearance.
    cyp2d6: "pm" | "im" | "em" | "um" (poor / intermediate / extensive(normal) / ultrarapid).
    """

    weight_kg: float | Sequence[float] | np.ndarray = 70.0
    hepatic: str | Sequence[str] | np.ndarray = "none"
    egfr_ml_min: float | Sequence[float] | np.ndarray = 100.0
    cyp2d6: str | Sequence[str] | np.ndarray = "em"
    _arrays: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        arrays = {
            "weight_kg": _numeric(self.weight_kg, "weight_kg", *WEIGHT_RANGE_KG, "kg"),
            "hepatic": _levels(self.hepatic, "hepatic", _HEPATIC_ALIASES, HEPATIC_LEVELS),
            "egfr_ml_min": _numeric(self.egfr_ml_min, "egfr_ml_min", *EGFR_RANGE, "mL/min"),
            "cyp2d6": _levels(self.cyp2d6, "cyp2d6", _CYP_ALIASES, CYP2D6_PHENOTYPES),
        }
        lengths = {k: len(v) for k, v in arrays.items() if len(v) != 1}
        if len(set(lengths.values())) > 1:
            raise InputError("covariates", "array covariates must all have the same length (n_patients)",
                             value=lengths)
        object.__setattr__(self, "_arrays", arrays)

    @property
    def n_patients(self) -> int:
        """Number of patients the covariates describe (1 when all are scalars)."""
        return max(len(v) for v in self._arrays.values())

    def arrays(self, n: int) -> dict[str, np.ndarray]:
        """Every covariate as an array of length ``n`` (scalars broadcast)."""
        out = {}
        for k, v in self._arrays.items():
            if len(v) not in (1, n):
                raise InputError(k, f"has {len(v)} values but there are {n} patients")
            out[k] = np.broadcast_to(v, (n,)) if len(v) == 1 else v
        return out


@dataclass
class PatientParams:
    """Per-patient parameters of one drug (arrays of length P)."""

    analytes: dict[str, dict[str, np.ndarray | None]]
    formulations: dict[str, dict[str, np.ndarray]]


def _fold(eff: CovariateEffect | None, kind: str, name: str) -> float:
    if eff is None:
        return 1.0
    d = getattr(eff, kind)
    return d[name].value if name in d else 1.0


def patient_parameters(
    spec: DrugSpec, cov: Covariates, eta: Mapping[str, np.ndarray] | None, n: int
) -> PatientParams:
    """Per-patient parameter arrays for ``spec`` (length ``n``), applying weight, hepatic, renal,
    CYP2D6 and random effects ``eta`` (``{'<analyte>.<param>' | '<formulation>.<param>': array}``;
    multiplier ``exp(eta)``; F is capped at fa)."""
    c = cov.arrays(n)
    eta = eta or {}
    ones = np.ones(n)
    cv = spec.covariates
    if cv.weight is not None:
        ref, e_cl, e_v = cv.weight.reference_kg.value, cv.weight.exponent_CL.value, cv.weight.exponent_V.value
    else:
        ref, e_cl, e_v = 70.0, 0.75, 1.0
    w = np.asarray(c["weight_kg"], dtype=float) / ref
    s_cl, s_v = w**e_cl, w**e_v
    ref_egfr = cv.reference_egfr.value if cv.reference_egfr is not None else 100.0
    egfr = np.asarray(c["egfr_ml_min"], dtype=float)
    hep = np.asarray(c["hepatic"])
    cyp = np.asarray(c["cyp2d6"])
    level_masks: list[tuple[CovariateEffect, np.ndarray]] = []
    for lvl, eff in cv.hepatic.items():
        level_masks.append((eff, hep == lvl))
    for lvl, eff in cv.cyp2d6.items():
        level_masks.append((eff, cyp == lvl))

    def folded(kind: str, name: str) -> np.ndarray:
        f = ones.copy()
        for eff, mask in level_masks:
            v = _fold(eff, kind, name)
            if v != 1.0:
                f = np.where(mask, f * v, f)
        return f

    def eta_mult(key: str) -> np.ndarray:
        if key in eta:
            return np.exp(np.asarray(eta[key], dtype=float))
        return ones

    analytes: dict[str, dict[str, np.ndarray | None]] = {}
    for name, a in spec.analytes.items():
        p: dict[str, np.ndarray | None] = {}
        renal = cv.renal[name].value if name in cv.renal else 0.0
        p["CL"] = a.CL.value * s_cl * folded("CL_fold", name) * ((1 - renal) + renal * egfr / ref_egfr)
        p["CL"] = p["CL"] * eta_mult(f"{name}.CL")
        p["V"] = a.V.value * s_v * folded("V_fold", name) * eta_mult(f"{name}.V")
        p["Q"] = None if a.Q is None else a.Q.value * s_cl * eta_mult(f"{name}.Q")
        p["V2"] = None if a.V2 is None else a.V2.value * s_v * eta_mult(f"{name}.V2")
        p["fu"] = a.fu.value * ones
        p["fm"] = None if a.fm is None else a.fm.value * folded("fm_fold", name) * eta_mult(f"{name}.fm")
        e = a.effect
        p["ke0"] = None if e.ke0 is None else e.ke0.value * eta_mult(f"{name}.ke0")
        p["kp_uu"] = (e.kp_uu.value if e.kp_uu is not None else 1.0) * eta_mult(f"{name}.kp_uu")
        p["mw"] = a.molar_mass.value * ones
        analytes[name] = p
    # metabolite fractions of each analyte's clearance must not exceed 1
    for parent in spec.analytes:
        kids = [m for m, a in spec.analytes.items() if a.formed_from == parent]
        if kids:
            tot = sum(analytes[m]["fm"] for m in kids)  # type: ignore[misc]
            scale = np.where(tot > 1.0, 1.0 / np.maximum(tot, 1e-300), 1.0)
            for m in kids:
                analytes[m]["fm"] = np.minimum(analytes[m]["fm"] * scale, 1.0)  # type: ignore[operator]

    forms: dict[str, dict[str, np.ndarray]] = {}
    for fname, f in spec.formulations.items():
        q: dict[str, np.ndarray] = {}
        fa = f.fa.value if f.fa is not None else 1.0
        q["fa"] = fa * ones
        if f.route == "iv":
            q["F"] = ones.copy()
            q["ka"] = np.zeros(n)
        else:
            F = f.F.value * ones  # type: ignore[union-attr]
            for eff, mask in level_masks:
                if eff.F_fold is not None:
                    F = np.where(mask, F * eff.F_fold.value, F)
            q["F"] = np.minimum(F * eta_mult(f"{fname}.F"), fa)
            q["ka"] = f.ka.value * eta_mult(f"{fname}.ka")  # type: ignore[union-attr]
        fp_tot = np.zeros(n)
        for m, pm in f.first_pass.items():
            q[f"fp:{m}"] = np.minimum(pm.value * folded("first_pass_fold", m), 1.0)
            fp_tot = fp_tot + q[f"fp:{m}"]
        scale = np.where(fp_tot > 1.0, 1.0 / np.maximum(fp_tot, 1e-300), 1.0)
        for m in f.first_pass:
            q[f"fp:{m}"] = q[f"fp:{m}"] * scale
        forms[fname] = q
    return PatientParams(analytes=analytes, formulations=forms)


def eta_keys(spec: DrugSpec) -> set[str]:
    """All eta keys a drug accepts."""
    keys = {f"{a}.{p}" for a in spec.analytes for p in ANALYTE_ETA_PARAMS}
    keys |= {f"{f}.{p}" for f in spec.formulations for p in FORMULATION_ETA_PARAMS}
    return keys


def sample_eta(spec: DrugSpec, n: int, rng: np.random.Generator | int | None = None) -> dict[str, np.ndarray]:
    """Random effects for ``n`` patients from the drug file's ``iiv`` CVs: eta ~ N(0, ln(1 + cv²))."""
    rng = np.random.default_rng(rng)
    out = {}
    for key, p in sorted(spec.iiv.items()):
        omega = np.sqrt(np.log1p(p.value**2))
        out[key] = rng.normal(0.0, omega, size=n)
    return out
