"""Priors of the N-of-1 analysis, derived from the calibrated model (``ldnsim/data/nof1/priors.yaml``).

The onset time constant and the population size of LDN's benefit come from simulated onset curves: virtual
patients of :func:`ldnsim.population.sample_population` (fibromyalgia, shipped parameter set of
:func:`ldnsim.data.parameter_set.load_parameter_set`, each patient with its own posterior draw) take LDN
4.5 mg nightly for 240 days. Each patient's benefit curve (untreated minus treated daily pain, NRS) is split
into the part that runs through the glial TLR4 block (the curve minus the same patient's curve with no TLR4
block, :data:`NO_TLR4`) and the rest (the μ-opioid/OGF course: a ~0.05 NRS worsening in the first days of
blockade that fades within two weeks, then a drift of similar size). ``beta`` (NRS) is the steady-state
amplitude of the whole curve (fitted with ``beta * (1 - exp(-t / tau))``); the onset comes from the glial
part, fitted with the two-phase form ``w (1 - exp(-t / tau_f)) + (1 - w) (1 - exp(-t / tau))``
(:func:`fit_two_phase`): at the posterior's µM IC50 the block follows the drug concentration, so ~40 % of
the glial benefit comes within days (6β-naltrexol accumulation) and the rest over weeks to months, and one
time constant fits it poorly (R² 0.83-0.89 vs >= 0.997). The glial part carries the onset: it is the only
pathway of the model that gives a benefit of the size the benefit prior allows, and its shape does not
depend on the IC50 draw. A fit of the whole curve would time the μ/OGF course instead wherever the drawn
IC50 leaves the glial benefit near 0, which the posterior's µM median does for most draws: its tau ran to
the grid edges (1 and 1000 days) for 24 of 400 patients and its log-SD was 1.08.
Regenerate with ``python -m ldnsim.nof1.priors``
(prints the numbers; the shipped file records the numbers it gave).

The placebo (expectation) and diary-noise priors are the trial layer's realism parameters (same parameter
set), so the analysis assumes the noise and placebo structure the virtual trials are calibrated with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import load_yaml, value_of

__all__ = ["Priors", "load_priors", "derive_onset_prior", "with_posterior_draws", "without_tlr4", "NO_TLR4"]

#: ``tlr4_ic50_nM`` (nM) at which LDN blocks no TLR4 signalling (the glial pathway switched off)
NO_TLR4 = 1e15


@dataclass(frozen=True)
class Priors:
    """All prior settings of :func:`ldnsim.nof1.analysis.fit` (units in the field names).

    tau_log_mean, tau_log_sd: log-normal prior of the slow onset/offset time constant (log days).
    onset_fast_fraction, onset_fast_slope, onset_fast_tau_days: share of the benefit that follows LDN with
    the fast time constant (days) instead (:func:`ldnsim.nof1._onset.ldn_onset`): ``onset_fast_fraction``
    at the slow time constant ``exp(tau_log_mean)``, changing by ``onset_fast_slope`` per unit of log(tau)
    (:meth:`fast_fraction_at`; in the model a faster slow phase goes with a larger fast share).
    beta_mean_nrs, beta_sd_nrs: normal prior of the steady-state benefit (NRS points, positive = less pain).
    placebo_expectation: mean expectation effect as a fraction of the pain level (open / blinded).
    placebo_sd_frac: between-patient SD of the placebo response, as a fraction of its mean.
    placebo_onset_days, placebo_offset_days: time constants of the expectation course.
    diary_sd_nrs, diary_ar1, fluct_sd_nrs, fluct_tau_days, rounding_var: noise structure (NRS).
    noise_scale_log_sd: log-normal prior SD of a patient's overall noise scale (1 = population).
    trend_sd_nrs_per_year, level_sd_nrs: vague priors of trend and level.
    """

    tau_log_mean: float
    tau_log_sd: float
    onset_fast_fraction: float
    onset_fast_slope: float
    onset_fast_tau_days: float
    beta_mean_nrs: float
    beta_sd_nrs: float
    placebo_expectation_open: float
    placebo_expectation_blinded: float
    placebo_sd_frac: float
    placebo_onset_days: float
    placebo_offset_days: float
    diary_sd_nrs: float
    diary_ar1: float
    fluct_sd_nrs: float
    fluct_tau_days: float
    rounding_var: float
    noise_scale_log_sd: float
    trend_sd_nrs_per_year: float
    level_sd_nrs: float
    cid_fraction: float
    cid_nrs: float

    @property
    def tau_median_days(self) -> float:
        """Prior median of the slow onset time constant (days)."""
        return float(np.exp(self.tau_log_mean))

    def fast_fraction_at(self, tau_slow: float) -> float:
        """Share of the fast phase for a patient with slow time constant ``tau_slow`` (days), in [0, 0.95]."""
        w = self.onset_fast_fraction + self.onset_fast_slope * (float(np.log(tau_slow)) - self.tau_log_mean)
        return float(np.clip(w, 0.0, 0.95))

    def onset(self, target: np.ndarray, tau_slow: float) -> np.ndarray:
        """The two-phase onset/offset state for a 0/1 LDN target with slow time constant ``tau_slow``."""
        from ._onset import ldn_onset

        return ldn_onset(target, tau_slow, self.fast_fraction_at(tau_slow), self.onset_fast_tau_days)

    def with_beta(self, mean: float, sd: float) -> Priors:
        from dataclasses import replace

        return replace(self, beta_mean_nrs=float(mean), beta_sd_nrs=float(sd))


def method_sources() -> list[dict]:
    """The sources of the analysis method (``method_sources`` of ``data/nof1/priors.yaml``): cite, url."""
    return [dict(src) for src in load_yaml("nof1/priors.yaml")["method_sources"]]


def load_priors(variant: str = "full") -> Priors:
    """The shipped priors (``data/nof1/priors.yaml``) with the realism values of ``variant``."""
    from ..data.parameter_set import load_parameter_set

    doc = load_yaml("nof1/priors.yaml")
    r = load_parameter_set(variant).realism

    def v(*path):
        node = doc
        for p in path:
            node = node[p]
        return float(value_of(node))

    return Priors(
        tau_log_mean=v("onset", "tau_log_mean"),
        tau_log_sd=v("onset", "tau_log_sd"),
        onset_fast_fraction=v("onset", "fast_fraction"),
        onset_fast_slope=v("onset", "fast_fraction_per_log_tau"),
        onset_fast_tau_days=v("onset", "fast_tau_days"),
        beta_mean_nrs=v("benefit", "mean_nrs"),
        beta_sd_nrs=v("benefit", "sd_nrs"),
        placebo_expectation_open=float(r["placebo.expectation.open"]),
        placebo_expectation_blinded=float(r["placebo.expectation.double"]),
        placebo_sd_frac=v("placebo", "sd_fraction"),
        placebo_onset_days=float(r["placebo.onset_days"]),
        placebo_offset_days=float(r["placebo.offset_days"]),
        diary_sd_nrs=float(r["diary.sd_nrs"]),
        diary_ar1=float(r["diary.ar1"]),
        fluct_sd_nrs=float(r["fluctuation.sd_nrs"]),
        fluct_tau_days=float(r["fluctuation.tau_days"]),
        rounding_var=v("noise", "rounding_var"),
        noise_scale_log_sd=v("noise", "scale_log_sd"),
        trend_sd_nrs_per_year=v("trend", "sd_nrs_per_year"),
        level_sd_nrs=v("level", "sd_nrs"),
        cid_fraction=v("decision", "cid_fraction"),
        cid_nrs=v("decision", "cid_nrs"),
    )


def with_posterior_draws(pats, variant: str = "full", seed: int = 0):
    """``pats`` with one draw of the variant's uncertain system parameters per patient as columns.

    The draws are :meth:`ldnsim.data.parameter_set.ParameterSet.draws` (the shipped posterior for a new
    study where the variant has one, e.g. ``tlr4_ic50_nM`` of ``full``), seeded by ``[seed, 104729]`` so
    they do not repeat the population's stream. Each virtual patient is thus a patient of a model drawn from
    what the calibration trials allow, and a prior derived from these patients is the posterior-predictive
    distribution of a NEW patient's benefit, not the spread of the point-value model alone (whose TLR4 IC50
    at its µM median gives almost no benefit: the skewed posterior's typical draw is not its mean).
    Realism (trial-layer) parameters of the draws are not columns: they do not enter the system.
    """
    from ..data.parameter_set import load_parameter_set
    from ..system import parameter_names

    ps = load_parameter_set(variant)
    draws = ps.draws(len(pats), int(np.random.SeedSequence([seed, 104729]).generate_state(1)[0]))
    names = set(parameter_names())
    out = pats.copy()
    for key in sorted({k for d in draws for k in d} & names):
        out[key] = [d.get(key, float(ps.system[key])) for d in draws]
    return out


def without_tlr4(pats):
    """``pats`` with the glial TLR4 block switched off (``tlr4_ic50_nM`` = :data:`NO_TLR4`); the untreated
    course is unchanged (the IC50 acts only through the drug)."""
    out = pats.copy()
    out["tlr4_ic50_nM"] = NO_TLR4
    return out


def onset_curves(
    n: int = 400, days: int = 240, seed: int = 0, variant: str = "full"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(untreated daily pain, benefit curves, glial part of the benefit curves) of ``n`` virtual patients on
    LDN 4.5 mg nightly from day 0 (arrays n x days, NRS); each patient with its own posterior draw
    (:func:`with_posterior_draws`). The glial part is the benefit minus the benefit with no TLR4 block."""
    from ..data.parameter_set import load_parameter_set
    from ..population import sample_population
    from ..regimen import Regimen
    from ..trials.model import simulate_pain

    ps = load_parameter_set(variant)
    params = dict(ps.system)
    pats = with_posterior_draws(sample_population(n, seed=seed), variant, seed)
    reg = Regimen.parse(f"naltrexone 4.5 mg nightly for {days} days")
    treated, _ = simulate_pain(reg, pats, days, condition="fibromyalgia", params=params)
    untreated, _ = simulate_pain(None, pats, days, condition="fibromyalgia", params=params)
    no_glial, _ = simulate_pain(reg, without_tlr4(pats), days, condition="fibromyalgia", params=params)
    return untreated, untreated - treated, no_glial - treated


