"""``calibrate``: emulator design runs, GP emulators, NUTS per model variant, diagnostics, PSIS-LOO
comparison, the TLR4 prior–data conflict and the posterior-predictive check of the validation trials.

Why an emulator and NUTS (not SMC/ABC on the simulator): one virtual trial of a calibration study costs
about a second and is stochastic, so gradient-based sampling cannot call it, and ABC/SMC would need 10⁴–10⁵
simulator calls (hours on 2 cores) while still blurring the likelihood with a tolerance. The published
data are a handful of summary statistics with sampling SEs, i.e. a Gaussian likelihood is available once
the simulator's *expected* summaries are known; a GP emulator of those expectations needs a few dozen runs
per input dimension, its error is measured on held-out runs and added to the likelihood variance, and NUTS
on it gives well-mixed chains with R-hat and ESS in seconds. The price: the emulator's inputs must be few
(the expectation and the TLR4 IC50 here), which matches what the data can identify anyway.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data.parameter_set import (
    load_parameter_set,
    occupancy_variant_names,
    posterior_key,
    realism_defaults,
    split_variant,
    variant_names,
)
from ..data.posterior import new_study_draws
from ..errors import InputError, SolverError
from .emulator import GaussianProcess, fit_gp
from .model import DRUG, HYPER, ModelData, build_model, model_args
from .runs import run_design, space_filling
from .spec import CalibrationSpec, load_spec

__all__ = ["Settings", "VariantFit", "CalibrationResult", "calibrate", "DEFAULT_VARIANTS", "SMOKE"]

#: the mechanism variants with the default occupancy (``metabolite-sustained``), plus the two whose drug
#: effect differs most between the occupancy hypotheses with the ``parent-transient`` one, so the occupancy
#: variants are compared by the evidence (PSIS-LOO) and not only by the PET data of occupancy.yaml
DEFAULT_VARIANTS = (
    "null",
    "full",
    "tlr4",
    "mu-only",
    "mu-rebound",
    "ogf",
    "mu-rebound+ogf",
    "full/parent-transient",
    "mu-rebound/parent-transient",
)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Settings:
    """Sizes of one calibration run (defaults: ``system/calibration.yaml``)."""

    design_points_per_dim: int
    validation_fraction: float
    chains: int
    warmup: int
    samples: int
    target_accept: float
    keep_draws: int
    predictive_draws: int = 200
    replicates_scale: float = 1.0  # multiplies each study's replicates per simulator run

    @classmethod
    def from_spec(cls, spec: CalibrationSpec, **overrides: Any) -> Settings:
        s = spec.sampler
        base: dict[str, Any] = dict(
            design_points_per_dim=spec.design_points_per_dim,
            validation_fraction=spec.validation_fraction,
            chains=int(s["chains"]),
            warmup=int(s["warmup"]),
            samples=int(s["samples"]),
            target_accept=float(s["target_accept"]),
            keep_draws=int(s["keep_draws"]),
        )
        base.update({k: v for k, v in overrides.items() if v is not None})
        out = cls(**base)
        out.check()
        return out

    def check(self) -> None:
        for name, v, lo, hi in (
            ("design_points_per_dim", self.design_points_per_dim, 3, 200),
            ("chains", self.chains, 1, 16),
            ("warmup", self.warmup, 10, 20000),
            ("samples", self.samples, 10, 20000),
            ("keep_draws", self.keep_draws, 10, 20000),
            ("predictive_draws", self.predictive_draws, 0, 2000),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise InputError(name, "out of range", accepted=f"integer {lo}-{hi}", value=v)
        if not 0.0 < self.validation_fraction <= 2.0:
            raise InputError(
                "validation_fraction", "out of range", accepted="0-2", value=self.validation_fraction
            )
        if not 0.5 <= self.target_accept < 1.0:
            raise InputError("target_accept", "out of range", accepted="0.5-0.99", value=self.target_accept)
        if not 0.0 < self.replicates_scale <= 10.0:
            raise InputError("replicates_scale", "out of range", accepted="0-10", value=self.replicates_scale)


#: a seconds-long configuration for tests and a quick look (not for shipping)
SMOKE = dict(
    design_points_per_dim=4,
    validation_fraction=0.5,
    chains=2,
    warmup=150,
    samples=150,
    keep_draws=100,
    predictive_draws=0,
    replicates_scale=0.25,
)


@dataclass
class VariantFit:
    """One variant's calibration: sampled parameters, their diagnostics, LOO, emulator validation."""

    variant: str
    inputs: list[str]
    samples: dict[str, np.ndarray]  # parameter -> (chains, draws)
    diagnostics: dict[
        str, dict[str, float]
    ]  # parameter -> {r_hat, ess_bulk, ess_tail, mean, sd, q2.5, q50, q97.5}
    divergences: int
    loo: dict[str, Any]
    emulator: list[dict[str, Any]]
    fit_table: list[dict[str, Any]]
    idata: Any = None
    conflict: dict[str, Any] | None = None
    seconds: float = 0.0

    def flat(self, name: str) -> np.ndarray:
        return np.asarray(self.samples[name]).reshape(-1)

    def thinned(self, keep: int) -> dict[str, np.ndarray]:
        names = [n for n in (*HYPER, *DRUG) if n in self.samples]
        total = self.flat(names[0]).size
        idx = np.linspace(0, total - 1, min(keep, total)).round().astype(int)
        return {n: self.flat(n)[idx] for n in names}


