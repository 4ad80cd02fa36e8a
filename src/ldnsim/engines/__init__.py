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


__all__ = [
    "BLOCK",
    "Engine",
    "LdnModel",
    "NumpyEngine",
    "Problem",
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
]
