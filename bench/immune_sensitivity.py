"""One-at-a-time sensitivity of the immune / OGF-OGFr module (docs/immune.md, "Sensitivity").

    python -m bench.immune_sensitivity            # prints the Markdown table docs/immune.md shows

Elasticity of each readout to each parameter: d ln(readout) / d ln(parameter), central difference at ±10%
around the shipped value, typical patient, naltrexone 4.5 mg nightly. Readouts: lymphocyte proliferation and
mucosal inflammation on day 84 (Crohn's), CNS inflammation on day 56 (MS). The condition drives (0/1 by
definition) are left out.
"""

from __future__ import annotations

import sys

import numpy as np

LDN = "naltrexone 4.5 mg nightly"


def _readouts(params: dict[str, float]) -> np.ndarray:
    from ldnsim.immune import simulate_immune

    c = simulate_immune(LDN, 84, "crohns", params=params).isel(patient=0, time=-1)
    m = simulate_immune(LDN, 56, "ms", params=params).isel(patient=0, time=-1)
    return np.array([float(c.lymphocyte_proliferation), float(c.mucosal_inflammation),
                     float(m.cns_inflammation)])


def table(step: float = 0.1) -> str:
    from ldnsim.immune import default_params

    base = default_params()
    lines = ["| parameter | shipped | proliferation (d84) | mucosal (Crohn's, d84) | CNS (MS, d56) |",
             "|---|---|---|---|---|"]
    rows = []
    for name, v in base.items():
        if name in ("ogf_kd_nM",):  # documents the affinity scale; not used by the equations
            continue
        hi = _readouts({name: v * np.exp(step)})
        lo = _readouts({name: v * np.exp(-step)})
        el = (np.log(hi) - np.log(lo)) / (2 * step)
        rows.append((abs(el[1]), name, v, el))
    for _, name, v, el in sorted(rows, reverse=True):
        lines.append(f"| `{name}` | {v:g} | {el[0]:+.3f} | {el[1]:+.2f} | {el[2]:+.2f} |")
    return "\n".join(lines)


def main() -> int:
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
