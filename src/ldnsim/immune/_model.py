"""The immune module as the engines run it: regimen → exact PK (plasma) → OGFr driver → slow ODEs.

:class:`ImmuneModel` follows the engines' model contract (:class:`ldnsim.engines.Problem` takes it):
``sample``
(virtual patients), ``setup`` (per-chunk parameters, the untreated state, driver samples per macro-step) and
``step`` (one exponential-Heun macro-step, written once over ``xp`` for numpy and jax). Its step reports the
stacked outputs of :data:`OUTPUT_NAMES` under the key :attr:`ImmuneModel.readout`, which the engines' error
control (:func:`ldnsim.engines._base.advance`) averages over refined half steps like the pain readout.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from ..model import dose_events
from ._params import condition_params, ogfr_ki_nM, parameter_entries, resolve_params
from ._rhs import DRIVER_NAMES, OUTPUT_NAMES, STATE_NAMES, algebra, production_loss, untreated_state

__all__ = ["ImmuneModel", "ogfr_driver", "step", "analyte_constants", "BLOCKADE_THRESHOLD"]

#: OGFr occupancy above which an hour counts as "blocked" (the ``ogfr_blockade_hours`` output)
BLOCKADE_THRESHOLD = 0.5


@cache
def analyte_constants(analyte: str) -> tuple[float, float]:
    """(unbound fraction in plasma, molar mass g/mol) of an analyte, from its drug file."""
    from ..pk import load_drug
    from ..receptors import ligand_table

    drug = ligand_table()[analyte].drug
    a = load_drug(drug).analytes[analyte]
    return float(a.fu.value), float(a.molar_mass.value)


def ogfr_driver(plasma_ng_ml: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> Any:
    """``x_D = Σ_a C_u,a / Ki_a``: unbound plasma concentration (nM = ng/mL · fu · 1000 / M) over the OGFr
    Ki (nM; immune parameters) of each analyte that binds OGFr (naltrexone, 6β-naltrexol); other analytes
    add nothing. Returns the scalar 0.0 where none is present."""
    x: Any = 0.0
    for a, ki_name in ogfr_ki_nM().items():
        if a in plasma_ng_ml:
            fu, mw = analyte_constants(a)
            x = x + plasma_ng_ml[a] * (fu * 1e3 / mw) / p[ki_name]
    return x


def _phi1(z: Any, xp: Any) -> Any:
    """φ₁(z) = (e^z − 1)/z for z ≤ 0, stable near 0."""
    small = xp.abs(z) < 1e-6
    zs = xp.where(small, -1.0, z)
    return xp.where(small, 1.0 + z / 2.0, xp.expm1(zs) / zs)


def _mean_rates(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> tuple[Any, Any]:
    prod, loss = production_loss(y, d, p, xp)
    z = 0.0 * d["ogfr_drug"] + 0.0 * y[..., 0]  # (n_sub, P): broadcast every term, then average the samples
    return (xp.stack([xp.mean(v + z, axis=0) for v in prod], axis=-1),
            xp.stack([xp.mean(v + z, axis=0) for v in loss], axis=-1))


def _expstep(y: Any, prod: Any, loss: Any, dt: float, xp: Any) -> Any:
    zz = -loss * dt
    return y * xp.exp(zz) + prod * dt * _phi1(zz, xp)


def step(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float,
         xp: Any) -> tuple[Any, dict[str, Any]]:
    """One macro-step of ``dt`` h: exponential Heun on ``dy/dt = P − L·y`` with the rates averaged over the
    driver samples ``d["ogfr_drug"]`` (n_sub, P) — the scheme of :func:`ldnsim.system.step`. Returns the new
    state (P, n_states) and ``{"immune": (P, len(OUTPUT_NAMES))}``: each output's mean over the step's
    samples, the state interpolated linearly across the step (``ogfr_blockade_hours`` is the fraction of the
    step with OGFr occupancy above :data:`BLOCKADE_THRESHOLD`; the caller scales it to hours per day)."""
    p0, l0 = _mean_rates(y, d, p, xp)
    ystar = _expstep(y, p0, l0, dt, xp)
    p1, l1 = _mean_rates(ystar, d, p, xp)
    y1 = _expstep(y, 0.5 * (p0 + p1), 0.5 * (l0 + l1), dt, xp)
    x = d["ogfr_drug"]
    n_sub = x.shape[0]
    w = (xp.arange(n_sub) + 0.5) / n_sub
    yi = y[None, :, :] + (y1 - y)[None, :, :] * w[:, None, None]
    alg = algebra(yi, d, p, xp)
    z = 0.0 * x + 0.0 * y[..., 0]
    cols = [alg["ogfr_occupancy"]] + [yi[..., i] for i in range(len(STATE_NAMES))]
    blocked = xp.where(alg["ogfr_occupancy"] > BLOCKADE_THRESHOLD, 1.0, 0.0)
    cols += [alg["cytokines"], alg["ogfr_signal"], blocked]
    return y1, {"immune": xp.stack([xp.mean(c + z, axis=0) for c in cols], axis=-1)}


class _Chunk:
    """Set-up of one chunk of patients: parameters, the untreated state, PK in modal form, driver samples."""

    def __init__(self, model: ImmuneModel, pats: Mapping[str, Any]):
        n = int(pats["_stop"]) - int(pats["_start"])
        self.n = n
        sl = slice(int(pats["_start"]), int(pats["_stop"]))
        over = {k: (np.asarray(v, dtype=float)[sl] if np.ndim(v) else v) for k, v in model.params.items()}
        p = resolve_params(model.cond, n, overrides=over)
        for k, v in pats.items():  # inter-individual variability: log-normal multipliers
            if k.startswith("iiv:"):
                p[k[4:]] = p[k[4:]] * np.exp(np.asarray(v, dtype=float))
        self.p = p
        self.y0 = np.asarray(untreated_state(np, n, p["gut_drive"], p["cns_drive"]), dtype=float)
        self.model = model
        self.pk = None
        if model.events:
            from ..engines import population_pk

            eta = {k[4:]: np.asarray(v) for k, v in pats.items() if k.startswith("eta:")} or None
            self.pk = population_pk(model.events, model.days * 24.0 + 1.0, None, eta)
            if self.pk.P != n:
                self.pk.broadcast(n)
            self._blocks = self.pk.iter_blocks(model.sample_times)
            self._buf: list[np.ndarray] = []
            self._have = 0

    def drivers(self, k: int) -> dict[str, np.ndarray]:
        """Driver samples of macro-step ``k`` (consecutive calls), each (n_sub, P)."""
        m = self.model
        if self.pk is None:
            return {"ogfr_drug": np.zeros((1, self.n))}
        need = m.n_sub
        while self._have < need:
            _, _, blk = next(self._blocks)
            self._buf.append(blk)
            self._have += blk.shape[-1]
        allb = np.concatenate(self._buf, axis=-1) if len(self._buf) > 1 else self._buf[0]
        na = len(self.pk.analytes)
        cur, rest = allb[:, :na, :need], allb[:, :, need:]
        self._buf = [rest] if rest.shape[-1] else []
        self._have -= need
        plasma = np.maximum(cur, 0.0).transpose(1, 2, 0)  # (analytes, n_sub, P)
        x = ogfr_driver({a: plasma[i] for i, a in enumerate(self.pk.analytes)}, self.p, np)
        return {"ogfr_drug": np.ascontiguousarray(np.broadcast_to(x, (need, self.n)))}


class ImmuneModel:
    """The immune module for the engines: regimen → exact PK → OGFr driver → immune ODEs.

    regimen: Regimen, regimen text or DoseEvents (hours from t = 0); condition: ``crohns`` or ``ms``;
    days: simulated days; params: immune parameter overrides (scalars or per-patient arrays of the run's
    length); population: ``True`` samples patients (immune IIV from the data file's ``cv`` and the drug files'
    PK random effects), ``False`` gives identical typical patients. dt_h / n_sub: macro-step (h) and driver
    samples per step.
    """

    readout = "immune"

    def __init__(self, regimen: Any = None, condition: str = "crohns", days: int = 84, *,
                 params: Mapping[str, Any] | None = None, population: bool = False, dt_h: float = 24.0,
                 n_sub: int = 24):
        self.cond = condition_params(condition)
        self.condition = self.cond["name"]
        self.days = int(days)
        self.params = dict(params or {})
        self.population = population
        self.events = dose_events(regimen, self.days * 24.0)
        self.dt_h = float(dt_h)
        self.n_sub = int(n_sub) if self.events else 1
        self.steps = int(round(self.days * 24.0 / self.dt_h))
        self.sample_times = (np.arange(self.steps * self.n_sub) + 0.5) * (self.dt_h / self.n_sub)
        self.state_names = tuple(STATE_NAMES)
        self.driver_names = tuple(DRIVER_NAMES)
        self.output_names = tuple(OUTPUT_NAMES)
        self.name = f"ldnsim immune module ({self.condition}; {len(self.events)} doses over {self.days} d)"

    def step(self, y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, xp: Any) -> Any:
        return step(y, d, p, dt, xp)

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        out: dict[str, Any] = {"_n": np.full(n, n)}
        if not self.population:
            return out
        for name, e in parameter_entries().items():  # log-normal IIV where the data file gives a CV
            if e.get("cv") is not None:
                out[f"iiv:{name}"] = rng.normal(0.0, np.sqrt(np.log1p(float(e["cv"]) ** 2)), size=n)
        if self.events:
            from ..pk import load_drug, sample_eta

            for drug in dict.fromkeys(e.drug for e in self.events):
                for k, v in sample_eta(load_drug(drug), n, rng).items():
                    out[f"eta:{drug}/{k}"] = v
        return out

    def setup(self, patients: Mapping[str, Any]) -> _Chunk:
        return _Chunk(self, patients)
