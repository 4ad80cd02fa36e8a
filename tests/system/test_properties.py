"""Property: every state stays finite and in range for 10 years under every preset, random regimens and
random parameters (hypothesis; example counts kept small for CI time)."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldnsim.regimen import DoseEvent
from ldnsim.simulate import simulate
from ldnsim.system import STATE_NAMES, STATE_RANGES, condition_names, condition_params

DRUGS = [("naltrexone", 0.001, 50.0), ("morphine", 5.0, 60.0), ("oxycodone", 5.0, 40.0),
         ("dextromethorphan", 10.0, 60.0)]
YEARS10 = 3653


@st.composite
def regimens(draw):
    events = []
    for _ in range(draw(st.integers(0, 2))):
        drug, lo, hi = draw(st.sampled_from(DRUGS))
        dose = draw(st.floats(lo, hi))
        every = draw(st.sampled_from([8.0, 12.0, 24.0]))
        start = draw(st.floats(0, 300 * 24.0))
        n = draw(st.integers(1, int(400 * 24 / every)))
        events += [DoseEvent(start + i * every, drug, dose) for i in range(n)]
    return sorted(events, key=lambda e: e.time_h)


@st.composite
def patients(draw):
    """Every preset's disease numbers as a patient, plus random-parameter patients."""
    rows = []
    for c in condition_names():
        cp = condition_params(c)
        rows.append({k: cp[k] for k in ("glial_drive", "tlr4_fraction", "peripheral_drive", "esr_mm_h")})
    for _ in range(3):
        rows.append({
            "glial_drive": draw(st.floats(0.0, 3.0)),
            "tlr4_fraction": draw(st.floats(0.0, 1.0)),
            "peripheral_drive": draw(st.floats(0.5, 4.0)),
            "esr_mm_h": draw(st.floats(0.0, 150.0)),
            "k_Sd": draw(st.floats(1e-4, 1e-2)),
            "w_F": draw(st.floats(0.0, 2.0)),
            "g_S": draw(st.floats(0.0, 5.0)),
            "tlr4_ic50_nM": draw(st.floats(0.01, 1e4)),
        })
    return pd.DataFrame(rows).fillna({"k_Sd": 0.0012, "w_F": 0.1, "g_S": 1.18, "tlr4_ic50_nM": 0.07})


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(regimen=regimens(), pts=patients(), variant=st.sampled_from(["full", "mu-only"]))
def test_ten_years_finite_and_in_range(regimen, pts, variant):
    ds = simulate(regimen or None, "fibromyalgia", days=YEARS10, patients=pts, variant=variant)
    for s in STATE_NAMES:
        v = ds[s].values
        lo, hi = STATE_RANGES[s]
        assert np.isfinite(v).all(), s
        assert v.min() >= lo - 1e-9 and v.max() <= hi + 1e-9, (s, v.min(), v.max())
    pain = ds.pain_nrs.values
    assert np.isfinite(pain).all() and pain.min() >= 0 and pain.max() <= 10
