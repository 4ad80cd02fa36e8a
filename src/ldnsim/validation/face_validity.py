"""Face-validity table of the model (docs/credibility.md) and the headline numbers of README/docs.

Each row is a qualitative statement a pharmacologist or clinician checks first, the evidence for it, a
tolerance, and the function that measures it on the SHIPPED parameter set (``ldnsim.simulate`` with no
overrides). ``tests/system/test_face_validity.py`` asserts every row; ``ldnsim docs`` writes the table and
the headline numbers into the docs between marker comments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["FaceRow", "ROWS", "evaluate", "headline_numbers", "render_face_table", "render_headline",
           "variant_predictions", "render_variant_table", "FACE_BEGIN", "FACE_END", "HEADLINE_BEGIN",
           "HEADLINE_END", "VARIANTS_BEGIN", "VARIANTS_END", "write_generated", "render_preset_table"]

LDN = "naltrexone 4.5 mg nightly for 12 weeks"
HD = "naltrexone 50 mg nightly for 12 weeks"
OA_FLOOR_NRS = 0.1
CHRONIC = ("fibromyalgia", "crps", "painful_diabetic_neuropathy", "chronic_low_back_pain", "osteoarthritis")
FACE_BEGIN = "<!-- BEGIN generated face-validity table (ldnsim docs) -->"
FACE_END = "<!-- END generated face-validity table -->"
HEADLINE_BEGIN = "<!-- BEGIN generated model numbers (ldnsim docs) -->"
HEADLINE_END = "<!-- END generated model numbers -->"
PRESETS_BEGIN = "<!-- BEGIN generated preset table (ldnsim docs) -->"
PRESETS_END = "<!-- END generated preset table -->"
VARIANTS_BEGIN = "<!-- BEGIN generated variant predictions (ldnsim docs) -->"
VARIANTS_END = "<!-- END generated variant predictions -->"


@cache
def _pain(regimen: str | None, condition: str = "fibromyalgia", days: int = 140, output: str = "daily",
          variant: str = "full") -> np.ndarray:
    from ..simulate import simulate

    return simulate(regimen, condition=condition, days=days, output=output,
                    variant=variant).pain_nrs.values[0]


@dataclass(frozen=True)
class FaceRow:
    """One face-validity statement: ``measure()`` returns the measured value (NRS points)."""

    name: str
    evidence: str
    criterion: str
    measure: Callable[[], float]
    passes: Callable[[float], bool]


def _healthy_50_once() -> float:
    return float(_pain("naltrexone 50 mg once", "healthy", days=4, output="hourly").max())


def _fm_50_once() -> float:
    p = _pain("naltrexone 50 mg once", days=4, output="hourly")
    return float(np.abs(p - p[0]).max())


def _flat(condition: str) -> Callable[[], float]:
    def f() -> float:
        p = _pain(None, condition, days=365)
        return float(np.abs(p - p[0]).max())
    return f


def _hd_nightly() -> float:
    base, hd = _pain(None), _pain(HD)
    return float(np.mean(hd[56:84] - base[56:84]))  # weeks 9-12, + = more pain


def _fm_effect() -> float:
    return float(_pain(None)[83] - _pain(LDN)[83])


def _oa_effect() -> float:
    return float(_pain(None, "osteoarthritis")[83] - _pain(LDN, "osteoarthritis")[83])


def _stop_drop() -> float:
    ldn = _pain(LDN)
    return float(ldn[83] - ldn[84:98].min())


_YZC = "Younger, Zautra & Cummins 2009 PLoS One 4:e5180"
ROWS: tuple[FaceRow, ...] = (
    FaceRow("healthy: 50 mg once, no spontaneous pain",
            f"{_YZC}: 50 mg naltrexone did not change pain sensitivity in healthy controls",
            "max NRS < 0.5 at every hour for 4 days", _healthy_50_once, lambda v: v < 0.5),
    FaceRow("fibromyalgia: 50 mg once, no acute change",
            f"{_YZC}: no change in fibromyalgia patients either",
            "absolute change < 0.5 NRS over 4 days", _fm_50_once, lambda v: v < 0.5),
    *(FaceRow(f"{c}: untreated course flat",
              "natural course of established chronic pain over a year is stable (drift, flares and "
              "regression to the mean belong to the trial layer)",
              "absolute change < 0.1 NRS over 365 days", _flat(c), lambda v: v < 0.1)
      for c in ("healthy", *CHRONIC)),
    FaceRow("fibromyalgia: 50 mg nightly does not help",
            f"no analgesic effect of standard-dose naltrexone is reported ({_YZC}); continuous blockade "
            "has the opposite effect of intermittent blockade (Zagon & McLaughlin)",
            "weeks 9-12 mean change > -0.25 NRS", _hd_nightly, lambda v: v > -0.25),
    FaceRow("fibromyalgia: 50 mg nightly, no clinically important worsening",
            f"{_YZC}: no change in pain sensitivity after 50 mg in fibromyalgia patients or controls; no "
            "trial of standard-dose naltrexone reports a general worsening of chronic pain",
            "weeks 9-12 mean change < +1 NRS (minimally important: 10-20 % of the ~6.7 NRS baseline, "
            "IMMPACT, Dworkin 2008 J Pain 9:105)", _hd_nightly, lambda v: v < 1.0),
    FaceRow("osteoarthritis: LDN negative control",
            "nociceptive/peripheral pain with little glial drive; no LDN benefit expected",
            f"week-12 effect < half the fibromyalgia effect, or < {OA_FLOOR_NRS} NRS (a tenth of the ~1 NRS "
            "minimal important difference: undetectable, when the fibromyalgia effect is itself that small)",
            _oa_effect, lambda v: v < max(0.5 * _fm_effect(), OA_FLOOR_NRS)),
    FaceRow("fibromyalgia: stopping LDN, no immediate drop",
            "no trial reports a fall of pain on stopping (Younger 2013 followed 4 weeks after LDN)",
            "fall below the last treated day < 0.25 NRS in the 2 weeks after (1/4 of the ~1 NRS minimal "
            "important difference; diary noise ~0.8 NRS)", _stop_drop, lambda v: v < 0.25),
)


def evaluate() -> list[dict]:
    """Every row measured on the shipped set: ``{name, evidence, criterion, value, passed}``."""
    out = []
    for r in ROWS:
        v = r.measure()
        out.append({"name": r.name, "evidence": r.evidence, "criterion": r.criterion, "value": v,
                    "passed": bool(r.passes(v))})
    return out


def render_face_table() -> str:
    """The face-validity table as Markdown between its marker comments."""
    lines = [FACE_BEGIN, "", "| statement | evidence | criterion | shipped model | pass |",
             "|---|---|---|---|---|"]
    for r in evaluate():
        lines.append(f"| {r['name']} | {r['evidence']} | {r['criterion']} | {r['value']:.2f} NRS | "
                     f"{'yes' if r['passed'] else '**NO**'} |")
    lines += ["", FACE_END]
    return "\n".join(lines)


def headline_numbers() -> dict[str, float]:
    """The numbers the README and docs quote, computed from the shipped parameter set (NRS points)."""
    from ..data.parameter_set import load_parameter_set

    base, ldn = _pain(None), _pain(LDN)
    mu = _pain(LDN, variant="mu-only")
    eff = base - ldn
    ps = load_parameter_set()
    return {
        "fm_untreated_nrs": float(base[0]),
        "fm_ldn_effect_w4": float(eff[27]),
        "fm_ldn_effect_w12": float(eff[83]),
        "fm_ldn_effect_w12_pct": float(100 * eff[83] / base[83]),
        "fm_ldn_mu_only_effect_w12": float(base[83] - mu[83]),
        "fm_50mg_nightly_change_w9_12": _hd_nightly(),
        "fm_return_4w_after_stop": float(ldn[111] - ldn[83]),
        "tlr4_ic50_nM": float(ps.system["tlr4_ic50_nM"]),
        **({"tlr4_ic50_ci_lo": float(ps.uncertainty["tlr4_ic50_nM"][0]),
            "tlr4_ic50_ci_hi": float(ps.uncertainty["tlr4_ic50_nM"][1])}
           if "tlr4_ic50_nM" in ps.uncertainty else {}),
    }


def _hd_words(change: float) -> str:
    if change > 0.25:
        return ("no benefit: pain rises, as continuous μ blockade removes endogenous opioid tone and the "
                "OGF-OGFr brake")
    return "no benefit" if change > -0.25 else "a BENEFIT, which no evidence supports"


def _nM(x: float) -> str:
    return f"{x / 1000:.2g} µM" if x >= 1000 else f"{x:.2g} nM"


def _identification_text(h: dict[str, float]) -> str:
    """What the README says about the drug effect's identification: from the shipped Bayesian calibration
    record when there is one, else from the profile likelihood."""
    from ..data.posterior import posterior_record

    rec = posterior_record()
    full = (rec or {}).get("variants", {}).get("full")
    if not full or not full.get("conflict"):
        return (
            f"- **The drug effect is not identified:** it rests on a glial TLR4 IC50 of "
            f"{h['tlr4_ic50_nM']:.2g} nM (profile 95 % interval {h['tlr4_ic50_ci_lo']:.2g} to ≥ "
            f"{h['tlr4_ic50_ci_hi']:.2g} nM, the grid edge), 3-5 logs below in-vitro potency (µM; no effect "
            f"in human PBMC at 1-200 µM, Cant 2017). The trials cannot tell this model from placebo plus "
            f"regression to the mean (docs/credibility.md)."
        )
    c = full["conflict"]
    cmp = {r["variant"]: r for r in (rec or {}).get("comparison", [])}
    best = min(cmp.values(), key=lambda r: r["rank"])["variant"] if cmp else None
    loo = ""
    if cmp:
        below = "; ".join(f"`{v}` {r['elpd_diff']:.2f} (SE {r['dse']:.2f})"
                          for v, r in cmp.items() if v != best)
        loo = (f" PSIS-LOO: best `{best}`; elpd below it: {below} (`null`: placebo, regression to the mean, "
               f"no drug).")
    at_median = abs(np.log10(h["tlr4_ic50_nM"]) - c["posterior_median_log10_nM"]) < 0.01
    shipped = ("its posterior median under the in-vitro prior, where glial TLR4 block is negligible at LDN "
               "concentrations" if at_median else "NOT the posterior median")
    return (
        f"- **The drug effect is not identified (Bayesian calibration):** the shipped glial TLR4 IC50 is "
        f"{_nM(h['tlr4_ic50_nM'])}, {shipped}; posterior median "
        f"10^{c['posterior_median_log10_nM']:.1f} nM (95 % CrI "
        f"10^{c['posterior_ci95_log10_nM'][0]:.1f}–"
        f"10^{c['posterior_ci95_log10_nM'][1]:.1f} nM); the trials alone (flat prior) say "
        f"10^{c['data_only_ci95_log10_nM'][0]:.1f}–10^{c['data_only_ci95_log10_nM'][1]:.1f} nM, prior–data "
        f"conflict p = {c['p_conflict']:.2f}.{loo} docs/credibility.md says what this can and cannot "
        f"distinguish."
    )


def render_headline() -> str:
    """README's "what the model says" numbers as Markdown between marker comments."""
    h = headline_numbers()
    text = (
        f"- **LDN in the fibromyalgia preset** (the system model alone, no placebo): untreated pain "
        f"{h['fm_untreated_nrs']:.2f} NRS; 4.5 mg nightly lowers it by {h['fm_ldn_effect_w4']:.2f} NRS at "
        f"week 4 and {h['fm_ldn_effect_w12']:.2f} NRS ({h['fm_ldn_effect_w12_pct']:.1f} % of baseline) at "
        f"week 12; four weeks after stopping pain is back up by {h['fm_return_4w_after_stop']:.2f} NRS. "
        f"Younger 2013's drug-minus-placebo difference was 10.8 points of %.\n"
        f"- **Standard dose:** 50 mg nightly changes week 9-12 pain by "
        f"{h['fm_50mg_nightly_change_w9_12']:+.2f} "
        f"NRS ({_hd_words(h['fm_50mg_nightly_change_w9_12'])}); the μ-only variant (no glial TLR4 block) "
        f"gives "
        f"{h['fm_ldn_mu_only_effect_w12']:+.2f} NRS at week 12.\n"
        + _identification_text(h)
    )
    return "\n".join([HEADLINE_BEGIN, text, HEADLINE_END])


