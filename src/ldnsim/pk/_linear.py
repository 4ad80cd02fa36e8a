"""Exact linear PK: system matrices per drug and patient, batched matrix exponentials, and the
event-to-event propagation that makes cost linear in doses and time points.

State vector of one drug (amounts in mg of *parent equivalents*, so that metabolism conserves
mass; effect states are unbound effect-site concentrations in nM):

    depot:<formulation>      extravascular absorption depots
    central:<analyte>        one per analyte
    peripheral:<analyte>     two-compartment analytes
    effect:<analyte>         effect site (nM), analytes with ke0
    unabsorbed, first_pass, eliminated:<analyte>   sinks (only kept when amounts are requested)

Zero-order inputs (infusions, patches, slow release) are extra "rate" states with zero dynamics
(augmented matrix), so every segment between dose events is one exact matrix exponential.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SolverError
from ._covariates import PatientParams
from ._schema import DrugSpec

__all__ = ["expm_batched", "DrugSystem", "build_system", "Propagators", "solve"]

_THETA13 = 5.371920351148152
_B13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)


def expm_batched(A: np.ndarray) -> np.ndarray:
    """Matrix exponential of a stack of matrices ``(..., m, m)`` (Padé 13, scaling and squaring;
    Higham 2005) with numpy batched matmul — much faster than looping scipy for many small systems."""
    A = np.asarray(A, dtype=float)
    m = A.shape[-1]
    if A.size == 0:
        return A.copy()
    norm = float(np.abs(A).sum(axis=-2).max()) if A.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > 0 else 0
    if s:
        A = A / (2.0**s)
    b = _B13
    ident = np.broadcast_to(np.eye(m), A.shape)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    R = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


@dataclass
class DrugSystem:
    """Linear system of one drug for P patients (P = 1 when all patients are identical).

    A: (P, m, m) augmented matrix (last ``n_ch`` states are zero-order input rates, mg/h).
    B: (P, m, n_ch) where a unit bolus (mg base) of each formulation goes.
    plasma: (P, n_analytes, m) rows giving total plasma concentration (ng/mL).
    effect: (P, n_analytes, m) rows giving unbound effect-site concentration (nM).
    """

    drug: str
    states: list[str]
    mass: np.ndarray  # bool over the first n states
    n: int
    channels: list[str]
    A: np.ndarray
    B: np.ndarray
    plasma: np.ndarray
    effect: np.ndarray
    analytes: list[str]
    parent_mw: float

    @property
    def m(self) -> int:
        return self.A.shape[-1]


def build_system(spec: DrugSpec, pp: PatientParams, formulations: Sequence[str], sinks: bool) -> DrugSystem:
    """Assemble the augmented system matrix of ``spec`` for the given formulations."""
    P = len(next(iter(pp.analytes.values()))["CL"])  # type: ignore[arg-type]
    states: list[str] = []
    kinds: list[str] = []

    def add(name: str, kind: str) -> int:
        states.append(name)
        kinds.append(kind)
        return len(states) - 1

    depot = {}
    for f in formulations:
        if spec.formulations[f].route != "iv":
            depot[f] = add(f"depot:{f}", "mass")
    central, periph, eff = {}, {}, {}
    for a, an in spec.analytes.items():
        central[a] = add(f"central:{a}", "mass")
        if an.Q is not None:
            periph[a] = add(f"peripheral:{a}", "mass")
    for a in spec.analytes:
        if pp.analytes[a]["ke0"] is not None:
            eff[a] = add(f"effect:{a}", "effect")
    sink: dict[str, int] = {}
    if sinks:
        if depot:
            sink["unabsorbed"] = add("unabsorbed", "mass")
            sink["first_pass"] = add("first_pass", "mass")
        for a in spec.analytes:
            sink[f"eliminated:{a}"] = add(f"eliminated:{a}", "mass")
    n = len(states)
    nch = len(formulations)
    m = n + nch
    A = np.zeros((P, m, m))
    B = np.zeros((P, m, nch))
    parent = spec.parent_analyte
    mw_p = spec.analytes[parent].molar_mass.value

    def flow(src: int, dst: int | None, k: np.ndarray) -> None:
        A[:, src, src] -= k
        if dst is not None:
            A[:, dst, src] += k

    for j, f in enumerate(formulations):
        q = pp.formulations[f]
        ch = n + j
        if f in depot:
            d = depot[f]
            fa, F, ka = q["fa"], q["F"], q["ka"]
            B[:, d, j] = fa
            if sinks:
                B[:, sink["unabsorbed"], j] = 1.0 - fa
            A[:, d, ch] = fa
            if sinks:
                A[:, sink["unabsorbed"], ch] = 1.0 - fa
            to_parent = F / fa
            extracted = 1.0 - to_parent
            A[:, d, d] -= ka
            A[:, central[parent], d] += ka * to_parent
            rest = extracted.copy()
            for mname in spec.formulations[f].first_pass:
                frac = extracted * q[f"fp:{mname}"]
                A[:, central[mname], d] += ka * frac
                rest = rest - frac
            if sinks:
                A[:, sink["first_pass"], d] += ka * np.maximum(rest, 0.0)
        else:
            B[:, central[parent], j] = 1.0
            A[:, central[parent], ch] = 1.0
    for a in spec.analytes:
        p = pp.analytes[a]
        c = central[a]
        k = p["CL"] / p["V"]  # type: ignore[operator]
        A[:, c, c] -= k
        left = np.ones(P)
        for mname, man in spec.analytes.items():
            if man.formed_from == a:
                fm = pp.analytes[mname]["fm"]
                A[:, central[mname], c] += fm * k  # type: ignore[operator]
                left = left - fm  # type: ignore[operator]
        if sinks:
            A[:, sink[f"eliminated:{a}"], c] += np.maximum(left, 0.0) * k
        if a in periph:
            flow(c, periph[a], p["Q"] / p["V"])  # type: ignore[operator]
            flow(periph[a], c, p["Q"] / p["V2"])  # type: ignore[operator]
        if a in eff:
            e = eff[a]
            ke0 = p["ke0"]
            A[:, e, e] -= ke0  # type: ignore[operator]
            A[:, e, c] += ke0 * p["kp_uu"] * p["fu"] * 1e6 / (p["V"] * mw_p)  # type: ignore[operator]
    names = list(spec.analytes)
    plasma = np.zeros((P, len(names), m))
    effect = np.zeros((P, len(names), m))
    for i, a in enumerate(names):
        p = pp.analytes[a]
        plasma[:, i, central[a]] = 1e3 * p["mw"] / (mw_p * p["V"])  # type: ignore[operator]
        if a in eff:
            effect[:, i, eff[a]] = 1.0
        else:
            effect[:, i, central[a]] = p["kp_uu"] * p["fu"] * 1e6 / (p["V"] * mw_p)  # type: ignore[operator]
    return DrugSystem(
        drug=spec.id, states=states, mass=np.array([k == "mass" for k in kinds]), n=n,
        channels=list(formulations), A=A, B=B, plasma=plasma, effect=effect, analytes=names, parent_mw=mw_p,
    )


def _key(h: float) -> float:
    return float(np.round(h, 9))


class Propagators:
    """Cache of ``expm(A·h)`` per step size ``h`` for a stack of patient matrices.

    Step sizes that are integer multiples of a common step are built from powers of one
    exponential (exact up to rounding), so a dose grid aligned with the output grid costs one
    ``expm`` per patient.
    """

    def __init__(self, A: np.ndarray, max_elements: int = 60_000_000):
        self.A = A
        self.cache: dict[float, np.ndarray] = {0.0: np.broadcast_to(np.eye(A.shape[-1]), A.shape)}
        self.base: float | None = None
        self.pow2: list[np.ndarray] = []
        self.max_entries = max(64, max_elements // max(1, A[..., 0, 0].size * A.shape[-1] ** 2))

    def prepare(self, hs: np.ndarray) -> None:
        """Compute (in batches) the propagators for all step sizes ``hs``."""
        hs = np.unique(np.round(np.asarray(hs, dtype=float), 9))
        hs = hs[hs > 0]
        missing = np.array([h for h in hs if _key(h) not in self.cache])
        if missing.size == 0:
            return
        if len(self.cache) + missing.size > self.max_entries:
            self.cache = {0.0: self.cache[0.0]}
        h0 = float(missing.min()) if self.base is None else self.base
        ratio = missing / h0
        jj = np.rint(ratio)
        on = np.abs(ratio - jj) <= 1e-9 * np.maximum(ratio, 1.0)
        # powers of one exponential only for small multiples (round-off grows with the exponent)
        lattice = bool(np.all(on) and jj.max() <= 4096)
        if lattice:
            if self.base is None:
                self.base = h0
                self.pow2 = [expm_batched(self.A * h0)]
            need = int(jj.max())
            js = jj.astype(np.int64)
            if need <= 4 * js.size + 16:
                # dense set of multiples: successive products E^j = E^(j-1) E, one matmul each
                want = {int(j): h for h, j in zip(missing, js, strict=True)}
                cur = None
                for j in range(1, need + 1):
                    cur = self.pow2[0] if cur is None else cur @ self.pow2[0]
                    if j in want:
                        self.cache[_key(want[j])] = cur
            else:
                while (1 << (len(self.pow2) - 1)) < need:
                    self.pow2.append(self.pow2[-1] @ self.pow2[-1])
                for h, j in zip(missing, js, strict=True):
                    self.cache[_key(h)] = self._power(int(j))
        else:
            chunk = max(1, 2_000_000 // max(1, self.A[..., 0, 0].size * self.A.shape[-1] ** 2))
            for i in range(0, missing.size, chunk):
                hh = missing[i : i + chunk]
                E = expm_batched(self.A[:, None, :, :] * hh[None, :, None, None])
                for k, h in enumerate(hh):
                    self.cache[_key(h)] = E[:, k]

    def _power(self, j: int) -> np.ndarray:
        out = None
        b = 0
        while j:
            if j & 1:
                out = self.pow2[b] if out is None else out @ self.pow2[b]
            j >>= 1
            b += 1
        return out  # type: ignore[return-value]

    def __call__(self, h: float) -> np.ndarray:
        k = _key(h)
        if k not in self.cache:
            self.prepare(np.array([h]))
        return self.cache[k]


def solve(
    sys: DrugSystem,
    bp_times: np.ndarray,
    bolus: np.ndarray,
    rate_delta: np.ndarray,
    times: np.ndarray,
    rows: np.ndarray,
    dtype=np.float64,
    anchor_every: int = 32,
    clip: bool = True,
) -> np.ndarray:
    """Exact solution at sorted ``times`` of the outputs ``rows`` (P, O, m).

    bp_times: (K,) sorted times where inputs change; bolus: (K, n_ch) mg base added;
    rate_delta: (K, n_ch) change of zero-order input rate (mg/h).
    The state is carried from breakpoint to breakpoint with the exact propagator (cost linear
    in K); outputs in a segment are ``rows @ expm(A·dt) @ x_segment_start``, grouped by unique
    ``dt`` and evaluated as batched matrix products. Returns (P, T, O); tiny negative round-off is
    clipped to 0 when ``clip``.
    """
    P, m = sys.A.shape[0], sys.m
    n = sys.n
    T = times.size
    O = rows.shape[1]
    out = np.zeros((P, T, O), dtype=dtype)
    if bp_times.size == 0 or T == 0:
        return out
    # anchors: extra state snapshots inside long segments so that dt stays bounded
    seg = np.searchsorted(bp_times, times, side="right") - 1
    extra = []
    if anchor_every > 0:
        valid = np.nonzero(seg >= 0)[0]
        if valid.size:
            s_valid = seg[valid]
            starts = np.r_[0, np.nonzero(np.diff(s_valid))[0] + 1]
            ends = np.r_[starts[1:], valid.size]
            for a, b in zip(starts, ends, strict=True):
                if b - a > anchor_every:
                    idx = valid[a + anchor_every : b : anchor_every]
                    extra.append(times[idx])
    if extra:
        ex = np.concatenate(extra)
        ex = ex[~np.isin(ex, bp_times)]
        all_t = np.concatenate([bp_times, ex])
        order = np.argsort(all_t, kind="stable")
        bp_all = all_t[order]
        nch = bolus.shape[1]
        bolus = np.concatenate([bolus, np.zeros((ex.size, nch))])[order]
        rate_delta = np.concatenate([rate_delta, np.zeros((ex.size, nch))])[order]
        bp_times = bp_all
        seg = np.searchsorted(bp_times, times, side="right") - 1
    K = bp_times.size
    prop = Propagators(sys.A)
    lengths = np.diff(bp_times)
    dts = np.where(seg >= 0, times - bp_times[np.maximum(seg, 0)], 0.0)
    prop.prepare(np.concatenate([lengths, dts]))
    # carry the state across breakpoints: x_k = E(len) x_{k-1} + bolus_k (cost linear in K)
    X = np.empty((P, K, m))  # state just after each breakpoint
    Bin = sys.B  # (P, m, nch)
    rates = np.zeros(bolus.shape[1])
    rate_tol = 1e-12 * max(1.0, float(np.abs(rate_delta).max()))
    Et = {}  # transposed propagators (P, m, m), so that a step is one batched row-vector product
    has_bolus = bolus.any(axis=1)
    has_rate = rate_delta.any(axis=1)
    bol_vec: dict[bytes, np.ndarray] = {}
    buf = np.zeros((P, 1, m))
    for k in range(K):
        if k:
            h = _key(lengths[k - 1])
            if h not in Et:
                Et[h] = np.ascontiguousarray(prop(h).transpose(0, 2, 1))
            buf = np.matmul(buf, Et[h])
        if has_bolus[k]:
            key = bolus[k].tobytes()
            if key not in bol_vec:
                bol_vec[key] = (Bin @ bolus[k])[:, None, :]
            buf += bol_vec[key]
        if has_rate[k]:
            rates = rates + rate_delta[k]
            rates[np.abs(rates) < rate_tol] = 0.0
            buf[:, 0, n:] = rates
        X[:, k, :] = buf[:, 0, :]
    if not np.all(np.isfinite(X)):
        raise SolverError(f"{sys.drug}: the PK state became non-finite; check the drug parameters")
    # outputs, in blocks of whole segments; out is (P, T, O) so that a regular block is one matmul
    Xt = X.astype(dtype, copy=False)  # (P, K, m)
    rows_t = rows.astype(float)
    valid_idx = np.nonzero(seg >= 0)[0]
    if valid_idx.size == 0:
        return out
    vseg = seg[valid_idx]
    starts = np.r_[0, np.nonzero(np.diff(vseg))[0] + 1]
    ends = np.r_[starts[1:], valid_idx.size]
    target = 4096
    # segments with the same output pattern (count, first and last dt) go in the same block
    cnt = ends - starts
    d_first = np.round(dts[valid_idx[starts]], 9)
    d_last = np.round(dts[valid_idx[ends - 1]], 9)
    sig_of = list(zip(cnt.tolist(), d_first.tolist(), d_last.tolist(), strict=True))
    budget = 8_000_000
    g = 0
    while g < starts.size:
        h = g
        count = 0
        sig = sig_of[g]
        while h < starts.size and (
            count == 0 or (count + ends[h] - starts[h] <= target and sig_of[h] == sig)
        ):
            count += ends[h] - starts[h]
            h += 1
        a, b = starts[g], ends[h - 1]
        blk = valid_idx[a:b]
        us, uinv = np.unique(np.round(dts[blk], 9), return_inverse=True)
        ss, sinv = np.unique(seg[blk], return_inverse=True)
        U, S = us.size, ss.size
        regular = (
            blk.size == U * S
            and blk[-1] - blk[0] == blk.size - 1
            and ss[-1] - ss[0] == S - 1
            and np.array_equal(uinv, np.tile(np.arange(U), S))
        )
        if not regular and U * S > 8 * blk.size + 64 and blk.size > 1:
            # irregular block: evaluate each time point with its own propagator
            for u0 in range(0, U, 64):
                sel = (uinv >= u0) & (uinv < u0 + 64)
                ub = us[u0 : u0 + 64]
                prop.prepare(ub)
                E = np.stack([prop(hh) for hh in ub], axis=1)  # (P, Ub, m, m)
                Gb = np.einsum("pom,pumk->puok", rows_t, E, optimize=True)  # (P, Ub, O, m)
                ti = blk[sel]
                xs = Xt[:, seg[ti], :]  # (P, nb, m)
                y = np.einsum("pnok,pnk->pno", Gb[:, uinv[sel] - u0], xs, optimize=True)
                out[:, ti, :] = np.maximum(y, 0.0) if clip else y
            g = h
            continue
        prop.prepare(us)
        # G[p, k, u*O + o] = sum_j rows[p, o, j] E_u[p, j, k]
        G = np.empty((P, m, U, O), dtype=dtype)
        for iu, hh in enumerate(us):
            G[:, :, iu, :] = np.matmul(rows_t, prop(hh)).transpose(0, 2, 1)
        G = G.reshape(P, m, U * O)
        if regular:
            # outputs of consecutive segments are consecutive times: write the products in place
            t0, t1 = blk[0], blk[-1] + 1
            per = max(1, budget // max(1, U * O * S))
            for p0 in range(0, P, per):
                p1 = min(P, p0 + per)
                dst = out[p0:p1, t0:t1, :].reshape(p1 - p0, S, U * O)
                np.matmul(Xt[p0:p1, ss[0] : ss[-1] + 1, :], G[p0:p1], out=dst)
                if clip:
                    np.maximum(dst, 0.0, out=dst)
        else:
            per = max(1, budget // max(1, U * O * S))
            for p0 in range(0, P, per):
                p1 = min(P, p0 + per)
                Y = np.matmul(Xt[p0:p1, ss, :], G[p0:p1]).reshape(p1 - p0, S, U, O)
                if clip:
                    np.maximum(Y, 0.0, out=Y)
                out[p0:p1, blk, :] = Y[:, sinv, uinv, :]
        g = h
    return out
