"""ldnsim's whole model as the engines run it: :class:`LdnModel` (regimen → exact PK → receptors → system →
pain) and its per-chunk set-up. The wiring — dose events, the patient table, drivers, the initial state — is
:mod:`ldnsim.model`'s, shared with the reference integrator and the SBML export; the equations are the
receptor layer's (:func:`ldnsim.receptors.occupancy_xp`) and the system's (:mod:`ldnsim.system`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..model import (
    ULD_ANALYTES,
    PKBlock,
    dose_events,
    driver_values,
    occupancy_xp,
    patient_covariates,
    patient_inputs,
    patient_params,
    pk_blocks,
    receptor_constants,
    untreated_start,
    with_occupancy,
)
from ..system import DRIVER_NAMES, STATE_NAMES, algebra, condition_params
from ..system import step as system_step
from ..system import step_pair as system_step_pair
from .pk import population_pk

__all__ = ["occupancy_xp", "PKBlock", "pk_blocks", "receptor_constants", "LdnModel"]


class _Chunk:
    """Set-up of one population chunk: parameters, initial state, PK in modal form, driver samples."""

    def __init__(self, model: LdnModel, pats: Mapping[str, np.ndarray]):
        n = int(pats["_n"])
        self.n = n
        p = patient_params(model.cond, pats, model.params, model.variant)
        self.ic50 = np.asarray(p["tlr4_ic50_nM"], dtype=float)
        # a fixed number of iterations (rtol=0): each patient's start must not depend on its chunk-mates
        self.baseline, self.y0 = untreated_start(model.cond, p, n, rtol=0.0)
        self.p = p
        self.model = model
        self.pk = None
        if model.events:
            eta = {k[4:]: v for k, v in pats.items() if k.startswith("eta:")} or None
            eta = with_occupancy(eta, model.variant, [e.drug for e in model.events])
            self.pk = population_pk(model.events, model.days * 24.0 + 1.0, patient_covariates(pats), eta)
            if self.pk.P != n:  # identical patients: broadcast the one PK system
                self.pk.broadcast(n)
            self.consts = receptor_constants(self.pk.analytes, {"tlr4_ic50_nM": self.ic50})
            self.K_uld_pM = np.asarray(p["K_uld_pM"], dtype=float)
            self._blocks = self.pk.iter_blocks(model.sample_times)
            self._buf: list[np.ndarray] = []
            self._have = 0
            # drivers no analyte of the regimen acts on: zero at any concentration (checked at 1 nM)
            ones = {a: np.ones(1) for a in self.pk.analytes}
            occ1 = occupancy_xp(ones, receptor_constants(self.pk.analytes), np)
            self.zero_drivers = {k for k in model.driver_names if k != "uld_site"
                                 and np.all(np.asarray(occ1.get(k, 0.0)) == 0.0)}
            if not any(a in ULD_ANALYTES for a in self.pk.analytes):
                self.zero_drivers.add("uld_site")

    def baseline_pain(self) -> np.ndarray:
        """Each patient's pain (NRS) at the untreated steady state the run starts from (before any dose)."""
        d = {k: np.asarray(v, dtype=float)[None, :] for k, v in self.baseline.items()}
        return np.asarray(algebra(self.y0[None], d, self.p, np)["pain_nrs"])[0]

    def compact_drivers(self, k: int) -> dict[str, np.ndarray]:
        """:meth:`drivers`, with the drivers that are zero throughout given as (1, P) zeros."""
        return self.drivers(k, compact=True)

    def drivers(self, k: int, compact: bool = False) -> dict[str, np.ndarray]:
        """Driver samples of macro-step ``k`` (consecutive calls), each (n_sub, P)."""
        m = self.model
        if self.pk is None:
            return {name: v[None, :] for name, v in self.baseline.items()}
        need = m.n_sub
        while self._have < need:
            _, _, blk = next(self._blocks)
            self._buf.append(blk)
            self._have += blk.shape[-1]
        allb = np.concatenate(self._buf, axis=-1) if len(self._buf) > 1 else self._buf[0]
        eff_all = allb[:, len(self.pk.analytes):]
        eff, rest = eff_all[:, :, :need], allb[:, :, need:]
        self._buf = [rest] if rest.shape[-1] else []
        self._have -= need
        eff = np.maximum(eff, 0.0).transpose(1, 2, 0)  # (analytes, n_sub, P)
        effect = {a: eff[i] for i, a in enumerate(self.pk.analytes)}
        vals = driver_values(effect, self.consts, self.K_uld_pM, np)
        out = {k: np.ascontiguousarray(np.broadcast_to(vals[k], eff.shape[1:])) for k in m.driver_names}
        if compact:
            for key in self.zero_drivers:
                out[key] = np.zeros((1, self.n))
        return out