@dataclass
class CalibrationResult:
    variants: dict[str, VariantFit]
    comparison: list[dict[str, Any]]
    predictive: list[dict[str, Any]]
    settings: Settings
    seed: int
    seconds: float
    studies: list[dict[str, Any]] = field(default_factory=list)
    not_modelled: list[dict[str, str]] = field(default_factory=list)
    occupancy_comparison: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "settings": self.settings.__dict__,
            "studies": self.studies,
            "not_modelled": self.not_modelled,
            "variants": {
                v: {
                    "mechanism": split_variant(v)[0],
                    "occupancy": split_variant(v)[1],
                    "inputs": f.inputs,
                    "diagnostics": f.diagnostics,
                    "divergences": f.divergences,
                    "loo": f.loo,
                    "emulator": f.emulator,
                    "fit": f.fit_table,
                    "conflict": f.conflict,
                    "seconds": round(f.seconds, 1),
                }
                for v, f in self.variants.items()
            },
            "comparison": self.comparison,
            "occupancy_comparison": self.occupancy_comparison,
            "predictive": self.predictive,
        }


def _has_tlr4(variant: str) -> bool:
    sw = load_parameter_set(variant).switches
    return sw.get("drug_on", 1.0) != 0 and sw.get("tlr4_on", 0.0) != 0


def _check_variants(variants: Sequence[str]) -> list[str]:
    """The calibration names (:func:`~ldnsim.data.parameter_set.posterior_key`) of ``variants``, in order,
    without repeats: ``full/metabolite-sustained`` is ``full`` (the default occupancy)."""
    known = ", ".join(variant_names()) + " (optionally /" + "|".join(occupancy_variant_names()) + ")"
    out: list[str] = []
    for v in variants:
        try:
            key = posterior_key(v)
        except InputError as exc:
            raise InputError("variants", f"unknown model variant {v!r} ({exc})", accepted=known,
                             value=v) from None
        if key not in out:
            out.append(key)
    if not out:
        raise InputError("variants", "no variant given", accepted=known)
    return out


