"""Global Sobol' sensitivity of the system model to every assumed parameter (issue 10 item 7).

Runs :func:`ldnsim.validation.sensitivity.run` at base sample sizes N and 2N (Saltelli/Sobol' sampling,
first-order and total indices with bootstrap 95 % intervals), checks that the indices agree within their
intervals, and writes ``sensitivity.json`` and a Markdown table (``sensitivity.md``) that docs/credibility.md
quotes.

Run: ``python bench/sensitivity.py [--n 1024] [--out docs/results]`` (N = 1024 and 2048: 156,672 model runs
per regimen, ~13 min on the shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ldnsim.validation.sensitivity import OUTPUTS, convergence, run

LABEL = {"ldn_effect_w12": "LDN 4.5 mg nightly, effect at week 12",
         "hd_change_w9_12": "50 mg nightly, change weeks 9-12"}


def table(a: dict, b: dict, top: int = 8) -> str:
    names = [p["name"] for p in b["parameters"]]
    rng = {p["name"]: p for p in b["parameters"]}
    lines = []
    for k in OUTPUTS:
        ob, oa = b["outputs"][k], a["outputs"][k]
        lines += [f"**{LABEL[k]}** (NRS; mean {ob['mean']:+.2f}, SD {ob['sd']:.2f}, 5-95 % "
                  f"{ob['p05']:+.2f} to {ob['p95']:+.2f} over the sampled ranges)", "",
                  f"| parameter | range | ST (N={b['n']}) | ST (N={a['n']}) | S1 (N={b['n']}) |",
                  "|---|---|---|---|---|"]
        order = np.argsort(ob["ST"])[::-1][:top]
        for i in order:
            p = rng[names[i]]
            lines.append(f"| `{names[i]}` | {p['lo']:.3g}-{p['hi']:.3g} ({p['range_from']}) | "
                         f"{ob['ST'][i]:.3f} ± {ob['ST_conf'][i]:.3f} | "
                         f"{oa['ST'][i]:.3f} ± {oa['ST_conf'][i]:.3f} | "
                         f"{ob['S1'][i]:.3f} ± {ob['S1_conf'][i]:.3f} |")
        rest = [names[i] for i in np.argsort(ob["ST"])[::-1][top:] if ob["ST"][i] > 0.01]
        lines += ["", f"Other parameters with ST > 0.01: {', '.join(f'`{r}`' for r in rest) or 'none'}; "
                  f"sum of S1 = {sum(ob['S1']):.2f}.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1024, help="base sample size N (power of two); 2N is run too")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="docs/results")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    a = run(args.n, seed=args.seed)
    t1 = time.time()
    b = run(2 * args.n, seed=args.seed + 1)
    t2 = time.time()
    conv = convergence(a, b, min_index=0.01)
    doc = {"N": a, "2N": b, "convergence": conv, "seconds": {"N": t1 - t0, "2N": t2 - t1},
           "command": f"python bench/sensitivity.py --n {args.n} --seed {args.seed}",
           "date": time.strftime("%Y-%m-%d")}
    (out / "sensitivity.json").write_text(json.dumps(doc, indent=1))
    md = table(a, b)
    (out / "sensitivity.md").write_text(md + "\n")
    print(md)
    print(json.dumps(conv, indent=1))
    print(f"rows {a['rows']} + {b['rows']}; {t1 - t0:.0f} s + {t2 - t1:.0f} s")


if __name__ == "__main__":
    main()