class LdnModel:
    """ldnsim's whole model for the engines: regimen → exact PK → receptors → system → pain.

    regimen: Regimen, regimen text or DoseEvents (hours from t = 0); condition / variant / params as in
    :func:`ldnsim.simulate`; days: simulated days. population: ``True`` samples virtual patients with
    :func:`ldnsim.population.sample_population` (system IIV, covariates, ESR), ``False`` gives identical
    typical patients; pk_iiv: also sample PK random effects from the drug files' CVs.
    dt_h / n_sub: macro-step and driver samples per step (as :func:`ldnsim.simulate`).
    patients: a patient table (``pandas.DataFrame``, the columns :func:`ldnsim.simulate` accepts) to run
    instead of sampled patients (``Problem.n_patients`` must then equal its number of rows).
    """

    def __init__(self, regimen: Any = None, condition: str = "fibromyalgia", days: int = 365, *,
                 variant: str = "full", params: Mapping[str, float] | None = None, population: bool = True,
                 pk_iiv: bool = False, dt_h: float = 24.0, n_sub: int = 24, patients: Any = None):
        self.days = int(days)
        self.cond = condition_params(condition)
        self.condition = self.cond["name"]
        self.variant = variant
        self.params = dict(params or {})
        self.population = population
        self.pk_iiv = pk_iiv
        self.table = patients  # a DataFrame as ldnsim.simulate accepts: run these patients, not sampled ones
        self.events = dose_events(regimen, self.days * 24.0)
        self.dt_h = float(dt_h)
        self.n_sub = int(n_sub) if self.events else 1
        self.steps = int(round(self.days * 24.0 / self.dt_h))
        self.sample_times = (np.arange(self.steps * self.n_sub) + 0.5) * (self.dt_h / self.n_sub)
        self.state_names = tuple(STATE_NAMES)
        self.driver_names = tuple(DRIVER_NAMES)
        self.name = (f"ldnsim full model ({self.condition}, {variant}; {len(self.events)} doses over "
                     f"{self.days} d)")
        self._step = system_step

    def step(self, y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, xp: Any) -> Any:
        return self._step(y, d, p, dt, xp)

    def step_pair(self, y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float,
                  halves: bool = True) -> Any:
        """numpy: the full step and the two half steps of the error control at once
        (:func:`ldnsim.system.step_pair`)."""
        return system_step_pair(y, d, p, dt, halves)

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray] | None:
        """Patients ``start … stop-1`` of a given patient table (``patients=``), or ``None`` to sample."""
        if getattr(self, "table", None) is None:
            return None
        return patient_inputs(self.table.iloc[start:stop])

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        out: dict[str, Any] = {"_n": np.full(n, n)}
        if self.population:
            from ..population import sample_population

            out.update(patient_inputs(sample_population(n, self.condition, seed=rng)))
        if self.pk_iiv and self.events:
            from ..pk import load_drug, sample_eta

            for drug in dict.fromkeys(e.drug for e in self.events):
                for k, v in sample_eta(load_drug(drug), n, rng).items():
                    out[f"eta:{drug}/{k}"] = v
        return out

    def setup(self, patients: Mapping[str, np.ndarray]) -> _Chunk:
        pats = dict(patients)
        pats["_n"] = len(next(v for k, v in pats.items() if k == "_n"))
        return _Chunk(self, pats)
