"""Non-compartmental summaries of simulated profiles: Cmax, Tmax, terminal t½, AUC(0-∞)."""

from __future__ import annotations

import numpy as np

from ._covariates import Covariates
from ._drugs import load_drug
from ._simulate import Event, build_drug_system, simulate_pk

__all__ = ["nca", "single_dose_metrics", "analysis_horizon_h"]


def nca(t: np.ndarray, c: np.ndarray, tail_fraction: float = 0.25) -> dict[str, float]:
    """Cmax (input units), Tmax (h), terminal half-life (h, log-linear fit over the last
    ``tail_fraction`` of the profile) and AUC 0-∞ (trapezoids plus C_last/λz) of one profile."""
    t = np.asarray(t, dtype=float)
    c = np.asarray(c, dtype=float)
    i = int(np.argmax(c))
    cmax = float(c[i])
    out = {"cmax": cmax, "tmax": float(t[i]), "t_half": float("nan"), "auc": float(np.trapezoid(c, t))}
    if cmax <= 0:
        out["auc"] = 0.0
        return out
    # terminal phase: the last ``tail_fraction`` of the post-peak profile that is still quantifiable
    # (above 1e-10 x Cmax, far above round-off)
    q = np.nonzero((t >= t[i]) & (c > cmax * 1e-10))[0]
    t_end = t[q[-1]] if q.size else t[-1]
    t0 = t[i] + (1 - tail_fraction) * (t_end - t[i])
    sel = (t >= t0) & (t <= t_end) & (c > cmax * 1e-10)
    if sel.sum() >= 3:
        slope = np.polyfit(t[sel], np.log(c[sel]), 1)[0]
        if slope < 0:
            lam = -slope
            out["t_half"] = float(np.log(2) / lam)
            out["auc"] += float(c[-1] / lam)
    return out


def analysis_horizon_h(drug: str, formulation: str, covariates: Covariates | None = None) -> float:
    """Hours long enough for a single dose to reach its terminal phase: 12 slowest half-lives of
    the drug's (mass) system, at least 48 h, plus any zero-order release time."""
    sys = build_drug_system(drug, [formulation], covariates, None, sinks=False)
    mass = np.nonzero(sys.mass)[0]
    A = sys.A[0][np.ix_(mass, mass)]
    lam = np.abs(np.linalg.eigvals(A).real)
    lam = lam[lam > 1e-12]
    slow = float(lam.min()) if lam.size else np.log(2) / 24
    f = load_drug(drug).formulations[formulation]
    rel = f.release_h.value if f.release_h is not None else 0.0
    return float(max(48.0, 12 * np.log(2) / slow) + rel)


def single_dose_metrics(
    drug: str,
    dose_mg: float,
    formulation: str | None = None,
    covariates: Covariates | None = None,
    duration_h: float = 0.0,
) -> dict[str, dict[str, float]]:
    """Per analyte: ``cmax_ng_ml``, ``tmax_h``, ``t_half_h``, ``auc_ng_h_ml`` (0-∞) and the effect-site
    peak ``effect_max_nM`` after one dose at t = 0 (exact simulation on a fine grid)."""
    spec = load_drug(drug)
    form = formulation or spec.default_formulation
    horizon = analysis_horizon_h(spec.id, form, covariates) + duration_h
    step = min(0.01, horizon / 20000)
    t = np.arange(0.0, horizon + step / 2, step)  # uniform grid: one propagator power table
    ds = simulate_pk([Event(0.0, spec.id, float(dose_mg), form, float(duration_h))], t, covariates)
    out = {}
    for a in ds.analyte.values:
        r = nca(t, ds.plasma_ng_ml.sel(analyte=a).values[0])
        out[str(a)] = {
            "cmax_ng_ml": r["cmax"],
            "tmax_h": r["tmax"],
            "t_half_h": r["t_half"],
            "auc_ng_h_ml": r["auc"],
            "effect_max_nM": float(ds.effect_nM.sel(analyte=a).values[0].max()),
        }
    return out