def fit_first_order(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``beta * (1 - exp(-t / tau))`` per curve (t = day + 0.5): (beta NRS, tau days)."""
    t = np.arange(curves.shape[1]) + 0.5
    taus = np.logspace(0, 3, 400)
    basis = 1.0 - np.exp(-t[None, :] / taus[:, None])
    beta = curves @ basis.T / (basis**2).sum(1)
    sse = (curves**2).sum(1)[:, None] - beta**2 * (basis**2).sum(1)[None, :]
    j = sse.argmin(1)
    return beta[np.arange(len(curves)), j], taus[j]


def fit_first_order_general(curves: np.ndarray, on_ldn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``beta * s_t(tau)`` per curve for any LDN schedule (``s`` the first-order state driven by
    ``on_ldn``): (beta NRS, tau days)."""
    from ._onset import first_order

    taus = np.logspace(0, 3, 200)
    basis = np.stack([first_order(on_ldn, t) for t in taus])
    nb = (basis**2).sum(1)
    beta = curves @ basis.T / nb
    sse = (curves**2).sum(1)[:, None] - beta**2 * nb[None, :]
    j = sse.argmin(1)
    return beta[np.arange(len(curves)), j], taus[j]


#: grids of the two-phase fit (days): the fast time constant, the slow one
FAST_TAUS = np.arange(1.0, 11.0)
SLOW_TAUS = np.logspace(0.5, 3, 160)


def fit_two_phase(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares ``beta * (w (1 - exp(-t/tau_f)) + (1 - w) (1 - exp(-t/tau_s)))`` per curve
    (t = day + 0.5; tau_f on :data:`FAST_TAUS`, tau_s on :data:`SLOW_TAUS`, both amplitudes free):
    (beta NRS, w, tau_f days, tau_s days)."""
    t = np.arange(curves.shape[1]) + 0.5
    best = np.full(len(curves), np.inf)
    out = np.zeros((4, len(curves)))
    slow = 1.0 - np.exp(-t[None, :] / SLOW_TAUS[:, None])  # (S, T)
    for tf in FAST_TAUS:
        f = 1.0 - np.exp(-t / tf)
        ff, fs = f @ f, slow @ f  # (S,)
        ss = (slow**2).sum(1)
        yf, ys = curves @ f, curves @ slow.T  # (n,), (n, S)
        det = ff * ss - fs**2
        a = (yf[:, None] * ss[None, :] - ys * fs[None, :]) / det[None, :]  # fast amplitude
        b = (ys * ff - yf[:, None] * fs[None, :]) / det[None, :]  # slow amplitude
        sse = (curves**2).sum(1)[:, None] - a * yf[:, None] - b * ys
        j = sse.argmin(1)
        r = np.arange(len(curves))
        better = sse[r, j] < best
        best = np.where(better, sse[r, j], best)
        amp = a[r, j] + b[r, j]
        out[:, better] = np.stack([amp, a[r, j] / amp, np.full(len(curves), tf), SLOW_TAUS[j]])[:, better]
    return out[0], out[1], out[2], out[3]


def derive_onset_prior(n: int = 400, seed: int = 0) -> dict[str, float]:
    """The numbers recorded in ``priors.yaml`` (see the module docstring): the two-phase onset from the
    glial part of the curves (fast share linear in log slow time constant, median fast time constant,
    log-normal slow time constant),
    the benefit from the whole curves."""
    untreated, curves, glial = onset_curves(n, seed=seed)
    beta, _ = fit_first_order(curves)
    _, w, tau_f, tau_s = fit_two_phase(glial)
    x = np.log(tau_s) - np.log(tau_s).mean()
    slope, intercept = np.polyfit(x, w, 1)
    return {
        "tau_log_mean": float(np.log(tau_s).mean()),
        "tau_log_sd": float(np.log(tau_s).std(ddof=1)),
        "tau_median_days": float(np.median(tau_s)),
        "fast_fraction": float(intercept),
        "fast_fraction_per_log_tau": float(slope),
        "fast_fraction_residual_sd": float(np.std(w - intercept - slope * x, ddof=2)),
        "fast_fraction_median": float(np.median(w)),
        "fast_fraction_q25": float(np.quantile(w, 0.25)),
        "fast_fraction_q75": float(np.quantile(w, 0.75)),
        "fast_tau_days": float(np.median(tau_f)),
        "first_order_tau_median_days": float(np.median(fit_first_order(glial)[1])),
        "beta_model_mean_nrs": float(beta.mean()),
        "beta_model_sd_nrs": float(beta.std(ddof=1)),
        "beta_model_median_nrs": float(np.median(beta)),
        "beta_model_p95_nrs": float(np.quantile(beta, 0.95)),
        "baseline_mean_nrs": float(untreated[:, 0].mean()),
        "n": n,
        "seed": seed,
    }


if __name__ == "__main__":  # pragma: no cover - regeneration helper
    import json

    print(json.dumps(derive_onset_prior(), indent=2))