def _emulators(spec, variant, names, lo, hi, st: Settings, seed, progress) -> tuple[dict, list, Any]:
    studies = tuple(
        type(s)(**{**s.__dict__, "replicates": max(1, int(round(s.replicates * st.replicates_scale)))})
        for s in spec.studies
    )
    d = len(names)
    n_train = st.design_points_per_dim * d + 2
    n_val = max(2, int(math.ceil(st.validation_fraction * n_train)))
    xt = space_filling(n_train, lo, hi, seed)
    xv = space_filling(n_val, lo, hi, seed + 7919)
    yt = run_design(studies, variant, names, xt, seed, progress, f"{variant}: emulator design")
    yv = run_design(studies, variant, names, xv, seed + 1, progress, f"{variant}: emulator validation")
    emus: dict[str, list[GaussianProcess]] = {}
    table = []
    for s in studies:
        emus[s.name] = []
        for k, t in enumerate(s.targets):
            gp = fit_gp(xt, yt[s.name][:, k], lo, hi, seed=seed)
            emus[s.name].append(gp)
            ok = np.isfinite(yv[s.name][:, k])
            err = gp.predict(xv[ok]) - yv[s.name][ok, k]
            rmse = float(np.sqrt(np.mean(err**2))) if ok.any() else float("nan")
            table.append(
                {
                    "study": s.name,
                    "quantity": t.quantity,
                    "published": t.published,
                    "se": t.se,
                    "train_runs": int(np.isfinite(yt[s.name][:, k]).sum()),
                    "validation_runs": int(ok.sum()),
                    "validation_rmse": rmse,
                    "rmse_over_se": rmse / t.se,
                    "nugget_sd": gp.noise_sd,
                }
            )
    return emus, table, studies


#: compiled samplers by (model structure, argument shapes): every variant and prior of one shape reuses
#: one compilation (the model's data are arguments, jit_model_args=True)
_SAMPLERS: dict[tuple, Any] = {}


def _nuts(data: ModelData, st: Settings, seed: int):
    import jax
    from numpyro.infer import MCMC, NUTS

    args = model_args(data)
    key = (
        data.drug,
        data.cap,
        data.ic50_domain,
        id(data.priors),
        st.warmup,
        st.samples,
        st.chains,
        st.target_accept,
        tuple((k, tuple(v.shape)) for k, v in args.items()),
    )
    mcmc = _SAMPLERS.get(key)
    if mcmc is None:
        kernel = NUTS(
            build_model(data.priors, data.cap, data.drug, data.ic50_domain),
            target_accept_prob=st.target_accept,
        )
        mcmc = MCMC(
            kernel,
            num_warmup=st.warmup,
            num_samples=st.samples,
            num_chains=st.chains,
            chain_method="vectorized",
            progress_bar=False,
            jit_model_args=True,
        )
        _SAMPLERS[key] = mcmc
    mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging",), **args)
    return mcmc


def _arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az
    return az


def _summarise(mcmc, names: list[str]) -> tuple[dict, dict, int, Any]:
    az = _arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_numpyro(mcmc)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    diag = {}
    for n in names:
        x = samples[n]
        diag[n] = {
            "r_hat": float(az.rhat(x)),
            "ess_bulk": float(az.ess(x, method="bulk")),
            "ess_tail": float(az.ess(x, method="tail")),
            "mean": float(x.mean()),
            "sd": float(x.std()),
            "q2.5": float(np.percentile(x, 2.5)),
            "q50": float(np.median(x)),
            "q97.5": float(np.percentile(x, 97.5)),
        }
    div = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    return samples, diag, div, idata


def _loo(idata) -> dict[str, Any]:
    az = _arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = az.loo(idata, pointwise=True, var_name="y")
    k = np.asarray(r.pareto_k).reshape(-1)
    return {
        "elpd_loo": float(r.elpd_loo),
        "se": float(r.se),
        "p_loo": float(r.p_loo),
        "pareto_k": [float(x) for x in k],
        "pareto_k_max": float(k.max()),
        "n_k_over_0.7": int((k > 0.7).sum()),
    }


