"""Occupancy variants (data/occupancy.yaml): brain μ occupancy time courses at 4.5 mg nightly and after 50 mg,
under metabolite-sustained and parent-transient, with the PET data they are checked against (issue 10
item 2). Writes ``occupancy_variants.png`` and ``occupancy_variants.json`` (docs/credibility.md).

Run: ``python bench/occupancy_variants.py [--out docs/results]`` (a few seconds).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ldnsim.data.parameter_set import load_parameter_set, occupancy_variant_names
from ldnsim.model import _occupancy_fit as fit


def values(variant: str) -> dict[str, float]:
    return {k.split("/", 1)[1]: v for k, v in load_parameter_set(f"full/{variant}").pk.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/results")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_ldn = np.arange(0.0, 24.0 * 14, 0.25)
    t_hd = np.arange(0.0, 170.0, 0.5)
    lee_t, lee_y = fit.lee_targets()
    doc: dict = {"lee_1988": {"t_h": lee_t.tolist(), "occupancy": lee_y.tolist()}, "variants": {}}
    curves = {}
    for v in occupancy_variant_names():
        p = values(v)
        ldn = fit.occupancy_oral(4.5, t_ldn, p, 24.0, 14)
        hd = fit.occupancy_oral(50.0, t_hd, p)
        last = ldn[t_ldn >= 24.0 * 13]
        curves[v] = (ldn, hd)
        doc["variants"][v] = {
            "values": p,
            "ldn_day14": {"min": float(last.min()), "mean": float(last.mean()), "max": float(last.max()),
                          "hours_above_0.3": float(0.25 * np.sum(last > 0.3))},
            "hd_50mg": {f"{int(t)}h": float(fit.occupancy_oral(50.0, np.array([t]), p)[0])
                        for t in (1, 24, 48, 72, 120, 168)},
            "blockade_half_time_h": fit.blockade_half_time(p),
            "q48h_trough": fit.label_trough(p),
            "yancey_wrona_max_0.5_8h": fit.yancey_wrona_max(p),
        }
    (out / "occupancy_variants.json").write_text(json.dumps(doc, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    style = {"metabolite-sustained": "C0", "parent-transient": "C3"}
    for v, (ldn, hd) in curves.items():
        ax[0].plot(t_ldn / 24.0, ldn, color=style.get(v), label=v)
        ax[1].plot(t_hd, hd, color=style.get(v), label=v)
    ax[0].axhline(0.3, color="grey", lw=0.8, ls=":")
    ax[0].set(xlabel="day", ylabel="brain μ occupancy", title="4.5 mg nightly", ylim=(0, 1))
    lo, hi = 72.0, 108.0
    for T, ls in ((lo, "--"), (hi, "--")):
        ax[1].plot(t_hd[t_hd >= 1], 0.95 * 2 ** (-(t_hd[t_hd >= 1] - 1) / T), color="k", lw=0.8, ls=ls)
    ax[1].plot(lee_t, lee_y, "ko", ms=4, label="Lee 1988 (half-time 72-108 h)")
    ax[1].set(xlabel="hours after one 50 mg dose", title="50 mg once", ylim=(0, 1))
    ax[1].legend(fontsize=8)
    ax[0].legend(fontsize=8)
    fig.suptitle("ldnsim occupancy variants (research and education only; not medical advice)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "occupancy_variants.png", dpi=100)
    print(json.dumps(doc["variants"], indent=1))


if __name__ == "__main__":
    main()
