"""Exact PK + receptor occupancy on an output grid, in modal coordinates (the engines' PK path).

Each patient's linear system is diagonalised once (``A = V Λ V⁻¹``); between schedule boundaries the modal
amplitudes decay as ``e^{λ s}``, so the concentrations at every output time are ``c0 + W e^{λ s}``. Output
offsets that repeat from one dosing interval to the next (nightly dosing, hourly output) reuse the same
exponentials, which makes a year of hourly output a handful of small matrix products per day.
Results equal :func:`ldnsim.pk.simulate_pk` to rounding (tests/engines/test_pk_path.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..model import occupancy_xp, pk_blocks, receptor_constants
from ._base import Schedule, modal_form

__all__ = ["pk_timecourse", "population_pk"]


class population_pk:  # noqa: N801 - used like a function that keeps its set-up
    """The PK of a population for a list of dose events, in modal form (shared schedule)."""

    def __init__(self, events: Sequence[Any], until_h: float, covariates: Any = None,
                 eta: Mapping[str, np.ndarray] | None = None):
        from ..pk._simulate import normalise_events

        evs = normalise_events(list(events), until_h)
        forms: dict[str, list[str]] = {}
        for e in evs:
            forms.setdefault(e.drug, [])
            if e.formulation not in forms[e.drug]:
                forms[e.drug].append(e.formulation)
        blocks = pk_blocks(forms, covariates, eta)
        self.blocks = blocks
        # one block-diagonal system over every dosed drug
        sizes = [b.A.shape[-1] for b in blocks.values()]
        P = max(b.A.shape[0] for b in blocks.values())
        n = sum(sizes)
        A = np.zeros((P, n, n))
        self.keys: list[str] = []
        inputs: dict[str, np.ndarray] = {}
        rates: dict[str, np.ndarray] = {}
        analytes: list[str] = []
        rows_p: list[tuple[str, np.ndarray]] = []
        rows_e: list[tuple[str, np.ndarray]] = []
        lag: dict[str, float] = {}
        rel: dict[str, float] = {}
        off = 0
        for drug, b in blocks.items():
            m = b.A.shape[-1]
            sl = slice(off, off + m)
            A[:, sl, sl] = b.A
            for f in b.bolus:
                key = f"{drug}/{f}"
                v = np.zeros((P, n))
                v[:, sl] = b.bolus[f]
                inputs[key] = v
                g = np.zeros((P, n))
                g[:, sl] = b.rate[f]
                rates[key] = g
                lag[key] = b.lag_h[f]
                rel[key] = b.release_h[f]
            for k, a in enumerate(b.analytes):
                rp = np.zeros((P, n))
                rp[:, sl] = b.plasma[:, k]
                re = np.zeros((P, n))
                re[:, sl] = b.effect[:, k]
                rows_p.append((a, rp))
                rows_e.append((a, re))
                if a not in analytes:
                    analytes.append(a)
            off += m
        self.analytes = analytes
        C_p = np.zeros((P, len(analytes), n))
        C_e = np.zeros((P, len(analytes), n))
        for a, r in rows_p:
            C_p[:, analytes.index(a)] += r
        for a, r in rows_e:
            C_e[:, analytes.index(a)] += r
        self.lam, V, Vinv = modal_form(A)
        self.cm = np.einsum("poi,pij->poj", np.concatenate([C_p, C_e], axis=1), V)
        self.events = evs
        self.P = P
        self._bm = {k: np.einsum("pij,pj->pi", Vinv, v) for k, v in inputs.items()}
        self._gm = {k: np.einsum("pij,pj->pi", Vinv, v) for k, v in rates.items()}
        self.lag, self.rel = lag, rel
        self.consts = receptor_constants(analytes)

    def broadcast(self, n: int) -> None:
        """Make a one-patient system (identical patients) serve ``n`` patients."""
        self.lam = np.broadcast_to(self.lam, (n,) + self.lam.shape[1:])
        self.cm = np.broadcast_to(self.cm, (n,) + self.cm.shape[1:])
        self._bm = {k: np.broadcast_to(v, (n,) + v.shape[1:]) for k, v in self._bm.items()}
        self._gm = {k: np.broadcast_to(v, (n,) + v.shape[1:]) for k, v in self._gm.items()}
        self.P = n

    def iter_blocks(self, times_h: np.ndarray, patients: slice | None = None):
        """Yield ``(start, stop, block)`` over the sorted ``times_h``: ``block`` (P, 2·analytes, n_t) holds
        the
        plasma (ng/mL) then effect-site (nM) concentrations at ``times_h[start:stop]``, one block per
        schedule interval. Exponentials of repeated offsets (same times in every interval) are reused."""
        sl = patients if patients is not None else slice(None)
        lam = self.lam[sl]
        cm = self.cm[sl]
        bm = {k: v[sl] for k, v in self._bm.items()}
        gm = {k: v[sl] for k, v in self._gm.items()}
        P = lam.shape[0]
        t = np.asarray(times_h, dtype=float)
        if t.ndim != 1 or np.any(np.diff(t) < 0):
            raise ValueError("times_h must be sorted")
        end = float(t[-1]) + 1.0
        days = int(np.ceil(end / 24.0))
        ev = [e for e in self.events if e.time_h < end]
        sched = Schedule.from_events(ev, days, lag_h=self.lag, release_h=self.rel)
        keys = list(sched.keys)
        z = np.zeros((P, lam.shape[-1]))
        cache: dict[bytes, np.ndarray] = {}
        tb = sched.t
        pos = 0
        for j in range(len(tb) - 1):
            for key, mg in sched.bolus[j]:
                z = z + bm[key] * mg
            r = sum((sched.rates[j, keys.index(k)] * gm[k] for k in keys if sched.rates[j, keys.index(k)]),
                    np.zeros_like(z))
            r_over = r / lam
            zr = z + r_over
            hi = tb[j + 1] if j < len(tb) - 2 else np.inf
            stop = int(np.searchsorted(t, hi, side="left"))
            if stop > pos:
                offs = t[pos:stop] - tb[j]
                k = np.round(offs, 9).tobytes()
                E = cache.get(k)
                if E is None:
                    E = np.exp(lam[:, :, None] * offs[None, None, :])  # (P, m, n_t)
                    if len(cache) < 64:
                        cache[k] = E
                blk = np.matmul(cm * zr[:, None, :], E)
                if np.any(r):
                    blk -= np.einsum("pom,pm->po", cm, r_over)[:, :, None]
                yield pos, stop, blk
                pos = stop
            z = zr * np.exp(lam * (tb[j + 1] - tb[j])) - r_over

    def timecourse(self, times_h: np.ndarray, occupancy: bool = True, reducer: Any = None,
                   patients: slice | None = None) -> dict[str, np.ndarray]:
        """``plasma_ng_ml`` / ``effect_nM`` (P, T, analytes) and occupancies (P, T) at ``times_h``.

        With ``reducer``, nothing of size P × T is kept: ``reducer(start, stop, block)`` is called for each
        block of output times (``block`` holds the same keys, time last: (P, analytes, n_t) / (P, n_t)),
        and the return value is ``{}``. ``patients``: a slice of the population (default: all).
        """
        t = np.asarray(times_h, dtype=float)
        na = len(self.analytes)
        out: np.ndarray | None = None
        occ_out: dict[str, np.ndarray] = {}
        for pos, stop, blk in self.iter_blocks(t, patients):
            occ = {}
            if occupancy:
                eff = np.maximum(blk[:, na:], 0.0)
                occ = occupancy_xp({a: eff[:, i] for i, a in enumerate(self.analytes)}, self.consts, np)
            if reducer is not None:
                reducer(pos, stop, {"plasma_ng_ml": blk[:, :na], "effect_nM": blk[:, na:], **occ})
                continue
            if out is None:
                out = np.empty((blk.shape[0], blk.shape[1], t.size))
            out[:, :, pos:stop] = blk
            for key, v in occ.items():
                if key not in occ_out:
                    occ_out[key] = np.zeros((blk.shape[0], t.size))
                occ_out[key][:, pos:stop] = v
        if out is None:
            return {}
        res = {"plasma_ng_ml": out[:, :na].transpose(0, 2, 1), "effect_nM": out[:, na:].transpose(0, 2, 1)}
        res.update(occ_out)
        return res


def pk_timecourse(events: Sequence[Any], times_h: Any, covariates: Any = None,
                  eta: Mapping[str, np.ndarray] | None = None,
                  occupancy: bool = True) -> dict[str, np.ndarray]:
    """Plasma (ng/mL), effect-site (nM) concentrations and occupancies of a population at ``times_h``."""
    t = np.asarray(times_h, dtype=float)
    return population_pk(events, float(t.max()) + 1.0, covariates, eta).timecourse(t, occupancy)
