"""Markdown tables of the shipped calibration record (``system/posterior.yaml``) for docs/credibility.md,
rewritten by ``ldnsim docs`` (no model runs: the numbers are the record's)."""

from __future__ import annotations

from typing import Any

from ..data.posterior import posterior_record

__all__ = [
    "BLOCKS",
    "render_diagnostics",
    "render_loo",
    "render_occupancy",
    "render_predictive",
    "render_fit",
    "render_summary",
]


def _f(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{nd}g}"


def _rec() -> dict[str, Any]:
    rec = posterior_record()
    if rec is None:
        raise FileNotFoundError(
            "no shipped posterior (system/posterior.yaml): run `ldnsim calibrate --write`"
        )
    return rec


def render_summary() -> str:
    rec = _rec()
    m = rec["meta"]
    s = m["settings"]
    n_obs = sum(len(st["targets"]) for st in rec["studies"])
    return "\n".join(
        [
            f"- **Run:** `{m['command']}` at commit `{m['commit']}`, {m['date']}, seed {m['seed']}; "
            f"{m['seconds']:.0f} s wall time (measured on the machine that produced the record).",
            f"- **Data:** {n_obs} published summaries of {len(rec['studies'])} trials "
            f"({', '.join(st['study'] for st in rec['studies'])}); not in this "
            "calibration (disease endpoints, calibrated on the immune module): "
            f"{', '.join(x['calibration_id'] for x in rec['not_modelled']) or 'none'}.",
            f"- **Sampler:** NUTS, {s['chains']} chains × {s['samples']} draws after {s['warmup']} warm-up, "
            f"target acceptance {s['target_accept']}; {m['draws_per_variant']} draws per variant shipped "
            f"(`system/posterior.npz`, sha256 `{m['draws_sha256'][:12]}…`).",
            f"- **Emulator:** {s['design_points_per_dim']} simulator runs per input dimension (+2), "
            f"{s['validation_fraction']:.2g}× as many held-out runs for its validation error.",
        ]
    )


def render_diagnostics() -> str:
    rec = _rec()
    lines = [
        "| variant | parameter | median | 95% CrI | R-hat | bulk ESS | tail ESS |",
        "|---|---|---|---|---|---|---|",
    ]
    for v, f in rec["variants"].items():
        for n, d in f["diagnostics"].items():
            lines.append(
                f"| `{v}` | `{n}` | {_f(d['q50'])} | [{_f(d['q2.5'])}, {_f(d['q97.5'])}] | "
                f"{d['r_hat']:.3f} | {d['ess_bulk']:.0f} | {d['ess_tail']:.0f} |"
            )
    div = ", ".join(f"`{v}` {f['divergences']}" for v, f in rec["variants"].items())
    lines += ["", f"Divergent transitions: {div}."]
    return "\n".join(lines)


def render_loo() -> str:
    rec = _rec()
    lines = [
        "| variant | elpd_loo (SE) | p_loo | elpd difference to best (SE of difference) | max Pareto k | "
        "k > 0.7 |",
        "|---|---|---|---|---|---|",
    ]
    for r in rec["comparison"]:
        loo = rec["variants"][r["variant"]]["loo"]
        lines.append(
            f"| `{r['variant']}` | {r['elpd_loo']:.2f} ({r['se']:.2f}) | {r['p_loo']:.2f} | "
            f"{r['elpd_diff']:.2f} ({r['dse']:.2f}) | {loo['pareto_k_max']:.2f} | {loo['n_k_over_0.7']} |"
        )
    return "\n".join(lines)


def render_fit() -> str:
    rec = _rec()
    vs = list(rec["variants"])
    lines = [
        "| study | quantity | published (SE) | "
        + " | ".join(f"`{v}` posterior median [95%]" for v in vs)
        + " |",
        "|---|---|---|" + "---|" * len(vs),
    ]
    rows = rec["variants"][vs[0]]["fit"]
    for i, r in enumerate(rows):
        cells = []
        for v in vs:
            q = rec["variants"][v]["fit"][i]
            cells.append(
                f"{_f(q['posterior_median'])} [{_f(q['posterior_ci95'][0])}, {_f(q['posterior_ci95'][1])}]"
            )
        lines.append(
            f"| {r['study']} | `{r['quantity']}` | {_f(r['published'])} ({_f(r['se'])}) | "
            + " | ".join(cells)
            + " |"
        )
    emu = []
    for v in vs:
        worst = max(rec["variants"][v]["emulator"], key=lambda e: e["rmse_over_se"])
        emu.append(f"`{v}` {worst['rmse_over_se']:.2f} ({worst['study']} `{worst['quantity']}`)")
    lines += [
        "",
        "Emulator validation (held-out simulator runs), largest RMSE / published SE per variant: "
        + "; ".join(emu)
        + ". The RMSE is added to each target's variance in the likelihood.",
    ]
    return "\n".join(lines)


