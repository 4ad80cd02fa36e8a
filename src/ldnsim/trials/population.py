"""Population-scale virtual trials on the engines: millions of patients in O(chunk) memory.

:func:`run_population_trial` runs parallel arms (a regimen each, or none for the untreated arm) of the
mechanistic model on an engine (:mod:`ldnsim.engines`) and reduces every chunk of patients to sums as soon
as it is simulated (:class:`ChangeReducer`, through ``Problem.reducer``): nothing of size patients × days is
ever held, and only O(days) numbers per arm survive the run. The endpoints are the model's own daily mean
pain (NRS 0–10) — the "true" pain of each virtual patient, without the placebo response, diary noise and
dropout that :func:`ldnsim.trials.run.run_trial` layers on top for trials of published size (≤ 100,000
patients).

Endpoints per arm: baseline pain (each patient's untreated steady state, before the first dose — day 0's
daily mean already carries the first night's μ blockade), the daily mean pain of the last day, the change
and percent change from baseline, responders (≥ 30% and ≥ 50% reduction) and the distribution of final
pain (0.05-NRS histogram → median and quartiles); and the population mean and SD of pain for every day.
Comparisons with the first (control) arm: difference in mean change with its 95% confidence interval
(Welch), difference in responder rate with its 95% CI and the number needed to treat.

For research and education only; not medical advice.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["ChangeReducer", "PopulationTrialResult", "run_population_trial", "parse_arm", "MAX_PATIENTS"]

from .._disclaimer import DISCLAIMER
from .provenance import ModelInfo, model_info

#: the largest population per arm accepted (memory does not grow with it; time does, linearly)
MAX_PATIENTS = 100_000_000
#: final-pain histogram: bins of 0.05 NRS over 0–10
HIST_BINS = 200
Z95 = 1.959963984540054
#: driver samples per daily step: an even number (the step-doubling error control halves the samples)
N_SUB_CHOICES = (2, 4, 6, 8, 12, 24)


@dataclass(frozen=True)
class ChangeReducer:
    """Per-chunk sums of the trial endpoints (picklable: it runs where the chunk ran, dask workers too).

    Reads ``baseline_pain`` (each patient's untreated steady-state pain, NRS; the engines add it for a
    reducer) and ``pain_endpoints`` (patients × endpoint days; the last column is the final day's daily mean)
    and returns counts, sums and sums of squares of baseline, final pain and change, responder counts and
    the final-pain histogram.
    """

    bins: int = HIST_BINS

    def __call__(self, out: dict[str, Any]) -> dict[str, Any]:
        ep = np.asarray(out["pain_endpoints"], dtype=float)
        base = np.asarray(out["baseline_pain"], dtype=float) if out.get("baseline_pain") is not None \
            else ep[:, 0]
        end = ep[:, -1]
        change = end - base
        has_pain = base > 0.0  # percent change is defined where there is baseline pain
        pct = np.where(has_pain, change / np.where(has_pain, base, 1.0), 0.0)
        return {
            "n": float(base.size),
            "sum_base": float(base.sum()),
            "sumsq_base": float(base @ base),
            "sum_end": float(end.sum()),
            "sumsq_end": float(end @ end),
            "sum_change": float(change.sum()),
            "sumsq_change": float(change @ change),
            "n_with_pain": float(has_pain.sum()),
            "sum_pct": float(pct[has_pain].sum()),
            "responders_30": float(np.sum(has_pain & (pct <= -0.30))),
            "responders_50": float(np.sum(has_pain & (pct <= -0.50))),
            "hist_end": np.histogram(np.clip(end, 0.0, 10.0), bins=self.bins, range=(0.0, 10.0))[0]
            .astype(float),
        }


def _mean_sd(n: float, s: float, ss: float) -> tuple[float, float]:
    m = s / n
    var = max(ss / n - m * m, 0.0) * (n / (n - 1.0) if n > 1 else 0.0)
    return m, float(np.sqrt(var))


def _quantile(hist: np.ndarray, q: float) -> float:
    """Quantile of final pain from the 0.05-NRS histogram (linear within the bin)."""
    edges = np.linspace(0.0, 10.0, hist.size + 1)
    cum = np.cumsum(hist)
    target = q * cum[-1]
    i = int(np.searchsorted(cum, target, side="left"))
    i = min(i, hist.size - 1)
    below = cum[i - 1] if i > 0 else 0.0
    frac = (target - below) / hist[i] if hist[i] > 0 else 0.0
    return float(edges[i] + frac * (edges[i + 1] - edges[i]))


def _arm_summary(r: dict[str, Any]) -> dict[str, Any]:
    n = float(r["n"])
    base_m, base_sd = _mean_sd(n, r["sum_base"], r["sumsq_base"])
    end_m, end_sd = _mean_sd(n, r["sum_end"], r["sumsq_end"])
    ch_m, ch_sd = _mean_sd(n, r["sum_change"], r["sumsq_change"])
    npain = float(r["n_with_pain"])
    hist = np.asarray(r["hist_end"], dtype=float)
    return {
        "patients": int(n),
        "baseline_pain": {"mean": base_m, "sd": base_sd},
        "final_pain": {"mean": end_m, "sd": end_sd, "median": _quantile(hist, 0.5),
                       "q25": _quantile(hist, 0.25), "q75": _quantile(hist, 0.75)},
        "change": {"mean": ch_m, "sd": ch_sd, "se": ch_sd / np.sqrt(n)},
        "percent_change_mean": 100.0 * r["sum_pct"] / npain if npain else 0.0,
        "responder_rate_30": r["responders_30"] / npain if npain else 0.0,
        "responder_rate_50": r["responders_50"] / npain if npain else 0.0,
        "patients_with_baseline_pain": int(npain),
    }


def _compare(ctrl: dict[str, Any], arm: dict[str, Any]) -> dict[str, Any]:
    d = arm["change"]["mean"] - ctrl["change"]["mean"]
    se = float(np.hypot(arm["change"]["se"], ctrl["change"]["se"]))
    p1, p0 = arm["responder_rate_30"], ctrl["responder_rate_30"]
    n1 = max(arm["patients_with_baseline_pain"], 1)
    n0 = max(ctrl["patients_with_baseline_pain"], 1)
    se_r = float(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))
    rd = p1 - p0
    return {
        "difference_in_change": {"estimate": d, "ci95": [d - Z95 * se, d + Z95 * se], "se": se},
        "difference_in_responder_rate_30": {"estimate": rd, "ci95": [rd - Z95 * se_r, rd + Z95 * se_r]},
        "nnt_30": (1.0 / rd) if rd > 0 else None,
        "patients": [ctrl["patients"], arm["patients"]],
    }


@dataclass
class PopulationTrialResult:
    """What :func:`run_population_trial` returns: per-arm summaries, comparisons with the control arm, the
    daily population mean and SD of pain per arm, and what the run cost."""

    condition: str
    days: int
    engine: str
    seed: int
    paired: bool
    arms: dict[str, dict[str, Any]]
    regimens: dict[str, str]
    comparisons: dict[str, dict[str, Any]]
    day_mean: dict[str, np.ndarray]
    day_sd: dict[str, np.ndarray]
    wall_s: float
    patient_years_per_s: float
    peak_rss_mib: float
    info: dict[str, Any] = field(default_factory=dict)
    #: which model produced it (the JSON ``model`` block; :mod:`.provenance`)
    model: ModelInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (``ldnsim population-trial --json``)."""
        return {
            "condition": self.condition,
            **({"model": self.model.to_json()} if self.model is not None else {}),
            "days": self.days,
            "engine": self.engine,
            "seed": self.seed,
            "paired": self.paired,
            "regimens": self.regimens,
            "arms": self.arms,
            "comparisons": self.comparisons,
            "daily": {"day": list(range(self.days)),
                      **{name: {"mean": np.asarray(self.day_mean[name]).tolist(),
                                 "sd": np.asarray(self.day_sd[name]).tolist()} for name in self.arms}},
            "cost": {"wall_s": self.wall_s, "patient_years_per_s": self.patient_years_per_s,
                     "peak_rss_mib": self.peak_rss_mib,
                     "peak_rss_scope": "this process only (dask workers and scheduler not included)",
                     **self.info},
            "endpoints": "model pain (NRS 0-10): untreated steady state (baseline) and the last day's daily "
                         "mean; no placebo "
                         "response, diary noise or dropout (see ldnsim trial for those)",
            "disclaimer": DISCLAIMER,
        }

    def to_dataset(self) -> Any:
        """Daily population mean and SD of pain per arm as an ``xarray.Dataset`` (arm × day)."""
        import xarray as xr

        names = list(self.arms)
        return xr.Dataset(
            {"pain_day_mean": (("arm", "day"), np.array([self.day_mean[a] for a in names])),
             "pain_day_sd": (("arm", "day"), np.array([self.day_sd[a] for a in names]))},
            coords={"arm": names, "day": np.arange(self.days)},
            attrs={"condition": self.condition, "engine": self.engine, "disclaimer": DISCLAIMER},
        )

    def plot(self, path: Any) -> None:
        """Daily mean pain ± SD per arm, and the final-pain quartiles per arm, to a PNG."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 1]})
        t = np.arange(self.days)
        for name in self.arms:
            m, sd = self.day_mean[name], self.day_sd[name]
            ax.plot(t, m, label=f"{name} (n={self.arms[name]['patients']:,})")
            ax.fill_between(t, m - sd, m + sd, alpha=0.15)
        ax.set_xlabel("day")
        ax.set_ylabel("pain (NRS 0-10), population mean ± SD")
        ax.set_ylim(0, 10)
        ax.legend(fontsize=8)
        ax.set_title(f"{self.condition}: population trial — {DISCLAIMER}", fontsize=9)
        for i, name in enumerate(self.arms):
            fp = self.arms[name]["final_pain"]
            bx.plot([i, i], [fp["q25"], fp["q75"]], lw=6, alpha=0.5)
            bx.plot([i], [fp["median"]], "k_", ms=14)
        bx.set_xticks(range(len(self.arms)), list(self.arms), rotation=20, fontsize=8)
        bx.set_ylim(0, 10)
        bx.set_ylabel("final pain: median and quartiles")
        fig.tight_layout()
        from .._io import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
        plt.close(fig)


def parse_arm(text: str) -> tuple[str, str]:
    """``"NAME=REGIMEN"`` (``"placebo="`` for an untreated arm) → (name, regimen text)."""
    if "=" not in text:
        raise InputError("--arm", "must be NAME=REGIMEN (an empty regimen is an untreated arm)",
                         accepted='e.g. "placebo=" or "ldn=naltrexone 4.5 mg nightly"', value=text)
    name, reg = (s.strip() for s in text.split("=", 1))
    if not name:
        raise InputError("--arm", "the arm needs a name before '='", value=text)
    return name, reg


def _peak_rss_mib() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def run_population_trial(
    arms: Sequence[tuple[str, str | None]] | None = None,
    condition: str = "fibromyalgia",
    patients: int = 10_000,
    days: int = 84,
    *,
    engine: Any = "numpy",
    seed: int = 0,
    paired: bool = False,
    variant: str = "full",
    pk_iiv: bool = False,
    n_sub: int = 24,
    progress: bool = False,
) -> PopulationTrialResult:
    """Run parallel arms of ``patients`` virtual patients each for ``days`` days on an engine.

    arms: (name, regimen text or ``None`` for untreated); the first arm is the control. Default: untreated
    vs ``naltrexone 4.5 mg nightly``. paired: the same virtual patients in every arm (counterfactual twins;
    otherwise each arm draws its own patients from the seed). engine: ``numpy``, ``jax``, ``dask`` or an
    Engine. n_sub: driver samples per daily step (24: hourly, the default everywhere in ldnsim; fewer is
    proportionally faster: with 6 the daily pain moves from 0.041 to 0.047 NRS at most from 1-hour steps,
    LDN 4.5 mg, 84 days — docs/engines.md). Memory is O(chunk + days) whatever ``patients`` is.
    """
    from ..data.conditions import disease_condition, refuse_disease_condition

    dis = disease_condition(condition) if isinstance(condition, str) else None
    if dis is not None:  # population trials run the pain model
        refuse_disease_condition(dis)
    from ..engines import LdnModel, Problem, get_engine

    if arms is None:
        arms = [("untreated", None), ("LDN 4.5 mg", "naltrexone 4.5 mg nightly")]
    arms = list(arms)
    if not arms:
        raise InputError("arms", "at least one arm is needed")
    names = [a[0] for a in arms]
    if len(set(names)) != len(names):
        raise InputError("arms", "arm names must be distinct", value=names)
    if not (isinstance(patients, int | np.integer) and 1 <= patients <= MAX_PATIENTS):
        raise InputError("patients", "out of range (per arm)", accepted=f"1-{MAX_PATIENTS:,}", value=patients)
    if not (isinstance(days, int | np.integer) and 2 <= days <= 3650):
        raise InputError("days", "out of range", accepted="2-3650 (whole days)", value=days)
    if n_sub not in N_SUB_CHOICES:
        raise InputError("n_sub", "driver samples per day must divide the day into even parts",
                         accepted=", ".join(map(str, N_SUB_CHOICES)), value=n_sub)
    from ..units import check_seed

    seed = check_seed(seed) or 0
    own = isinstance(engine, str)  # an engine made here is closed here (a dask cluster), a given one is not
    eng = get_engine(engine) if own else engine
    reducer = ChangeReducer()
    t0 = time.perf_counter()
    results, regimens = {}, {}
    try:
        for i, (name, regimen) in enumerate(arms):
            model = LdnModel(regimen or None, condition, days=int(days), variant=variant, pk_iiv=pk_iiv,
                             n_sub=int(n_sub))
            # paired: the same patients in every arm; otherwise each arm's own seed, derived from the seed
            arm_seed = int(seed if paired else np.random.SeedSequence([int(seed), i]).generate_state(1)[0])
            problem = Problem(model, n_patients=int(patients), seed=arm_seed, endpoint_days=(int(days) - 1,),
                              keep_patients=False, reducer=reducer)
            results[name] = eng.run(problem, progress=progress)
            condition = model.condition
            regimens[name] = regimen or "(untreated)"
    finally:
        if own and hasattr(eng, "close"):
            eng.close()
    wall = time.perf_counter() - t0
    summaries = {name: _arm_summary(r.reduced) for name, r in results.items()}
    ctrl = names[0]
    comparisons = {name: _compare(summaries[ctrl], summaries[name]) for name in names[1:]}
    total_py = len(arms) * int(patients) * int(days) / 365.25
    return PopulationTrialResult(
        condition=condition,
        days=int(days),
        engine=getattr(eng, "name", str(engine)),
        seed=int(seed),
        paired=paired,
        arms=summaries,
        regimens=regimens,
        comparisons={f"{name} vs {ctrl}": c for name, c in comparisons.items()},
        day_mean={name: r.day_mean for name, r in results.items()},
        day_sd={name: r.day_sd for name, r in results.items()},
        wall_s=wall,
        patient_years_per_s=total_py / max(wall, 1e-12),
        peak_rss_mib=_peak_rss_mib(),
        info={"control_arm": ctrl, "variant": variant, "pk_iiv": pk_iiv, "n_sub": int(n_sub),
              "refined_patient_steps": int(sum(r.steps for r in results.values()))},
        model=model_info(variant),
    )
