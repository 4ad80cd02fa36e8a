"""Figures of a calibration run (matplotlib, written by ``ldnsim calibrate --figures DIR``): the fit to
the calibration trials per variant, the TLR4 IC50 prior against its posteriors, and the posterior-
predictive check of the validation trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .pipeline import CalibrationResult

__all__ = ["write_figures"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fit_figure(res: CalibrationResult, path: Path) -> Path:
    plt = _plt()
    variants = list(res.variants)
    rows = res.variants[variants[0]].fit_table
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.5))
    y = np.arange(len(rows))[::-1]
    for yy in y:
        ax.errorbar([0], [yy], xerr=1.96, fmt="ks", ms=5)
    width = 0.6 / max(len(variants), 1)
    for i, v in enumerate(variants):
        for r, yy in zip(res.variants[v].fit_table, y, strict=True):
            lo, hi = r["posterior_ci95"]
            off = -0.3 + (i + 0.5) * width
            z = [(lo - r["published"]) / r["se"], (hi - r["published"]) / r["se"]]
            ax.plot(
                z, [yy + off] * 2, color=f"C{i}", lw=3, label=v if r is res.variants[v].fit_table[0] else None
            )
            ax.plot(
                [(r["posterior_median"] - r["published"]) / r["se"]], [yy + off], "o", color=f"C{i}", ms=3
            )
    ax.set_yticks(y, [f"{r['study']}: {r['quantity']}" for r in rows], fontsize=8)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("(simulated − published) / published SE   (black: published ±1.96 SE; bars: posterior 95%)")
    ax.set_title("Calibration fit: posterior of each simulated summary, by model variant")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ic50_figure(res: CalibrationResult, path: Path) -> Path | None:
    plt = _plt()
    drug = [v for v, f in res.variants.items() if f.conflict]
    if not drug:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.6))
    from .spec import load_spec

    p = load_spec().priors["log10_tlr4_ic50_nM"]
    x = np.linspace(p["lo"], p["hi"], 400)
    dens = np.exp(-0.5 * ((x - p["mu"]) / p["sd"]) ** 2)
    dens /= np.trapezoid(dens, x)
    ax.plot(x, dens, "k--", label="in-vitro prior")
    bins = np.linspace(p["lo"], p["hi"], 41)
    for i, v in enumerate(drug):
        ax.hist(
            res.variants[v].flat("log10_tlr4_ic50_nM"),
            bins=bins,
            density=True,
            alpha=0.35,
            color=f"C{i}",
            label=f"{v}: posterior",
        )
    ax.axvline(np.log10(0.23942), color="grey", lw=0.8)
    ax.text(np.log10(0.23942), ax.get_ylim()[1] * 0.9, " earlier ML fit 0.24 nM", fontsize=7, color="grey")
    ax.set_xlabel("log10 TLR4 IC50 (nM)")
    ax.set_ylabel("density")
    ax.set_title("TLR4 IC50: in-vitro prior and posterior")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def predictive_figure(res: CalibrationResult, path: Path) -> Path | None:
    rows = [r for r in res.predictive if r["pi95"][0] is not None]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.7 * len(rows) + 1.6))
    for i, r in enumerate(rows):
        lo, hi = r["pi95"]
        ax.plot([lo, hi], [i, i], color="C0", lw=4, alpha=0.6)
        if r.get("median") is not None:
            ax.plot([r["median"]], [i], "o", color="C0")
        ax.plot([r["published"]], [i], "kD")
        if r.get("published_ci95"):
            ax.plot(r["published_ci95"], [i - 0.15] * 2, "k-", lw=1)
    ax.set_yticks(
        range(len(rows)), [f"{r['design']} ({r['variant']}): {r['quantity']}" for r in rows], fontsize=8
    )
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("LDN − placebo difference (blue: posterior-predictive 95%; black: published, its 95% CI)")
    ax.set_title("Posterior-predictive check of trials outside the calibration")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_figures(res: CalibrationResult, out_dir: Path) -> list[Path]:
    """Write the calibration figures into ``out_dir`` (PNG); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = [
        fit_figure(res, out_dir / "calibration_fit.png"),
        ic50_figure(res, out_dir / "calibration_ic50.png"),
        predictive_figure(res, out_dir / "calibration_predictive.png"),
    ]
    return [p for p in out if p is not None]
