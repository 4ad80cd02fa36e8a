"""Self-contained HTML report of a virtual trial: inline CSS, plots as inline base64 PNG, no network.

Sections (each a ``<section id=…>`` so tests and readers can find them): ``model`` (which model variant
and parameter set produced the result, :mod:`.provenance`), ``summary``, ``design``
(diagram of the sequences and phases), ``trajectories`` (pain by arm/sequence with 10–90% bands),
``waterfall`` (per-patient primary endpoint), ``mechanism`` (model states), ``comparison`` (simulated
beside published), ``uncertainty`` (between-trial spread, the TLR4 IC50's posterior median and
credible interval, "What each hypothesis predicts for this design": point-value runs of several model
variants, and the superseded maximum-likelihood record collapsed), ``posterior`` (only with a
posterior-predictive run: predictive intervals, published vs predicted, the Bayesian calibration and its
PSIS-LOO comparison),
``parameters`` (table with sources) and ``disclaimer``.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import replace
from typing import Any

import numpy as np

from .. import DISCLAIMER
from .results import TrialResult

__all__ = ["render_report", "write_report", "SECTIONS"]

SECTIONS = (
    "model",
    "summary",
    "design",
    "trajectories",
    "waterfall",
    "mechanism",
    "comparison",
    "uncertainty",
    "parameters",
    "disclaimer",
)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1b1f24;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #e3e6ea;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #d0d5db;padding:.3em .6em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td{max-width:32em}th{background:#f3f5f7}.ok{color:#0a7a2f;font-weight:600}
.bad{color:#b3261e;font-weight:600}.muted{color:#5b6570;font-size:.9em}img{max-width:100%;height:auto}
.disclaimer{background:#fff6e0;border:1px solid #f0c36d;padding:.8em;border-radius:6px}
code{background:#f3f5f7;padding:0 .25em;border-radius:3px}
"""


