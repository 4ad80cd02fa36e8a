"""Standing fuzz suite over the Python API (issue 16): any argument — wrong type, non-finite, huge,
negative — either works or raises :class:`ldnsim.InputError` naming the field; never another exception,
never a hang, never a NaN in the result."""

from __future__ import annotations

import math
import os

import pytest
from fuzz_common import CONCENTRATIONS, DATES, MASSES, MEDS, NUMBERS, WORDS, text, time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ldnsim
from ldnsim import _io
from ldnsim.errors import InputError, LdnsimError

SCALE = float(os.environ.get("LDNSIM_FUZZ_EXAMPLES", "0")) / 100 or 1.0
RANDOM = bool(os.environ.get("LDNSIM_FUZZ_RANDOM"))

#: values of every type a caller might pass
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 3, 10**9, 10**18]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-320, 1e308]),
    text(),
    st.sampled_from(NUMBERS + MASSES + CONCENTRATIONS + DATES + WORDS + MEDS),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _finite(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_finite(v) for v in obj)
    return True


def _call(fn, *args, **kw):
    try:
        with time_limit(60):
            return fn(*args, **kw)
    except InputError as exc:
        assert exc.field and str(exc), "an InputError names its field"
        return None
    except LdnsimError as exc:
        assert exc.exit_code == 2, f"{type(exc).__name__}: {exc}"  # DataFileError is bad input too
        return None


def _settings(n: int):
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@_settings(80)
@given(ANY, ANY, ANY, ANY)
def test_compound(dose, form, concentration, days):
    doc = _call(ldnsim.compound, dose, form, concentration=concentration, days=days)
    assert doc is None or _finite(doc)


@_settings(60)
@given(ANY, ANY, ANY, ANY, ANY, ANY)
def test_titrate(preset, start, step, every, target, start_date):
    doc = _call(
        ldnsim.titrate,
        preset if isinstance(preset, str) else None,
        start=start,
        step=step,
        every=every,
        target=target,
        start_date=start_date,
    )
    assert doc is None or _finite(doc)


@_settings(60)
@given(st.lists(ANY, max_size=3))
def test_check(entries):
    doc = _call(ldnsim.check, entries)
    assert doc is None or _finite(doc)


@_settings(25)
@given(ANY, ANY, ANY, ANY, ANY, ANY)
def test_hold(when, dose, weight, egfr, hepatic, seed):
    doc = _call(ldnsim.hold, when, dose, weight_kg=weight, egfr_ml_min=egfr, hepatic=hepatic, seed=seed)
    assert doc is None or _finite(doc.to_dict() if hasattr(doc, "to_dict") else doc)


@_settings(25)
@given(st.sampled_from(MEDS), ANY, ANY, ANY, ANY, ANY)
def test_restart(opioid, last, weight, egfr, course, seed):
    doc = _call(
        ldnsim.restart, opioid, last, weight_kg=weight, egfr_ml_min=egfr, course_days=course, seed=seed
    )
    assert doc is None or _finite(doc.to_dict() if hasattr(doc, "to_dict") else doc)


@_settings(80)
@given(ANY)
def test_regimen_parse(s):
    _call(ldnsim.Regimen.parse, s)


@_settings(25)
@given(
    st.one_of(st.sampled_from(MEDS), ANY),
    st.sampled_from([1, 2, 3, 0, -1, float("nan"), float("inf"), 1e9]),
    st.sampled_from([24, 12, 1, 0, -1, 1e-6, 7, float("nan")]),
    st.sampled_from([24, 1, 0, -1, 10**9, 2.5, True]),
)
def test_simulate(regimen, days, dt_h, n_sub):
    ds = _call(ldnsim.simulate, regimen, days=days, dt_h=dt_h, n_sub=n_sub)
    if ds is not None:
        assert bool(ds["pain_nrs"].notnull().all())


@_settings(25)
@given(
    st.one_of(st.sampled_from(MEDS), ANY),
    st.sampled_from([1, 2, 0, -1, float("nan"), float("inf"), 1e9, "3"]),
    st.one_of(st.sampled_from(["crohns", "ms", "Crohn's disease", "fibromyalgia", "uc"]), ANY),
    st.sampled_from([1, 2, 0, -1, 10**9, 2.5, True]),
    st.one_of(st.none(), st.sampled_from([0, 7, -1, 2**64]), ANY),
    st.one_of(st.none(),
              st.sampled_from([{"k_gut": float("nan")}, {"n_gut": -1}, {"x": 1}, {"K_up": [1, 2]}]), ANY),
)
def test_simulate_immune(regimen, days, condition, n_patients, seed, params):
    from ldnsim.immune import OUTPUT_NAMES, simulate_immune

    ds = _call(simulate_immune, regimen, days, condition, n_patients=n_patients, seed=seed, params=params)
    if ds is not None:
        assert all(bool(ds[k].notnull().all()) for k in OUTPUT_NAMES)


@_settings(150)
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.recursive(
            st.sampled_from(["1", "[]", "{}", '"x"', "NaN", "1e999", "-0"]),
            lambda c: st.builds(lambda xs: "[" + ",".join(xs) + "]", st.lists(c, max_size=3)),
            max_leaves=30,
        ),
    )
)
def test_documents(s):
    _call(_io.loads_json, s, "doc")
    _call(_io.loads_yaml, s, "doc")


def test_unbounded_sizes_are_refused_fast():
    """The issue's unbounded costs: each refused (InputError) within the time limit, without allocating."""
    with time_limit(20):
        for call in (
            lambda: ldnsim.simulate("naltrexone 4.5 mg nightly", days=3, n_sub=10**9),
            lambda: ldnsim.Regimen.parse("naltrexone 4.5 mg" + " " * 100_000 + "nightly"),
            lambda: _io.read_text_bounded("/dev/zero", "fhir"),
        ):
            with pytest.raises(InputError):
                call()