def _fit_table(fit_samples: dict, data: ModelData) -> list[dict[str, Any]]:
    """Posterior of each emulated target (its expected value) against the published value."""
    e = np.asarray(fit_samples["expectation_study"]).reshape(-1, len(data.studies))
    pick = np.linspace(0, e.shape[0] - 1, min(400, e.shape[0])).round().astype(int)
    if data.drug:
        l0 = np.asarray(fit_samples["log10_tlr4_ic50_nM"]).reshape(-1)
        sw = np.asarray(fit_samples["sigma_study_ic50_log10"]).reshape(-1)
        zw = np.asarray(fit_samples["z_study_ic50"]).reshape(-1, len(data.studies))
        lj = np.clip(l0[:, None] + sw[:, None] * zw, *data.ic50_domain)
    rows = []
    i = 0
    for j, s in enumerate(data.studies):
        x = np.stack([e[pick, j], lj[pick, j]], 1) if data.drug else e[pick, j][:, None]
        for t, gp in zip(s.targets, data.emulators[s.name], strict=True):
            m = gp.predict(x)
            rows.append(
                {
                    "study": s.name,
                    "quantity": t.quantity,
                    "published": t.published,
                    "se": t.se,
                    "posterior_median": float(np.median(m)),
                    "posterior_ci95": [float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))],
                    "z": float((np.median(m) - t.published) / data.sd[i]),
                }
            )
            i += 1
    return rows


def _conflict(
    in_vitro: np.ndarray, data_only: np.ndarray, prior: dict[str, Any], seed: int
) -> dict[str, Any]:
    """Prior–data conflict of the TLR4 IC50 (Presanis et al. 2013 Stat Sci 28:376): the difference between
    a prior draw and a draw of the data-only posterior (flat prior); two-sided p of the difference's sign."""
    rng = np.random.default_rng(seed)
    n = data_only.size
    pr = rng.normal(float(prior["mu"]), float(prior["sd"]), 4 * n)
    pr = pr[(pr >= float(prior["lo"])) & (pr <= float(prior["hi"]))][:n]
    delta = pr - rng.choice(data_only, pr.size)
    p_pos = float((delta > 0).mean())
    return {
        "prior_median_log10_nM": float(np.median(pr)),
        "data_only_median_log10_nM": float(np.median(data_only)),
        "data_only_ci95_log10_nM": [
            float(np.percentile(data_only, 2.5)),
            float(np.percentile(data_only, 97.5)),
        ],
        "posterior_median_log10_nM": float(np.median(in_vitro)),
        "posterior_ci95_log10_nM": [
            float(np.percentile(in_vitro, 2.5)),
            float(np.percentile(in_vitro, 97.5)),
        ],
        "p_conflict": 2.0 * min(p_pos, 1.0 - p_pos),
    }


