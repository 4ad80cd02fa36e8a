"""The peripheral immune / OGF–OGFr system: quasi-steady-state algebra and the slow ODEs.

Pure functions over an array namespace ``xp`` (numpy, jax.numpy or the SBML tracer :data:`ldnsim.sbml.SYM`):
no in-place mutation, no Python branching on array values. A state array ``y`` has the state axis last,
``(..., n_states)``; the driver and the parameters broadcast against ``y[..., 0]`` (a driver of shape
``(n_sub, n_patients)`` with states ``(n_patients, n_states)`` evaluates every sub-step at once).

Every ODE is in production–loss form ``dy/dt = P − L·y`` with ``P, L ≥ 0`` (states stay non-negative under
the exponential integrator). Equations and their sources: docs/immune.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "STATE_NAMES",
    "STATE_LABELS",
    "STATE_RANGES",
    "ALGEBRAIC_NAMES",
    "DRIVER_NAMES",
    "OUTPUT_NAMES",
    "algebra",
    "production_loss",
    "rhs",
    "untreated_state",
]

#: slow states, in the order of the state axis (levels relative to untreated = 1)
STATE_NAMES: tuple[str, ...] = (
    "ogf",  # G: OGF ([Met5]-enkephalin), relative to untreated (1)
    "ogfr_density",  # R: OGFr density, relative to untreated (1)
    "lymphocyte_proliferation",  # L: T/B-lymphocyte proliferation rate, relative to untreated (1)
    "mucosal_inflammation",  # I_gut: gut mucosal inflammation, untreated Crohn's = 1, 0 = healed
    "cns_inflammation",  # I_cns: CNS/peripheral immune activity, untreated MS = 1, 0 = quiescent
)
STATE_LABELS: dict[str, str] = {
    "ogf": "OGF ([Met5]-enkephalin), relative to untreated",
    "ogfr_density": "OGFr density, relative to untreated",
    "lymphocyte_proliferation": "T/B-lymphocyte proliferation, relative to untreated",
    "mucosal_inflammation": "gut mucosal inflammation (untreated Crohn's 1, healed 0)",
    "cns_inflammation": "CNS/peripheral immune activity (untreated MS 1, quiescent 0)",
}
#: the range each state must stay in (tests; upper bounds follow from the equations and the parameter ranges)
STATE_RANGES: dict[str, tuple[float, float]] = {
    "ogf": (0.0, 10.0),
    "ogfr_density": (0.0, 10.0),
    "lymphocyte_proliferation": (0.0, 10.0),
    "mucosal_inflammation": (0.0, 1e6),
    "cns_inflammation": (0.0, 1e6),
}
#: quasi-steady-state quantities
ALGEBRAIC_NAMES: tuple[str, ...] = (
    "ogfr_occupancy",  # fraction of OGFr bound by naltrexone + 6β-naltrexol (0–1)
    "ogf_occupancy",  # fraction of OGFr bound by OGF (0–1)
    "ogfr_signal",  # OGF–OGFr complex (density × OGF-bound fraction), relative to untreated (1)
    "proliferation_target",  # the proliferation the signal sets (L relaxes to it)
    "cytokines",  # pro-inflammatory cytokine output, relative to untreated (1)
)
#: input from the receptor layer: Σ unbound plasma concentration / Ki at OGFr (dimensionless, ≥ 0)
DRIVER_NAMES: tuple[str, ...] = ("ogfr_drug",)
#: what a run reports per patient and step (step means), in this order
OUTPUT_NAMES: tuple[str, ...] = (
    "ogfr_occupancy",
    *STATE_NAMES,
    "cytokines",
    "ogfr_signal",
    "ogfr_blockade_hours",
)

IG, IR, IL, IGUT, ICNS = range(len(STATE_NAMES))


def untreated_state(xp: Any, n_patients: int, gut_drive: Any, cns_drive: Any) -> Any:
    """The untreated steady state (n_patients, n_states): OGF, OGFr and proliferation 1; each tissue at its
    condition's untreated drive. Exact: with no drug every production equals its loss there."""
    one = xp.ones((n_patients,))
    return xp.stack([one, one, one, one * gut_drive, one * cns_drive], axis=-1)


