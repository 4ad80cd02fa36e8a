"""The shipped Bayesian posterior (``system/posterior.npz`` draws, ``system/posterior.yaml`` record) and
parameter draws for a NEW trial from it.

Written by ``ldnsim calibrate --write`` (:mod:`ldnsim.calibration`); read by
:meth:`ldnsim.data.parameter_set.ParameterSet.draws`. The draws file holds, per calibrated variant, the
thinned NUTS draws of the population (hyper-)parameters under keys ``"<variant>/<parameter>"``. The
variant part is the calibration's name of the model variant: the mechanism alone (``"full"``) for the
default occupancy variant, ``"mechanism/occupancy"`` (``"full/parent-transient"``) for another one
(:func:`ldnsim.data.parameter_set.posterior_key`); parameter names never contain ``/``, so a key is split
at its LAST ``/`` (:func:`split_key`). Files written before occupancy variants were calibrated hold only
mechanism names and read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from . import data_path, load_yaml

__all__ = [
    "POSTERIOR_DRAWS",
    "POSTERIOR_RECORD",
    "posterior_samples",
    "posterior_variants",
    "posterior_record",
    "new_study_draws",
    "draws_key",
    "split_key",
]

POSTERIOR_DRAWS = "system/posterior.npz"
POSTERIOR_RECORD = "system/posterior.yaml"


@cache
def _arrays() -> dict[str, np.ndarray]:
    path = data_path(POSTERIOR_DRAWS)
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as z:
        return {k: np.asarray(z[k], float) for k in z.files}


def draws_key(variant: str, parameter: str) -> str:
    """The draws-file key of ``parameter`` of the calibrated ``variant`` (which may contain ``/``)."""
    if not parameter or "/" in parameter or not variant:
        raise ValueError(f"bad posterior key parts: variant {variant!r}, parameter {parameter!r}")
    return f"{variant}/{parameter}"


def split_key(key: str) -> tuple[str, str]:
    """``"<variant>/<parameter>"`` -> (variant, parameter), split at the LAST ``/``: the variant may be
    ``"mechanism/occupancy"``, a parameter name never contains ``/``."""
    variant, sep, parameter = key.rpartition("/")
    if not sep or not variant or not parameter:
        raise ValueError(f"posterior draws key {key!r} is not '<variant>/<parameter>'")
    return variant, parameter


def posterior_samples(variant: str) -> dict[str, np.ndarray] | None:
    """The shipped posterior draws of ``variant`` (parameter -> 1-D array); None if it was not calibrated.

    ``variant`` is the calibration's name (:func:`ldnsim.data.parameter_set.posterior_key`): ``"full"``
    for the default occupancy, ``"full/parent-transient"`` for another; it is matched exactly, so
    ``"full"`` never picks up ``"full/parent-transient"``'s draws."""
    out = {}
    for k, v in _arrays().items():
        var, par = split_key(k)
        if var == variant:
            out[par] = v
    return out or None


def posterior_variants() -> tuple[str, ...]:
    """The calibration names of every variant in the shipped draws file, in file order."""
    return tuple(dict.fromkeys(split_key(k)[0] for k in _arrays()))


def posterior_record() -> dict[str, Any] | None:
    """The calibration record (provenance, diagnostics, model comparison, predictive checks), or None."""
    if not data_path(POSTERIOR_RECORD).exists():
        return None
    return load_yaml(POSTERIOR_RECORD)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def new_study_draws(
    samples: Mapping[str, np.ndarray], n: int, seed: int, cap: float
) -> list[dict[str, float]]:
    """``n`` parameter sets for a NEW trial: posterior draws of the population parameters with a fresh
    study-level random effect each (so trial-to-trial heterogeneity is part of the prediction).

    Returns flat dicts: ``placebo.expectation.single`` / ``.double`` (the reference design's values, daily
    diary and 12 weeks; the trial layer adjusts them for a design), ``placebo.design.length_logit``,
    ``placebo.design.recall_logit`` and, where the variant samples it, ``tlr4_ic50_nM`` (nM).
    """
    rng = np.random.default_rng(seed)
    m = len(next(iter(samples.values())))
    idx = rng.choice(m, size=n, replace=n > m)
    s = {k: np.asarray(v, float)[idx] for k, v in samples.items()}
    u = s["sigma_study_placebo"] * rng.normal(size=n)
    e_single = cap * _sigmoid(s["placebo_logit_single"] + u)
    e_double = cap * _sigmoid(s["placebo_logit_single"] + s["placebo_logit_double_shift"] + u)
    cols: dict[str, np.ndarray] = {
        "placebo.expectation.single": e_single,
        "placebo.expectation.double": e_double,
        "placebo.design.length_logit": s["placebo_length_logit"],
        "placebo.design.recall_logit": s["placebo_recall_logit"],
    }
    if "log10_tlr4_ic50_nM" in s:
        w = s["sigma_study_ic50_log10"] * rng.normal(size=n)
        cols["tlr4_ic50_nM"] = 10.0 ** (s["log10_tlr4_ic50_nM"] + w)
    return [{k: float(v[i]) for k, v in cols.items()} for i in range(n)]