def fit_variant(
    variant: str, spec: CalibrationSpec, st: Settings, seed: int, progress: Progress | None = None
) -> VariantFit:
    """Emulate, sample and diagnose one variant (plus the data-only IC50 fit for the conflict check)."""
    t0 = time.perf_counter()
    drug = _has_tlr4(variant)
    names = ["expectation"] + (["log10_tlr4_ic50_nM"] if drug else [])
    lo = np.array([spec.domain[n][0] for n in names])
    hi = np.array([spec.domain[n][1] for n in names])
    cap = float(realism_defaults()["placebo.expectation_cap"])
    if cap > spec.domain["expectation"][1] + 1e-12:
        raise InputError(
            "placebo.expectation_cap",
            "exceeds the emulator's expectation domain",
            accepted=f"<= {spec.domain['expectation'][1]}",
            value=cap,
        )
    emus, emu_table, studies = _emulators(spec, variant, names, lo, hi, st, seed, progress)
    rmse = {(r["study"], r["quantity"]): r["validation_rmse"] for r in emu_table}
    unknown = [f"{k[0]} {k[1]}" for k, v in rmse.items() if not math.isfinite(v)]
    if unknown:  # an emulator error taken as 0 would make the posterior overconfident: refuse instead
        raise SolverError(
            f"{variant}: no simulator run of the emulator validation gave a finite value for "
            f"{', '.join(unknown)}, so the emulator's error is unknown; rerun with a larger "
            "validation_fraction (calibration settings) or check the simulator at these inputs"
        )
    y = np.array([t.published for s in studies for t in s.targets])
    sd = np.array(
        [
            math.sqrt(t.se**2 + rmse[(s.name, t.quantity)] ** 2)
            for s in studies
            for t in s.targets
        ]
    )
    data = ModelData(
        studies=studies,
        emulators=emus,
        y=y,
        sd=sd,
        cap=cap,
        drug=drug,
        priors=spec.priors,
        ic50_domain=spec.domain["log10_tlr4_ic50_nM"],
    )
    if progress:
        progress(f"{variant}: NUTS", 0, 1)
    mcmc = _nuts(data, st, seed)
    pnames = list(HYPER) + (list(DRUG) if drug else [])
    samples, diag, div, idata = _summarise(mcmc, pnames)
    fit = VariantFit(
        variant=variant,
        inputs=names,
        samples=samples,
        diagnostics=diag,
        divergences=div,
        loo=_loo(idata),
        emulator=emu_table,
        fit_table=_fit_table(mcmc.get_samples(), data),
        idata=idata,
    )
    if drug:
        flat = ModelData(**{**data.__dict__, "ic50_prior": "flat"})
        m2 = _nuts(flat, st, seed + 1)
        s2 = m2.get_samples()
        fit.conflict = _conflict(
            fit.flat("log10_tlr4_ic50_nM"),
            np.asarray(s2["log10_tlr4_ic50_nM"]),
            spec.priors["log10_tlr4_ic50_nM"],
            seed,
        )
        d2 = _summarise(m2, ["log10_tlr4_ic50_nM"])[1]["log10_tlr4_ic50_nM"]
        fit.conflict["data_only_r_hat"] = d2["r_hat"]
        fit.conflict["data_only_ess_bulk"] = d2["ess_bulk"]
    if progress:
        progress(f"{variant}: NUTS", 1, 1)
    fit.seconds = time.perf_counter() - t0
    return fit


def compare_loo(fits: dict[str, VariantFit]) -> list[dict[str, Any]]:
    """PSIS-LOO comparison (arviz.compare): elpd differences to the best variant with their SE."""
    if len(fits) < 2:
        return []
    az = _arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = az.compare({v: f.idata for v, f in fits.items()}, ic="loo", var_name="y")
    out = []
    for v, row in cmp.iterrows():
        out.append(
            {
                "variant": str(v),
                "rank": int(row["rank"]),
                "elpd_loo": float(row["elpd_loo"]),
                "p_loo": float(row["p_loo"]),
                "elpd_diff": float(row["elpd_diff"]),
                "dse": float(row["dse"]),
                "se": float(row["se"]),
                "weight": float(row["weight"]),
                "warning": bool(row["warning"]),
            }
        )
    return out


def occupancy_pairs(comparison: list[dict[str, Any]], fits: dict[str, VariantFit]) -> list[dict[str, Any]]:
    """For each mechanism calibrated with more than one occupancy variant: the PSIS-LOO elpd difference of
    each non-default occupancy to the default one, with the SE of the PAIRED difference (from the pointwise
    elpd of the two, as arviz.compare computes it; not the SEs of the comparison table, which are relative
    to the overall best). Positive ``elpd_diff``: the data favour the non-default occupancy."""
    ranked = {r["variant"]: r for r in comparison}
    out = []
    for v, f in fits.items():
        mech, occ = split_variant(v)
        if v == mech or mech not in fits or f.idata is None or fits[mech].idata is None:
            continue
        az = _arviz()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.asarray(az.loo(f.idata, pointwise=True, var_name="y").loo_i).reshape(-1)
            b = np.asarray(az.loo(fits[mech].idata, pointwise=True, var_name="y").loo_i).reshape(-1)
        d = a - b
        out.append(
            {
                "mechanism": mech,
                "occupancy": occ,
                "default_occupancy": split_variant(mech)[1],
                "elpd_diff": float(d.sum()),
                "dse": float(math.sqrt(d.size * d.var())),
                "rank": ranked.get(v, {}).get("rank"),
                "rank_default": ranked.get(mech, {}).get("rank"),
            }
        )
    return out


