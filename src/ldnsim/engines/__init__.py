"""Population engines: one model, executed by interchangeable engines (docs/engines.md).

``numpy`` (default; vectorised, chunked, streaming reductions), ``jax`` (extra ``ldnsim[gpu]``: the same
algorithm jit-compiled, float64, CPU or GPU) and ``dask`` (extra ``ldnsim[distributed]``: chunks of patients,
replicate trials or sensitivity samples across a dask.distributed cluster).

    >>> from ldnsim.engines import LdnModel, Problem, get_engine
    >>> model = LdnModel("naltrexone 4.5 mg nightly", "fibromyalgia", days=28)
    >>> res = get_engine("numpy").run(Problem(model, n_patients=100, seed=1))   # doctest: +SKIP
    >>> res.day_mean[-1]                                                          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .._disclaimer import DISCLAIMER
from ..model import time_dataset
from ._base import (
    BLOCK,
    Engine,
    Problem,
    Result,
    Schedule,
    advance,
    available_engines,
    get_engine,
    max_rel_diff,
    modal_form,
    patient_blocks,
    register_engine,
)
from .model import LdnModel, occupancy_xp, pk_blocks, receptor_constants
from .numpy_engine import NumpyEngine
from .pk import pk_timecourse, population_pk
from .reference import ReferenceEngine


def _lazy_register() -> None:
    def jax_factory(**kw):
        from .jax_engine import JaxEngine

        return JaxEngine(**kw)

    def dask_factory(**kw):
        from .dask_engine import DaskEngine

        return DaskEngine(**kw)

    register_engine("jax", jax_factory)
    register_engine("dask", dask_factory)


_lazy_register()


def run_population(model: LdnModel, n_patients: int, *, engine: str | Engine = "numpy", seed: int = 0,
                   **problem_options) -> Result:
    """Run ``n_patients`` virtual patients of ``model`` on an engine (``numpy``, ``jax`` or ``dask``)."""
    eng = engine if isinstance(engine, Engine) else get_engine(engine)
    return eng.run(Problem(model, n_patients=n_patients, seed=seed, **problem_options))


def simulate_daily(regimen=None, condition: str = "fibromyalgia", days: int = 180, patients=None, *,
                   engine: str | Engine = "numpy", variant: str = "full", params=None, seed: int = 0,
                   rtol: float = 1e-2, atol: float = 1e-5):
    """Daily mean pain of the patients of a table (``ldnsim.simulate``'s ``patients=``) on an engine.

    The hook for ``simulate(..., engine=...)``: returns an ``xarray.Dataset`` with ``pain_nrs`` (patient ×
    time, daily means; index coordinates ``time`` (h, mid-day) and ``day``, and ``time_h`` / ``time_days``
    like ``ldnsim.simulate``) and the final states.
    Without a table, one typical patient.
    """
    n = 1 if patients is None else len(patients)
    model = LdnModel(regimen, condition, days=int(days), variant=variant, params=params, population=False,
                     patients=patients)
    res = run_population(model, n, engine=engine, seed=seed, rtol=rtol, atol=atol,
                         endpoint_days=tuple(range(int(days))))
    return time_dataset(
        {"pain_nrs": (("patient", "time"), res.pain_endpoints, {"units": "NRS 0-10"}),
         "final_state": (("patient", "state"), res.final_state)},
        {"patient": np.arange(n), "state": list(res.state_names)},
        np.arange(int(days)) * 24.0 + 12.0, np.arange(int(days), dtype=float), daily=True,
        attrs={"engine": res.engine, "condition": model.condition, "variant": variant,
               "disclaimer": DISCLAIMER},
    )


__all__ = [
    "BLOCK",
    "Engine",
    "LdnModel",
    "NumpyEngine",
    "Problem",
    "ReferenceEngine",
    "Result",
    "Schedule",
    "advance",
    "available_engines",
    "get_engine",
    "max_rel_diff",
    "modal_form",
    "occupancy_xp",
    "patient_blocks",
    "pk_blocks",
    "pk_timecourse",
    "population_pk",
    "receptor_constants",
    "register_engine",
    "run_population",
    "simulate_daily",
]
