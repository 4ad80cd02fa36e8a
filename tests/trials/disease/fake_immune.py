"""TEST DOUBLE of ``ldnsim.immune.simulate_immune`` for the trial-mechanics tests of the disease readouts.

Not a model of anything: inflammation falls from 1 towards ``1 - fake_emax`` with a 3-week time
constant while doses are taken, and returns towards 1 after they stop. Calibration and reproduction tests
use the real immune module.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def fake_simulate_immune(regimen, days, condition, *, params=None, engine="numpy", n_patients=1, seed=None):
    p = dict(params or {})
    emax = p.get("fake_emax", 0.5)
    rng = np.random.default_rng(seed)
    on = np.zeros(days)
    if regimen is not None:
        for ev in regimen.events(days * 24.0):
            d = int(ev.time_h // 24)
            if d < days:
                on[d] = 1.0
    k = 1.0 - np.exp(-1.0 / 21.0)
    scale = np.clip(rng.normal(1.0, 0.2, n_patients), 0.2, 1.8)
    out = np.ones((n_patients, days))
    level = np.zeros(n_patients)
    for d in range(days):
        level = level + k * (emax * scale * on[d] - level)
        out[:, d] = 1.0 - level
    var = "mucosal_inflammation" if condition == "crohns" else "cns_inflammation"
    other = "cns_inflammation" if condition == "crohns" else "mucosal_inflammation"
    return xr.Dataset(
        {var: (("patient", "time"), out), other: (("patient", "time"), np.ones_like(out))},
        coords={
            "patient": np.arange(n_patients),
            "time": ("time", np.arange(days, dtype=float), {"units": "day"}),
        },
    )
