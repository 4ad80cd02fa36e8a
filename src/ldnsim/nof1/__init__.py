"""Model-informed N-of-1 trials of LDN: plans, the Bayesian analysis of a diary, reports.

Python API::

    from ldnsim.diary import DiaryStore
    from ldnsim import nof1
    plan = nof1.make_plan("blinded", start="2026-03-01", pattern="ABBA", seed=7)  # blocks from the model
    print(plan.text())                     # patient calendar; text(pharmacist=True) has the key
    oc = nof1.operating_characteristics(plan.on_ldn(), plan.expectation(), analysis_days=[plan.n_days],
                                        blinded=True, n=100)                       # virtual patients
    store = DiaryStore(); store.save_plan("P001", plan.to_dict())
    doc, fit, series = nof1.analyse_patient(store, "P001")                          # JSON-able doc
    nof1.write_report("report.html", doc, fit, series)                              # or .pdf
    clinic = nof1.analyse_clinic(store, clinician_id="dr-a")                        # pooled benefit prior

    f = nof1.fit(y, on_ldn, expect)        # arrays: daily pain (NaN = missing), 0/1 LDN, 0/1 expectation
    nof1.summarise(f)                       # benefit (NRS, %), 90% CrI, P(any), P(>=30%), decision
    nof1.more_weeks(f, (4, 8, 12))          # "N more weeks would decide it with probability p"

Modules: :mod:`~ldnsim.nof1.analysis` (model and fast core), :mod:`~ldnsim.nof1.priors` (priors from the
calibrated model), :mod:`~ldnsim.nof1.plan`, :mod:`~ldnsim.nof1.virtual` (virtual patients with known truth),
:mod:`~ldnsim.nof1.characteristics`, :mod:`~ldnsim.nof1.comparators`, :mod:`~ldnsim.nof1.preposterior`,
:mod:`~ldnsim.nof1.clinic`, :mod:`~ldnsim.nof1.patient`, :mod:`~ldnsim.nof1.report`.

For research and education only; not medical advice.
"""

from __future__ import annotations

from .analysis import Fit, decide, fit, summarise, with_beta_prior
from .characteristics import operating_characteristics
from .clinic import pool
from .patient import analyse_clinic, analyse_patient, series_from_entries, series_from_store
from .plan import Plan, block_weeks_for, make_plan
from .preposterior import more_weeks
from .priors import Priors, load_priors
from .report import write_report

__all__ = [
    "Fit",
    "fit",
    "summarise",
    "decide",
    "with_beta_prior",
    "more_weeks",
    "pool",
    "Priors",
    "load_priors",
    "Plan",
    "make_plan",
    "block_weeks_for",
    "operating_characteristics",
    "analyse_patient",
    "analyse_clinic",
    "series_from_entries",
    "series_from_store",
    "write_report",
]
