"""ldnsim's model, declared once for every engine (and for the SBML export, which traces the same code).

* PK: the linear systems of :func:`ldnsim.pk.build_drug_system` (amount states, mg parent-equivalents;
  effect states, nM), without the zero-order "rate" states, which the engines handle as inputs;
* receptors: :func:`occupancy_xp`, the receptor layer's competitive occupancy written over ``xp`` with the
  constants of :func:`ldnsim.receptors.ligand_table` (checked against :func:`ldnsim.receptors.occupancy`
  in the tests);
* system: :mod:`ldnsim.system` production–loss ODEs and algebra (pain readout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["occupancy_xp", "PKBlock", "pk_blocks", "receptor_constants", "LdnModel"]


def receptor_constants(analytes: Sequence[str], params: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Constants the receptor algebra needs for these analytes (from the drug files and receptors.yaml)."""
    from ..receptors import default_params, ligand_table

    table = ligand_table()
    p = default_params()
    p.update(params or {})
    lig = {}
    nox_emax = 0.0
    for a in analytes:
        L = table[a]
        lig[a] = L
        if L.nox2_ic50_nM is not None:
            nox_emax = max(nox_emax, L.nox2_emax)
    return {"ligands": lig, "params": p, "nox_emax": min(nox_emax, p["nox2_cap"])}


