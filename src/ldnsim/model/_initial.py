"""The initial state: each patient's untreated steady state of the condition."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..system import healthy_state, high_branch_start, steady_state
from ._drivers import baseline_drivers

__all__ = ["untreated_start"]

_MEMO: dict[bytes, np.ndarray] = {}


def untreated_start(condition: Mapping[str, Any], p: dict[str, Any], n: int, *, rtol: float = 1e-9,
                    memo: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The drug-free drivers (each ``(n,)``) and the state (n, n_states) a run starts from.

    Sets ``p["phi0"]``, the resting endogenous μ occupancy the system's tone is relative to. The state is the
    untreated steady state (:func:`ldnsim.system.steady_state`) reached from the healthy state, or for a
    chronic condition (``condition["start"] == "high"``) from the high-pain branch. ``rtol=0`` runs the
    search for its full, fixed number of iterations so that a patient's start never depends on the other
    patients it is solved with (the engines); ``memo`` remembers the result for the same start, drivers and
    parameters (a trial simulates the same patients under several arms; the search is deterministic).
    """
    baseline = baseline_drivers(n)
    p["phi0"] = np.array(baseline["mu_endogenous"], dtype=float)
    guess = high_branch_start(np, n) if condition["start"] == "high" else healthy_state(np, n)
    d = {k: np.asarray(v, dtype=float)[None, :] for k, v in baseline.items()}
    if not memo:
        return baseline, steady_state(guess, d, p, rtol=rtol)
    h = hashlib.sha1(repr(rtol).encode())
    for name, v in (("_guess", guess), *sorted(d.items()), *sorted(p.items())):
        a = np.ascontiguousarray(v, dtype=float)
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    key = h.digest()
    y0 = _MEMO.get(key)
    if y0 is None:
        y0 = steady_state(guess, d, p, rtol=rtol)
        if len(_MEMO) >= 32:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = y0
    return baseline, y0.copy()
