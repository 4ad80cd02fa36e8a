"""Simulator runs for the emulator: a space-filling design over the inputs, each point run as a virtual
trial of every calibration study.

Inputs of one run: ``expectation`` (the mean expectation fraction the trial's blinding gets, design
adjustments off: the emulator sees the trial's effective value) and, for variants with glial TLR4 block,
``log10_tlr4_ic50_nM``. Everything else is the shipped parameter set's starting values
(``use_calibrated=False``: realism.yaml as written, the same for every variant).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import qmc

from ..trials.calibrate import summary_quantity
from ..trials.run import run_trial
from .spec import Study

__all__ = ["space_filling", "simulate_study", "run_design"]


def space_filling(n: int, lo: np.ndarray, hi: np.ndarray, seed: int) -> np.ndarray:
    """``n`` Latin-hypercube points (centred-discrepancy optimised) in the box ``[lo, hi]``."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    u = qmc.LatinHypercube(d=lo.size, optimization="random-cd", seed=seed).random(n)
    return lo + u * (hi - lo)


def simulate_study(study: Study, variant: str, inputs: dict[str, float], seed: int) -> list[float | None]:
    """The study's target quantities simulated at ``inputs`` (one run of ``study.replicates`` trials)."""
    realism = {
        f"placebo.expectation.{study.blinding}": float(inputs["expectation"]),
        "placebo.design.length_logit": 0.0,
        "placebo.design.recall_logit": 0.0,
        "adherence.patterns": 1,
    }
    params = {}
    if "log10_tlr4_ic50_nM" in inputs:
        params["tlr4_ic50_nM"] = float(10.0 ** inputs["log10_tlr4_ic50_nM"])
    res = run_trial(
        study.name,
        replicates=study.replicates,
        seed=seed,
        variant=variant,
        params=params or None,
        realism=realism,
        use_calibrated=False,
    )
    return [summary_quantity(res.summary, t.quantity) for t in study.targets]


def run_design(
    studies: tuple[Study, ...],
    variant: str,
    names: list[str],
    points: np.ndarray,
    seed: int,
    progress: Callable[[str, int, int], None] | None = None,
    stage: str = "simulator runs",
) -> dict[str, np.ndarray]:
    """Outputs at each design point: ``study -> (points x targets)`` (NaN where a run gave nothing).
    Each point gets its own seed (the emulator's nugget absorbs the Monte-Carlo noise)."""
    out = {s.name: np.full((len(points), len(s.targets)), np.nan) for s in studies}
    total = len(points) * len(studies)
    k = 0
    for i, x in enumerate(points):
        inputs = dict(zip(names, map(float, x), strict=True))
        for s in studies:
            seed_i = int(np.random.SeedSequence([seed, i, len(s.name)]).generate_state(1)[0] % (2**31))
            vals = simulate_study(s, variant, inputs, seed_i)
            out[s.name][i] = [np.nan if v is None else v for v in vals]
            k += 1
            if progress:
                progress(stage, k, total)
    return out