def predictive_check(
    variant: str, samples: dict[str, np.ndarray], n_draws: int, seed: int, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Posterior-predictive check of every validation preset (role: validation) with the real simulator:
    each draw is a new trial (fresh study-level effects), one virtual trial of the design's size per draw."""
    from ..trials.design import PRESETS, load_design
    from ..trials.posterior import run_posterior

    cap = float(realism_defaults()["placebo.expectation_cap"])
    out = []
    for name in PRESETS:
        d = load_design(name)
        if d.role != "validation" or d.is_disease():  # disease readouts are the immune module's to check
            continue
        draws = new_study_draws(samples, n_draws, seed, cap)
        post = run_posterior(
            d,
            draws=n_draws,
            replicates=1,
            seed=seed,
            variant=variant,
            param_draws=draws,
            kind=f"posterior ({variant}, this calibration run)",
            progress=_stage(progress, f"{variant}: predictive {name}"),
        )
        for row in post.comparison:
            if row["kind"] != "difference":
                continue
            pub_ci = row.get("published_ci95")
            lo, hi = row["pi95"]
            width = None if lo is None else hi - lo
            pub_w = None if not pub_ci else pub_ci[1] - pub_ci[0]
            informative = None
            if width is not None and pub_w:
                # honest: at least as wide as the trial's own sampling CI, at most 3 times it
                informative = bool(pub_w <= width <= 3.0 * pub_w)
            out.append(
                {
                    "variant": variant,
                    "design": name,
                    "quantity": row["quantity"],
                    "published": row["published"],
                    "published_ci95": pub_ci,
                    "median": row.get("median"),
                    "pi95": row["pi95"],
                    "pi95_width": width,
                    "within_pi95": row["within_pi95"],
                    "predictive_percentile": row["predictive_percentile"],
                    "informative": informative,
                    "draws": n_draws,
                }
            )
    return out


def _stage(progress: Progress | None, stage: str) -> Progress | None:
    """``progress`` with its stage name replaced by ``stage`` (None stays None)."""
    if progress is None:
        return None
    cb = progress

    def f(_s: str, i: int, n: int) -> None:
        cb(stage, i, n)

    return f


def calibrate(
    variants: Sequence[str] = DEFAULT_VARIANTS,
    *,
    seed: int = 20261206,
    settings: Settings | None = None,
    predictive_variants: Sequence[str] = ("full", "null"),
    progress: Progress | None = None,
) -> CalibrationResult:
    """Bayesian calibration of ``variants`` against the studies of ``system/calibration.yaml``.

    Raises :class:`~ldnsim.errors.InputError` for an unknown variant or an out-of-range setting.
    """
    t0 = time.perf_counter()
    spec = load_spec()
    vs = _check_variants(variants)
    st = settings or Settings.from_spec(spec)
    st.check()
    fits = {}
    for i, v in enumerate(vs):
        fits[v] = fit_variant(v, spec, st, seed + 1000 * i, progress)
    comparison = compare_loo(fits)
    predictive: list[dict[str, Any]] = []
    if st.predictive_draws:
        for v in predictive_variants:
            if v in fits:
                predictive += predictive_check(
                    v, fits[v].thinned(st.keep_draws), st.predictive_draws, seed, progress
                )
    studies = [
        {
            "study": s.name,
            "calibration_id": s.calibration_id,
            "blinding": s.blinding,
            "weeks": s.weeks,
            "pain_report": "recall" if s.recall else "diary",
            "targets": [t.__dict__ for t in s.targets],
        }
        for s in spec.studies
    ]
    return CalibrationResult(
        variants=fits,
        comparison=comparison,
        predictive=predictive,
        settings=st,
        seed=seed,
        seconds=time.perf_counter() - t0,
        studies=studies,
        not_modelled=list(spec.not_modelled),
        occupancy_comparison=occupancy_pairs(comparison, fits),
    )
