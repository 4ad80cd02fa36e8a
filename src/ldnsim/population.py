"""Virtual patients: covariates, inter-individual variability (IIV) and trial-layer traits.

:func:`sample_population` returns a :class:`pandas.DataFrame`, one row per patient, whose columns
are what :func:`ldnsim.simulate` accepts as ``patients=`` (covariates ``weight_kg``, ``hepatic``,
``egfr_ml_min``, ``cyp2d6``, ``esr_mm_h`` and per-patient values of system parameters such as
``glial_drive`` (the disease drive D0) and ``k_Sd``) plus descriptive and trial-layer columns
(``sex``, ``age``, ``condition``, ``concomitant_opioid``, ``placebo_responsiveness``, ``adherence``,
``eta_<param>``).

Distributions and their provenance live in ``ldnsim/data/population.yaml``. IIV is log-normal:
``p_i = p_typical * exp(eta_i)`` with correlated ``eta`` (glial_drive, k_Sd); the ESR covariate
hypothesis (mechanism_models.md section 3) acts inside the system model through ``esr_mm_h``.
Same seed, same patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .data import is_parameter, load_yaml, value_of
from .errors import InputError
from .system._params import ESR_MAX_MM_H, conditions

__all__ = ["sample_population", "population_spec", "typical_value", "SIMULATE_COVARIATES", "IIV_PARAMS"]

#: covariate columns that ldnsim.simulate understands
SIMULATE_COVARIATES = ("weight_kg", "hepatic", "egfr_ml_min", "cyp2d6", "esr_mm_h")
#: system parameters that carry IIV (mechanism_models.md section 3)
IIV_PARAMS = ("glial_drive", "k_Sd")

#: CYP2D6 phenotype codes as ldnsim.pk.Covariates reads them (poor, intermediate, extensive, ultrarapid)
_CYP_PHENOTYPES = ("pm", "im", "em", "um")


def population_spec() -> dict:
    """The loaded ``population.yaml`` (cached; do not mutate)."""
    return load_yaml("population.yaml")


def _v(node: Any) -> float:
    return float(value_of(node))


def typical_value(
    name: str, params: Mapping[str, float] | None = None, condition: str = "fibromyalgia"
) -> float | None:
    """Typical (population) value of a system parameter: ``params`` (e.g. the calibrated values the
    trial runner passes), then the condition preset and the shipped parameter set
    (:func:`ldnsim.data.parameter_set.load_parameter_set`); ``None`` when unknown."""
    if params and name in params:
        return float(params[name])
    cond = conditions().get(condition) or {}  # the system layer's reader (validated, cached)
    if is_parameter(cond.get(name)):
        return float(value_of(cond[name]))
    from .data.parameter_set import load_parameter_set  # the one parameter set (shipped = full variant)

    value = load_parameter_set().system.get(name)
    return None if value is None else float(value)


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    from .units import check_seed

    return np.random.default_rng(check_seed(seed))


def sample_population(
    n: int,
    condition: str = "fibromyalgia",
    seed: int | np.random.Generator | None = None,
    *,
    sex: str | None = None,
    age_range: tuple[float, float] | None = None,
    concomitant_opioid: bool | None = None,
    iiv_cv: Mapping[str, float] | None = None,
    params: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Sample ``n`` virtual patients.

    n: number of patients (1 to 1,000,000).
    condition: condition id (e.g. ``fibromyalgia``); sets condition-specific covariate frequencies.
    seed: integer seed or a ``numpy.random.Generator``; same seed gives the same patients.
    sex: ``female``/``male`` to restrict (trial inclusion), ``None`` for the condition's mix.
    age_range: (min, max) years, truncating the age distribution (inclusion criteria).
    concomitant_opioid: force on/off; ``None`` uses the condition's frequency.
    iiv_cv: override log-normal CVs, e.g. ``{"glial_drive": 0.4}``; a CV of 0 removes that IIV.
    params: typical values of system parameters (override the shipped/calibrated ones).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= int(n) <= 1_000_000:
        raise InputError("patients", "must be a whole number of patients", accepted="1-1000000", value=n)
    n = int(n)
    if sex not in (None, "female", "male", "any"):
        raise InputError("sex", "unknown sex restriction", accepted="female, male, any", value=sex)
    rng = _rng(seed)
    spec = population_spec()
    cov = spec["covariates"]

    # sex
    ff_tab = cov["female_fraction"]
    f_female = _v(ff_tab.get(condition, ff_tab["default"]))
    if sex == "female":
        f_female = 1.0
    elif sex == "male":
        f_female = 0.0
    u_sex = rng.random(n)
    sexes = np.where(u_sex < f_female, "female", "male")

    # age: truncated normal by inverse-CDF sampling on the truncated range
    from scipy import stats

    a_mu, a_sd = _v(cov["age"]["mean"]), _v(cov["age"]["sd"])
    lo, hi = age_range if age_range else (_v(cov["age"]["min"]), _v(cov["age"]["max"]))
    if not lo < hi:
        raise InputError("age_range", "min must be below max", value=(lo, hi))
    c_lo, c_hi = stats.norm.cdf([(lo - a_mu) / a_sd, (hi - a_mu) / a_sd])
    age = a_mu + a_sd * stats.norm.ppf(c_lo + (c_hi - c_lo) * rng.random(n))

    w_med = _v(cov["weight_kg"]["median"]) * np.where(sexes == "male", 1.15, 1.0)
    weight = w_med * np.exp(rng.normal(0.0, np.sqrt(np.log1p(_v(cov["weight_kg"]["cv"]) ** 2)), n))

    esr_med, esr_cv = _v(cov["esr_mm_h"]["median"]), _v(cov["esr_mm_h"]["cv"])
    z_esr = rng.normal(0.0, 1.0, n)
    esr = esr_med * np.exp(np.sqrt(np.log1p(esr_cv**2)) * z_esr)
    # the log-normal's tail passes the model's accepted range (0-150 mm/h) about 3 times per million patients
    # (z > 4.5): clipped, as eGFR is below, so every patient of a 10-million-patient trial is valid and no
    # other draw moves
    esr = np.minimum(esr, ESR_MAX_MM_H)

    eg = cov["egfr_ml_min"]
    egfr = _v(eg["intercept"]) + _v(eg["slope_per_year"]) * age + rng.normal(0.0, _v(eg["sd"]), n)
    egfr = np.clip(egfr, 15.0, 150.0)

    cp = cov["cyp2d6"]
    p_pm, p_im, p_um = _v(cp["poor"]), _v(cp["intermediate"]), _v(cp["ultrarapid"])
    probs = np.array([p_pm, p_im, 1.0 - p_pm - p_im - p_um, p_um])
    cyp = np.asarray(_CYP_PHENOTYPES)[rng.choice(4, size=n, p=probs)]

    hepatic = np.where(rng.random(n) < _v(cov["hepatic_impairment_fraction"]), "mild", "none")

    op_tab = cov["concomitant_opioid_fraction"]
    f_op = _v(op_tab.get(condition, op_tab["default"]))
    u_op = rng.random(n)
    opioid = u_op < f_op if concomitant_opioid is None else np.full(n, bool(concomitant_opioid))

    # correlated log-normal IIV on the disease drive and k_Sd
    iiv = spec["iiv"]
    cvs = {"glial_drive": _v(iiv["glial_drive"]["cv"]), "k_Sd": _v(iiv["k_Sd"]["cv"])}
    if iiv_cv:
        for k, v in iiv_cv.items():
            if k not in cvs:
                raise InputError("iiv_cv", f"no IIV defined for {k!r}", accepted=", ".join(cvs), value=k)
            if not (isinstance(v, int | float) and 0.0 <= v <= 3.0):
                raise InputError(f"iiv_cv.{k}", "CV out of range", accepted="0-3", value=v)
            cvs[k] = float(v)
    rho = _v(iiv["correlation_glial_drive_k_Sd"])
    om = np.array([np.sqrt(np.log1p(cvs["glial_drive"] ** 2)), np.sqrt(np.log1p(cvs["k_Sd"] ** 2))])
    z = rng.normal(0.0, 1.0, (n, 2))
    eta_d0 = om[0] * z[:, 0]
    eta_ksd = om[1] * (rho * z[:, 0] + np.sqrt(1.0 - rho**2) * z[:, 1])

    tr = spec["traits"]
    pr_sd = _v(tr["placebo_responsiveness_sd"])
    placebo_resp = np.maximum(0.0, 1.0 + pr_sd * rng.normal(0.0, 1.0, n))
    a_m, a_s = _v(tr["adherence_mean"]), _v(tr["adherence_sd"])
    k = a_m * (1 - a_m) / a_s**2 - 1.0
    adherence = rng.beta(a_m * k, (1 - a_m) * k, n)

    df = pd.DataFrame(
        {
            "patient_id": np.arange(n),
            "condition": condition,
            "sex": sexes,
            "age": np.round(age, 1),
            "weight_kg": weight,
            "esr_mm_h": esr,
            "egfr_ml_min": egfr,
            "cyp2d6": cyp,
            "hepatic": hepatic,
            "concomitant_opioid": opioid,
            "placebo_responsiveness": placebo_resp,
            "adherence": adherence,
            "eta_glial_drive": eta_d0,
            "eta_k_Sd": eta_ksd,
        }
    )
    for name, eta in (("glial_drive", eta_d0), ("k_Sd", eta_ksd)):
        typ = typical_value(name, params, condition)
        if typ is not None:
            df[name] = typ * np.exp(eta)
    return df