def occupancy_xp(
    effect_nM: Mapping[str, Any], consts: Mapping[str, Any], xp: Any, endogenous: Any = 1.0
) -> dict[str, Any]:
    """Receptor occupancies (fractions) from unbound effect-site concentrations (nM), over ``xp``.

    The same equations as :func:`ldnsim.receptors.occupancy` (see its docstring), written without
    validation or Python branching on values so numpy, jax and the SBML tracer can all run them.
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


@dataclass
class PKBlock:
    """One drug's linear system without its rate states.

    A (P, n, n); bolus[f] (P, n): state increment per mg *labelled* dose of formulation f (base fraction
    and bioavailability included); rate[f] (P, n): state derivative per mg/h of labelled dose infused;
    plasma / effect (P, n_analytes, n) output rows (ng/mL, nM); lag_h[f], release_h[f]: shared.
    """

    drug: str
    states: list[str]
    analytes: list[str]
    A: np.ndarray
    bolus: dict[str, np.ndarray]
    rate: dict[str, np.ndarray]
    plasma: np.ndarray
    effect: np.ndarray
    lag_h: dict[str, float]
    release_h: dict[str, float]
    base_fraction: dict[str, float]


def pk_blocks(
    drug_formulations: Mapping[str, Sequence[str]],
    covariates: Any = None,
    eta: Mapping[str, np.ndarray] | None = None,
) -> dict[str, PKBlock]:
    """The PK block of each drug for the given formulations (from ldnsim.pk, rate states stripped)."""
    from ..pk import build_drug_system, load_drug

    out = {}
    for drug, forms in drug_formulations.items():
        spec = load_drug(drug)
        sys = build_drug_system(drug, list(forms), covariates, eta, sinks=False)
        n = sys.n
        bolus, rate, lag, rel, bfs = {}, {}, {}, {}, {}
        for j, f in enumerate(sys.channels):
            fo = spec.formulations[f]
            bf = (fo.base_fraction.value if fo.base_fraction is not None
                  else spec.dose_basis.base_fraction.value if spec.dose_basis is not None else 1.0)
            bfs[f] = bf
            bolus[f] = sys.B[:, :n, j] * bf
            rate[f] = sys.A[:, :n, n + j] * bf
            lag[f] = fo.lag.value if fo.lag is not None else 0.0
            rel[f] = fo.release_h.value if fo.release_h is not None else 0.0
        out[drug] = PKBlock(
            drug=drug, states=list(sys.states[:n]), analytes=list(sys.analytes), A=sys.A[:, :n, :n],
            bolus=bolus, rate=rate, plasma=sys.plasma[:, :, :n], effect=sys.effect[:, :, :n],
            lag_h=lag, release_h=rel, base_fraction=bfs,
        )
    return out


# ------------------------------------------------------------------------------------------ the whole model


class _Chunk:
    """Set-up of one population chunk: parameters, initial state, PK in modal form, driver samples."""

    def __init__(self, model: LdnModel, pats: Mapping[str, np.ndarray]):
        from ..system import healthy_state, high_branch_start, resolve_params, steady_state
        from .pk import population_pk

        n = int(pats["_n"])
        self.n = n
        # as in ldnsim.simulate: typical values from `params`, then each patient's own column wins
        overrides = dict(model.params)
        overrides.update({k[2:]: v for k, v in pats.items() if k.startswith("p:")})
        esr = pats.get("esr_mm_h")
        p = resolve_params(model.cond, n, overrides=overrides, esr_mm_h=esr, variant=model.variant)
        self.ic50 = np.asarray(p["tlr4_ic50_nM"], dtype=float)
        base = occupancy_xp({}, receptor_constants([], {"tlr4_ic50_nM": self.ic50}), np)
        baseline = {k: np.broadcast_to(np.asarray(base.get(k, 0.0), dtype=float), (n,))
                    for k in model.driver_names}
        p["phi0"] = np.array(baseline["mu_endogenous"], dtype=float)
        self.p = p
        guess = high_branch_start(np, n) if model.cond["start"] == "high" else healthy_state(np, n)
        # a fixed number of iterations (rtol=0): each patient's start must not depend on its chunk-mates
        self.y0 = steady_state(guess, {k: v[None, :] for k, v in baseline.items()}, p, rtol=0.0)
        self.baseline = baseline
        self.model = model
        self.pk = None
        if model.events:
            cov = None
            covs = {k: pats[k] for k in ("weight_kg", "hepatic", "egfr_ml_min", "cyp2d6") if k in pats}
            if covs:
                from ..pk import Covariates

                cov = Covariates(**covs)
            eta = {k[4:]: v for k, v in pats.items() if k.startswith("eta:")} or None
            self.pk = population_pk(model.events, model.days * 24.0 + 1.0, cov, eta)
            if self.pk.P != n:  # identical patients: broadcast the one PK system
                self.pk.broadcast(n)
            self.consts = receptor_constants(self.pk.analytes, {"tlr4_ic50_nM": self.ic50})
            self.uld = [i for i, a in enumerate(self.pk.analytes) if a in ("naltrexone", "naloxone")]
            self.k_uld = np.asarray(p["K_uld_pM"], dtype=float) * 1e-3
            self._blocks = self.pk.iter_blocks(model.sample_times)
            self._buf: list[np.ndarray] = []
            self._have = 0
            # drivers no analyte of the regimen acts on: zero at any concentration (checked at 1 nM)
            ones = {a: np.ones(1) for a in self.pk.analytes}
            occ1 = occupancy_xp(ones, receptor_constants(self.pk.analytes), np)
            self.zero_drivers = {k for k in model.driver_names if k != "uld_site"
                                 and np.all(np.asarray(occ1.get(k, 0.0)) == 0.0)}
            if not self.uld:
                self.zero_drivers.add("uld_site")

    def baseline_pain(self) -> np.ndarray:
        """Each patient's pain (NRS) at the untreated steady state the run starts from (before any dose)."""
        from ..system import algebra

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
        occ = occupancy_xp({a: eff[i] for i, a in enumerate(self.pk.analytes)}, self.consts, np)
        out = {k: np.ascontiguousarray(np.broadcast_to(occ.get(k, 0.0), eff.shape[1:]))
               for k in m.driver_names if k != "uld_site"}
        c_uld = sum((eff[i] for i in self.uld), np.zeros(eff.shape[1:]))
        out["uld_site"] = c_uld / (c_uld + self.k_uld)
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
        from ..simulate import _events
        from ..system import DRIVER_NAMES, STATE_NAMES, condition_params
        from ..system import step as system_step

        self.days = int(days)
        self.cond = condition_params(condition)
        self.condition = self.cond["name"]
        self.variant = variant
        self.params = dict(params or {})
        self.population = population
        self.pk_iiv = pk_iiv
        self.table = patients  # a DataFrame as ldnsim.simulate accepts: run these patients, not sampled ones
        self.events = _events(regimen, self.days * 24.0)
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
        from ..system import step_pair

        return step_pair(y, d, p, dt, halves)

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray] | None:
        """Patients ``start … stop-1`` of a given patient table (``patients=``), or ``None`` to sample."""
        if getattr(self, "table", None) is None:
            return None
        from ..simulate import _patient_table

        df = self.table.iloc[start:stop]
        _, cov, overrides, esr, _ = _patient_table(df, None)
        out: dict[str, Any] = {"_n": np.full(stop - start, stop - start)}
        out.update({k: np.asarray(v) for k, v in cov.items()})
        out.update({f"p:{k}": np.asarray(v, dtype=float) for k, v in overrides.items()})
        if esr is not None:
            out["esr_mm_h"] = np.asarray(esr, dtype=float)
        return out

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        out: dict[str, Any] = {"_n": np.full(n, n)}
        if self.population:
            from ..population import sample_population
            from ..simulate import _patient_table

            df = sample_population(n, self.condition, seed=rng)
            _, cov, overrides, esr, _ = _patient_table(df, None)
            for k, v in cov.items():
                out[k] = np.asarray(v)
            for k, v in overrides.items():
                out[f"p:{k}"] = np.asarray(v, dtype=float)
            if esr is not None:
                out["esr_mm_h"] = np.asarray(esr, dtype=float)
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
