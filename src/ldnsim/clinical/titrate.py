"""LDN titration schedules (``ldnsim titrate``) from the presets in ``titration.yaml``.

A dated schedule of once-daily doses (and millilitres for a liquid), each step with the dose to fall back to,
plus the side-effect rules (insomnia/vivid dreams → wait, morning dosing, then one level back; worse
symptoms after a step → previous dose) and the monitoring cautions.

Built in stages, each returning a frozen dataclass (the pattern of :mod:`.restart` and :mod:`.hold`):
:func:`resolve_parameters` (preset + overrides → :class:`TitrationParams`), :func:`dose_levels` and
:func:`build_schedule` (→ :class:`TitrationStep` rows), :func:`read_meds` (→ :class:`MedsRead`),
:func:`side_effect_rules` (→ :class:`SideEffectRule`) and :func:`titration_plan` (→ :class:`TitrationPlan`,
whose :meth:`~TitrationPlan.to_dict` is the ``--json`` document). :func:`plan_titration` returns that dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..data import load_yaml, value_of
from ..errors import InputError, UnknownNameError
from ..units import parse_concentration, parse_duration, parse_mass
from .monitoring import cautions_for
from .rules import DISCLAIMER

__all__ = [
    "plan_titration",
    "titration_plan",
    "presets",
    "DEFAULT_PRESET",
    "nice_concentration",
    "TitrationParams",
    "TitrationStep",
    "MedsRead",
    "SideEffectRule",
    "TitrationPlan",
]

DEFAULT_PRESET = "ldnrt-standard"
_NICE_CONC = (5.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.01)


def presets() -> dict[str, Any]:
    presets_: dict[str, Any] = load_yaml("clinical/titration.yaml")["presets"]
    return presets_


def _prov(entry: dict[str, Any]) -> dict[str, Any]:
    if entry.get("assumed"):
        return {"assumed": True, "reason": " ".join(str(entry["reason"]).split())}
    return {"sources": [{"cite": s["cite"], "url": s["url"]} for s in entry.get("source") or []]}


def _parse_date(text: str | None) -> date:
    if text is None or str(text).strip() == "":
        return date.today()
    s = str(text).strip()
    try:
        d = datetime.fromisoformat(s).date() if "T" in s else date.fromisoformat(s)
    except ValueError:
        raise InputError(
            "start_date", "cannot be parsed as an ISO 8601 date", value=text, accepted="e.g. 2026-12-01"
        ) from None
    from ..units import check_date

    checked: date = check_date(d, "start_date")
    return checked


def nice_concentration(smallest_dose_mg: float, min_volume_ml: float) -> float:
    """Strongest usual dilution at which ``smallest_dose_mg`` is at least 5× the minimum volume."""
    for c in _NICE_CONC:
        if smallest_dose_mg / c >= 5 * min_volume_ml:
            return c
    return _NICE_CONC[-1]


@dataclass(frozen=True)
class TitrationParams:
    """Stage 1: the preset with the user's overrides (mg, days, mg/mL) and where each value came from."""

    preset: str
    preset_entry: dict[str, Any]
    start_mg: float
    step_mg: float
    every_days: float
    target_mg: float
    form: str
    concentration_mg_per_ml: float | None
    provenance: dict[str, dict[str, Any]]
    concentration_assumed: bool

    @property
    def custom(self) -> list[str]:
        """The parameters the user changed (a custom schedule is never titled as the preset)."""
        return [k for k, v in self.provenance.items() if isinstance(v, dict) and v.get("user")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_mg": self.start_mg,
            "step_mg": self.step_mg,
            "every_days": self.every_days,
            "target_mg": self.target_mg,
            "form": self.form,
            "concentration_mg_per_ml": self.concentration_mg_per_ml,
        }


