"""Validation of the N-of-1 analysis on virtual patients with known truth (issue 13, "Done means").

Virtual patients come from the calibrated model (:mod:`ldnsim.nof1.virtual`): the model's own onset/offset
curves on the scale of each patient's steady-state benefit, with missed LDN nights (adherence groups),
benefits from the benefit prior (responders and non-responders), placebo responses, slow fluctuation,
AR(1) rating noise, rounding, 10 % missed diary days and 2 %/week dropout. Each diary is
analysed by the model-informed analysis and, on the same patients, by the two comparators (t-test of the
last 2 weeks vs baseline; AR(1) model without the onset state).

Designs: open-label (2-week baseline, then LDN) analysed after 8 and 12 weeks on LDN; blinded ABBA with the
model-chosen block length, analysed at the end. Reports per method: coverage of the 90 % interval of the
true benefit (simulation-based calibration), the SBC rank histogram, sensitivity/specificity of the decision
"clinically important benefit" (truth: benefit >= 30 % of the untreated level), share undecided.

Run: ``python bench/nof1_validation.py [--n 1000] [--out docs/results]`` (~1.5 min on 2 cores). Writes
``nof1_validation.json`` and ``nof1_validation.png``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ldnsim.nof1 import make_plan
from ldnsim.nof1.analysis import fit, one_blas_thread
from ldnsim.nof1.characteristics import operating_characteristics
from ldnsim.nof1.virtual import model_shapes, virtual_diaries


def sbc_ranks(n: int, plan, day: int, shapes, seed: int, blinded: bool) -> np.ndarray:
    """Fraction of posterior draws below the true benefit, per patient (uniform when calibrated)."""
    on, ex = plan.on_ldn()[:day], plan.expectation()[:day]
    v = virtual_diaries(n, on, ex, shapes, blinded=blinded, seed=seed)
    ranks = []
    with one_blas_thread():
        for i in range(n):
            try:
                f = fit(v.y[i], on, ex, blinded=blinded)
            except Exception:  # noqa: BLE001 - too few rated days after early dropout
                continue
            ranks.append(float((f.draws(n=999)["beta"] < v.beta[i]).mean()))
    return np.array(ranks)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--shapes", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default="docs/results")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res: dict = {"n": a.n, "seed": a.seed}
    open_plan = make_plan("open", start="2025-01-05", baseline_weeks=2, ldn_weeks=12)
    on, ex = open_plan.on_ldn(), open_plan.expectation()
    sh_open = model_shapes(on, a.shapes, seed=a.seed)
    res["open"] = operating_characteristics(
        on, ex, analysis_days=[70, 98], n=a.n, seed=a.seed, comparators=True, shapes=sh_open
    )
    res["open"].pop("truth")
    bl = make_plan("blinded", start="2025-01-05", baseline_weeks=2, pattern="ABBA", seed=1)
    onb, exb = bl.on_ldn(), bl.expectation()
    sh_bl = model_shapes(onb, a.shapes, seed=a.seed + 1)
    res["blinded"] = operating_characteristics(
        onb,
        exb,
        analysis_days=[bl.n_days],
        n=a.n,
        seed=a.seed + 7,
        blinded=True,
        comparators=True,
        shapes=sh_bl,
    )
    res["blinded"].pop("truth")
    res["blinded"]["plan"] = {"pattern": bl.pattern, "block_weeks": bl.block_weeks, "n_days": bl.n_days}
    ranks_open = sbc_ranks(a.n, open_plan, 98, sh_open, a.seed + 3, False)
    ranks_bl = sbc_ranks(a.n, bl, bl.n_days, sh_bl, a.seed + 5, True)
    res["sbc_ranks"] = {
        "open_12w": np.histogram(ranks_open, bins=10, range=(0, 1))[0].tolist(),
        "blinded": np.histogram(ranks_bl, bins=10, range=(0, 1))[0].tolist(),
    }
    res["elapsed_s"] = time.perf_counter() - t0
    (out / "nof1_validation.json").write_text(json.dumps(res, indent=1, default=float))
    _plot(res, ranks_open, ranks_bl, out / "nof1_validation.png")
    _print(res)


def _rows(res):
    for design, block in (("open", res["open"]), ("blinded", res["blinded"])):
        for r in block["by_day"]:
            label = (
                f"{design} {r['weeks'] - 2:.0f} wk LDN"
                if design == "open"
                else f"blinded ABBA {r['weeks']:.0f} wk"
            )
            yield label, r


def _print(res):
    print(f"{'design':<24}{'method':<8}{'cover90':>8}{'sens':>7}{'spec':>7}{'undec':>7}{'rmse':>7}{'n':>6}")
    for label, r in _rows(res):
        for m in ("model", "ar1", "ttest"):
            x = r[m]
            print(
                f"{label:<24}{m:<8}{x['coverage90']:>8.3f}{x['sensitivity']:>7.2f}{x['specificity']:>7.2f}"
                f"{x['undecided']:>7.2f}{x['rmse']:>7.2f}{r['analysed']:>6}"
            )
    print(f"elapsed {res['elapsed_s']:.0f} s")


def _plot(res, ranks_open, ranks_bl, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 3, figsize=(14, 4.2))
    labels, data = [], {m: [] for m in ("model", "ar1", "ttest")}
    for label, r in _rows(res):
        labels.append(label)
        for m in data:
            data[m].append(r[m])
    x = np.arange(len(labels))
    names = {"model": "model-informed", "ar1": "AR(1), no onset", "ttest": "t-test last 2 wk"}
    for k, m in enumerate(data):
        axs[0].bar(x + (k - 1) * 0.27, [d["coverage90"] for d in data[m]], 0.27, label=names[m])
        axs[1].bar(x + (k - 1) * 0.27, [d["sensitivity"] for d in data[m]], 0.27, label=f"{names[m]} sens")
        axs[1].scatter(
            x + (k - 1) * 0.27,
            [d["specificity"] for d in data[m]],
            color="k",
            marker="_",
            s=200,
            zorder=3,
            label="specificity" if k == 0 else None,
        )
    axs[0].axhspan(0.88, 0.92, color="g", alpha=0.15, label="target 88-92%")
    axs[0].set_ylabel("coverage of the true benefit by the 90% interval")
    axs[1].set_ylabel("sensitivity (bars), specificity (—)")
    for ax in axs[:2]:
        ax.set_xticks(x, labels, rotation=15, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7)
    axs[2].hist([ranks_open, ranks_bl], bins=10, range=(0, 1), label=["open 12 wk", "blinded"])
    axs[2].set_xlabel("SBC rank of the true benefit among posterior draws")
    axs[2].set_ylabel("patients")
    axs[2].legend(fontsize=8)
    fig.suptitle(f"N-of-1 analysis on {res['n']} virtual patients per design (ldnsim.nof1)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