def render_conflict() -> str:
    rec = _rec()
    out = []
    for v, f in rec["variants"].items():
        c = f.get("conflict")
        if not c:
            continue
        out.append(
            f"- `{v}`: in-vitro prior median 10^{c['prior_median_log10_nM']:.2f} nM; data-only posterior "
            f"(flat prior over 10^-3–10^5 nM) median 10^{c['data_only_median_log10_nM']:.2f} nM, 95% "
            f"[10^{c['data_only_ci95_log10_nM'][0]:.2f}, 10^{c['data_only_ci95_log10_nM'][1]:.2f}]; "
            f"posterior "
            f"with the in-vitro prior 10^{c['posterior_median_log10_nM']:.2f} nM, 95% "
            f"[10^{c['posterior_ci95_log10_nM'][0]:.2f}, 10^{c['posterior_ci95_log10_nM'][1]:.2f}]; "
            f"conflict p = {c['p_conflict']:.2f}."
        )
    return "\n".join(out) or "- no variant samples the TLR4 IC50 in this record."


def render_occupancy() -> str:
    """The occupancy hypotheses compared by the evidence: per mechanism calibrated with both, the paired
    PSIS-LOO elpd difference (non-default minus default occupancy) and its SE."""
    rec = _rec()
    rows = rec.get("occupancy_comparison") or []
    default = rec["meta"].get("occupancy_variant", "the default occupancy")
    if not rows:
        return (
            f"- no occupancy variant other than the default (`{default}`) was calibrated in this "
            "record: every variant above is calibrated with it, and `ParameterSet.draws` for "
            "`mechanism/parent-transient` is APPROXIMATE (no posterior)."
        )
    lines = [
        "| mechanism | occupancy | elpd_loo difference to the same mechanism with the default "
        "occupancy (SE of the paired difference) | rank (default's rank) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['mechanism']}` | `{r['occupancy']}` vs `{r['default_occupancy']}` | "
            f"{r['elpd_diff']:.2f} ({r['dse']:.2f}) | {_f(r.get('rank'))} ({_f(r.get('rank_default'))}) |"
        )
    lines += [
        "",
        "Positive: the calibration trials favour the non-default occupancy for that mechanism. A "
        "difference within about 2 SE does not separate the hypotheses. An occupancy variant's "
        "posterior ships as draws only (`ParameterSet.draws`); its point values are its mechanism's "
        "(`--apply-medians` writes none).",
    ]
    return "\n".join(lines)


def render_predictive() -> str:
    rec = _rec()
    lines = [
        "| trial | variant | quantity | published (95% CI) | predictive median | 95% predictive interval | "
        "inside | informative |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rec["predictive"]:
        ci = r.get("published_ci95")
        pub = f"{_f(r['published'])}" + (f" ({_f(ci[0])}, {_f(ci[1])})" if ci else "")
        lo, hi = r["pi95"]
        lines.append(
            f"| {r['design']} | `{r['variant']}` | `{r['quantity']}` | {pub} | {_f(r['median'])} | "
            f"[{_f(lo)}, {_f(hi)}] | {_f(r['within_pi95'])} | {_f(r['informative'])} |"
        )
    return "\n".join(lines)


#: (name, renderer): each fills ``<!-- BEGIN generated calibration NAME (ldnsim docs) -->`` … ``END``
BLOCKS = (
    ("summary", render_summary),
    ("fit", render_fit),
    ("diagnostics", render_diagnostics),
    ("conflict", render_conflict),
    ("loo", render_loo),
    ("occupancy", render_occupancy),
    ("predictive", render_predictive),
)


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- BEGIN generated calibration {name} (ldnsim docs) -->",
        f"<!-- END generated calibration {name} -->",
    )


def render_block(name: str) -> str:
    begin, end = markers(name)
    body = dict(BLOCKS)[name]()
    return f"{begin}\n\n{body}\n\n{end}"
