"""Multiple sclerosis quality of life: CNS inflammation → MSQLI-54 scores (pure functions).

Inputs are arrays patients × days of CNS inflammation ``c`` from the immune module (relative: untreated
disease = 1). For each measure ``k`` (SF-36 MCS and PCS, MHI, pain effects, perceived deficits, and the
direction-only spasticity and fatigue indices) and patient ``i``:

    relief(d)  = 1 − c(d)
    score(d)   = S_ik + better_k · (effect_k · r_i · relief(d) + placebo_k · pi(d) / E)   (+ assessment noise)

``better_k`` is +1 where a higher score is better, −1 where lower is better; ``r_i`` the patient's
responsiveness (lognormal, mean 1); ``pi(d)/E`` the expectation course normalised to 1 at full expectation.
Parameters: ``disease/ms.yaml``. Units: each measure's own points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .params import measure_specs

__all__ = ["MEASURES", "MsTraits", "draw_traits", "true_score", "better_sign", "measures"]

#: the measures of disease/ms.yaml, in file order
MEASURES = ("sf36_mcs", "sf36_pcs", "mhi", "pain_effects", "perceived_deficits", "spasticity", "fatigue")


def measures() -> dict[str, dict]:
    """``better``, ``label`` and ``direction_only`` of each measure."""
    return measure_specs("ms")


def better_sign(measure: str) -> int:
    """+1 when a higher score is better, −1 when lower is better."""
    return 1 if measures()[measure]["better"] == "higher" else -1


@dataclass(frozen=True)
class MsTraits:
    """Per-patient baselines (measure -> array) and QoL responsiveness."""

    baseline: dict[str, np.ndarray]
    responsiveness: np.ndarray

    def take(self, rows: np.ndarray) -> MsTraits:
        return MsTraits({k: v[rows] for k, v in self.baseline.items()}, self.responsiveness[rows])

    @staticmethod
    def concat(parts: list[MsTraits]) -> MsTraits:
        return MsTraits(
            {k: np.concatenate([p.baseline[k] for p in parts]) for k in parts[0].baseline},
            np.concatenate([p.responsiveness for p in parts]),
        )


def draw_traits(rng: np.random.Generator, n: int, p: Mapping[str, float]) -> MsTraits:
    base = {
        k: rng.normal(p[f"measures.{k}.baseline_mean"], p[f"measures.{k}.baseline_sd"], n) for k in MEASURES
    }
    cv = p["responsiveness_cv"]
    s = np.sqrt(np.log1p(cv * cv))
    return MsTraits(base, np.exp(rng.normal(-0.5 * s * s, s, n)))


def true_score(
    measure: str,
    cns_inflammation: np.ndarray,
    expectation_course: np.ndarray,
    tr: MsTraits,
    p: Mapping[str, float],
) -> np.ndarray:
    """Score of ``measure`` without assessment noise (patients × days).

    ``expectation_course``: patients × days placebo fraction divided by the mean expectation (0–~1).
    """
    relief = 1.0 - np.asarray(cns_inflammation, float)
    eff = p[f"measures.{measure}.effect"] * tr.responsiveness[:, None] * relief
    plc = p[f"measures.{measure}.placebo"] * np.asarray(expectation_course, float)
    return tr.baseline[measure][:, None] + better_sign(measure) * (eff + plc)
