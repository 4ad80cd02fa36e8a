"""N-of-1 plans: open-label (baseline, then LDN) and blinded (pharmacy-prepared LDN/placebo blocks).

Block length comes from the model's onset time constant: a block must last long enough for LDN's effect to
build (and, after a switch, to fade). With the model's two-phase onset
``w (1 - exp(-t / tau_f)) + (1 - w) (1 - exp(-t / tau))`` (:func:`reach_of`), the default block is the
fewest whole weeks that reach ``f = 0.8`` of the steady-state effect at the prior median of the slow ``tau``
(``ldnsim/data/nof1/priors.yaml``, from simulated onset curves).
Short 1-week blocks as used for fast-acting drugs (StudyU's default) cannot show LDN's effect: the plan
says so instead of offering them.

Designs: ``open`` (``baseline_weeks`` then LDN for ``ldn_weeks``) and ``blinded`` with a block pattern
(``ABAB``, ``ABBA``, ``BAAB``, ``BABA``; A = LDN, B = placebo from the pharmacy) after an untreated baseline;
the pharmacy draws the pattern at random from the chosen family (seeded), the patient's calendar shows only
pack numbers. :meth:`Plan.calendar` gives the dated day-by-day table; :meth:`Plan.text` prints it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .. import DISCLAIMER
from ..errors import InputError
from .priors import Priors, load_priors

__all__ = ["Plan", "make_plan", "block_weeks_for", "PATTERNS"]

PATTERNS = {
    "ABAB": ("ABAB", "BABA"),
    "ABBA": ("ABBA", "BAAB"),
    "BAAB": ("BAAB", "ABBA"),
    "BABA": ("BABA", "ABAB"),
}


def block_weeks_for(priors: Priors, fraction: float = 0.8, tau_quantile: float = 0.5) -> int:
    """Whole weeks a block needs so that LDN's effect reaches ``fraction`` of steady state for a patient
    at the ``tau_quantile`` of the onset prior."""
    from scipy.special import ndtri

    if not 0.1 <= fraction < 1.0:
        raise InputError("fraction", "must be in [0.1, 1)", value=fraction)
    tau = math.exp(priors.tau_log_mean + priors.tau_log_sd * float(ndtri(tau_quantile)))
    weeks = 1
    while reach_of(priors, 7.0 * weeks, tau) < fraction and weeks < 104:
        weeks += 1
    return weeks


def reach_of(priors: Priors, days: float, tau_slow: float) -> float:
    """Fraction of the steady-state effect reached after ``days`` of continuous LDN (two-phase onset:
    the fast share with its time constant, the rest with ``tau_slow``)."""
    w, tf = priors.fast_fraction_at(tau_slow), priors.onset_fast_tau_days
    return w * (1.0 - math.exp(-days / tf)) + (1.0 - w) * (1.0 - math.exp(-days / tau_slow))


@dataclass
class Plan:
    """A dated N-of-1 plan. Days are counted from ``start`` (day 0 = first diary day)."""

    design: str
    start: dt.date
    baseline_weeks: int
    block_weeks: int
    pattern: str  # "" for open-label; e.g. "ABBA" (A = LDN) for blinded — hidden from the patient
    dose_mg: float
    ldn_weeks: int = 0
    tau_median_days: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        if self.design == "open":
            return 7 * (self.baseline_weeks + self.ldn_weeks)
        return 7 * (self.baseline_weeks + self.block_weeks * len(self.pattern))

    def phases(self) -> list[dict[str, Any]]:
        """Phases with dates: name, pack (blinded), on_ldn, start/end (inclusive) dates, day range."""
        out: list[dict[str, Any]] = [
            {
                "phase": "baseline",
                "pack": None,
                "on_ldn": False,
                "blinded_treatment": False,
                "first_day": 0,
                "last_day": 7 * self.baseline_weeks - 1,
            }
        ]
        d = 7 * self.baseline_weeks
        if self.design == "open":
            out.append(
                {
                    "phase": "LDN",
                    "pack": None,
                    "on_ldn": True,
                    "blinded_treatment": False,
                    "first_day": d,
                    "last_day": d + 7 * self.ldn_weeks - 1,
                }
            )
        else:
            for i, letter in enumerate(self.pattern):
                out.append(
                    {
                        "phase": f"block {i + 1}",
                        "pack": i + 1,
                        "on_ldn": letter == "A",
                        "blinded_treatment": True,
                        "first_day": d,
                        "last_day": d + 7 * self.block_weeks - 1,
                    }
                )
                d += 7 * self.block_weeks
        for p in out:
            p["start"] = (self.start + dt.timedelta(days=p["first_day"])).isoformat()
            p["end"] = (self.start + dt.timedelta(days=p["last_day"])).isoformat()
        return out

    def on_ldn(self, n_days: int | None = None) -> np.ndarray:
        """1 on LDN days (day 0 = start); days after the plan continue the last phase."""
        return self._series(n_days, "on_ldn")

    def expectation(self, n_days: int | None = None) -> np.ndarray:
        """1 on days the patient may believe they are treated (LDN days open-label; every block blinded)."""
        return self._series(n_days, "on_ldn" if self.design == "open" else "blinded_treatment")

    def _series(self, n_days: int | None, key: str) -> np.ndarray:
        n = self.n_days if n_days is None else int(n_days)
        out = np.zeros(n)
        last = 0.0
        for p in self.phases():
            v = float(p[key])
            out[p["first_day"] : min(p["last_day"] + 1, n)] = v
            last = v
        if n > self.n_days:
            out[self.n_days :] = last
        return out

    def calendar(self, *, pharmacist: bool = False) -> list[dict]:
        """One row per day: date, day, phase, what to take; the pharmacist's version adds the contents."""
        rows = []
        for p in self.phases():
            for d in range(p["first_day"], p["last_day"] + 1):
                if p["phase"] == "baseline":
                    take = "no study medication; rate pain every evening"
                elif self.design == "open":
                    take = f"LDN {self.dose_mg:g} mg at bedtime"
                else:
                    take = f"one capsule from pack {p['pack']} at bedtime"
                row = {
                    "date": (self.start + dt.timedelta(days=d)).isoformat(),
                    "day": d,
                    "phase": p["phase"],
                    "take": take,
                }
                if pharmacist and p["pack"] is not None:
                    row["contents"] = (
                        f"naltrexone {self.dose_mg:g} mg" if p["on_ldn"] else "placebo (identical capsule)"
                    )
                rows.append(row)
        return rows

    def text(self, *, pharmacist: bool = False) -> str:
        """A printable calendar: one line per week (patient) plus the pack contents (pharmacist)."""
        who = (
            "PHARMACIST (contains the blinding key — do not give to the patient)" if pharmacist else "PATIENT"
        )
        lines = [f"N-of-1 plan ({self.design}), {who}", f"start {self.start.isoformat()}, {self.n_days} days"]
        for p in self.phases():
            what = (
                "no study medication"
                if p["phase"] == "baseline"
                else (
                    f"LDN {self.dose_mg:g} mg nightly"
                    if self.design == "open"
                    else f"pack {p['pack']} nightly"
                )
            )
            if pharmacist and p["pack"] is not None:
                what += " = " + (f"naltrexone {self.dose_mg:g} mg" if p["on_ldn"] else "placebo")
            lines.append(f"  {p['start']} .. {p['end']}  {p['phase']:<9} {what}")
        lines.append("Rate average and worst pain (0-10) every evening: `ldnsim diary add`.")
        lines += [f"Note: {n}" for n in self.notes]
        lines.append(DISCLAIMER)
        return "\n".join(lines)

    def to_dict(self, *, pharmacist: bool = True) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["n_days"] = self.n_days
        d["phases"] = self.phases()
        if not pharmacist:
            d.pop("pattern")
            for p in d["phases"]:
                if p["blinded_treatment"]:
                    p.pop("on_ldn")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        keys = (
            "design",
            "baseline_weeks",
            "block_weeks",
            "pattern",
            "dose_mg",
            "ldn_weeks",
            "tau_median_days",
            "notes",
        )
        if "pattern" not in d:
            raise InputError(
                "plan", "the stored plan has no blinding key (pattern)", accepted="a pharmacist plan"
            )
        return cls(start=dt.date.fromisoformat(str(d["start"])), **{k: d[k] for k in keys if k in d})


