"""Analyse a stored patient: diary → daily series → analysis → one JSON-able document (and the report).

The series starts at the first diary day (or the plan's start when a blinded plan is stored) and runs to the
last diary day; days without a pain rating are missing. LDN exposure:

- blinded plan stored for the patient (``DiaryStore.save_plan`` of a :class:`~ldnsim.nof1.plan.Plan` with its
  blinding key): LDN on the plan's LDN blocks, expectation on every block;
- otherwise open-label: LDN from the patient's ``ldn_start`` date, or from the first day with a dose > 0;
  a missed single dose is not modelled (virtual patients who miss ~8 % of nights, unrecorded, are covered
  as the validation in docs/diary.md measures; giving the analysis the missed nights did not change it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .. import DISCLAIMER
from ..errors import InputError
from .analysis import Fit, fit, summarise
from .plan import Plan
from .preposterior import more_weeks
from .priors import method_sources

__all__ = ["Series", "series_from_store", "analyse_patient", "analyse_clinic", "CAVEATS"]

CAVEATS = [
    "The prior for how fast LDN acts comes from a calibrated model of LDN trials, not from data on you; a "
    "much slower or faster response than the model's is less well described. The prior for the size of the "
    "benefit is centred on that model's prediction (almost no benefit) and is wide, so your diary decides.",
    "Placebo (expectation) effects are large in chronic pain; without blinding they cannot be told apart "
    "from LDN's effect by the diary alone and the analysis relies on its prior for that part.",
    "Changes in other treatments, life events, seasons or flares can mimic or mask an effect; note them in "
    "the diary.",
    "Missed doses are not modelled; the analysis assumes LDN was taken from the start date on.",
]


class Series:
    """A daily series: dates, pain (NaN = missing), LDN exposure, expectation, design."""

    def __init__(
        self, dates: pd.DatetimeIndex, y: np.ndarray, on_ldn: np.ndarray, expect: np.ndarray, design: str
    ):
        self.dates, self.y, self.on_ldn, self.expect, self.design = dates, y, on_ldn, expect, design

    @property
    def blinded(self) -> bool:
        return self.design == "blinded"


def series_from_entries(
    df: pd.DataFrame, *, ldn_start: str | dt.date | None = None, plan: Plan | None = None
) -> Series:
    """Build the daily series from :meth:`DiaryStore.entries` (index date, ``pain_avg``, ``dose_mg``)."""
    if df.empty:
        raise InputError("diary", "the patient has no diary entries", accepted="daily entries with pain_avg")
    first = pd.Timestamp(plan.start) if plan is not None and plan.design == "blinded" else df.index.min()
    last = df.index.max()
    if last < first:
        raise InputError("diary", "no entries on or after the plan's start", value=str(first.date()))
    dates = pd.date_range(first, last, freq="D")
    y = df["pain_avg"].reindex(dates).to_numpy(float)
    T = len(dates)
    if plan is not None and plan.design == "blinded":
        return Series(dates, y, plan.on_ldn(T), plan.expectation(T), "blinded")
    if ldn_start is not None:
        start = pd.Timestamp(ldn_start)
    else:
        dosed = df.index[(df["dose_mg"].fillna(0) > 0).to_numpy()]
        if dosed.empty:
            raise InputError(
                "ldn_start",
                "cannot tell when LDN was started: no dose recorded and no start date",
                accepted="a patient ldn_start date or entries with dose_mg > 0",
            )
        start = dosed.min()
    u = (dates >= start).astype(float)
    return Series(dates, y, u, u.copy(), "open")


def series_from_store(store, patient_id: str, info: dict | None = None) -> Series:
    """The analysis series of one stored patient; ``info`` is ``store.patient(patient_id)`` when the caller
    already has it (saves re-reading the patient row and its entry counts)."""
    info = info if info is not None else store.patient(patient_id)
    from ..data.conditions import disease_condition, refuse_disease_condition

    cond = disease_condition(str(info.get("condition") or ""))
    if cond is not None:  # the N-of-1 analysis reads a pain diary with the pain model: not for Crohn's or MS
        refuse_disease_condition(cond, "condition")
    stored = store.plan(patient_id)
    plan = Plan.from_dict(stored) if stored and stored.get("design") == "blinded" else None
    return series_from_entries(store.entries(patient_id), ldn_start=info["ldn_start"], plan=plan)


def _document(s: Series, f: Fit, summary: dict, patient: dict, horizons: list[dict] | None) -> dict[str, Any]:
    doc = {
        "patient_id": patient["patient_id"],
        "design": s.design,
        "first_date": s.dates[0].date().isoformat(),
        "last_date": s.dates[-1].date().isoformat(),
        "ldn_start": (s.dates[int(np.argmax(s.on_ldn > 0))].date().isoformat() if s.on_ldn.any() else None),
        **summary,
        "more_weeks": horizons,
        "caveats": CAVEATS if not s.blinded else CAVEATS[:1] + CAVEATS[2:],
        "method": "model-informed Bayesian N-of-1 analysis (grid over onset time constant and noise scale, "
        "analytic linear-Gaussian part; ldnsim.nof1.analysis)",
        "method_sources": method_sources(),
        "disclaimer": DISCLAIMER,
    }
    if horizons:
        doc["what_more_weeks_would_tell"] = [
            f"{h['weeks']} more weeks would decide it with probability {h['p_decided']:.0%}" for h in horizons
        ]
        if not s.blinded and max(h["p_decided"] for h in horizons) < 0.5:
            doc["what_more_weeks_would_tell"].append(
                "more open-label weeks are unlikely to decide it: the placebo part cannot be separated "
                "without blinding; consider a blinded N-of-1 plan ('ldnsim nof1 plan --design blinded')"
            )
    return doc


def analyse_patient(
    store,
    patient_id: str,
    *,
    weeks=(4, 8, 12),
    n_sim: int = 20,
    seed: int = 0,
    prior_beta: tuple[float, float] | None = None,
) -> tuple[dict, Fit, Series]:
    """(document, fit, series) for one stored patient. ``weeks=()`` skips the preposterior part."""
    info = store.patient(patient_id)
    s = series_from_store(store, patient_id, info)
    f = fit(s.y, s.on_ldn, s.expect, blinded=s.blinded)
    if prior_beta is not None:
        from .analysis import with_beta_prior

        f = with_beta_prior(f, *prior_beta)
    summary = summarise(f)
    horizons = (
        more_weeks(f, weeks, n_sim=n_sim, seed=seed) if weeks and summary["decision"] == "undecided" else None
    )
    return _document(s, f, summary, info, horizons), f, s


def analyse_clinic(store, clinician_id: str | None = None, *, min_patients: int = 3) -> dict:
    """The hierarchical option: every analysable patient of the store (or of one clinician), with the benefit
    prior pooled across them (:func:`ldnsim.nof1.clinic.pool`)."""
    from .clinic import pool

    infos, fits, series, skipped = [], [], [], []
    for p in store.patients(clinician_id=clinician_id):  # full patient dicts: no re-read per patient
        try:
            s = series_from_store(store, p["patient_id"], p)
            fits.append(fit(s.y, s.on_ldn, s.expect, blinded=s.blinded))
        except InputError as exc:
            skipped.append({"patient_id": p["patient_id"], "reason": str(exc)})
            continue
        infos.append(p)
        series.append(s)
    pooled, hyper = pool(fits, min_patients=min_patients)
    patients = [
        _document(s, f, summarise(f), info, None) for info, s, f in zip(infos, series, pooled, strict=True)
    ]
    return {
        "clinician_id": clinician_id,
        "pooled_prior": hyper,
        "patients": patients,
        "skipped": skipped,
        "disclaimer": DISCLAIMER,
    }
