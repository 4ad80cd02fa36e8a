"""TEST DOUBLE of ``ldnsim.simulate`` for the pure statistics/design tests of the trial layer.

Not a model of anything: pain relaxes towards a dose-dependent reduced level with each patient's
k_Sd, so trial mechanics (allocation, placebo, noise, endpoints, statistics) can be tested fast and
independently of the system model. The calibration tests use the real ``ldnsim.simulate``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def fake_simulate(
    regimen=None,
    condition="fibromyalgia",
    days=180,
    patients=None,
    variant="full",
    output="daily",
    params=None,
    seed=None,
    engine=None,
):
    n = 1 if patients is None else len(patients)
    gd = (
        np.full(n, 0.35)
        if patients is None or "glial_drive" not in patients
        else patients["glial_drive"].to_numpy()
    )
    ksd = np.full(n, 0.0012) if patients is None or "k_Sd" not in patients else patients["k_Sd"].to_numpy()
    p = dict(params or {})
    emax = p.get("fake_emax", 0.4) * (0.3 if variant == "mu-only" else 1.0)
    ed50 = p.get("fake_ed50", 3.0)
    pain0 = np.clip(6.5 * np.sqrt(gd / 0.35), 0, 10)
    dose = np.zeros(days)
    if regimen is not None:
        for ev in regimen.events(days * 24.0):
            d = int(ev.time_h // 24)
            if d < days:
                dose[d] = ev.dose_mg
    target = emax * dose / (ed50 + dose + 1e-12)
    rate = np.clip(ksd * 24.0, 1e-4, 1.0)
    eff = np.zeros((n, days))
    level = np.zeros(n)
    for d in range(days):
        level = level + rate * (target[d] - level)
        eff[:, d] = level
    pain = pain0[:, None] * (1.0 - eff)
    return xr.Dataset(
        {"pain_nrs": (("patient", "time"), pain), "S": (("patient", "time"), 1.0 - eff)},
        coords={"time": np.arange(days) * 24.0},
    )
