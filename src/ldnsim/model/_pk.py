"""Each drug's linear PK system as the engines and the SBML export use it: amount and effect states, with the
zero-order "rate" states of :func:`ldnsim.pk.build_drug_system` turned into input columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..pk import build_drug_system, load_drug, occupancy_eta, with_occupancy

__all__ = ["PKBlock", "pk_blocks", "occupancy_eta", "with_occupancy"]





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