def variant_predictions() -> list[dict]:
    """Per declared mechanism variant and occupancy variant (shipped values, not refitted): fibromyalgia LDN
    effect at week 12, change under 50 mg nightly (weeks 9-12) and the largest fall in the 2 weeks after
    stopping LDN (NRS points). The default occupancy variant's rows first, named by mechanism alone."""
    from ..data.parameter_set import (
        default_occupancy,
        load_parameter_set,
        occupancy_variant_names,
        variant_names,
    )

    out = []
    for occ in occupancy_variant_names():
        for mech in variant_names():
            v = mech if occ == default_occupancy() else f"{mech}/{occ}"
            base, ldn, hd = _pain(None, variant=v), _pain(LDN, variant=v), _pain(HD, variant=v)
            out.append({
                "variant": v,
                "mechanism": mech,
                "occupancy": occ,
                "description": load_parameter_set(v).provenance["description"],
                "ldn_effect_w12": float(base[83] - ldn[83]),
                "hd_change_w9_12": float(np.mean(hd[56:84] - base[56:84])),
                "stop_drop": float(ldn[83] - ldn[84:98].min()),
            })
    return out


def render_variant_table() -> str:
    """The variant predictions as Markdown between marker comments (mechanism description once, on the
    default occupancy's row)."""
    from ..data.parameter_set import default_occupancy

    lines = [VARIANTS_BEGIN, "", "| variant | occupancy | LDN effect, week 12 (NRS) | 50 mg nightly, weeks "
             "9-12 (NRS) | fall after stopping (NRS) | mechanism |", "|---|---|---|---|---|---|"]
    for r in variant_predictions():
        desc = r["description"] if r["occupancy"] == default_occupancy() else "(as above)"
        lines.append(f"| `{r['variant']}` | {r['occupancy']} | {r['ldn_effect_w12']:+.2f} | "
                     f"{r['hd_change_w9_12']:+.2f} | {r['stop_drop']:.2f} | {desc} |")
    lines += ["", VARIANTS_END]
    return "\n".join(lines)


