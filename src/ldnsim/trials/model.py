"""The one place where the trial layer calls the pharmacology: regimens per sequence and ``ldnsim.simulate``.

Engine-agnostic: everything goes through :func:`ldnsim.simulate` (the engine is passed through when
given). Patients are a DataFrame from :func:`ldnsim.population.sample_population`; only the columns the
model understands are passed on (covariates and per-patient system parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SolverError
from ..population import IIV_PARAMS, SIMULATE_COVARIATES

__all__ = ["phase_days", "sequence_regimen", "simulate_pain", "format_dose"]

#: variables kept (patient mean by day) for the report's mechanism panel, when the model returns them
MECHANISM_VARS = (
    "tlr4_inhibition",
    "mu_antagonist",
    "microglia",
    "cytokines",
    "glutamate",
    "nmda_drive",
    "sensitisation",
    "latent_sensitisation",
    "endorphin",
    "mu_density",
    "opioid_tone",
    "firing",
)


def phase_days(phases: Sequence[Any]) -> list[tuple[int, int]]:
    """(start_day, end_day) of each phase, end exclusive; weeks are rounded to whole days."""
    out, d = [], 0
    for p in phases:
        n = int(round(p.weeks * 7))
        out.append((d, d + n))
        d += n
    return out


def format_dose(mg: float) -> str:
    return f"{mg:.4g}"


def sequence_regimen(
    treatments: Mapping[str, Any],
    phases: Sequence[Any],
    *,
    dose_mg: float | None = None,
    missed_mask: np.ndarray | None = None,
):
    """The regimen a patient on this sequence takes (None when no phase has an active drug).

    Each active phase's regimen text is parsed and shifted to the phase start and cut at its end.
    ``missed_mask`` (one bool per dose event, True = missed) turns doses into holds.
    """
    from ..regimen import Regimen

    items = []
    for (a, b), ph in zip(phase_days(phases), phases, strict=True):
        if ph.treatment is None:
            continue
        tr = treatments[ph.treatment]
        if tr.placebo:
            continue
        text = tr.regimen
        if "{dose}" in text:
            if dose_mg is None:
                raise InputError(f"treatments.{ph.treatment}.regimen", "has {dose} but no dose was given")
            text = text.replace("{dose}", format_dose(dose_mg))
        reg = Regimen.parse(text)
        off, end = a * 24.0, b * 24.0
        for it in reg.items:
            start = it.start_h + off
            if start >= end:
                continue
            stop = end if it.stop_h is None else min(it.stop_h + off, end)
            items.append(replace(it, start_h=start, stop_h=stop, n_doses=None))
    if not items:
        return None
    reg = Regimen(tuple(items))
    if missed_mask is not None and missed_mask.any():
        total_h = phase_days(phases)[-1][1] * 24.0
        evs = reg.events(total_h)
        for ev, miss in zip(evs, missed_mask, strict=False):
            if miss:
                reg = reg.hold(max(ev.time_h - 0.5, 0.0), ev.time_h + 0.5, ev.drug)
    return reg


def n_dose_events(reg, total_days: int) -> int:
    return 0 if reg is None else len(reg.events(total_days * 24.0))


def model_columns(patients: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``patients`` that :func:`ldnsim.simulate` reads: PK covariates, the IIV parameters and
    any other per-patient system parameter (e.g. ``tlr4_ic50_nM`` of a posterior draw per patient,
    :func:`ldnsim.nof1.priors.with_posterior_draws`). Trial-layer traits are dropped. (Until 2026-12-06 only
    covariates and IIV parameters were kept, so a per-patient posterior draw was silently ignored.)"""
    from ..system import parameter_names

    system = set(parameter_names())
    cols = [c for c in (*SIMULATE_COVARIATES, *IIV_PARAMS) if c in patients.columns]
    cols += [c for c in patients.columns if c in system and c not in cols]
    return patients[cols].reset_index(drop=True)


#: The model's ``simulate`` function; ``None`` means :func:`ldnsim.simulate.simulate`. Pure
#: trial-mechanics tests set a test double here (``monkeypatch.setattr(trials.model, "SIMULATE", fake)``).
SIMULATE = None


def get_simulate():
    """The model's ``simulate`` function (looked up at call time, so a test double set on
    :data:`SIMULATE` is used). Imports from the simulation layer only, never the package root."""
    if SIMULATE is not None:
        return SIMULATE
    from ..simulate import simulate

    return simulate


def simulate_pain(
    regimen,
    patients: pd.DataFrame,
    n_days: int,
    *,
    condition: str | np.ndarray | Sequence[str],
    variant: str = "full",
    params: Mapping[str, float] | None = None,
    engine: str | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Daily model pain (patients x n_days, 0–10 NRS) and patient-mean mechanism traces (name -> days).

    ``condition``: one condition preset for all patients, or one per patient (a mixed-condition
    population: one :func:`ldnsim.simulate` call per condition, results put back in patient order).
    Raises :class:`~ldnsim.errors.SolverError` if the model returns no usable pain.
    """
    if not isinstance(condition, str):
        conds = np.asarray(condition, dtype=object)
        names = list(dict.fromkeys(conds.tolist()))
        if len(names) == 1:
            return simulate_pain(regimen, patients, n_days, condition=str(names[0]), variant=variant,
                                 params=params, engine=engine, seed=seed)
        pain = np.empty((len(patients), int(n_days)))
        mech: dict[str, np.ndarray] = {}
        for name in names:
            rows = np.flatnonzero(conds == name)
            pr, mr = simulate_pain(regimen, patients.iloc[rows], n_days, condition=str(name), variant=variant,
                                   params=params, engine=engine, seed=seed)
            pain[rows] = pr
            for k, v in mr.items():
                mech[k] = mech.get(k, 0.0) + v * rows.size / len(patients)
        return pain, mech
    ds = get_simulate()(
        regimen=regimen,
        condition=condition,
        days=int(n_days),
        patients=model_columns(patients),
        variant=variant,
        output="daily",
        params=dict(params) if params else None,
        seed=seed,
        engine=engine,
    )
    pain = np.asarray(ds["pain_nrs"].transpose("patient", ...).values, float)
    if pain.ndim != 2 or pain.shape[0] != len(patients):
        raise SolverError(f"simulate returned pain of shape {pain.shape}, expected ({len(patients)}, days)")
    if pain.shape[1] < n_days:
        pad = np.repeat(pain[:, -1:], n_days - pain.shape[1], axis=1)
        pain = np.concatenate([pain, pad], axis=1)
    pain = pain[:, :n_days]
    if not np.all(np.isfinite(pain)):
        raise SolverError("the model returned non-finite pain values")
    mech = {}
    present = [v for v in MECHANISM_VARS if v in ds.data_vars]
    if not present:  # another model (a test double): keep its first few patient x time variables
        present = [str(v) for v in ds.data_vars if v != "pain_nrs"][:8]
    for name in present:
        da = ds[name]
        if set(da.dims) == {"patient", "time"}:
            v = np.asarray(da.transpose("patient", "time").values, float)[:, :n_days]
            if np.all(np.isfinite(v)):
                mech[name] = v.mean(axis=0)
    return pain, mech
