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

__all__ = ["occupancy_xp", "PKBlock", "pk_blocks", "receptor_constants"]


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
