"""Joint fit of naltrexone's and 6β-naltrexol's brain μ-occupancy kinetics to the human data
(``data/occupancy.yaml``), once per occupancy variant. Reproducible; not run at import.

Free parameters: each analyte's effect-site ``ke0`` (1/h) and unbound brain/plasma ratio ``kp_uu``;
naltrexone's ke0 ≥ ln 2 / 30 min (label onset of blockade within 1 h).
Fixed: plasma PK (data/drugs/naltrexone.yaml), Ki 1.15 / 2.12 nM, resting endogenous tone (receptors.yaml).
Targets (occupancy residuals, fraction; sources in the data file):

- peak occupancy < 8 h after 2-50 mg (Rabiner 2011), 7 points, weight 1;
- onset: 50 mg 0.90 at 1 h (Lee 1988), weight 2;
- the 50 mg time course at 48, 72, 120, 168 h implied by Lee's blockade half-time (90 h, the middle of
  72-108 h) from 0.95 at 1 h, weight 2;
- Swiss label: 50 mg every 48 h leaves 0.70-0.80 blocked at 48 h (trough after the 6th dose), weight 2;
- CPT 2005 abstract (one-sided): 12.5 mg ≥ 0.20 at 24 h and ≤ 0.15 at 72 h; 50 mg ≥ 0.10 at 144 h;
- Yancey-Wrona 2011 (one-sided constraint, weight 100): central occupancy by 6β-naltrexol after 20 mg IV
  over 30 min stays ≤ 0.25 during the test window (0.5-8 h).

Variants: ``metabolite-sustained`` fits all four parameters; ``parent-transient`` fixes 6β-naltrexol's
``kp_uu`` at the largest value the Yancey-Wrona null allows at EQUILIBRIUM with its peak plasma level (so
the metabolite cannot build a slow central pool whatever its ke0; its ke0 is then immaterial and set to
0.01/h) and fits naltrexone's two to the data this hypothesis claims to explain: it attributes the
72-168 h blockade after 50 mg (Lee 1988, the label's 48-h trough, the 50 mg point of CPT 2005) to a
saturable retention that linear PK cannot carry down to LDN doses, so those targets are left out of its
fit and reported as its failure.

Run ``python -m ldnsim.model._occupancy_fit [VARIANT]`` to print the values data/occupancy.yaml records.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

PARAMS = ("naltrexone.ke0", "naltrexone.kp_uu", "6beta-naltrexol.ke0", "6beta-naltrexol.kp_uu")
_EARLY = np.linspace(0.0, 8.0, 81)
_LOWER, _UPPER = np.log([1e-3, 1e-4, 1e-4, 1e-5]), np.log([50.0, 3.0, 5.0, 3.0])


@cache
def targets() -> dict[str, Any]:
    """The ``targets`` block of data/occupancy.yaml."""
    from ..data import load_yaml

    out: dict[str, Any] = load_yaml("occupancy.yaml")["targets"]
    return out


def file_values() -> dict[str, float]:
    """The effect-site values of data/drugs/naltrexone.yaml (the default occupancy variant's)."""
    from ..pk import load_drug

    spec = load_drug("naltrexone")
    return {k: float(getattr(spec.analytes[k.split(".")[0]].effect, k.split(".")[1]).value) for k in PARAMS}


def _eta(p: Mapping[str, float]) -> dict[str, np.ndarray]:
    base = file_values()
    return {k: np.array([np.log(p[k] / base[k])]) for k in PARAMS}


def occupancy_oral(dose_mg: float, times_h: np.ndarray, p: Mapping[str, float], interval_h: float = 0.0,
                   doses: int = 1) -> np.ndarray:
    """μ occupancy (fraction) by naltrexone + 6β-naltrexol after oral IR doses (mg; ``doses`` every
    ``interval_h`` from t = 0) with effect values ``p``."""
    from ..pk import Event, simulate_pk
    from ..receptors import occupancy_from_pk

    evs = [Event(i * float(interval_h), "naltrexone", float(dose_mg), "ir", 0.0) for i in range(int(doses))]
    ds = simulate_pk(evs, np.asarray(times_h, float), eta=_eta(p))
    return np.asarray(occupancy_from_pk(ds)["mu_antagonist"].values[0], dtype=float)


def _metabolite_system(p: Mapping[str, float]) -> tuple[np.ndarray, float, float]:
    from ..pk import load_drug

    m = load_drug("naltrexone").analytes["6beta-naltrexol"]
    assert m.Q is not None and m.V2 is not None  # two-compartment metabolite (naltrexone.yaml)
    V, CL, Q, V2 = m.V.value, m.CL.value, m.Q.value, m.V2.value
    c = m.fu.value * p["6beta-naltrexol.kp_uu"] * 1e6 / (V * m.molar_mass.value)  # effect nM per mg central
    ke0 = p["6beta-naltrexol.ke0"]
    A = np.array([[-(CL + Q) / V, Q / V2, 0.0], [Q / V, -Q / V2, 0.0], [ke0 * c, 0.0, -ke0]])
    to_nM = 1e6 / (V * m.molar_mass.value)
    return A, to_nM, m.fu.value


def metabolite_iv(dose_mg: float, infusion_h: float, times_h: np.ndarray,
                  p: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """6β-naltrexol given IV (zero-order over ``infusion_h``): (total plasma nM, central μ occupancy) at
    ``times_h`` — the same two-compartment PK and effect site as after oral naltrexone."""
    from scipy.linalg import expm

    from ..receptors import occupancy

    A, to_nM, _ = _metabolite_system(p)
    M = np.zeros((4, 4))
    M[:3, :3] = A
    M[0, 3] = dose_mg / infusion_h
    y_end = (expm(M * infusion_h) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3]
    ys = []
    for t in np.asarray(times_h, dtype=float):
        if t <= infusion_h:
            ys.append((expm(M * t) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3])
        else:
            ys.append(expm(A * (t - infusion_h)) @ y_end)
    y = np.asarray(ys)
    occ = occupancy({"6beta-naltrexol": np.maximum(y[:, 2], 0.0)})["mu_antagonist"]
    return y[:, 0] * to_nM, np.asarray(occ, dtype=float)


def yancey_wrona_equilibrium_kp() -> float:
    """The largest 6β-naltrexol ``kp_uu`` for which the Yancey-Wrona bound holds at equilibrium with the peak
    plasma level of 20 mg IV (whatever ke0): bound = x/(1 + x + r), x = kp·fu·Cpeak/Ki."""
    from ..receptors import default_params, ligand_table

    yw = targets()["yancey_wrona_2011"]
    t = np.linspace(0.0, 2.0, 201)
    plasma, _ = metabolite_iv(yw["dose_mg"], yw["infusion_h"], t, {**file_values()})
    _, _, fu = _metabolite_system(file_values())
    b = float(yw["bound"]["value"])
    x = b * (1.0 + default_params()["endogenous_ratio"]) / (1.0 - b)
    ki = ligand_table()["6beta-naltrexol"].mu_ki_nM
    assert ki is not None
    return float(x * ki / (fu * plasma.max()))


def lee_targets() -> tuple[np.ndarray, np.ndarray]:
    """Times (h) and occupancies implied by Lee's 90-h blockade half-time from 0.95 at 1 h."""
    lee = targets()["lee_1988"]
    t = np.asarray(lee["times_h"][1:], dtype=float)
    t0 = float(lee["times_h"][0])
    y = float(lee["start_occupancy"]["value"]) * 2.0 ** (-(t - t0) / float(lee["half_time_h"]["value"]))
    return t, y


def blockade_half_time(p: Mapping[str, float]) -> float:
    """Half-time (h) of the 50 mg blockade as Lee 1988 reports it: log-linear regression of occupancy on
    time over the scans at 1, 48, 72, 120, 168 h."""
    lee = targets()["lee_1988"]
    t = np.asarray(lee["times_h"], dtype=float)
    o = occupancy_oral(lee["dose_mg"], t, p)
    slope = np.polyfit(t, np.log(np.maximum(o, 1e-12)), 1)[0]
    return float(np.log(2.0) / -slope) if slope < 0 else float("inf")


def residuals(p: Mapping[str, float], exclude: tuple[str, ...] = ()) -> np.ndarray:
    """Weighted occupancy residuals (model − data; fraction) of every target for effect values ``p``;
    ``exclude``: ``("late",)`` leaves out the slow blockade after 50 mg (``lee_1988``, ``label_q48h``, the
    50 mg point of ``cpt_2005``) for a variant that attributes it to a mechanism the linear model does not
    carry."""
    tg = targets()
    r = [occupancy_oral(d, _EARLY, p).max() - y for d, y in tg["peak"]["points"]]
    on = tg["onset"]
    r.append(2.0 * (occupancy_oral(on["dose_mg"], np.array([on["time_h"]]), p)[0] - on["occupancy"]["value"]))
    lt, ly = lee_targets()
    o50 = occupancy_oral(50.0, np.r_[lt, 144.0], p)
    late = "late" not in exclude
    r += list(2.0 * (o50[:-1] - ly)) if late else []
    q = tg["label_q48h"]
    trough_t = q["interval_h"] * q["doses"] - 1e-6
    if late:
        r.append(2.0 * (occupancy_oral(q["dose_mg"], np.array([trough_t]), p, q["interval_h"], q["doses"])[0]
                        - q["trough"]["value"]))
    cpt = tg["cpt_2005"]
    sig, nsig = float(cpt["significant_min"]["value"]), float(cpt["not_significant_max"]["value"])
    r += [2.0 * min(0.0, o50[-1] - sig / 2.0)] if late else []
    o12 = occupancy_oral(cpt["dose_12_5_mg"], np.array([24.0, 72.0]), p)
    r.append(2.0 * min(0.0, o12[0] - sig))
    r.append(2.0 * max(0.0, o12[1] - nsig))
    yw = tg["yancey_wrona_2011"]
    lo, hi = float(yw["infusion_h"]), float(yw["window_end_h"]["value"])
    _, occ = metabolite_iv(yw["dose_mg"], yw["infusion_h"], np.linspace(lo, hi, 16), p)
    r.append(100.0 * max(0.0, occ.max() - float(yw["bound"]["value"])))
    return np.asarray(r)


def fit(variant: str = "metabolite-sustained") -> dict[str, float]:
    """Least-squares fit (scipy) in log-parameter space for ``variant``; returns the four effect values
    (ke0 1/h, kp_uu fraction), ``rms`` (weighted residuals) and the 50 mg blockade ``half_time_h``."""
    from scipy.optimize import least_squares

    start = {"naltrexone.ke0": 10.0, "naltrexone.kp_uu": 0.4, "6beta-naltrexol.ke0": 0.01,
             "6beta-naltrexol.kp_uu": 0.1}
    exclude: tuple[str, ...] = ()
    if variant == "metabolite-sustained":
        free = list(PARAMS)
        fixed: dict[str, float] = {}
    elif variant == "parent-transient":
        free = ["naltrexone.ke0", "naltrexone.kp_uu"]
        fixed = {"6beta-naltrexol.kp_uu": yancey_wrona_equilibrium_kp(),
                 "6beta-naltrexol.ke0": start["6beta-naltrexol.ke0"]}
        exclude = ("late",)
    else:
        raise ValueError(f"unknown occupancy variant {variant!r}")
    idx = [PARAMS.index(k) for k in free]
    lower = _LOWER.copy()
    lower[0] = np.log(float(targets()["onset_bound"]["naltrexone_ke0_min"]["value"]))

    def unpack(x: np.ndarray) -> dict[str, float]:
        return {**fixed, **{k: float(np.exp(v)) for k, v in zip(free, x, strict=True)}}

    res = least_squares(lambda x: residuals(unpack(x), exclude), np.log([start[k] for k in free]),
                        bounds=(lower[idx], _UPPER[idx]), diff_step=1e-3)
    out = unpack(res.x)
    out = {k: out[k] for k in PARAMS}
    out["rms"] = float(np.sqrt(np.mean(res.fun**2)))
    out["half_time_h"] = blockade_half_time(out)
    out["q48h_trough"] = label_trough(out)
    out["yw_window_max"] = yancey_wrona_max(out)
    return out


def label_trough(p: Mapping[str, float]) -> float:
    """Occupancy just before the 7th dose of 50 mg every 48 h (the label's 70-80 %)."""
    q = targets()["label_q48h"]
    t = q["interval_h"] * q["doses"] - 1e-6
    return float(occupancy_oral(q["dose_mg"], np.array([t]), p, q["interval_h"], q["doses"])[0])


def yancey_wrona_max(p: Mapping[str, float], end_h: float | None = None) -> float:
    """Largest central μ occupancy by 6β-naltrexol after 20 mg IV over 30 min, from the end of the infusion
    to ``end_h`` (default: the end of the assumed test window, 8 h)."""
    yw = targets()["yancey_wrona_2011"]
    hi = float(yw["window_end_h"]["value"]) if end_h is None else float(end_h)
    _, occ = metabolite_iv(yw["dose_mg"], yw["infusion_h"], np.linspace(float(yw["infusion_h"]), hi, 64), p)
    return float(occ.max())


if __name__ == "__main__":  # pragma: no cover
    for v in sys.argv[1:] or ["metabolite-sustained", "parent-transient"]:
        print(v, {k: float(f"{x:.4g}") for k, x in fit(v).items()})
