"""The tables of docs/immune.md that are computed by running the module (``ldnsim docs`` rewrites them;
tests/immune/test_docs.py fails when they are stale)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["BLOCKS", "render_regimen_table", "render_metabolite_table", "replace_blocks"]

#: (label, regimen) rows of the regimen table
REGIMENS: tuple[tuple[str, str | None], ...] = (
    ("untreated", None),
    ("1.5 mg nightly", "naltrexone 1.5 mg nightly"),
    ("3 mg nightly", "naltrexone 3 mg nightly"),
    ("4.5 mg nightly", "naltrexone 4.5 mg nightly"),
    ("4.5 mg every 6 h", "naltrexone 4.5 mg every 6 hours"),
    ("50 mg daily", "naltrexone 50 mg daily"),
)
#: the μ Ki of 6β-naltrexol (drugs/naltrexone.yaml), the alternative the metabolite table shows
MU_KI_6BETA_NALTREXOL_NM = 2.12


def _last(regimen: str | None, params: dict[str, float] | None) -> tuple[dict[str, float], float]:
    from .simulate import simulate_immune

    c = simulate_immune(regimen, 84, "crohns", params=params).isel(patient=0, time=-1)
    m = simulate_immune(regimen, 56, "ms", params=params).isel(patient=0, time=-1)
    keys = ("ogfr_occupancy", "ogfr_blockade_hours", "ogf", "ogfr_density", "lymphocyte_proliferation",
            "cytokines", "mucosal_inflammation")
    return {k: float(c[k]) for k in keys}, float(m["cns_inflammation"])


def render_regimen_table() -> str:
    """Day 84 (Crohn's) and day 56 (MS) of a typical patient under each regimen, shipped parameters."""
    lines = ["| regimen | mean OGFr occupancy | h/day > 50% | OGF | OGFr | proliferation | cytokines "
             "| mucosal (Crohn's, d84) | CNS (MS, d56) |", "|---|---|---|---|---|---|---|---|---|"]
    for label, reg in REGIMENS:
        c, cns = _last(reg, None)
        lines.append(f"| {label} | {c['ogfr_occupancy']:.2f} | {c['ogfr_blockade_hours']:.0f} "
                     f"| {c['ogf']:.2f} | {c['ogfr_density']:.2f} | {c['lymphocyte_proliferation']:.3f} "
                     f"| {c['cytokines']:.2f} | {c['mucosal_inflammation']:.2f} | {cns:.2f} |")
    return "\n".join(lines)


def render_metabolite_table() -> str:
    """The same with 6β-naltrexol binding OGFr as it binds μ (Ki 2.12 nM)."""
    lines = [f"| regimen (6β-naltrexol Ki {MU_KI_6BETA_NALTREXOL_NM:g} nM) | mean occupancy | h/day > 50% | "
             "proliferation | mucosal (d84) | CNS (d56) |", "|---|---|---|---|---|---|"]
    for label, reg in REGIMENS:
        if label not in ("1.5 mg nightly", "4.5 mg nightly", "50 mg daily"):
            continue
        c, cns = _last(reg, {"ogfr_ki_6beta_naltrexol_nM": MU_KI_6BETA_NALTREXOL_NM})
        lines.append(f"| {label} | {c['ogfr_occupancy']:.2f} | {c['ogfr_blockade_hours']:.0f} | "
                     f"{c['lymphocyte_proliferation']:.3f} | {c['mucosal_inflammation']:.2f} | {cns:.2f} |")
    return "\n".join(lines)


def _markers(name: str) -> tuple[str, str]:
    return (f"<!-- BEGIN generated immune {name} (ldnsim docs) -->", f"<!-- END generated immune {name} -->")


#: (begin marker, end marker, renderer) of each computed block of docs/immune.md
BLOCKS: tuple[tuple[str, str, Callable[[], str]], ...] = (
    (*_markers("regimen table"), render_regimen_table),
    (*_markers("metabolite table"), render_metabolite_table),
)


def replace_blocks(text: str, blocks: tuple[tuple[str, str, Callable[[], str]], ...] = BLOCKS) -> str:
    """``text`` with every block present between its markers re-rendered."""
    for begin, end, render in blocks:
        if begin in text and end in text:
            a = text.index(begin) + len(begin)
            b = text.index(end)
            text = text[:a] + "\n" + render() + "\n" + text[b:]
    return text
