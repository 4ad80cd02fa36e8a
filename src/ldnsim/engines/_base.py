"""The engine interface: a model declared once, executed by interchangeable engines.

Contract (docs/engines.md): an engine takes a :class:`Problem` — a model (exact linear PK, receptor algebra,
slow ODEs in production–loss form with their step function, pain readout; all written once as array code
over ``xp``), a population size, a seed and tolerances — and returns a :class:`Result` (per-patient endpoints
and streaming population summaries). Every engine runs the same algorithm:

* PK is exact: each patient's linear system is diagonalised once (``A = V Λ V⁻¹``) and concentrations at the
  driver sample times are sums of exponentials, carried from one schedule boundary to the next;
* the slow states advance one macro-step (a day by default) at a time with the model's step function
  (:func:`ldnsim.system.step`: exponential Heun with the rates averaged over hourly driver samples) under
  error control by step doubling, per patient (:func:`advance`) — a patient's result never depends on which
  other patients share its chunk;
* the daily mean pain is reduced on the fly: per-patient values only on the endpoint days, population sums
  for every day — memory is O(chunk × states), never patients × days × states.

Patients are drawn in fixed blocks of :data:`BLOCK` patients, block ``b`` from
``numpy.random.default_rng([seed, b])``, so the same seed gives the same patients on every engine and for
every chunk size.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import InputError, SolverError

__all__ = [
    "BLOCK",
    "Model",
    "Problem",
    "Schedule",
    "Result",
    "Engine",
    "register_engine",
    "get_engine",
    "available_engines",
    "modal_form",
    "advance",
    "error_norm",
    "patient_blocks",
    "max_rel_diff",
]

#: patients are sampled in blocks of this size (seeded per block): results do not depend on chunking
BLOCK = 4096


# ------------------------------------------------------------------------------------------------ PK


def modal_form(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``A = V diag(lam) V⁻¹`` per patient (real, distinct, negative eigenvalues required).

    Linear PK matrices (catenary / mammillary compartments) have real negative eigenvalues. Where two
    coincide exactly (a defective matrix, e.g. ka equal to an elimination rate) the diagonal is perturbed
    by a relative 1e-7 — a change far below any tolerance ldnsim reports — and the reconstruction error
    is checked. Returns (lam (P, n), V (P, n, n), Vinv (P, n, n)).
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[-1]
    scale = np.max(np.abs(A), axis=(-2, -1), keepdims=True)
    work = A
    for attempt in range(3):
        lam, V = np.linalg.eig(work)
        if np.iscomplexobj(lam):
            if np.max(np.abs(lam.imag)) > 1e-9 * float(np.max(scale)):
                raise SolverError("PK system has complex eigenvalues; ldnsim's exact PK needs real ones")
            lam, V = lam.real, V.real
        try:
            Vinv = np.linalg.inv(V)
            rec = np.einsum("pij,pj,pjk->pik", V, lam, Vinv)
            err = np.max(np.abs(rec - work) / scale)
        except np.linalg.LinAlgError:
            err = np.inf
        if np.isfinite(err) and err < 1e-9:
            if np.any(lam >= 0):
                raise SolverError("PK system has a non-decaying mode (eigenvalue >= 0): no elimination path")
            return lam, V, Vinv
        bump = 1.0 + 1e-7 * (attempt + 1) * np.arange(1, n + 1) / n
        work = A.copy()
        idx = np.arange(n)
        work[..., idx, idx] = A[..., idx, idx] * bump
    raise SolverError("PK system matrix could not be diagonalised accurately")


# ------------------------------------------------------------------------------------------------ schedule


@dataclass
class Schedule:
    """Dosing shared by every patient, as piecewise-constant intervals.

    ``t`` (K+1,) boundaries in h, covering 0 … the end, including every dose, infusion on/off and day
    boundary; ``bolus`` per boundary: list of (input key, mg); ``rates`` (K, n_keys) zero-order input in mg/h
    during each
    interval; ``day_index`` (K,) the output day an interval belongs to.
    """

    t: np.ndarray
    keys: tuple[str, ...]
    bolus: list[list[tuple[str, float]]]
    rates: np.ndarray
    day_index: np.ndarray
    days: int

    @classmethod
    def from_events(
        cls,
        events: Sequence[Any],
        days: int,
        *,
        lag_h: Mapping[str, float] | None = None,
        release_h: Mapping[str, float] | None = None,
        output_every_h: float = 24.0,
    ) -> Schedule:
        """From DoseEvent-like objects (time_h, drug, dose_mg, formulation, duration_h)."""
        if days < 1:
            raise InputError("days", "must be at least 1", value=days)
        lag_h = dict(lag_h or {})
        release_h = dict(release_h or {})
        end = days * output_every_h
        cuts = {float(k * output_every_h) for k in range(days + 1)}
        boluses: dict[float, list[tuple[str, float]]] = {}
        infusions: list[tuple[float, float, str, float]] = []
        keys: list[str] = []
        for ev in events:
            key = f"{ev.drug}/{ev.formulation}"
            if key not in keys:
                keys.append(key)
            t0 = float(ev.time_h) + float(lag_h.get(key, 0.0))
            dur = float(ev.duration_h or 0.0) or float(release_h.get(key, 0.0))
            if t0 >= end:
                continue
            if dur > 0:
                t1 = t0 + dur
                infusions.append((t0, t1, key, float(ev.dose_mg) / dur))
                cuts.add(t0)
                if t1 < end:
                    cuts.add(t1)
            else:
                boluses.setdefault(t0, []).append((key, float(ev.dose_mg)))
                cuts.add(t0)
        t = np.array(sorted(c for c in cuts if 0.0 <= c <= end))
        K = len(t) - 1
        rates = np.zeros((K, max(len(keys), 1)))
        mids = 0.5 * (t[:-1] + t[1:])
        for t0, t1, key, rate in infusions:
            j = keys.index(key)
            rates[(mids > t0) & (mids < t1), j] += rate
        bolus = [boluses.get(float(tb), []) for tb in t]
        day_index = np.minimum((mids // output_every_h).astype(int), days - 1)
        return cls(t=t, keys=tuple(keys), bolus=bolus, rates=rates, day_index=day_index, days=days)


# ------------------------------------------------------------------------------------------------ model


class Model(Protocol):
    """What an engine needs from a model (ldnsim's: :class:`ldnsim.engines.model.LdnModel`)."""

    name: str
    state_names: tuple[str, ...]
    days: int
    dt_h: float

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per-patient inputs of ``n`` patients (arrays with a leading patient axis)."""

    def setup(self, patients: Mapping[str, np.ndarray]) -> Any:
        """Per-chunk set-up with ``.p`` (parameter dict), ``.y0`` (P, n_states) and ``.drivers(step_index)``
        returning each driver's samples for that macro-step, shaped (n_sub, P)."""

    def step(self, y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float,
             xp: Any) -> tuple[Any, dict]:
        """One macro-step of the slow states; outputs include ``pain_nrs`` averaged over the step."""


@dataclass
class Problem:
    """One population run: model × patients × tolerances × reductions."""

    model: Any
    n_patients: int
    seed: int = 0
    endpoint_days: tuple[int, ...] = ()
    rtol: float = 1e-2
    atol: float = 1e-5
    max_level: int = 3
    chunk_size: int = BLOCK
    keep_patients: bool = True
    #: ``reducer(chunk_output) -> {name: number or array}``, called on every chunk (where the chunk ran, so
    #: picklable for dask) with its ``pain_endpoints`` (patients × endpoint days) and ``final_state``; the
    #: engines add up the returned values over the chunks into :attr:`Result.reduced` — per-patient summaries
    #: of any size of population in O(chunk) memory (:mod:`ldnsim.trials.population`)
    reducer: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.n_patients < 1:
            raise InputError("patients", "must be at least 1", value=self.n_patients)
        days = int(self.model.days)
        if not self.endpoint_days:
            self.endpoint_days = tuple(sorted({0, days // 2, days - 1}))
        for d in self.endpoint_days:
            if not 0 <= d < days:
                raise InputError("endpoint_days", "outside the simulated days", value=d)
        if self.chunk_size % BLOCK:
            self.chunk_size = max(BLOCK, (self.chunk_size // BLOCK) * BLOCK)
        if not (0 < self.rtol < 1 and self.atol > 0):
            raise InputError("rtol/atol", "must be positive (rtol < 1)", value=(self.rtol, self.atol))

    @property
    def days(self) -> int:
        return int(self.model.days)

    def chunks(self) -> Iterator[tuple[int, int]]:
        """(start, stop) patient ranges, each a whole number of sampling blocks."""
        for start in range(0, self.n_patients, self.chunk_size):
            yield start, min(self.n_patients, start + self.chunk_size)


def patient_blocks(model: Any, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Patients ``start … stop-1``, sampled block-wise (block b from ``default_rng([seed, b])``), or the
    rows of the model's own patient table when it has one (``model.rows``)."""
    rows = getattr(model, "rows", None)
    given = rows(start, stop) if rows is not None else None
    if given is not None:
        return given
    parts: list[dict[str, np.ndarray]] = []
    b0, b1 = start // BLOCK, (stop - 1) // BLOCK
    for b in range(b0, b1 + 1):
        pats = model.sample(BLOCK, np.random.default_rng([int(seed), int(b)]))
        lo = max(start - b * BLOCK, 0)
        hi = min(stop - b * BLOCK, BLOCK)
        parts.append({k: (np.asarray(v)[lo:hi] if np.ndim(v) else v) for k, v in pats.items()})
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return {k: (np.concatenate([p[k] for p in parts]) if np.ndim(first[k]) else first[k]) for k in first}


# ------------------------------------------------------------------------------------------------ result


@dataclass
class Result:
    """What an engine returns.

    pain_endpoints: (patients, len(endpoint_days)) daily mean pain on the endpoint days (if kept);
    final_state: (patients, n_states) (if kept); day_sum / day_sumsq: (days,) population sums of the daily
    mean pain (streamed; mean = day_sum / patients); steps: total accepted steps; wall_s; peak_mib.
    """

    engine: str
    model: str
    n_patients: int
    days: int
    endpoint_days: tuple[int, ...]
    state_names: tuple[str, ...]
    pain_endpoints: np.ndarray | None
    final_state: np.ndarray | None
    day_sum: np.ndarray
    day_sumsq: np.ndarray
    steps: int = 0
    wall_s: float = 0.0
    peak_mib: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    #: the sums of ``Problem.reducer``'s outputs over every chunk (empty without a reducer)
    reduced: dict[str, Any] = field(default_factory=dict)

    @property
    def day_mean(self) -> np.ndarray:
        return self.day_sum / self.n_patients

    @property
    def day_sd(self) -> np.ndarray:
        m = self.day_mean
        return np.sqrt(np.maximum(self.day_sumsq / self.n_patients - m * m, 0.0))

    @property
    def patient_years_per_s(self) -> float:
        return self.n_patients * self.days / 365.25 / max(self.wall_s, 1e-12)

    def endpoints(self) -> dict[str, np.ndarray]:
        """Every endpoint as an array (for cross-engine comparison)."""
        out = {"day_mean_pain": self.day_mean, "day_sd_pain": self.day_sd}
        if self.pain_endpoints is not None:
            out["pain_endpoints"] = self.pain_endpoints
        if self.final_state is not None:
            out["final_state"] = self.final_state
        return out

    def to_dataset(self) -> Any:
        """An xarray Dataset (patient × endpoint_day, day, patient × state)."""
        import xarray as xr

        data: dict[str, Any] = {
            "pain_day_mean": (("day",), self.day_mean),
            "pain_day_sd": (("day",), self.day_sd),
        }
        coords: dict[str, Any] = {"day": np.arange(self.days)}
        if self.pain_endpoints is not None:
            data["pain_nrs"] = (("patient", "endpoint_day"), self.pain_endpoints)
            coords["endpoint_day"] = list(self.endpoint_days)
            coords["patient"] = np.arange(self.n_patients)
        if self.final_state is not None:
            data["final_state"] = (("patient", "state"), self.final_state)
            coords["state"] = list(self.state_names)
        ds = xr.Dataset(data, coords=coords)
        ds.attrs.update({"engine": self.engine, "model": self.model, "wall_s": self.wall_s})
        return ds


def max_rel_diff(a: Result, b: Result, floor: float = 1e-6) -> float:
    """Largest relative difference over every endpoint (|x−y| / max(|x|, |y|, floor))."""
    ea, eb = a.endpoints(), b.endpoints()
    worst = 0.0
    for k in ea:
        if k not in eb:
            continue
        x, y = np.asarray(ea[k], float), np.asarray(eb[k], float)
        den = np.maximum(np.maximum(np.abs(x), np.abs(y)), floor)
        worst = max(worst, float(np.max(np.abs(x - y) / den)) if x.size else 0.0)
    return worst


# ------------------------------------------------------------------------------------------------ numerics


def error_norm(y: Any, y_full: Any, y_halves: Any, rtol: float, atol: float, xp: Any) -> Any:
    """Per patient: ``max_i |y_full − y_halves| / (atol + rtol·max(|y|, |y_full|))`` — the step-doubling error
    every engine compares with 1 (a patient above 1 is refined)."""
    scale = atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_full))
    return xp.max(xp.abs(y_full - y_halves) / scale, axis=-1)


def advance(step: Any, y: Any, d: Mapping[str, Any], p: Mapping[str, Any], dt: float, rtol: float,
            atol: float, xp: Any, level: int = 0, max_level: int = 3,
            pair: Any = None, readout: str = "pain_nrs") -> tuple[Any, Any, int]:
    """One macro-step of ``dt`` h with error control by step doubling, per patient (numpy; subsets).

    ``step(y, d, p, dt, xp) -> (y1, outputs)`` is the model's step (:func:`ldnsim.system.step`: exponential
    Heun with the rates averaged over the driver samples ``d`` (n_sub, P)). The full step is compared with two
    half steps (each on its half of the samples); patients whose weighted difference exceeds 1
    (``|y_full − y_half| / (atol + rtol·max(|y|, |y_full|))``, max over states) are recomputed as two half
    steps, recursively, down to ``max_level`` halvings or one driver sample. Accepted patients keep the full
    step — so where the tolerance is met the result is exactly :func:`ldnsim.simulate`'s.
    Returns (y_new, mean pain over the step, number of refined patient-steps).
    ``readout``: the step output reported (``pain_nrs``; another model's, e.g. the immune module's stacked
    ``(P, k)`` outputs, averaged the same way over refined halves).

    ``pair(y, d, p, dt, halves=True) -> (y_full, pain, y_two_halves | None)`` (numpy,
    :func:`ldnsim.system.step_pair`), where given, computes the full and the two half steps together with
    the same numbers and less work; drivers may then also be ``(1, P)`` where constant over the step.
    """
    n_s = max(v.shape[0] for v in d.values())
    stop = level >= max_level or n_s < 2 or n_s % 2
    if pair is not None:
        y_full, pain, y_b = pair(y, d, p, dt, halves=not stop)
        if stop:
            return y_full, pain, 0
        h = n_s // 2
        d_a = {k: (v[:h] if v.shape[0] == n_s else v) for k, v in d.items()}
        d_b = {k: (v[h:] if v.shape[0] == n_s else v) for k, v in d.items()}
    else:
        y_full, o_full = step(y, d, p, dt, xp)
        pain = o_full[readout]
        if stop:
            return y_full, pain, 0
        h = n_s // 2
        d_a = {k: v[:h] for k, v in d.items()}
        d_b = {k: v[h:] for k, v in d.items()}
        y_a, _ = step(y, d_a, p, 0.5 * dt, xp)
        y_b, _ = step(y_a, d_b, p, 0.5 * dt, xp)
    err = error_norm(y, y_full, y_b, rtol, atol, xp)
    bad = np.nonzero(np.asarray(err) > 1.0)[0]
    if bad.size == 0:
        return y_full, pain, 0
    sub_p = {k: (v[bad] if np.ndim(v) else v) for k, v in p.items()}
    y1, pain1, r1 = advance(step, y[bad], {k: v[:, bad] for k, v in d_a.items()}, sub_p, 0.5 * dt, rtol, atol,
                            xp, level + 1, max_level, pair, readout)
    y2, pain2, r2 = advance(step, y1, {k: v[:, bad] for k, v in d_b.items()}, sub_p, 0.5 * dt, rtol, atol, xp,
                            level + 1, max_level, pair, readout)
    y_full = y_full.copy()
    pain = pain.copy()
    y_full[bad] = y2
    pain[bad] = 0.5 * (pain1 + pain2)
    return y_full, pain, int(bad.size) + r1 + r2


# ------------------------------------------------------------------------------------------------ registry


class Engine(abc.ABC):
    """Base class. Subclasses set ``name`` and implement :meth:`run`."""

    name = "base"

    def available(self) -> bool:
        return True

    @abc.abstractmethod
    def run(self, problem: Problem, *, progress: bool = False) -> Result:
        """Run every patient of ``problem`` and return its streamed :class:`Result`."""


_REGISTRY: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str, factory: Callable[..., Engine]) -> None:
    """Make ``factory(**options)`` available as ``get_engine(name, **options)``."""
    _REGISTRY[name] = factory


def get_engine(name: str = "numpy", **options: Any) -> Engine:
    """An engine by name (``numpy``, ``jax``, ``dask``); :class:`InputError` naming the known ones."""
    if isinstance(name, Engine):
        return name
    if name not in _REGISTRY:
        raise InputError("engine", "unknown engine", accepted=", ".join(sorted(_REGISTRY)), value=name)
    return _REGISTRY[name](**options)


def available_engines() -> list[str]:
    """Engines whose optional dependencies are installed."""
    out = []
    for name, factory in _REGISTRY.items():
        try:
            if factory().available():
                out.append(name)
        except Exception:  # noqa: BLE001 - an engine that cannot even be constructed is unavailable
            continue
    return out

