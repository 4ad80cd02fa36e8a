"""Shared fixtures: a stand-in receptor layer while ``ldnsim.receptors`` is not installed.

The stand-in is a plain competitive-occupancy function (Ki naltrexone 1.15 nM,
6β-naltrexol 2.12 nM, agonists 1.2 nM) used only to exercise the planners' model path; when the real
receptor layer exists it is used instead.
"""

import importlib
import sys
import types

import numpy as np
import pytest


def _stub_occupancy(conc):
    ki = {"naltrexone": 1.15}
    ant = sum(np.asarray(c) / ki.get(a, 2.12) for a, c in conc.items() if "naltrex" in a)
    ag = sum(np.asarray(c) / 1.2 for a, c in conc.items() if "naltrex" not in a)
    ant = ant if not np.isscalar(ant) else np.zeros_like(next(iter(conc.values())))
    ag = ag if not np.isscalar(ag) else np.zeros_like(next(iter(conc.values())))
    tot = 1.0 + ant + ag
    return {"mu_antagonist": ant / tot, "mu_agonist": ag / tot}


@pytest.fixture
def receptor_layer(monkeypatch):
    """The real ``ldnsim.receptors`` if importable, else the stand-in; yields 'real' or 'stub'."""
    try:
        importlib.import_module("ldnsim.receptors")
        yield "real"
    except ImportError:
        mod = types.ModuleType("ldnsim.receptors")
        mod.occupancy = _stub_occupancy
        monkeypatch.setitem(sys.modules, "ldnsim.receptors", mod)
        yield "stub"