def render_preset_table() -> str:
    """docs/model.md's preset table (condition inputs from conditions.yaml, outputs from the shipped set)."""
    from ..system import condition_names, condition_params

    lines = [PRESETS_BEGIN, "", "| preset | D | TLR4 share | P | ESR | untreated NRS (model) | "
             "LDN 4.5 mg, week-12 effect |", "|---|---|---|---|---|---|---|"]
    for c in condition_names():
        cp = condition_params(c)
        base, ldn = _pain(None, c), _pain(LDN, c)
        eff = float(ldn[83] - base[83])
        pct = f" ({100 * -eff / base[83]:.0f} %)" if base[83] > 0.5 else ""
        lines.append(f"| {c} | {cp['glial_drive']:g} | {cp['tlr4_fraction']:g} | "
                     f"{cp['peripheral_drive']:g} | {cp['esr_mm_h']:g} | {base[0]:.2f} | {eff:+.2f}{pct} |")
    lines += ["", PRESETS_END]
    return "\n".join(lines)


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    if begin not in text or end not in text:
        return text
    a, b = text.index(begin), text.index(end) + len(end)
    return text[:a] + block + text[b:]


def write_generated(docs_dir, readme) -> list[str]:
    """Rewrite every generated block (README numbers; credibility.md face-validity and variant tables)
    in place. Returns the files changed."""
    from pathlib import Path

    jobs = [
        (Path(readme), [(HEADLINE_BEGIN, HEADLINE_END, render_headline)]),
        (Path(docs_dir) / "model.md", [(PRESETS_BEGIN, PRESETS_END, render_preset_table)]),
        (Path(docs_dir) / "credibility.md", [(FACE_BEGIN, FACE_END, render_face_table),
                                             (VARIANTS_BEGIN, VARIANTS_END, render_variant_table)]),
    ]
    from ..data.posterior import posterior_record

    if posterior_record() is not None:  # the Bayesian calibration's tables, from its shipped record
        from functools import partial

        from ..calibration import report as cal

        cal_blocks: list[tuple[str, str, Callable[[], str]]] = [
            (*cal.markers(n), partial(cal.render_block, n)) for n, _ in cal.BLOCKS]
        jobs.append((Path(docs_dir) / "credibility.md", cal_blocks))
    changed = []
    for path, blocks in jobs:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new = text
        for begin, end, render in blocks:
            if begin in new:
                new = _replace_block(new, begin, end, render())
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(str(path))
    return changed
