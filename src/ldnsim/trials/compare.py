"""Stage 5 of a virtual trial: the simulated result beside the published one.

Arm quantities (``published.arms``) are compared with the mean over replicate trials and the published
tolerance. Published contrasts (``published.contrasts``: the LDN − placebo difference and, where
reported, its 95% CI) are compared with the distribution of that difference over replicate trials of
the published size: the published estimate should lie within the simulated 2.5–97.5% range, and the
simulated trials' 95% CIs should be about as wide as the published one (within a factor of 1.5).
"""

from __future__ import annotations

from typing import Any

from .results import Comparison, DoseFindingResult, ReplicatesSummary, TrialResult

__all__ = ["compare", "CI_WIDTH_FACTOR"]

#: simulated mean CI width within [1/f, f] x the published width counts as matching
CI_WIDTH_FACTOR = 1.5


def _within(sim: float | None, pub: float, tol: float | None) -> bool | None:
    return None if (sim is None or tol is None) else bool(abs(sim - pub) <= tol)


def _arm_value(res: TrialResult, arm: str, key: str) -> float | None:
    a = res.arms.get(arm)
    if a is None:
        return None
    if key in ("pct_reduction_mean", "nrs_change_mean", "responder_rate"):
        value: float | None = getattr(a, key)
        return value
    return a.endpoints.get(key)


def compare(res: TrialResult) -> list[Comparison]:
    """Simulated vs published, quantity by quantity (arm values, differences with CIs, ED50)."""
    pub: dict[str, Any] = res.published
    tol = pub.get("tolerance") or {}
    out = []
    for arm, vals in (pub.get("arms") or {}).items():
        for key, pv in vals.items():
            sim = _arm_value(res, arm, key)
            t = tol.get(f"{arm}.{key}", tol.get(key))  # a per-arm tolerance wins over the endpoint's
            out.append(
                Comparison(
                    quantity=f"{arm}.{key}",
                    published=pv,
                    simulated=sim,
                    tolerance=t,
                    within=_within(sim, pv, t),
                )
            )
    for arm, dirs in (pub.get("directions") or {}).items():
        for key, word in dirs.items():
            out.append(_compare_direction(res, arm, key, word))
    for c in pub.get("contrasts") or []:
        out += _compare_contrast(res.replicates, c)
    if "ed50_mg" in pub:
        out.append(_compare_ed50(res.dose_finding, pub["ed50_mg"], tol.get("ed50_mg")))
    return out


def _compare_direction(res: TrialResult, arm: str, key: str, word: str) -> Comparison:
    """A published direction only (``increase``/``decrease``): has the simulated mean change that sign?"""
    sim = _arm_value(res, arm, key)
    want = {"increase": 1.0, "decrease": -1.0}.get(str(word))
    within = None if sim is None or want is None else bool(sim * want > 0)
    return Comparison(quantity=f"{arm}.{key}", published=word, simulated=sim, tolerance=None, within=within,
                      kind="direction")


def _compare_contrast(rep: ReplicatesSummary, c: dict[str, Any]) -> list[Comparison]:
    name = f"{c['a']}-{c['b']}.{c['endpoint']}"
    rc = next(
        (r for r in rep.contrasts or [] if (r.a, r.b, r.endpoint) == (c["a"], c["b"], c["endpoint"])), None
    )
    pci = tuple(c["ci95"]) if c.get("ci95") else None
    if rc is None:
        return [
            Comparison(
                quantity=f"{name}.difference",
                published=c["difference"],
                simulated=None,
                tolerance=None,
                within=None,
                kind="difference",
                published_ci95=pci,
            )
        ]
    lo, hi = rc.difference_ci95
    within = None if lo is None or hi is None else bool(lo <= c["difference"] <= hi)
    out = [
        Comparison(
            quantity=f"{name}.difference",
            published=c["difference"],
            simulated=rc.difference_mean,
            tolerance=None,
            within=within,
            kind="difference",
            published_ci95=pci,
            simulated_ci95=(lo, hi),
        )
    ]
    if pci is not None and rc.ci95_width_mean is not None:
        pw = float(pci[1] - pci[0])
        ratio = rc.ci95_width_mean / pw if pw > 0 else None
        out.append(
            Comparison(
                quantity=f"{name}.ci95_width",
                published=pw,
                simulated=rc.ci95_width_mean,
                tolerance=None,
                within=None if ratio is None else bool(1 / CI_WIDTH_FACTOR <= ratio <= CI_WIDTH_FACTOR),
                kind="ci_width",
            )
        )
    return out


def _compare_ed50(df: DoseFindingResult | None, pub: float, tol: float | None) -> Comparison:
    sim = df.ed50_mg_median if df is not None else None
    return Comparison(
        quantity="ed50_mg", published=pub, simulated=sim, tolerance=tol, within=_within(sim, pub, tol)
    )
