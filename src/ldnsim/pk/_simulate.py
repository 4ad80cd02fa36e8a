"""``simulate_pk``: dose events → plasma and effect-site concentrations for many patients."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, UnknownNameError
from ._covariates import Covariates, eta_keys, patient_parameters
from ._drugs import load_drug, resolve_drug
from ._linear import DrugSystem, build_system, solve

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["simulate_pk", "normalise_events", "Event", "build_drug_system"]

MAX_DOSE_MG = 10_000.0


@dataclass(frozen=True)
class Event:
    """A validated dose event (drug id resolved, formulation known)."""

    time_h: float
    drug: str
    dose_mg: float
    formulation: str
    duration_h: float


def normalise_events(events, until_h: float) -> list[Event]:
    """Accept DoseEvents (or objects with ``time_h, drug, dose_mg[, formulation, duration_h]``), or an
    object with ``.events(until_h)``; resolve drug names and check every field."""
    if hasattr(events, "events") and callable(events.events):
        events = events.events(until_h)
    if events is None:
        raise InputError("events", "no dose events given")
    out = []
    for i, ev in enumerate(events if isinstance(events, Iterable) else [events]):
        try:
            t = float(ev.time_h)
            dose = float(ev.dose_mg)
            drug_text = ev.drug
        except AttributeError:
            raise InputError(f"events[{i}]", "must have time_h, drug and dose_mg", value=repr(ev)) from None
        drug = resolve_drug(drug_text)
        spec = load_drug(drug)
        form = getattr(ev, "formulation", None) or spec.default_formulation
        form = str(form).strip().lower()
        if form not in spec.formulations:
            raise UnknownNameError("formulation", form, spec.formulations)
        dur = float(getattr(ev, "duration_h", 0.0) or 0.0)
        if not math.isfinite(t):
            raise InputError(f"events[{i}].time_h", "must be finite", value=ev.time_h)
        if not (math.isfinite(dose) and 0 < dose <= MAX_DOSE_MG):
            raise InputError(f"events[{i}].dose_mg", "must be positive", accepted=f"0-{MAX_DOSE_MG:g} mg",
                             value=ev.dose_mg)
        if not (math.isfinite(dur) and 0 <= dur <= 24 * 366):
            raise InputError(f"events[{i}].duration_h", "out of range", accepted="0-8784 h", value=dur)
        out.append(Event(t, drug, dose, form, dur))
    return out


def _patients(covariates: Covariates | None, eta: Mapping[str, np.ndarray] | None) -> int:
    n = covariates.n_patients if covariates is not None else 1
    for k, v in (eta or {}).items():
        arr = np.asarray(v, dtype=float)
        if arr.ndim != 1:
            raise InputError(f"eta[{k}]", "must be a 1-D array over patients", value=f"shape {arr.shape}")
        if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 10):
            raise InputError(f"eta[{k}]", "must be finite log-scale random effects", accepted="|eta| <= 10")
        if n == 1:
            n = arr.size
        elif arr.size not in (1, n):
            raise InputError(f"eta[{k}]", f"has {arr.size} values but there are {n} patients")
    return n


def _eta_for(drug: str, eta: Mapping[str, np.ndarray] | None, n: int) -> dict[str, np.ndarray]:
    if not eta:
        return {}
    spec = load_drug(drug)
    keys = eta_keys(spec)
    out = {}
    for k, v in eta.items():
        kk = k.split("/", 1)[1] if k.startswith(f"{drug}/") else k
        if "/" in k and not k.startswith(f"{drug}/"):
            continue
        if kk in keys:
            out[kk] = np.broadcast_to(np.asarray(v, dtype=float), (n,))
    return out


def build_drug_system(drug: str, formulations, covariates: Covariates | None = None,
                      eta: Mapping[str, np.ndarray] | None = None, sinks: bool = True) -> DrugSystem:
    """The linear system (matrices) of one drug for the given formulations and patients."""
    cov = covariates if covariates is not None else Covariates()
    n = _patients(cov, eta)
    spec = load_drug(drug)
    e = _eta_for(spec.id, eta, n)
    per_patient = n > 1 and (cov.n_patients > 1 or bool(e))
    nn = n if per_patient else 1
    if not per_patient:
        e = {k: v[:1] for k, v in e.items()}
    pp = patient_parameters(spec, cov, e, nn)
    return build_system(spec, pp, list(formulations), sinks)


def _breakpoints(evs: list[Event], channels: list[str], spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, bol, rate = [], [], []
    nch = len(channels)
    for ev in evs:
        f = spec.formulations[ev.formulation]
        bf = (f.base_fraction.value if f.base_fraction is not None
              else spec.dose_basis.base_fraction.value if spec.dose_basis is not None else 1.0)
        base = ev.dose_mg * bf
        t0 = ev.time_h + (f.lag.value if f.lag is not None else 0.0)
        dur = ev.duration_h if ev.duration_h > 0 else (f.release_h.value if f.release_h is not None else 0.0)
        j = channels.index(ev.formulation)
        v = np.zeros(nch)
        if dur > 0:
            v[j] = base / dur
            times += [t0, t0 + dur]
            bol += [np.zeros(nch), np.zeros(nch)]
            rate += [v, -v]
        else:
            v[j] = base
            times.append(t0)
            bol.append(v)
            rate.append(np.zeros(nch))
    t = np.asarray(times, dtype=float)
    uniq, inv = np.unique(np.round(t, 9), return_inverse=True)
    B = np.zeros((uniq.size, nch))
    R = np.zeros((uniq.size, nch))
    np.add.at(B, inv, np.asarray(bol))
    np.add.at(R, inv, np.asarray(rate))
    return uniq, B, R


def _dosed(evs: list[Event], spec, times: np.ndarray) -> np.ndarray:
    """Cumulative mg of base that has entered the body (including unabsorbed) by each time."""
    out = np.zeros(times.size)
    for ev in evs:
        f = spec.formulations[ev.formulation]
        bf = (f.base_fraction.value if f.base_fraction is not None
              else spec.dose_basis.base_fraction.value if spec.dose_basis is not None else 1.0)
        t0 = ev.time_h + (f.lag.value if f.lag is not None else 0.0)
        dur = ev.duration_h if ev.duration_h > 0 else (f.release_h.value if f.release_h is not None else 0.0)
        if dur > 0:
            out += ev.dose_mg * bf * np.clip((times - t0) / dur, 0.0, 1.0)
        else:
            out += ev.dose_mg * bf * (times >= np.round(t0, 9))
    return out


@dataclass(frozen=True)
class PKArrays:
    """The outputs of :func:`simulate_pk_arrays`: plain numpy arrays, in the caller's time order.

    ``plasma_ng_ml`` / ``effect_nM``: (patient, time, analyte), ng/mL total plasma and nM unbound
    effect-site (``None`` when not asked for); ``amount_mg``: (patient, time, compartment), mg
    parent-equivalents, and ``dosed_mg``: (time, drug), mg, only with ``amounts=True``.
    """

    analytes: list[str]
    n_patients: int
    plasma_ng_ml: np.ndarray | None
    effect_nM: np.ndarray | None
    compartments: list[str]
    drugs: list[str]
    amount_mg: np.ndarray | None
    dosed_mg: np.ndarray | None


def simulate_pk(
    events,
    times_h,
    covariates: Covariates | None = None,
    eta: Mapping[str, np.ndarray] | None = None,
    *,
    amounts: bool = False,
    dtype=np.float64,
    variables: tuple[str, ...] = ("plasma_ng_ml", "effect_nM"),
) -> xr.Dataset:
    """Exact linear PK of any sequence of dose events, for one or many patients.

    events: iterable of :class:`ldnsim.regimen.DoseEvent` (time_h from the first dose, drug,
        dose_mg = labelled amount, formulation, duration_h), or an object with ``.events(until_h)``.
    times_h: 1-D array of output times, hours from the first dose.
    covariates: :class:`Covariates` (scalars or arrays over patients).
    eta: random effects ``{'<analyte>.<CL|V|Q|V2|ke0|kp_uu|fm>' | '<formulation>.<ka|F>': array(n)}``
        (optionally prefixed ``'<drug>/'``), multiplying the parameter by ``exp(eta)``.
    amounts: also return ``amount_mg`` (patient, time, compartment; mg parent-equivalents, sinks
        included) and ``dosed_mg`` (time, drug) for mass-balance checks.
    dtype: float dtype of the outputs (``np.float32`` halves memory for large populations).
    variables: which of ``plasma_ng_ml`` / ``effect_nM`` to compute (a population run that only
        feeds the receptor layer can ask for ``("effect_nM",)`` and halve time and memory).

    Returns an ``xarray.Dataset`` with dims (patient, time, analyte), coordinate ``time_h``, and
    ``plasma_ng_ml`` (total plasma, ng/mL) and ``effect_nM`` (unbound effect-site/brain, nM).
    """
    import xarray as xr  # here, not at module import: the clinical tools use simulate_pk_arrays (start-up)

    t = np.asarray(times_h, dtype=float)
    res = simulate_pk_arrays(events, t, covariates, eta, amounts=amounts, dtype=dtype, variables=variables)
    coords: dict = {"patient": np.arange(res.n_patients), "time_h": ("time", t), "analyte": res.analytes}
    data = {}
    if res.plasma_ng_ml is not None:
        data["plasma_ng_ml"] = (("patient", "time", "analyte"), res.plasma_ng_ml,
                                {"units": "ng/mL", "long_name": "total plasma concentration"})
    if res.effect_nM is not None:
        data["effect_nM"] = (("patient", "time", "analyte"), res.effect_nM,
                             {"units": "nM", "long_name": "unbound effect-site (brain) concentration"})
    if amounts:
        coords["compartment"] = res.compartments
        coords["drug"] = res.drugs
        data["amount_mg"] = (("patient", "time", "compartment"), res.amount_mg,
                             {"units": "mg parent-equivalent", "long_name": "amount per compartment"})
        data["dosed_mg"] = (("time", "drug"), res.dosed_mg,
                            {"units": "mg base", "long_name": "cumulative dose input"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "time_units": "h from first dose",
        "plasma_units": "ng/mL",
        "effect_units": "nM (unbound)",
        "dose_convention": "dose_mg is the labelled amount (salt as prescribed); see drug-file dose_basis",
        "n_patients": res.n_patients,
    })
    return ds


def simulate_pk_arrays(
    events,
    times_h,
    covariates: Covariates | None = None,
    eta: Mapping[str, np.ndarray] | None = None,
    *,
    amounts: bool = False,
    dtype=np.float64,
    variables: tuple[str, ...] = ("plasma_ng_ml", "effect_nM"),
) -> PKArrays:
    """:func:`simulate_pk` without xarray: the same numbers as a :class:`PKArrays` of numpy arrays.

    For callers that only need the arrays and must start fast (the clinical tools: importing xarray and
    pandas costs ~0.4 s). Arguments as :func:`simulate_pk`.
    """
    t = np.asarray(times_h, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise InputError("times_h", "must be a non-empty 1-D array of hours", value=f"shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise InputError("times_h", "must be finite")
    variables = tuple(variables)
    if not variables or any(v not in ("plasma_ng_ml", "effect_nM") for v in variables):
        raise InputError("variables", "unknown output variable", accepted="plasma_ng_ml, effect_nM",
                         value=variables)
    want_p, want_e = "plasma_ng_ml" in variables, "effect_nM" in variables
    evs = normalise_events(events, float(t.max()))
    if isinstance(covariates, Mapping):
        covariates = Covariates(**covariates)
    cov = covariates if covariates is not None else Covariates()
    _patients(cov, eta)
    if eta:
        known = set()
        for d in {e.drug for e in evs}:
            known |= {k for k in eta_keys(load_drug(d))} | {f"{d}/{k}" for k in eta_keys(load_drug(d))}
        bad = [k for k in eta if k not in known]
        if bad:
            raise InputError("eta", f"unknown random-effect key {bad[0]!r}",
                             accepted="'<analyte>.<param>' or '<formulation>.<param>' of a dosed drug")
    order = np.argsort(t, kind="stable")
    ts = t[order]
    drugs = list(dict.fromkeys(e.drug for e in evs))
    analyte_names: list[str] = []
    results = []
    comp_names: list[str] = []
    comp_blocks = []
    dosed = []
    P_out = 1
    for d in drugs:
        spec = load_drug(d)
        devs = [e for e in evs if e.drug == d]
        channels = list(dict.fromkeys(e.formulation for e in devs))
        sys = build_drug_system(d, channels, cov, eta, sinks=amounts)
        P_out = max(P_out, sys.A.shape[0])
        bp, bol, rate = _breakpoints(devs, channels, spec)
        na = len(sys.analytes)
        rows = ([sys.plasma] if want_p else []) + ([sys.effect] if want_e else [])
        if amounts:
            mass_idx = np.nonzero(sys.mass)[0]
            sel = np.zeros((sys.A.shape[0], mass_idx.size, sys.m))
            sel[:, np.arange(mass_idx.size), mass_idx] = 1.0
            rows.append(sel)
            comp_names += [f"{d}.{sys.states[i]}" for i in mass_idx]
        R = np.concatenate(rows, axis=1)
        Y = solve(sys, bp, bol, rate, ts, R, dtype=dtype)  # (P, T, O)
        k = 0
        pl = ef = None
        if want_p:
            pl, k = Y[:, :, :na], na
        if want_e:
            ef, k = Y[:, :, k : k + na], k + na
        results.append((sys.analytes, pl, ef))
        if amounts:
            comp_blocks.append(Y[:, :, k:])
            dosed.append(_dosed(devs, spec, ts))
        for a in sys.analytes:
            if a not in analyte_names:
                analyte_names.append(a)
    T = ts.size
    nA = len(analyte_names)
    if len(results) == 1 and Y.shape[0] == P_out:
        plasma, effect = results[0][1], results[0][2]
    else:
        plasma = np.zeros((P_out, T, nA), dtype=dtype) if want_p else None
        effect = np.zeros((P_out, T, nA), dtype=dtype) if want_e else None
        for names, pl, ef in results:
            for i, a in enumerate(names):
                j = analyte_names.index(a)
                if want_p:
                    plasma[:, :, j] += pl[:, :, i]
                if want_e:
                    effect[:, :, j] += ef[:, :, i]
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    sorted_already = bool(np.all(order == np.arange(order.size)))
    plasma_out = effect_out = amt = ds_ = None
    if want_p:
        plasma_out = plasma if sorted_already else plasma[:, inv]
    if want_e:
        effect_out = effect if sorted_already else effect[:, inv]
    if amounts:
        amt = np.concatenate([np.broadcast_to(b, (P_out,) + b.shape[1:]) for b in comp_blocks], axis=2)
        if not sorted_already:
            amt = amt[:, inv]
        ds_ = np.stack(dosed, axis=1)
        if not sorted_already:
            ds_ = ds_[inv]
    return PKArrays(analytes=analyte_names, n_patients=P_out, plasma_ng_ml=plasma_out, effect_nM=effect_out,
                    compartments=comp_names, drugs=drugs, amount_mg=amt, dosed_mg=ds_)