def _fig_to_img(fig, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


_COLORS = {"placebo": "#7f8c8d", None: "#ffffff"}
_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#bcbd22"]


def _trt_color(name: str | None, order: list[str]) -> str:
    if name is None:
        return "#eeeeee"
    if "placebo" in name.lower():
        return "#9aa5ad"
    i = order.index(name) if name in order else 0
    return _PALETTE[i % len(_PALETTE)]


def _design_diagram(res: TrialResult) -> str:
    plt = _plt()
    d = res.design
    order = d.treatment_names()
    seqs = d.sequences
    fig, ax = plt.subplots(figsize=(9, 0.7 + 0.55 * len(seqs)))
    for i, s in enumerate(seqs):
        x = 0.0
        for p in s.phases:
            ax.barh(i, p.weeks, left=x, color=_trt_color(p.treatment, order), edgecolor="#333", height=0.6)
            label = p.name if p.treatment is None else (d.treatments[p.treatment].label or p.treatment)
            ax.text(x + p.weeks / 2, i, f"{label}\n{p.weeks:g} wk", ha="center", va="center", fontsize=8)
            x += p.weeks
    ax.set_yticks(range(len(seqs)), [s.name for s in seqs])
    ax.set_xlabel("weeks from start of baseline")
    ax.invert_yaxis()
    ax.set_title(
        f"{d.type} design, {d.blinding}-blind" if d.blinding != "open" else f"{d.type} design, open label"
    )
    return _fig_to_img(fig, "design diagram")


def _trajectories(res: TrialResult) -> str:
    plt = _plt()
    d = res.design
    fig, ax = plt.subplots(figsize=(9, 4))
    for i, (g, tr) in enumerate(res.trajectories.items()):
        c = _PALETTE[i % len(_PALETTE)]
        wk = np.asarray(tr.day) / 7.0
        ax.plot(wk, tr.mean, color=c, label=f"{g} (n={tr.n}) diary mean")
        ax.fill_between(wk, tr.p10, tr.p90, color=c, alpha=0.15, lw=0)
        ax.plot(wk, tr.latent_mean, color=c, ls=":", lw=1)
    if res.trajectories:
        first = next(iter(res.trajectories.values()))
        for ph in first.phases:
            ax.axvline(ph["start"] / 7.0, color="#bbb", lw=0.6)
    ax.set_xlabel("weeks")
    if d.is_disease():
        ax.set_ylabel(_readout_name(d))
        ax.legend(fontsize=8, loc="best")
        ax.set_title(f"{_readout_name(d)} by sequence (true values): mean and 10-90% band")
        return _fig_to_img(fig, "readout trajectories")
    ax.set_ylabel(f"pain (0-{d.scale_max})")
    ax.set_ylim(0, d.scale_max)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(
        "Daily pain by sequence: mean, 10-90% band (shaded), felt pain without rating noise (dotted)"
    )
    return _fig_to_img(fig, "pain trajectories")


def _readout_name(design) -> str:
    """The scale the trajectories of a disease design show (the primary endpoint's reading)."""
    from .disease.runner import primary_reading

    r = primary_reading(design)
    names = {"cdai": "CDAI (points)", "pcdai": "PCDAI (points)", "cdeis": "CDEIS (points)"}
    return names.get(r, f"{r} (points)")


def _endpoint_label(design, name: str) -> str:
    e = design.endpoint(name)
    thr = f" (threshold {e.threshold_points:g})" if e.threshold_points is not None else ""
    meas = f" [{e.measure}]" if e.measure else ""
    return f"{name}: {e.kind}{meas}{thr}"


def _disease_calibration_items(design) -> list[str]:
    """The disease readout's calibrated values with their profile intervals (disease/calibrated.yaml)."""
    from .disease.params import calibrated_record

    rec = calibrated_record().get(design.condition) or {}
    if not rec:
        return ["<li>The readout runs on its shipped starting values: no calibration record "
                "(disease/calibrated.yaml) for this condition.</li>"]
    out = []
    for k, e in rec.items():
        ci = e.get("ci95_profile") or [None, None]
        out.append(f"<li>calibrated {html.escape(k)} = {_fmt(e.get('value'), 4)} "
                   f"(profile 95% interval {_fmt(ci, 3)}; {html.escape(str(e.get('derived', '')))})</li>")
    return out


def _waterfall(res: TrialResult) -> str:
    plt = _plt()
    items = [(t, np.sort(np.asarray(v))[::-1]) for t, v in res.waterfall.items() if len(v)]
    if not items:
        return "<p>No patient completed a treatment phase.</p>"
    fig, axes = plt.subplots(1, len(items), figsize=(4.5 * len(items), 3.4), squeeze=False)
    order = res.design.treatment_names()
    for ax, (t, v) in zip(axes[0], items, strict=True):
        ax.bar(np.arange(v.size), v, color=[_trt_color(t, order) if x < 30 else "#0a7a2f" for x in v])
        ax.axhline(30, color="#0a7a2f", ls="--", lw=0.8)
        ax.axhline(0, color="#333", lw=0.6)
        ax.set_title(f"{t}: % pain reduction per patient")
        ax.set_xlabel("patients (sorted)")
    axes[0][0].set_ylabel("% reduction from baseline")
    return _fig_to_img(fig, "responder waterfall")


def _mechanism(res: TrialResult) -> str:
    plt = _plt()
    if not res.mechanism:
        return "<p class=muted>The model returned no mechanism variables.</p>"
    groups = list(res.mechanism.items())
    names: list[str] = []
    for _, g in groups:
        names += [k for k in g if k != "_w" and k not in names]
    names = names[:12]
    if not names:
        return "<p class=muted>The model returned no mechanism variables.</p>"
    ncol = 4
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.4 * nrow), squeeze=False)
    for k, name in enumerate(names):
        ax = axes[k // ncol][k % ncol]
        for i, (gname, g) in enumerate(groups):
            if name in g:
                v = np.asarray(g[name])
                ax.plot(np.arange(v.size) / 7.0, v, color=_PALETTE[i % len(_PALETTE)], label=gname, lw=1)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for k in range(len(names), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Model states and occupancies (patient mean, x-axis weeks)", fontsize=10)
    fig.tight_layout()
    return _fig_to_img(fig, "mechanism panel")


def _first_treated(design, seq_name: str) -> tuple[str | None, float]:
    """The first treatment of a sequence and the week its phase ends."""
    seq = next(s for s in design.sequences if s.name == seq_name)
    t = 0.0
    for p in seq.phases:
        t += p.weeks
        if p.treatment is not None:
            return p.treatment, t
    return None, t


def _posterior_figure(post, design) -> str:
    """Visual predictive check: (left) change from baseline by sequence, median and 95% band over
    parameter draws, with the published arm results; (right) the LDN − placebo effect over time."""
    plt = _plt()
    if not post.curves or post.days is None:
        return ""
    wk = np.asarray(post.days) / 7.0
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    pub = design.published or {}
    pub_arms, pub_ci = pub.get("arms") or {}, pub.get("arms_ci95") or {}
    key = "nrs_change_mean"
    order = design.treatment_names()
    for i, (seq, cur) in enumerate(post.curves.items()):
        trt, end_wk = _first_treated(design, seq)
        c = _trt_color(trt, order) if trt else _PALETTE[i % len(_PALETTE)]
        lo, med, hi = np.nanpercentile(cur, [2.5, 50, 97.5], axis=0)
        ax1.fill_between(wk, lo, hi, color=c, alpha=0.2, lw=0)
        ax1.plot(wk, med, color=c, label=f"{seq}: simulated median, 95% band")
        pv = (pub_arms.get(trt) or {}).get(key) if trt else None
        if pv is not None and design.scale_max == 10 and len(design.treatment_names()) == len(post.curves):
            ci = (pub_ci.get(trt) or {}).get(key)
            yerr = None if not ci else [[pv - ci[0]], [ci[1] - pv]]
            ax1.errorbar([end_wk], [pv], yerr=yerr, fmt="o", color=c, mec="black", capsize=4,
                         label=f"{trt}: published (95% CI)")
    ax1.axhline(0, color="#333", lw=0.6)
    ax1.set_xlabel("weeks")
    ax1.set_ylabel(f"change from baseline (0-{design.scale_max})")
    ax1.set_title("Visual predictive check: pain change by arm")
    ax1.legend(fontsize=7, loc="lower left")
    con = next((c for c in design.contrasts if design.endpoint(c.endpoint).kind == "change"),
               design.contrasts[0] if design.contrasts else None)
    if con is not None:
        seq_a = next((q for q in post.curves if _first_treated(design, q)[0] == con.a), None)
        seq_b = next((q for q in post.curves if _first_treated(design, q)[0] == con.b), None)
        if seq_a and seq_b:
            n = min(post.curves[seq_a].shape[1], post.curves[seq_b].shape[1])
            eff = post.curves[seq_a][:, :n] - post.curves[seq_b][:, :n]
            lo, med, hi = np.nanpercentile(eff, [2.5, 50, 97.5], axis=0)
            ax2.fill_between(wk[:n], lo, hi, color="#1f77b4", alpha=0.2, lw=0)
            ax2.plot(wk[:n], med, color="#1f77b4", label=f"simulated {con.a} − {con.b}: median, 95% band")
            _, end_wk = _first_treated(design, seq_a)
            pc = next((p for p in pub.get("contrasts") or [] if p.get("endpoint") == con.endpoint
                       and design.endpoint(con.endpoint).kind == "change"), None)
            if pc is not None and design.scale_max == 10:
                ci = pc.get("ci95")
                yerr = None if not ci else [[pc["difference"] - ci[0]], [ci[1] - pc["difference"]]]
                ax2.errorbar([end_wk], [pc["difference"]], yerr=yerr, fmt="s", color="#b3261e", capsize=4,
                             label="published difference (95% CI)")
            ax2.axhline(0, color="#333", lw=0.6)
            ax2.set_xlabel("weeks")
            ax2.set_ylabel(f"difference in change (0-{design.scale_max})")
            title = "LDN vs placebo effect over time"
            if design.type != "parallel":
                title += " (first period: sequences by first treatment)"
            ax2.set_title(title, fontsize=10)
            ax2.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return _fig_to_img(fig, "visual predictive check")


def _posterior_html(post, design) -> str:
    esc = html.escape

    def pi(p) -> str:
        if p.n == 0:
            return "<td>–</td><td>–</td>"
        lo, hi = p.interval(0.95)
        return f"<td>{_fmt(float(np.median(p.values)), 3)}</td><td>[{_fmt(lo, 3)}, {_fmt(hi, 3)}]</td>"

    rows = [
        f"<tr><td>{esc(a)}</td><td>{esc(k)}</td>{pi(p)}</tr>"
        for a, q in post.arms.items()
        for k, p in q.items()
    ]
    rows += [f"<tr><td>{esc(c['a'])} − {esc(c['b'])}</td><td>{esc(c['endpoint'])} (difference)</td>"
             f"{pi(c['difference'])}</tr>" for c in post.contrasts]
    comp = []
    for r in post.comparison:
        cls = "" if r["within_pi95"] is None else ("ok" if r["within_pi95"] else "bad")
        comp.append(f"<tr><td>{esc(r['quantity'])}</td><td>{_fmt(r['published'], 3)}</td>"
                    f"<td>{_fmt(r.get('median'), 3)}</td><td>{_fmt(r['pi95'], 3)}</td>"
                    f"<td>{_fmt(r['predictive_percentile'], 2)}</td>"
                    f"<td class='{cls}'>{_fmt(r['within_pi95'])}</td></tr>")
    out = [
        '<section id="posterior"><h2>Posterior-predictive check</h2>',
        f"<p>{post.draws} parameter draws × {post.replicates_per_draw} trials of this design each "
        f"({post.draws * post.replicates_per_draw} predicted trials). Draws: {esc(post.kind)}. A predictive "
        "interval says what a new trial of this design would report: parameter uncertainty plus "
        "trial-to-trial sampling.</p>",
        _posterior_figure(post, design),
        "<table><tr><th>arm / contrast</th><th>quantity</th><th>predictive median</th><th>95% predictive "
        "interval</th></tr>" + "".join(rows) + "</table>",
    ]
    if comp:
        out.append("<p>Published result against the predictive distribution:</p><table><tr><th>quantity</th>"
                   "<th>published</th><th>predictive median</th><th>95% PI</th><th>predictive percentile</th>"
                   "<th>inside</th></tr>" + "".join(comp) + "</table>")
    out.append(_bayes_calibration_html(design))
    out.append("</section>")
    return "".join(out)


def _bayes_calibration_html(design) -> str:
    """The shipped Bayesian calibration in brief (system/posterior.yaml): which trials it used, whether this
    design is one of them, and the PSIS-LOO comparison of the model variants (a mechanism variant, or
    ``mechanism/occupancy`` for one calibrated with a non-default occupancy). Empty without a record."""
    from ..data.posterior import posterior_record

    rec = posterior_record()
    if not rec:
        return ""
    esc = html.escape
    studies = [s["study"] for s in rec.get("studies", [])]
    where = ("one of them (an in-sample check)" if design.name in studies
             else "NOT one of them (an out-of-sample prediction)")
    vrec = rec.get("variants", {})
    default_occ = str(meta_occ) if (meta_occ := rec.get("meta", {}).get("occupancy_variant")) else "default"
    rows = "".join(
        f"<tr><td>{esc(str(vrec.get(r['variant'], {}).get('mechanism', r['variant'])))}</td>"
        f"<td>{esc(str(vrec.get(r['variant'], {}).get('occupancy', default_occ)))}</td>"
        f"<td>{_fmt(r['elpd_loo'], 3)} ({_fmt(r['se'], 3)})</td>"
        f"<td>{_fmt(r['elpd_diff'], 3)} ({_fmt(r['dse'], 3)})</td></tr>"
        for r in rec.get("comparison", [])
    )
    meta = rec.get("meta", {})
    fit_rows = "".join(
        f"<tr><td>{esc(v)}</td><td><code>{esc(f['quantity'])}</code></td>"
        f"<td>{_fmt(f['published'], 3)} ({_fmt(f['se'], 2)})</td>"
        f"<td>{_fmt(f['posterior_median'], 3)} [{_fmt(f['posterior_ci95'][0], 3)}, "
        f"{_fmt(f['posterior_ci95'][1], 3)}]</td></tr>"
        for v, vr in vrec.items() for f in vr.get("fit", []) if f.get("study") == design.name
    )
    fit_html = (
        "<p>Fit of this trial's published summaries (posterior of the simulated expected value):</p>"
        "<table><tr><th>variant</th><th>quantity</th><th>published (SE)</th><th>posterior median [95%]</th>"
        "</tr>" + fit_rows + "</table>"
    ) if fit_rows else ""
    return (
        "<h3>Bayesian calibration behind these draws</h3>"
        f"<p>Calibration trials: {esc(', '.join(studies))}. This design is "
        f"{where}. "
        f"Run: <code>{esc(str(meta.get('command', '')))}</code>, commit {esc(str(meta.get('commit', '')))}, "
        f"{esc(str(meta.get('date', '')))}; diagnostics and figures: docs/credibility.md.</p>"
        "<table><tr><th>mechanism variant</th><th>occupancy variant</th><th>elpd_loo (SE)</th>"
        "<th>difference to best (SE)</th></tr>"
        + rows + "</table>"
        + fit_html
        + _calibration_fit_figure(rec)
    )


def _calibration_fit_figure(rec: dict) -> str:
    """Every calibration summary: published value ± 1.96 SE against each variant's posterior median and
    95 % interval of the simulated expected value (system/posterior.yaml ``fit``)."""
    vrec = rec.get("variants") or {}
    names = [v for v in vrec if vrec[v].get("fit")]
    if not names:
        return ""
    keys = [(f["study"], f["quantity"]) for f in vrec[names[0]]["fit"]]
    plt = _plt()
    fig, axes = plt.subplots(1, len(keys), figsize=(min(2.0 * len(keys), 16), 3.6), squeeze=False)
    for ax, (study, quantity) in zip(axes[0], keys, strict=True):
        pub = next(f for f in vrec[names[0]]["fit"] if (f["study"], f["quantity"]) == (study, quantity))
        ax.errorbar([-1], [pub["published"]], yerr=[[1.96 * pub["se"]], [1.96 * pub["se"]]], fmt="s",
                    color="black", capsize=3)
        for i, v in enumerate(names):
            f = next((f for f in vrec[v]["fit"] if (f["study"], f["quantity"]) == (study, quantity)), None)
            if f is None:
                continue
            lo, hi = f["posterior_ci95"]
            med = f["posterior_median"]
            ax.errorbar([i], [med], yerr=[[med - lo], [hi - med]], fmt="o", color=_PALETTE[i % len(_PALETTE)],
                        capsize=2, ms=4)
        ax.set_xticks([-1, *range(len(names))])
        ax.set_xticklabels(["published", *names], rotation=90, fontsize=6)
        ax.set_title(f"{study}\n{quantity}", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle("Calibration fit: published ± 1.96 SE (black) vs posterior median and 95% interval per "
                 "variant", fontsize=9)
    fig.tight_layout()
    return _fig_to_img(fig, "calibration fit of every variant")


def _ic50_item(res: TrialResult) -> str:
    """The Uncertainty bullet on the TLR4 IC50: the shipped value is the posterior median of the Bayesian
    calibration, with its 95 % credible interval from the record (system/posterior.yaml), and the run's own
    value where the run's variant differs."""
    from ..data.parameter_set import DEFAULT_VARIANT, posterior_key
    from ..data.posterior import posterior_record
    from .provenance import _nm, model_info

    esc = html.escape
    shipped = model_info(DEFAULT_VARIANT)
    rec = posterior_record() or {}
    vrec = (rec.get("variants") or {}).get(posterior_key(DEFAULT_VARIANT)) or {}
    q = (vrec.get("diagnostics") or {}).get("log10_tlr4_ic50_nM")
    if shipped.tlr4_ic50_nM is None or not q:
        return ("<li>TLR4 IC50 of naltrexone is the key unknown of the model; no Bayesian calibration record "
                "(system/posterior.yaml) states its interval.</li>")
    lo, hi = 10.0 ** float(q["q2.5"]), 10.0 ** float(q["q97.5"])
    meta = rec.get("meta") or {}
    txt = (
        "TLR4 IC50 of naltrexone, the key unknown of the model: the shipped value, "
        f"{_nm(shipped.tlr4_ic50_nM)} nM, is the posterior median of the Bayesian calibration under the "
        "in-vitro prior (95% credible "
        f"interval {_nm(lo)}–{_nm(hi)} nM; system/posterior.yaml, {esc(str(meta.get('date', '')))})."
    )
    conflict = vrec.get("conflict") or {}
    dci = conflict.get("data_only_ci95_log10_nM")
    if dci:
        dlo, dhi = 10.0 ** float(dci[0]), 10.0 ** float(dci[1])
        txt += f" The calibration trials alone allow {_nm(dlo)}–{_nm(dhi)} nM: they do not pin it down."
    txt += (" At LDN concentrations an IC50 in the µM range leaves almost no glial block, so the shipped "
            "model's point values give LDN little drug effect; the sub-nM hypothesis is the variant "
            "<code>full-potent-tlr4</code>.")
    m = res.model
    if m is not None and m.mechanism != DEFAULT_VARIANT:
        if m.tlr4_block_acts and m.tlr4_ic50_nM is not None:
            txt += f" This run's variant <code>{esc(m.variant)}</code> uses {_nm(m.tlr4_ic50_nM)} nM."
        else:
            txt += f" This run's variant <code>{esc(m.variant)}</code> has no glial TLR4 block."
    return f"<li>{txt}</li>"


def _hypotheses_html(tab) -> str:
    """"What each hypothesis predicts for this design": a :class:`~.hypotheses.HypothesisTable` (point-value
    runs of each model variant, same seed and patients) beside the published difference."""
    if tab is None:
        return ""
    from .provenance import _nm

    esc = html.escape
    rows = []
    null = next((r.difference for r in tab.rows if r.variant == "null"), None)
    for r in tab.rows:
        rng = f" [{_fmt(list(r.difference_range), 1)[1:-1]}]" if r.difference_range else ""
        vs_null = (_fmt(r.difference - null, 1) if r.variant != "null" and None not in (r.difference, null)
                   else "–")
        ic50 = f"{_nm(r.tlr4_ic50_nM)} nM" if r.tlr4_ic50_nM is not None else "no glial block"
        loo = (f"{_fmt(r.elpd_diff, 2)} ({_fmt(r.dse, 2)})" if r.elpd_diff is not None
               else "not compared")
        rows.append(
            f"<tr><td><code>{esc(r.variant)}</code></td><td>{esc(r.what)}</td><td>{ic50}</td>"
            f"<td>{_fmt(r.difference, 1)}{rng}</td><td>{vs_null}</td><td>{loo}</td></tr>"
        )
    pub = _fmt(tab.published, 1) if tab.published is not None else "not published"
    if tab.published_ci95:
        pub += f" (95% CI {_fmt(list(tab.published_ci95), 1)})"
    return (
        '<h3 id="hypotheses">What each hypothesis predicts for this design</h3>'
        f"<p>Point-value runs of each hypothesis (each model variant at its own shipped values, no parameter "
        f"uncertainty): {tab.replicates} replicate trials of {tab.patients} patients each, the same seed "
        f"({esc(str(tab.seed))}) and so the same virtual patients for every row. The published "
        f"{esc(tab.a)} − {esc(tab.b)} difference in mean % pain reduction is <strong>{pub}</strong> "
        "percentage points.</p>"
        f"<table><tr><th>hypothesis</th><th>what acts</th><th>TLR4 IC50</th><th>{esc(tab.a)} − {esc(tab.b)} "
        "% reduction, mean over trials [range]</th><th>minus <code>null</code> (the drug's part, same "
        "patients)</th><th>PSIS-LOO elpd difference to best (SE)</th></tr>"
        + "".join(rows) + "</table>"
        "<p class=muted>With a few small trials per row each difference carries trial-to-trial noise of "
        "several points (the range column), the same for every row since the patients are the same: the "
        "column minus <code>null</code> is the drug's part under each hypothesis. Read the rows as what each "
        "hypothesis predicts, not as a fit. The PSIS-LOO comparison of the Bayesian calibration "
        "(system/posterior.yaml) distinguishes none of them, <code>null</code> included; "
        "<code>full-potent-tlr4</code> was not part of it (it is <code>full</code> without the in-vitro "
        "prior on the IC50).</p>"
    )


def _fmt(x: Any, nd: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float | np.floating):
        return f"{x:.{nd}f}"
    if isinstance(x, list | tuple):
        return "[" + ", ".join(_fmt(v, nd) for v in x) + "]"
    return html.escape(str(x))


def _parameter_rows(design=None) -> list[dict]:
    from ..data import data_path
    from ..data.provenance import parameter_rows

    rows = []
    if design is not None and design.is_disease():  # the disease readout and its calibration record
        for rel in (f"disease/{design.condition}.yaml", "disease/calibrated.yaml"):
            path = data_path(rel)
            if path.exists():
                own = rel.endswith(f"{design.condition}.yaml")
                rows += [{"file": rel, **r} for r in parameter_rows(path)
                         if own or r["name"].startswith(design.condition)]
        return rows
    for rel in ("system/variants.yaml", "trials/realism.yaml", "population.yaml"):
        path = data_path(rel)
        if path.exists():
            for r in parameter_rows(path):
                rows.append({"file": rel, **r})
    sys_path = data_path("system/parameters.yaml")
    if sys_path.exists():
        keep = ("k_Sd", "tlr4_ic50_nM", "Z50", "h_pain", "alpha_R", "alpha_E", "k_S")
        for r in parameter_rows(sys_path):
            if r["name"].split(".")[-1] in keep:
                rows.append({"file": "system/parameters.yaml", **r})
    return rows


def _calibration_html() -> str:
    """Calibration fit (full vs μ-only), IC50 profile likelihood plot and Sobol indices, if calibrated."""
    from ..data import data_path, load_yaml

    if not data_path("trials/calibrated.yaml").exists():
        return "<p class=muted>Not calibrated yet (ldnsim/data/trials/calibrated.yaml missing).</p>"
    cal = load_yaml("trials/calibrated.yaml")  # the calibration record (fit, profile, Sobol indices)
    when = html.escape(str((cal.get("meta") or {}).get("date", "an earlier date")))
    out = [
        f"<details id=superseded-ml-fit><summary>Superseded: the maximum-likelihood fit of {when} (its TLR4 "
        "IC50 is now the variant <code>full-potent-tlr4</code>)</summary>",
        f"<p class=muted>Maximum-likelihood record of {when} (trials/calibrated.yaml), kept as the record of "
        "the superseded fit: measured on the model of that date, before the 2026-12-06 occupancy refit, and "
        "without the in-vitro prior on the TLR4 IC50. The Bayesian calibration supersedes it: its posterior "
        "medians are the shipped values and its draws are what the posterior predictive uses.</p>",
    ]
    fit = cal.get("fit") or {}
    if fit:
        rows = []
        for variant in ("full", "mu_only"):
            f = fit.get(variant) or {}
            rows.append(
                f"<tr><td>{variant.replace('_', '-')}</td><td>{_fmt(f.get('chi2'), 2)}</td>"
                f"<td>{f.get('n_targets', '–')}</td><td>{f.get('n_params', '–')}</td></tr>"
            )
        out.append(
            "<p>Calibration fit to the published summaries (χ² = −2 log L + const; lower is better):</p>"
            "<table><tr><th>model variant</th><th>χ²</th><th>targets</th><th>parameters</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        trow = []
        for r in (fit.get("full") or {}).get("targets", []):
            trow.append(
                f"<tr><td>{html.escape(str(r['preset']))}</td><td>{html.escape(str(r['quantity']))}</td>"
                f"<td>{_fmt(r.get('published'), 3)}</td><td>{_fmt(r.get('simulated'), 3)}</td>"
                f"<td>{_fmt(r.get('z'), 2)}</td></tr>"
            )
        if trow:
            out.append(
                "<table><tr><th>trial</th><th>quantity</th><th>published</th><th>calibrated model</th>"
                "<th>z</th></tr>" + "".join(trow) + "</table>"
            )
    prof = (cal.get("profile") or {}).get("tlr4_ic50_nM")
    if prof:
        plt = _plt()
        fig, ax = plt.subplots(figsize=(5, 3))
        xs = [r["value"] for r in prof]
        ys = [r["chi2"] for r in prof]
        ax.semilogx(xs, ys, "o-")
        best = min(ys)
        ax.axhline(best + 3.84, color="#b3261e", ls="--", lw=0.8, label="95% (Δχ² = 3.84)")
        ax.set_xlabel("TLR4 IC50 of naltrexone (nM)")
        ax.set_ylabel("profile χ²")
        ax.legend(fontsize=8)
        out.append(
            "<p>Profile likelihood of the TLR4 IC50 (other parameters refitted):</p>"
            + _fig_to_img(fig, "IC50 profile likelihood")
        )
    sens = cal.get("sensitivity")
    if sens:
        names = sens.get("parameters", [])
        rows = []
        for ep, si in (sens.get("endpoints") or {}).items():
            cells = "".join(
                f"<td>{_fmt(a, 2)} ± {_fmt(b, 2)}</td>" for a, b in zip(si["ST"], si["ST_conf"], strict=False)
            )
            rows.append(f"<tr><td>{html.escape(ep)}</td>{cells}</tr>")
        head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        out.append(
            f"<p>Global sensitivity (total Sobol index ± 95% CI half-width; {html.escape(sens['method'])}):"
            f"</p><table><tr><th>endpoint</th>{head}</tr>" + "".join(rows) + "</table>"
        )
    out.append("</details>")
    return "".join(out)


def _model_html(res: TrialResult, post=None) -> str:
    """The Model section: one plain-language line per field of the result's model block (with the
    posterior-predictive run's draws and the TLR4 IC50 over them when there is one)."""
    esc = html.escape
    if res.model is None:
        return ('<section id="model"><h2>Model</h2><p class=muted>Not recorded: this result was built '
                "without its model block.</p></section>")
    model = res.model
    pm = getattr(post, "model", None)
    if pm is not None:  # the posterior-predictive run's draws, and the IC50 over them
        model = replace(model, draws=pm.draws, tlr4_ic50_draws=pm.tlr4_ic50_draws)
    lines = model.lines()
    items = "".join(f"<li><strong>{esc(k)}:</strong> {esc(v)}</li>" for k, v in lines)
    cls = "" if res.model.shipped_default else ' class="disclaimer"'
    return f'<section id="model"><h2>Model</h2><ul{cls}>{items}</ul></section>'


def render_report(res: TrialResult, extra: dict | None = None) -> str:
    """The report as one HTML string, rendered from the typed result. ``extra`` may carry ``hypotheses``
    (a :class:`~.hypotheses.HypothesisTable`: point-value runs of each model hypothesis), ``posterior`` (a
    posterior-predictive result) and ``calibration`` (extra Uncertainty lines, name -> value)."""
    d = res.design
    run = res.run
    extra = extra or {}
    parts: list[str] = []
    esc = html.escape
    parts.append(f"<h1>Virtual trial: {esc(d.title or d.name)}</h1>")
    parts.append(
        f"<p class=muted>ldnsim virtual trial report · preset/design <code>{esc(d.name)}</code> · "
        f"{run.patients} patients × {run.replicates} replicate trials · "
        f"seed {esc(str(run.seed))} · model variant {esc(run.variant)}</p>"
    )
    parts.append(
        f'<p class="disclaimer"><strong>{esc(DISCLAIMER)}</strong> Simulated patients, not real ones.</p>'
    )
    parts.append(_model_html(res, extra.get("posterior")))

    # summary
    rows = []
    disease = d.is_disease()
    ep_names = [e.name for e in d.endpoints if e.kind not in ("cohens_d", "cohens_dz")]
    for name, a in res.arms.items():
        if disease:  # every endpoint of the condition (CDAI-70, remission, endoscopic, QoL) on its own scale
            cells = "".join(f"<td>{_fmt(a.endpoints.get(k), 3)}</td>" for k in ep_names)
            rows.append(f"<tr><td>{esc(a.label or name)}</td><td>{a.n}</td>{cells}</tr>")
            continue
        rows.append(
            f"<tr><td>{esc(a.label or name)}</td><td>{a.n}</td><td>{_fmt(a.pct_reduction_mean, 1)}"
            f"</td><td>{_fmt(a.nrs_change_mean)}</td><td>{_fmt(a.responder_rate)}</td></tr>"
        )
    con = []
    for c in res.contrasts:
        mm = c.mixed_model
        mm_txt = f"{_fmt(mm.difference, 1)} {_fmt(mm.ci95, 1)}, p={_fmt(mm.p_value, 4)}" if mm else "–"
        con.append(
            f"<tr><td>{esc(c.a)} − {esc(c.b)}</td><td>{esc(c.endpoint)}</td><td>"
            f"{_fmt(c.difference, 3)}</td><td>{_fmt(c.ci95, 3)}</td><td>{_fmt(c.p_value, 4)}</td>"
            f"<td>{esc(c.test)}</td><td>{mm_txt}</td></tr>"
        )
    rep = res.replicates
    df = res.dose_finding
    parts.append('<section id="summary"><h2>Summary</h2>')
    if disease:
        heads = "".join(f"<th>{esc(_endpoint_label(d, k))}</th>" for k in ep_names)
        parts.append(
            "<table><tr><th>arm</th><th>n analysed (trial 1)</th>" + heads + "</tr>" + "".join(rows)
            + "</table><p class=muted>Means over replicate trials: proportions for response/remission "
            "endpoints, points for changes and scores.</p>"
        )
    else:
        parts.append(
            "<table><tr><th>arm / dose</th><th>n analysed (trial 1)</th><th>% pain reduction (mean over "
            "trials)</th><th>NRS change</th><th>responder rate</th></tr>" + "".join(rows) + "</table>"
        )
    if con:
        parts.append(
            "<p>Contrasts in the first virtual trial:</p><table><tr><th>contrast</th><th>endpoint</th>"
            "<th>difference</th><th>95% CI</th><th>p</th><th>test</th><th>mixed model</th></tr>"
            + "".join(con)
            + "</table>"
        )
    if df:
        parts.append(
            f"<p>Dose finding: ED50 median over trials <strong>{_fmt(df.ed50_mg_median)} mg</strong> "
            f"(2.5–97.5% over trials {_fmt(df.ed50_mg_ci95_over_trials)}); ED95 median "
            f"{_fmt(df.ed95_mg_median)} mg; responders per trial {_fmt(df.responders_mean, 1)} of "
            f"{_fmt(df.analysed_mean, 1)}. Population ED50 (every patient at every dose): "
            f"{_fmt(df.ed50_mg_population) + ' mg' if df.ed50_identifiable else esc(df.ed50_note or '')}.</p>"
        )
        dr = df.dose_response
        if dr:
            cells = "".join(f"<td>{_fmt(v)}</td>" for v in dr.values())
            heads = "".join(f"<th>{html.escape(k)}</th>" for k in dr)
            parts.append(
                "<p>Response rate of every simulated patient at every dose after 2 weeks (the curve the "
                "up-and-down design samples). When it is flat, the design's ED50 mostly reflects where about "
                "half of the patients report improvement, not a dose effect; read the ED50 with its spread "
                f"over trials.</p><table><tr>{heads}</tr><tr>{cells}</tr></table>"
            )
    parts.append(
        f"<p>Over {rep.n} replicate trials: power {_fmt(rep.power)}, primary estimate "
        f"2.5–97.5% range {_fmt(rep.difference_ci95)}.</p>"
    )
    if not disease:
        where = ("the Posterior-predictive check below" if extra.get("posterior") is not None
                 else "<code>ldnsim trial --posterior</code>")
        parts.append(
            f"<p class=muted>These numbers are a point-value run of variant <code>{esc(run.variant)}</code>: "
            "one parameter set, trial-to-trial sampling only. The calibration does not single out one model "
            "or one TLR4 IC50; what a new trial of this design would report over the parameter uncertainty "
            f"is in {where}, and what each hypothesis predicts is under Uncertainty.</p>"
        )
    parts.append("</section>")

    parts.append('<section id="design"><h2>Design</h2>' + _design_diagram(res))
    trt = "".join(
        f"<li><code>{esc(k)}</code>: {esc(v.regimen or 'placebo')}</li>" for k, v in d.treatments.items()
    )
    parts.append(
        f"<ul>{trt}</ul><p>Type {esc(d.type)}, blinding {esc(d.blinding)}, randomized {d.randomized}, "
        f"diary scale 0–{d.scale_max}, primary endpoint <code>{esc(d.primary)}</code>. "
        f"{esc(d.notes)}</p></section>"
    )
    if disease:
        parts.append(
            f'<section id="trajectories"><h2>{esc(_readout_name(d))} by sequence</h2>' + _trajectories(res)
            + "</section>"
        )
        parts.append(
            '<section id="mechanism"><h2>Mechanism</h2>'
            + _mechanism(res)
            + "<p class=muted>Why the drug works in the model: nightly naltrexone blocks the opioid "
            "growth factor receptor (OGFr) for hours; OGF (met-enkephalin) and OGFr rise in compensation, "
            "the OGF–OGFr signal slows lymphocyte proliferation, and cytokines and tissue inflammation (gut "
            "mucosa, CNS) fall. The "
            "readout turns inflammation into the trial's scores (docs/conditions.md).</p></section>"
        )
    else:
        parts.append(
            '<section id="trajectories"><h2>Pain trajectories by arm</h2>' + _trajectories(res) + "</section>"
        )
        parts.append(
            '<section id="waterfall"><h2>Responder waterfall (trial 1)</h2>' + _waterfall(res) + "</section>"
        )
        parts.append(
            '<section id="mechanism"><h2>Mechanism</h2>'
            + _mechanism(res)
            + "<p class=muted>Why the drug works in the model: glial TLR4 block lowers microglial activation "
            "and cytokines, glutamate and NMDA drive fall, and central sensitisation decays at the slow rate "
            "k_Sd; intermittent μ blockade raises endorphin tone and receptor density.</p></section>"
        )

    comp = res.comparison
    crow = []
    for c in comp:
        cls = "" if c.within is None else ("ok" if c.within else "bad")
        sim = _fmt(c.simulated, 3)
        if c.simulated_ci95:
            sim += f" (trials 2.5–97.5%: {_fmt(c.simulated_ci95, 2)})"
        pubv = _fmt(c.published, 3) + (f" (95% CI {_fmt(c.published_ci95, 2)})" if c.published_ci95 else "")
        tol = f"±{_fmt(c.tolerance, 2)}" if c.tolerance is not None else {
            "difference": "within the trials' range", "ci_width": "×/÷ 1.5"}.get(c.kind, "–")
        crow.append(
            f"<tr><td>{esc(c.quantity)}</td><td>{sim}</td>"
            f"<td>{pubv}</td><td>{tol}</td>"
            f"<td class='{cls}'>{_fmt(c.within)}</td></tr>"
        )
    pub = res.published
    parts.append('<section id="comparison"><h2>Simulated vs published</h2>')
    if comp:
        parts.append(
            "<table><tr><th>quantity</th><th>simulated</th><th>published</th><th>tolerance</th>"
            "<th>within</th></tr>" + "".join(crow) + "</table>"
        )
    else:
        parts.append("<p>No published result attached to this design.</p>")
    if pub.get("citation"):
        parts.append(
            f"<p class=muted>Published: {esc(str(pub['citation']))} ({esc(str(pub.get('url', '')))})</p>"
        )
    parts.append("</section>")

    parts.append('<section id="uncertainty"><h2>Uncertainty</h2>')
    ul = []
    for name, a in res.arms.items():
        sd = a.sd_between_trials.get("pct_reduction")
        if sd is not None:
            ul.append(
                f"<li>{esc(name)}: % reduction varies between replicate trials with SD {_fmt(sd, 1)} "
                "points</li>"
            )
    cal = extra.get("calibration")
    if cal:
        for k, v in cal.items():
            ul.append(f"<li>calibrated {esc(k)}: {esc(str(v))}</li>")
    if disease:
        ul += _disease_calibration_items(d)
        parts.append("<ul>" + "".join(ul) + "</ul>")
    else:
        ul.append(_ic50_item(res))
        parts.append("<ul>" + "".join(ul) + "</ul>")
        if "hypotheses" in extra:  # None: the design has no LDN − placebo % reduction contrast
            parts.append(_hypotheses_html(extra["hypotheses"]))
        else:
            parts.append(
                "<p class=muted>What each hypothesis (<code>null</code>, <code>full</code>, "
                "<code>full-potent-tlr4</code>, <code>mu-rebound</code>) predicts for this design was not "
                "run for this report; <code>ldnsim trial DESIGN --report FILE</code> and "
                "<code>ldnsim demo</code> add it for designs with an LDN − placebo % reduction contrast, "
                "as does the web trial page's \u201cinclude the uncertainty\u201d option.</p>"
            )
        parts.append(_calibration_html())
    parts.append("</section>")

    post = extra.get("posterior")
    if post is not None:
        parts.append(_posterior_html(post, d))

    prow = []
    for r in _parameter_rows(d):
        prow.append(
            f"<tr><td>{esc(r['file'])}</td><td><code>{esc(r['name'])}</code></td>"
            f"<td>{_fmt(r['value'], 4)}</td>"
            f"<td>{esc(str(r['unit']))}</td><td>{'assumed' if r['assumed'] else 'sourced/derived'}</td>"
            f"<td>{esc(r['provenance'])}</td></tr>"
        )
    parts.append(
        '<section id="parameters"><h2>Parameters and sources</h2><table><tr><th>file</th><th>parameter'
        "</th><th>value</th><th>unit</th><th>status</th><th>provenance</th></tr>"
        + "".join(prow)
        + "</table></section>"
    )
    parts.append(
        f'<section id="disclaimer"><h2>Disclaimer</h2><p class="disclaimer">{esc(DISCLAIMER)} '
        "A virtual trial shows what the model, with its stated assumptions, predicts; it is not evidence "
        "that a treatment works.</p></section>"
    )
    data = json.dumps({"summary_keys": sorted(res.to_json())}, allow_nan=False)
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>ldnsim · {esc(d.name)}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n<script type=application/json id=ldnsim-meta>{data}"
        "</script></body></html>\n"
    )


def write_report(res: TrialResult, path, extra: dict | None = None) -> str:
    from pathlib import Path

    from .._io import atomic_write_text, check_output_path

    p = check_output_path(Path(path), "report", (".html", ".htm"))  # never creates folders
    atomic_write_text(p, render_report(res, extra))  # a killed run never truncates a good report
    return str(p)
