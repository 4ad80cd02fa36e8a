"""Receptor layer: competitive occupancy at μ, TLR4/MD-2, NMDA and NOX2 from unbound effect-site
concentrations of all ligands at once.

Inputs are unbound effect-site (brain) concentrations in nM, keyed by analyte name, as in the
``effect_nM`` variable of :func:`ldnsim.pk.simulate_pk`. Outputs are fractions 0-1.

μ-opioid receptor (one site, all ligands compete; Hill 1)::

    x_i = C_i / Ki_i,   x_E = endogenous · endogenous_ratio,   D = 1 + Σ x_i + x_E
    mu_antagonist = Σ_antagonists x_i / D           (what [11C]carfentanil PET measures)
    mu_agonist    = Σ_agonists efficacy_i · x_i / D (efficacy-weighted; full agonist efficacy 1)
    mu_agonist_occupancy = Σ_agonists x_i / D       (unweighted)
    mu_endogenous = x_E / D

Full agonists' Ki (role ``agonist``) is the drug file's in-vitro value times ``mu_agonist_in_vivo_shift``
(receptors.yaml): in-vitro agonist Ki are high-affinity-state values without Na⁺/GTP. Antagonists and
the partial agonist buprenorphine keep the file value.

TLR4/MD-2 (antagonists and opioid activators compete for the LPS pocket)::

    x_I = Σ C_i · relative_potency_i / tlr4_ic50_nM,  x_A = Σ C_j / EC50_j
    tlr4_inhibition = x_I / (1 + x_I + x_A),  tlr4_agonism = x_A / (1 + x_I + x_A)

NMDA channel block: ``x/(1+x)``, ``x = Σ C/IC50`` (dextromethorphan, dextrorphan).
NOX2 inhibition: ``emax · x/(1+x)`` with ``emax`` ≤ ``nox2_cap`` (0.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from .data import load_yaml
from .errors import InputError, UnknownNameError

__all__ = [
    "OCCUPANCY_KEYS",
    "LigandConstants",
    "ligand_table",
    "default_params",
    "occupancy",
    "occupancy_xp",
    "occupancy_from_pk",
    "receptor_constants",
    "mu_occupancy_by_naltrexone",
]

OCCUPANCY_KEYS = (
    "mu_antagonist",
    "mu_agonist",
    "mu_endogenous",
    "tlr4_inhibition",
    "tlr4_agonism",
    "nmda_block",
    "nox2_inhibition",
)


@dataclass(frozen=True)
class LigandConstants:
    """Receptor constants of one analyte (nM; fractions)."""

    analyte: str
    drug: str
    mu_role: str | None = None
    mu_ki_nM: float | None = None
    mu_efficacy: float = 0.0
    mu_ki_in_vitro_nM: float | None = None
    tlr4_role: str | None = None
    tlr4_relative_potency: float = 1.0
    tlr4_ec50_nM: float | None = None
    nmda_ic50_nM: float | None = None
    nox2_ic50_nM: float | None = None
    nox2_emax: float = 0.0


@cache
def ligand_table() -> dict[str, LigandConstants]:
    """Receptor constants of every analyte in every shipped drug file. Where an analyte appears in
    several files (morphine as codeine's metabolite), the file where it is the parent wins."""
    from .pk import known_drugs, load_drug

    table: dict[str, LigandConstants] = {}
    owner_is_parent: dict[str, bool] = {}
    for drug in known_drugs():
        spec = load_drug(drug)
        for name, an in spec.analytes.items():
            is_parent = name == spec.parent_analyte
            if name in table and (owner_is_parent[name] or not is_parent):
                continue
            r = an.receptors
            kw: dict = {"analyte": name, "drug": spec.id}
            if r.mu is not None:
                shift = _agonist_shift() if r.mu.role == "agonist" else 1.0  # full agonists only
                kw.update(mu_role=r.mu.role, mu_ki_nM=r.mu.ki.value * shift, mu_efficacy=r.mu.efficacy_value,
                          mu_ki_in_vitro_nM=r.mu.ki.value)
            if r.tlr4 is not None:
                kw["tlr4_role"] = r.tlr4.role
                if r.tlr4.relative_potency is not None:
                    kw["tlr4_relative_potency"] = r.tlr4.relative_potency.value
                if r.tlr4.ec50 is not None:
                    kw["tlr4_ec50_nM"] = r.tlr4.ec50.value
            if r.nmda is not None:
                kw["nmda_ic50_nM"] = r.nmda.ic50.value
            if r.nox2 is not None:
                kw.update(nox2_ic50_nM=r.nox2.ic50.value, nox2_emax=r.nox2.emax.value)
            table[name] = LigandConstants(**kw)
            owner_is_parent[name] = is_parent
    return table


@cache
def _shared() -> dict[str, float]:
    from .data.parameter_set import load_parameter_set

    doc = load_yaml("receptors.yaml")
    out = {
        k: float(v["value"])
        for k, v in doc.items()
        if isinstance(v, dict) and "value" in v and k not in _LIGAND_CONSTANTS
    }
    # the glial TLR4 IC50 is a system parameter of the one parameter set (system/parameters.yaml)
    out["tlr4_ic50_nM"] = float(load_parameter_set().system["tlr4_ic50_nM"])
    return out


#: receptors.yaml entries applied to the ligand constants (not overridable per call)
_LIGAND_CONSTANTS = ("mu_agonist_in_vivo_shift",)


@cache
def _agonist_shift() -> float:
    """In-vivo/in-vitro Ki ratio of full μ agonists (receptors.yaml ``mu_agonist_in_vivo_shift``)."""
    return float(load_yaml("receptors.yaml")["mu_agonist_in_vivo_shift"]["value"])


def default_params() -> dict[str, float]:
    """Shared receptor-layer parameters (``endogenous_ratio``, ``tlr4_ic50_nM``, ``nox2_cap``)."""
    return dict(_shared())


_PARAM_RANGES = {
    "endogenous_ratio": (0.0, 100.0),
    "tlr4_ic50_nM": (1e-6, 1e9),
    "nox2_cap": (0.0, 0.5),
}


def _params(params: Mapping[str, float] | None) -> dict[str, float]:
    p = default_params()
    for k, v in (params or {}).items():
        if k not in _PARAM_RANGES:
            raise UnknownNameError("receptor parameter", k, _PARAM_RANGES)
        lo, hi = _PARAM_RANGES[k]
        v = float(v)
        if not (np.isfinite(v) and lo <= v <= hi):
            raise InputError(k, "out of range", accepted=f"{lo:g}-{hi:g}", value=v)
        p[k] = v
    return p


def receptor_constants(analytes: Sequence[str], params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Constants :func:`occupancy_xp` needs for these analytes: their :class:`LigandConstants`, the shared
    parameters (:func:`default_params` updated with ``params``, unchecked; values may be per-patient arrays)
    and the NOX2 ceiling (the largest ``nox2_emax`` of the analytes, capped at ``nox2_cap``)."""
    table = ligand_table()
    p: dict[str, Any] = dict(default_params())
    p.update(params or {})
    lig = {}
    nox_emax = 0.0
    for a in analytes:
        if a not in table:
            raise UnknownNameError("analyte", a, table)
        L = table[a]
        lig[a] = L
        if L.nox2_ic50_nM is not None:
            nox_emax = max(nox_emax, L.nox2_emax)
    return {"ligands": lig, "params": p, "nox_emax": min(nox_emax, p["nox2_cap"])}


def occupancy_xp(
    effect_nM: Mapping[str, Any], consts: Mapping[str, Any], xp: Any, endogenous: Any = 1.0
) -> dict[str, Any]:
    """The receptor equations (module docstring), once, over the array namespace ``xp``.

    ``effect_nM``: unbound effect-site concentrations (nM, ≥ 0) by analyte; ``consts`` from
    :func:`receptor_constants`. No validation and no Python branching on values, so numpy, jax (inside
    ``jit``) and the SBML tracer all run the same code; a target no analyte acts on gives the scalar 0.0.
    Returns fractions 0-1 under :data:`OCCUPANCY_KEYS` and ``mu_agonist_occupancy``.
    """
    p = consts["params"]
    x_ant = x_ag = x_ag_eff = x_ti = x_ta = x_nmda = x_nox = 0.0
    for a, c in effect_nM.items():
        L = consts["ligands"][a]
        if L.mu_ki_nM is not None:
            x = c / L.mu_ki_nM
            if L.mu_role == "antagonist":
                x_ant = x_ant + x
            else:
                x_ag = x_ag + x
                x_ag_eff = x_ag_eff + L.mu_efficacy * x
        if L.tlr4_role == "antagonist":
            x_ti = x_ti + c * (L.tlr4_relative_potency / p["tlr4_ic50_nM"])
        elif L.tlr4_role == "activator" and L.tlr4_ec50_nM is not None:
            x_ta = x_ta + c / L.tlr4_ec50_nM
        if L.nmda_ic50_nM is not None:
            x_nmda = x_nmda + c / L.nmda_ic50_nM
        if L.nox2_ic50_nM is not None:
            x_nox = x_nox + c / L.nox2_ic50_nM
    x_end = endogenous * p["endogenous_ratio"]
    d_mu = 1.0 + x_ant + x_ag + x_end
    d_tlr = 1.0 + x_ti + x_ta
    return {
        "mu_antagonist": x_ant / d_mu,
        "mu_agonist": x_ag_eff / d_mu,
        "mu_endogenous": x_end / d_mu,
        "mu_agonist_occupancy": x_ag / d_mu,
        "tlr4_inhibition": x_ti / d_tlr,
        "tlr4_agonism": x_ta / d_tlr,
        "nmda_block": x_nmda / (1.0 + x_nmda),
        "nox2_inhibition": consts["nox_emax"] * x_nox / (1.0 + x_nox),
    }


_OUTPUT_KEYS = ("mu_antagonist", "mu_agonist", "mu_endogenous", "mu_agonist_occupancy", "tlr4_inhibition",
                "tlr4_agonism", "nmda_block", "nox2_inhibition")


def occupancy(
    effect_nM: Mapping[str, np.ndarray],
    endogenous: float | np.ndarray = 1.0,
    params: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Fractional occupancy/effect at each target from unbound effect-site concentrations (nM):
    :func:`occupancy_xp` on numpy with the inputs checked.

    effect_nM: ``{analyte: array}`` (arrays broadcast together; e.g. patient × time).
    endogenous: endogenous opioid tone relative to resting (1 = resting; scales ``endogenous_ratio``).
    params: overrides of :func:`default_params` (``tlr4_ic50_nM``, ``endogenous_ratio``, ``nox2_cap``).
    Returns arrays (fractions 0-1) under the keys of :data:`OCCUPANCY_KEYS` plus ``mu_agonist_occupancy``.
    """
    p = _params(params)
    table = ligand_table()
    conc: dict[str, np.ndarray] = {}
    for name, c in effect_nM.items():
        if name not in table:
            raise UnknownNameError("analyte", name, table)
        arr = np.asarray(c, dtype=float)
        low = float(arr.min()) if arr.size else 0.0
        if not np.isfinite(low) or low < -1e-9 or not np.isfinite(arr).all():
            raise InputError(f"effect_nM[{name}]", "must be finite and non-negative (nM)")
        conc[name] = np.maximum(arr, 0.0) if low < 0.0 else arr
    endo = np.asarray(endogenous, dtype=float)
    if not np.all(np.isfinite(endo)) or np.any(endo < 0):
        raise InputError("endogenous", "must be finite and >= 0", accepted=">= 0 (1 = resting tone)")
    shape = np.broadcast_shapes(*(a.shape for a in conc.values()), endo.shape) if conc else endo.shape
    occ = occupancy_xp(conc, receptor_constants(list(conc), p), np, endogenous=endo)
    out = {}
    for k in _OUTPUT_KEYS:
        v = np.asarray(occ[k], dtype=float)
        out[k] = v if v.shape == shape else np.broadcast_to(v, shape).copy()
    return out


def occupancy_from_pk(ds, endogenous: float | np.ndarray = 1.0, params: Mapping[str, float] | None = None):
    """Occupancies for a :func:`ldnsim.pk.simulate_pk` Dataset → ``xarray.Dataset`` (patient × time)."""
    import xarray as xr

    eff = ds["effect_nM"]
    conc = {str(a): eff.sel(analyte=a).values for a in eff.analyte.values}
    occ = occupancy(conc, endogenous=endogenous, params=params)
    dims = ("patient", "time")
    return xr.Dataset(
        {k: (dims, np.broadcast_to(v, eff.shape[:2]), {"units": "fraction"}) for k, v in occ.items()},
        coords={"patient": eff.patient.values, "time_h": ("time", ds.time_h.values)},
    )


def mu_occupancy_by_naltrexone(
    dose_mg: float,
    times_h,
    formulation: str = "ir",
    covariates=None,
    endogenous: float = 1.0,
) -> np.ndarray:
    """μ occupancy by naltrexone + 6β-naltrexol (fraction) after one oral dose at t = 0; times in h.
    Returns an array (patients × times)."""
    from .pk import simulate_pk
    from .pk._simulate import Event

    ds = simulate_pk([Event(0.0, "naltrexone", float(dose_mg), formulation, 0.0)], times_h, covariates)
    return occupancy_from_pk(ds, endogenous=endogenous)["mu_antagonist"].values
