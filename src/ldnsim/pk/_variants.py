"""Occupancy variants (``data/occupancy.yaml``) as PK random-effect offsets: the one place where a model
variant's ``/occupancy`` part reaches the PK of every consumer (engines, reference integrator, SBML export,
clinical model-based holds)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._drugs import load_drug

__all__ = ["occupancy_eta", "with_occupancy"]


def occupancy_eta(variant: str, drugs: Sequence[str]) -> dict[str, np.ndarray]:
    """The occupancy variant of model variant ``variant`` (``"mu-rebound/parent-transient"``;
    data/occupancy.yaml) as PK random-effect offsets of the dosed ``drugs``:
    ``{'<drug>/<analyte>.<ke0|kp_uu>': array([log(value / drug-file value)])}``. Empty where the variant's
    values are the drug file's (the default variant), so the default runs exactly the drug file."""
    from ..data.parameter_set import load_parameter_set

    out: dict[str, np.ndarray] = {}
    for key, value in load_parameter_set(variant).pk.items():
        drug, _, rest = key.partition("/")
        if drug not in drugs:
            continue
        analyte, _, prm = rest.partition(".")
        base = float(getattr(load_drug(drug).analytes[analyte].effect, prm).value)
        if value != base:
            out[key] = np.array([np.log(value / base)])
    return out


def with_occupancy(eta: Mapping[str, np.ndarray] | None, variant: str,
                   drugs: Sequence[str]) -> dict[str, np.ndarray] | None:
    """``eta`` (per-patient PK random effects, or None) plus the occupancy offsets of ``variant``
    (:func:`occupancy_eta`); None when both are empty."""
    out = {k: np.asarray(v, dtype=float) for k, v in (eta or {}).items()}
    for k, off in occupancy_eta(variant, drugs).items():
        out[k] = out[k] + off if k in out else off
    return out or None
