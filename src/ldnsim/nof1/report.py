"""The one-page N-of-1 report: diary with fitted course and band, the decision, the caveats (HTML and PDF).

The figure is drawn with matplotlib (Agg); the PDF is matplotlib's PDF backend (one A4 page), the HTML embeds
the same figure as PNG. Every report carries the disclaimer.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from .. import DISCLAIMER
from ..errors import InputError
from .analysis import Fit
from .patient import Series

__all__ = ["figure", "write_report"]


def figure(doc: dict, f: Fit, s: Series, *, page: bool = False):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.27, 11.69) if page else (9, 5.5))
    top = 0.62 if page else 0.95
    ax = fig.add_axes((0.1, top - (0.30 if page else 0.52), 0.85, 0.30 if page else 0.52))
    ax2 = fig.add_axes((0.1, top - (0.47 if page else 0.85), 0.85, 0.13 if page else 0.2), sharex=ax)
    x = s.dates
    band = f.fitted_band()
    eff = f.effect_band()
    for a in (ax, ax2):
        on = s.on_ldn > 0
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
        for i, (b0, b1) in enumerate(zip(edges[::2], edges[1::2], strict=True)):
            a.axvspan(
                x[b0],
                x[min(b1, len(x) - 1)],
                color="tab:green",
                alpha=0.08,
                label="on LDN" if (i == 0 and a is ax) else None,
            )
    ax.plot(x, s.y, "o", ms=3, color="0.3", label="daily pain (diary)")
    ax.fill_between(x, band[0], band[2], color="tab:blue", alpha=0.25, label="fitted course, 90% band")
    ax.plot(x, band[1], color="tab:blue", lw=1.5)
    ax.set_ylim(0, 10)
    ax.set_ylabel("pain (0-10 NRS)")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Patient {doc['patient_id']}: is LDN working? ({doc['design']})", fontsize=11)
    ax2.fill_between(x, eff[0], eff[2], color="tab:green", alpha=0.3)
    ax2.plot(x, eff[1], color="tab:green")
    ax2.axhline(0, color="0.5", lw=0.8)
    ax2.set_ylabel("LDN effect\n(NRS, less pain)")
    fig.autofmt_xdate()
    if page:
        fig.text(0.1, 0.97, "ldnsim N-of-1 report", fontsize=14, weight="bold", va="top")
        import textwrap

        y = 0.945
        for line in _lines(doc):
            for part in textwrap.wrap(line, 115):
                fig.text(0.1, y, part, fontsize=8.5, va="top")
                y -= 0.015
        short = "; ".join(src["cite"].split(" (")[0] for src in doc.get("method_sources", []))
        for part in textwrap.wrap(f"Method sources: {short}", 150) if short else []:
            fig.text(0.1, y, part, fontsize=6.5, va="top", color="0.3")
            y -= 0.011
        fig.text(0.1, 0.115, "Caveats:", fontsize=9, weight="bold")
        yy = 0.10
        for c in doc["caveats"]:
            for k, part in enumerate(textwrap.wrap(c, 130)):
                fig.text(0.1, yy, ("• " if k == 0 else "  ") + part, fontsize=7.5, va="top")
                yy -= 0.013
        fig.text(0.1, 0.012, DISCLAIMER, fontsize=9, weight="bold")
    return fig


def _lines(doc: dict) -> list[str]:
    b, pct = doc["benefit_nrs"], doc["benefit_percent"]
    out = [
        f"Decision: {doc['decision'].upper()}   (rule: {doc['decision_rule']})",
        f"Benefit of LDN beyond placebo (steady state): {b['median']:.1f} NRS points "
        f"(90% CrI {b['lo']:.1f} to {b['hi']:.1f}); {pct['median']:.0f}% of the untreated level "
        f"({pct['lo']:.0f}% to {pct['hi']:.0f}%)",
        f"P(any benefit) = {doc['p_any_benefit']:.0%};  "
        f"P(benefit >= 30%) = {doc['p_benefit_ge_30pct']:.0%};  "
        f"P(benefit >= 2 NRS) = {doc['p_benefit_ge_2nrs']:.0%}",
        f"Slow onset time constant {doc['onset_tau_days']['median']:.0f} days "
        f"(90% {doc['onset_tau_days']['lo']:.0f}-{doc['onset_tau_days']['hi']:.0f}); "
        f"diary {doc['first_date']} to {doc['last_date']}, {doc['rated_days']} rated days of {doc['days']}",
    ]
    out += doc.get("what_more_weeks_would_tell") or []
    return out


def _sources_html(sources: list[dict]) -> str:
    out = []
    for src in sources:
        cite = html.escape(src["cite"])
        url = src.get("url")
        out.append(f'<li><a href="{html.escape(url)}">{cite}</a></li>' if url else f"<li>{cite}</li>")
    return "".join(out)


def write_report(path: str | Path, doc: dict, f: Fit, s: Series) -> Path:
    """Write the report as HTML (``.html``/``.htm``) or PDF (``.pdf``); returns the path."""
    import matplotlib.pyplot as plt

    p = Path(path)
    ext = p.suffix.lower()
    if ext not in (".html", ".htm", ".pdf"):
        raise InputError("report", "unknown report format", accepted=".html or .pdf", value=str(path))
    p.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".pdf":
        fig = figure(doc, f, s, page=True)
        fig.savefig(p, format="pdf")
        plt.close(fig)
        return p
    fig = figure(doc, f, s)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    img = base64.b64encode(buf.getvalue()).decode()
    items = "".join(f"<li>{html.escape(x)}</li>" for x in _lines(doc))
    cav = "".join(f"<li>{html.escape(c)}</li>" for c in doc["caveats"])
    p.write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>N-of-1 report {html.escape(doc["patient_id"])}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:1em auto}}
.d{{font-weight:bold;color:#a00}}</style>
</head><body><h1>Is LDN working? N-of-1 report for {html.escape(doc["patient_id"])}</h1>
<p class="d">{html.escape(DISCLAIMER)}</p>
<h2>Decision: {html.escape(doc["decision"])}</h2><ul>{items}</ul>
<img alt="diary with fitted course and LDN effect" src="data:image/png;base64,{img}" style="width:100%">
<h2>Caveats</h2><ul>{cav}</ul><p>{html.escape(doc["method"])}</p>
<h2>Method sources</h2><ul>{_sources_html(doc.get("method_sources", []))}</ul>
<p class="d">{html.escape(DISCLAIMER)}</p></body></html>
""",
        encoding="utf-8",
    )
    return p