def resolve_parameters(
    preset: str | None = None,
    *,
    start: str | None = None,
    step: str | None = None,
    every: str | None = None,
    target: str | None = None,
    form: str | None = None,
    concentration: str | None = None,
) -> TitrationParams:
    """Stage 1: read the preset, apply and check the overrides (InputError naming the field)."""
    doc = load_yaml("clinical/titration.yaml")
    name = preset or DEFAULT_PRESET
    if name not in doc["presets"]:
        raise UnknownNameError("preset", name, doc["presets"])
    p = doc["presets"][name]
    ldn_max = float(value_of(doc["limits"]["ldn_max"]))

    prov = {k: _prov(p[k]) for k in ("start", "step", "every", "target")}
    start_mg = float(value_of(p["start"]))
    step_mg = float(value_of(p["step"]))
    every_d = float(value_of(p["every"]))
    target_mg = float(value_of(p["target"]))
    if start is not None:
        start_mg = parse_mass(start, "start", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["start"] = {"user": True}
    if step is not None:
        step_mg = parse_mass(step, "step", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["step"] = {"user": True}
    if every is not None:
        every_d = parse_duration(every, "every", default_unit="d", lo=0.0, hi=24.0 * 365) / 24.0
        if every_d < 1.0:
            raise InputError(
                "every", "must be at least 1 day", accepted="e.g. '7 days', '2 weeks'", value=every
            )
        prov["every"] = {"user": True}
    if target is not None:
        target_mg = parse_mass(target, "target", default_unit="mg", lo=0.0, hi=ldn_max)
        prov["target"] = {"user": True}
    if start_mg > target_mg:
        raise InputError("start", f"is above the target ({target_mg:g} mg)", value=f"{start_mg:g} mg")
    form = (form or p.get("form") or "capsule").lower()
    if form not in ("capsule", "liquid"):
        raise InputError("form", "unknown form", accepted="capsule|liquid", value=form)
    conc: float | None = None
    assumed = False
    if form == "liquid":
        if concentration is not None:
            conc = parse_concentration(concentration, "concentration", lo=0.0, hi=100.0)
        elif "concentration" in p:
            conc = float(value_of(p["concentration"]))
        else:
            # the sourced default strength of compounding.yaml, the one `ldnsim compound` also reads (read
            # from the data file, not from clinical.compound, which imports this module)
            compounding = load_yaml("clinical/compounding.yaml")["parameters"]
            conc, assumed = float(value_of(compounding["liquid_default_concentration"])), True
    elif concentration is not None:
        raise InputError("concentration", "only applies to --form liquid", value=concentration)
    return TitrationParams(
        preset=name,
        preset_entry=p,
        start_mg=start_mg,
        step_mg=step_mg,
        every_days=every_d,
        target_mg=target_mg,
        form=form,
        concentration_mg_per_ml=conc,
        provenance=prov,
        concentration_assumed=assumed,
    )


def dose_levels(params: TitrationParams) -> tuple[float, ...]:
    """Stage 2a: the daily doses (mg) from start to target, one per step (at most 201)."""
    doses: list[float] = []
    d = params.start_mg
    while True:
        d = round(min(d, params.target_mg), 4)
        doses.append(d)
        if d >= params.target_mg - 1e-9:
            break
        d += params.step_mg
        if len(doses) > 200:
            raise InputError(
                "step", "too small: more than 200 steps to the target", value=f"{params.step_mg:g} mg"
            )
    return tuple(doses)


@dataclass(frozen=True)
class TitrationStep:
    """One schedule row: dates (``last`` None for maintenance), dose and fallback (mg), amount (mL or mg)."""

    step: int
    first: date
    last: date | None
    dose_mg: float
    fallback_mg: float
    volume_ml: float | None
    capsule_strength_mg: float | None

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "step": self.step,
            "from": self.first.isoformat(),
            "to": self.last.isoformat() if self.last else None,
            "dose_mg": self.dose_mg,
            "if_problems_go_back_to_mg": self.fallback_mg,
        }
        if self.volume_ml is not None:
            row["volume_ml"] = self.volume_ml
        else:
            row["capsule_strength_mg"] = self.capsule_strength_mg
        return row


def build_schedule(
    params: TitrationParams, doses: tuple[float, ...], start_day: date
) -> tuple[TitrationStep, ...]:
    """Stage 2b: date the dose levels (``every_days`` apart) and give each its amount and fallback."""
    rows = []
    every_d, conc = params.every_days, params.concentration_mg_per_ml
    for i, dose in enumerate(doses):
        first = start_day + timedelta(days=round(i * every_d))
        last = start_day + timedelta(days=round((i + 1) * every_d) - 1) if i + 1 < len(doses) else None
        rows.append(
            TitrationStep(
                step=i + 1,
                first=first,
                last=last,
                dose_mg=dose,
                fallback_mg=doses[i - 1] if i > 0 else round(dose / 2, 4),
                volume_ml=round(dose / conc, 2) if conc is not None else None,
                capsule_strength_mg=None if conc is not None else dose,
            )
        )
    return tuple(rows)


def form_notes(params: TitrationParams, schedule: tuple[TitrationStep, ...], min_vol: float) -> list[str]:
    """Stage 3: notes on the form (liquid volumes measurable/takeable; capsules per step) and the target."""
    notes: list[str] = []
    if params.concentration_assumed:
        notes.append(
            f"Liquid concentration not given: {params.concentration_mg_per_ml:g} mg/mL assumed (the common "
            "strength, The Compounder [E])."
        )
    volumes = [r.volume_ml for r in schedule if r.volume_ml is not None]
    if params.form == "liquid":
        vmin = min(volumes)
        if vmin < min_vol:
            better = nice_concentration(min(r.dose_mg for r in schedule), min_vol)
            notes.append(
                f"Smallest volume {vmin:g} mL is below {min_vol:g} mL and hard to measure: use a weaker "
                f"dilution, e.g. {better:g} mg/mL."
            )
        if max(volumes) > 10:
            notes.append("Volumes above 10 mL: a stronger liquid (e.g. 1 mg/mL) is easier to take.")
    else:
        notes.append(
            "Capsules: each step needs its own compounded strength (immediate release only; see "
            "`ldnsim compound`); a liquid allows steps without new capsules."
        )
    if params.target_mg > 4.5 and params.preset != "final-rct":
        notes.append("Target above 4.5 mg: FINAL trial used 6 mg; ED95 5.4 mg in a dose-finding study [P].")
    return notes


@dataclass(frozen=True)
class MedsRead:
    """Stage 4: the screen of the patient's medicines (None when none given) and what blocks a start."""

    screen: dict[str, Any] | None
    critical: tuple[str, ...]
    unresolved: tuple[str, ...]

    def notes(self) -> list[str]:
        """The blocking notes, unresolved first (an unrecognised entry may be an opioid)."""
        out: list[str] = []
        if self.unresolved:
            out.append(
                f"UNRESOLVED: {', '.join(self.unresolved)} could not be identified — identify the "
                "medicine(s) before starting (an unrecognised entry may be an opioid)."
            )
        if self.critical:
            out.append(
                f"DO NOT START: {', '.join(self.critical)} conflicts with LDN (critical) — opioid-free "
                "interval first (`ldnsim restart`)."
            )
        return out


def read_meds(meds: list[str] | None) -> MedsRead:
    """Stage 4: screen ``meds`` (``ldnsim check``); critical conflicts and unidentified entries."""
    if not meds:
        return MedsRead(screen=None, critical=(), unresolved=())
    from .screen import screen

    doc = screen(meds)
    critical: tuple[str, ...] = ()
    if doc["highest_severity"] == "critical":
        critical = tuple(m["input"] for m in doc["medications"] if m["severity"] == "critical")
    unresolved = tuple(m["input"] for m in doc["medications"] if m["severity"] == "unknown")
    return MedsRead(screen=doc, critical=critical, unresolved=unresolved)


@dataclass(frozen=True)
class SideEffectRule:
    """A side-effect rule of ``titration.yaml``: trigger, actions in order, evidence grade and sources."""

    id: str
    trigger: str
    actions: tuple[str, ...]
    evidence: str
    sources: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trigger": self.trigger,
            "actions": list(self.actions),
            "evidence": self.evidence,
            "sources": list(self.sources),
        }