def algebra(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> dict[str, Any]:
    """OGFr occupancy by drug and by OGF, the OGF–OGFr signal, the proliferation it sets, and cytokines.

    One-site competition at OGFr: ``x_D = Σ C_u/Ki`` (the driver ``ogfr_drug``), ``x_G = G·r`` (``r``: resting
    [OGF]/Kd); occupancies ``x/(1 + x_D + x_G)``. The signal is the OGF-bound receptor, ``R·o_G/o_G0``
    (untreated 1). Proliferation: operational model of a tonic inhibitor, ``(1 + g·I0)/(1 + g·I(s))`` with
    ``I(s) = τs/(1 + τs)`` — less signal, faster proliferation. Cytokines ``L·(1 − w + w·(I_gut + I_cns))``.
    """
    g, r_dens, lym = y[..., IG], y[..., IR], y[..., IL]
    x_d = d["ogfr_drug"]
    r = p["ogf_occupancy_ratio"]
    x_g = g * r
    den = 1.0 + x_d + x_g
    occ_d = x_d / den
    occ_g = x_g / den
    s = r_dens * occ_g * ((1.0 + r) / r)  # occ_g / occ_g0, occ_g0 = r / (1 + r)
    tau = p["tau_ogfr"]
    gain = p["gain_ogfr"]
    inh = tau * s / (1.0 + tau * s)
    inh0 = tau / (1.0 + tau)
    target = (1.0 + gain * inh0) / (1.0 + gain * inh)
    w = p["w_tissue"]
    tissue = y[..., IGUT] + y[..., ICNS]
    cyt = lym * (1.0 - w + w * tissue)
    return {"ogfr_occupancy": occ_d, "ogf_occupancy": occ_g, "ogfr_signal": s,
            "proliferation_target": target, "cytokines": cyt}


def production_loss(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any,
                    alg: Mapping[str, Any] | None = None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Production ``P`` and loss rate ``L`` (1/h, both ≥ 0) of each state, unstacked, ``dy/dt = P − L·y``.

    Each term has the shape its inputs broadcast to (``(n_patients,)`` or ``(n_sub, n_patients)``).
    ``alg``: the :func:`algebra` of ``(y, d, p)`` where the caller has it (the SBML export passes the names
    of its assignment rules).
    """
    if alg is None:
        alg = algebra(y, d, p, xp)
    # compensatory up-regulation (Zagon & McLaughlin): a saturating function of the blockade at each moment,
    # 1 at full blockade, so a few hours a day of partial blockade already trigger most of it; what differs
    # between intermittent and continuous blockade is how much of the day the up-regulated receptor is free
    o = alg["ogfr_occupancy"]
    k_up = p["K_up"]
    u = o * (1.0 + k_up) / (k_up + o)
    lym = y[..., IL]
    one = xp.ones_like(lym)
    pg = p["k_ogf"] * (1.0 + p["alpha_ogf"] * u)
    lg = p["k_ogf"] * one
    pr = p["k_ogfr"] * (1.0 + p["alpha_ogfr"] * u)
    lr = p["k_ogfr"] * one
    pl = p["k_lymph"] * alg["proliferation_target"]
    ll = p["k_lymph"] * one
    # tissue inflammation relaxes to drive · L^n: a clonally expanding effector pool amplifies the
    # proliferation rate (docs/immune.md); 0 where the condition spares the tissue
    pgut = p["k_gut"] * p["gut_drive"] * lym ** p["n_gut"]
    lgut = p["k_gut"] * one
    pcns = p["k_cns"] * p["cns_drive"] * lym ** p["n_cns"]
    lcns = p["k_cns"] * one
    return (pg, pr, pl, pgut, pcns), (lg, lr, ll, lgut, lcns)


def rhs(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> Any:
    """``dy/dt`` (1/h), shaped like ``y`` (for tests and reference integrators)."""
    prod, loss = production_loss(y, d, p, xp)
    z = 0.0 * y[..., 0]
    rates = [pr + z - (ls + z) * y[..., i] for i, (pr, ls) in enumerate(zip(prod, loss, strict=True))]
    return xp.stack(rates, axis=-1)