def make_plan(
    design: str = "open",
    *,
    start: dt.date | str | None = None,
    baseline_weeks: int = 2,
    ldn_weeks: int = 12,
    block_weeks: int | None = None,
    pattern: str = "ABBA",
    dose_mg: float = 4.5,
    seed: int | None = None,
    priors: Priors | None = None,
) -> Plan:
    """Build a plan. ``block_weeks=None`` chooses it from the onset prior (:func:`block_weeks_for`); a
    shorter block is accepted but the plan notes how much of the effect it can show."""
    p = priors or load_priors()
    if design not in ("open", "blinded"):
        raise InputError("design", f"unknown design {design!r}", accepted="open, blinded")
    start_d = (
        dt.date.today() if start is None else (start if isinstance(start, dt.date) else _parse_date(start))
    )
    if not 0 <= baseline_weeks <= 12:
        raise InputError("baseline_weeks", "out of range", accepted="0-12", value=baseline_weeks)
    if not 0 < dose_mg <= 16:
        raise InputError("dose_mg", "out of the LDN range", accepted="0-16 mg", value=dose_mg)
    notes = []
    tau_med = p.tau_median_days
    if design == "open":
        if not 1 <= ldn_weeks <= 104:
            raise InputError("ldn_weeks", "out of range", accepted="1-104", value=ldn_weeks)
        if baseline_weeks < 2:
            notes.append("a baseline of at least 2 weeks is recommended to know the untreated level")
        notes.append(
            "open-label: the placebo (expectation) effect cannot be separated from LDN's by the data; "
            "the analysis relies on the placebo prior for that part"
        )
        return Plan("open", start_d, baseline_weeks, 0, "", dose_mg, ldn_weeks, tau_med, notes)
    fam = pattern.upper()
    if fam not in PATTERNS:
        raise InputError("pattern", f"unknown pattern {pattern!r}", accepted=", ".join(PATTERNS))
    need = block_weeks_for(p)
    bw = need if block_weeks is None else int(block_weeks)
    if not 1 <= bw <= 26:
        raise InputError("block_weeks", "out of range", accepted="1-26", value=block_weeks)
    reach = reach_of(p, 7.0 * bw, tau_med)
    if bw < need:
        notes.append(
            f"blocks of {bw} week(s) let LDN's effect reach only ~{reach:.0%} of steady state for a "
            f"typical patient (~{p.fast_fraction_at(tau_med):.0%} within days, the rest with a time constant "
            f"of ~{tau_med:.0f} days); {need} weeks are recommended"
        )
    rng = np.random.default_rng(seed)
    chosen = PATTERNS[fam][int(rng.integers(2))]
    notes.append(
        f"blinded: the pharmacy prepares {len(chosen)} numbered packs of identical capsules; "
        f"the order is drawn at random from {' / '.join(PATTERNS[fam])}"
    )
    return Plan("blinded", start_d, baseline_weeks, bw, chosen, dose_mg, 0, tau_med, notes)


def _parse_date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(s))
    except ValueError:
        raise InputError("start", "not a date", accepted="YYYY-MM-DD", value=s) from None