def side_effect_rules() -> tuple[SideEffectRule, ...]:
    doc = load_yaml("clinical/titration.yaml")
    return tuple(
        SideEffectRule(
            id=k,
            trigger=v["trigger"],
            actions=tuple(v["actions"]),
            evidence=v["evidence"],
            sources=tuple(v["sources"]),
        )
        for k, v in doc["side_effects"].items()
    )


def _title(params: TitrationParams) -> tuple[str, str]:
    """Title and evidence grade: the preset's, or "Custom titration" when the user changed a parameter."""
    custom = params.custom
    p = params.preset_entry
    if custom:
        # a schedule the user changed is not the preset: never titled (or graded) as the published one
        title = (
            f"Custom titration: {params.start_mg:g} mg, +{params.step_mg:g} mg every "
            f"{params.every_days:g} days to {params.target_mg:g} mg "
            f"(changed from preset '{params.preset}': {', '.join(custom)})"
        )
        return title, f"custom (preset {p['grade']} for the unchanged parts)"
    return str(p["title"]), str(p["grade"])


def _flat(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class TitrationPlan:
    """Stage 5: the whole plan; :meth:`to_dict` is the ``--json`` document."""

    params: TitrationParams
    title: str
    evidence: str
    schedule: tuple[TitrationStep, ...]
    general: dict[str, Any]
    side_effects: tuple[SideEffectRule, ...]
    cautions: list[dict[str, Any]]
    meds: MedsRead
    notes: tuple[str, ...]

    @property
    def weeks_to_target(self) -> float:
        return round((len(self.schedule) - 1) * self.params.every_days / 7.0, 1)

    def to_dict(self) -> dict[str, Any]:
        g = self.general
        return {
            "preset": self.params.preset,
            "custom": self.params.custom,
            "title": self.title,
            "evidence": self.evidence,
            "parameters": self.params.to_dict(),
            "provenance": self.params.provenance,
            "schedule": [r.to_dict() for r in self.schedule],
            "target_reached_on": self.schedule[-1].first.isoformat(),
            "weeks_to_target": self.weeks_to_target,
            "timing": g["timing"],
            "missed_dose": _flat(g["missed_dose"]),
            "time_to_effect": _flat(g["time_to_effect"]),
            "dose_finding": _flat(g["no_single_dose"]),
            "side_effect_rules": [s.to_dict() for s in self.side_effects],
            "cautions": self.cautions,
            "screen": self.meds.screen,
            "notes": list(self.notes),
            "disclaimer": DISCLAIMER,
        }


def titration_plan(
    preset: str | None = None,
    *,
    start: str | None = None,
    step: str | None = None,
    every: str | None = None,
    target: str | None = None,
    form: str | None = None,
    concentration: str | None = None,
    start_date: str | None = None,
    meds: list[str] | None = None,
    hepatic: str | None = None,
    egfr: float | None = None,
    pregnant: bool = False,
    breastfeeding: bool = False,
) -> TitrationPlan:
    """The typed plan: the stages in order (parameters, dates, doses, notes, medicines, cautions)."""
    params = resolve_parameters(
        preset, start=start, step=step, every=every, target=target, form=form, concentration=concentration
    )
    start_day = _parse_date(start_date)
    schedule = build_schedule(params, dose_levels(params), start_day)
    doc = load_yaml("clinical/titration.yaml")
    notes = form_notes(params, schedule, float(value_of(doc["limits"]["min_measurable_volume"])))
    meds_read = read_meds(meds)
    title, evidence = _title(params)
    cautions: list[dict[str, Any]] = cautions_for(
        meds_read.screen, hepatic=hepatic, egfr=egfr, pregnant=pregnant, breastfeeding=breastfeeding
    )
    return TitrationPlan(
        params=params,
        title=title,
        evidence=evidence,
        schedule=schedule,
        general=doc["general"],
        side_effects=side_effect_rules(),
        cautions=cautions,
        meds=meds_read,
        notes=tuple(meds_read.notes() + notes),
    )


def plan_titration(preset: str | None = None, **kw: Any) -> dict[str, Any]:
    """The ``--json`` document of :func:`titration_plan` (same arguments)."""
    return titration_plan(preset, **kw).to_dict()
def schedule_text(doc: dict[str, Any]) -> str:
    """Printable form of a titration document."""
    pr = doc["parameters"]
    lines = [
        f"LDN titration — {doc['title']} [{doc['evidence']}]",
        f"start {pr['start_mg']:g} mg, +{pr['step_mg']:g} mg every {pr['every_days']:g} days, target "
        f"{pr['target_mg']:g} mg; form {pr['form']}"
        + (f" {pr['concentration_mg_per_ml']:g} mg/mL" if pr["concentration_mg_per_ml"] else ""),
        "",
    ]
    for r in doc["schedule"]:
        amount = (
            f"{r['volume_ml']:g} mL" if "volume_ml" in r else f"1 capsule of {r['capsule_strength_mg']:g} mg"
        )
        until = f"to {r['to']}" if r["to"] else "onwards (maintenance)"
        lines.append(
            f"  step {r['step']:>2}: {r['from']} {until:<24} {r['dose_mg']:>6g} mg  = {amount}"
            f"   (if problems: {r['if_problems_go_back_to_mg']:g} mg)"
        )
    lines += [
        "",
        f"Timing: {doc['timing']}",
        f"Missed dose: {doc['missed_dose']}",
        f"Time to effect: {doc['time_to_effect']}",
        f"Dose: {doc['dose_finding']}",
        "",
        "Side effects:",
    ]
    for s in doc["side_effect_rules"]:
        lines.append(f"  {s['trigger']} [{s['evidence']}]: " + " → ".join(s["actions"]))
        lines.append("    sources: " + "; ".join(f"{x['cite']} <{x['url']}>" for x in s["sources"]))
    if doc["cautions"]:
        lines.append("Cautions:")
        lines += [f"  [{c['severity']}] {c['summary']} ({c['evidence']})" for c in doc["cautions"]]
    lines += [f"Note: {n}" for n in doc["notes"]]
    lines += [DISCLAIMER]
    return "\n".join(lines)
