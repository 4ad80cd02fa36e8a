"""ldnsim: low-dose naltrexone and related morphinans on the neuroimmune pain system.

For research and education only; not medical advice.

The public API, re-exported here by name (``__all__``); everything else is reached through its
subpackage (``ldnsim.pk``, ``ldnsim.trials``, ``ldnsim.clinical``, ...)::

    import ldnsim

    ds = ldnsim.simulate("naltrexone 4.5 mg nightly for 12 weeks", days=84)   # xarray.Dataset
    res = ldnsim.trial("younger2013", patients=31, replicates=2, seed=0)       # a published trial
    doc = ldnsim.check(["oxycodone 5 mg q6h", "sertraline 50 mg"])             # screen medications
    plan = ldnsim.hold("2026-03-02T08:00", "4.5 mg")                           # peri-operative hold
    ldnsim.export_sbml(spec, "ldn.xml")

Attributes are loaded lazily (module ``__getattr__``): ``import ldnsim`` imports neither numpy's
heavy users (xarray, pandas, scipy) nor any layer until an attribute is first used, so the clinical
commands start fast. :data:`_LAZY` maps each public name to ``(module, attribute)``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from ._disclaimer import DISCLAIMER
from ._version import __version__
from .errors import DataFileError, InputError, LdnsimError, SolverError, UnknownNameError

#: public name -> (module, attribute); attribute None: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    # model
    "simulate": ("ldnsim.simulate", "simulate"),
    "Regimen": ("ldnsim.regimen", "Regimen"),
    "pk": ("ldnsim.pk", None),
    "simulate_pk": ("ldnsim.pk", "simulate_pk"),
    "load_drug": ("ldnsim.pk", "load_drug"),
    "sample_population": ("ldnsim.population", "sample_population"),
    "simulate_immune": ("ldnsim.immune", "simulate_immune"),
    # virtual trials
    "trial": ("ldnsim.trials.run", "run_trial"),
    "load_design": ("ldnsim.trials.design", "load_design"),
    # clinical tools
    "check": ("ldnsim.clinical.screen", "screen"),
    "hold": ("ldnsim.clinical.hold", "plan_hold"),
    "restart": ("ldnsim.clinical.restart", "plan_restart"),
    "acute_pain": ("ldnsim.clinical.acute", "plan_acute_pain"),
    "titrate": ("ldnsim.clinical.titrate", "plan_titration"),
    "compound": ("ldnsim.clinical.compound", "compound_spec"),
    # exchange
    "export_sbml": ("ldnsim.sbml", "export_sbml"),
    "full_model_spec": ("ldnsim.sbml", "full_model_spec"),
    "immune_model_spec": ("ldnsim.sbml", "immune_model_spec"),
}

__all__ = [
    "__version__",
    "DISCLAIMER",
    "LdnsimError",
    "InputError",
    "UnknownNameError",
    "SolverError",
    "DataFileError",
    # loaded on first use (_LAZY)
    "simulate",
    "Regimen",
    "pk",
    "simulate_pk",
    "load_drug",
    "sample_population",
    "simulate_immune",
    "trial",
    "load_design",
    "check",
    "hold",
    "restart",
    "acute_pain",
    "titrate",
    "compound",
    "export_sbml",
    "full_model_spec",
    "immune_model_spec",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load on first use
    from . import pk
    from .clinical.acute import plan_acute_pain as acute_pain
    from .clinical.compound import compound_spec as compound
    from .clinical.hold import plan_hold as hold
    from .clinical.restart import plan_restart as restart
    from .clinical.screen import screen as check
    from .clinical.titrate import plan_titration as titrate
    from .immune import simulate_immune
    from .pk import load_drug, simulate_pk
    from .population import sample_population
    from .regimen import Regimen
    from .sbml import export_sbml, full_model_spec, immune_model_spec
    from .simulate import simulate
    from .trials.design import load_design
    from .trials.run import run_trial as trial


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ldnsim' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``ldnsim.simulate`` names both the function and its submodule. Loading the submodule makes the import
    system bind the *module* on this package; keep the public function there instead (as an eager
    ``from .simulate import simulate`` used to)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "simulate" and isinstance(value, types.ModuleType):
            value = value.simulate
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
