"""CDS Hooks services for LDN: opioid conflicts on ``order-select``, ``order-sign`` and ``patient-view``.

Spec: https://cds-hooks.hl7.org (discovery ``GET /cds-services``; ``POST /cds-services/{id}`` with ``hook``,
``hookInstance``, ``context``, ``prefetch``; response ``{"cards": [...]}``). Cards carry ``uuid``, ``summary``
(< 140 characters), ``detail`` (Markdown), ``indicator`` (info | warning | critical), ``source`` (label, url,
topic), ``suggestions`` (with ``selectionBehavior``), ``overrideReasons``. One card per conflicting
ingredient. The medication list comes from FHIR prefetch (MedicationRequest and MedicationStatement
bundles) and, for order hooks, from ``context.draftOrders``. If it is missing, the service says so.

Robustness (issue 16): every FHIR resource is read on its own. A resource that cannot be read (wrong
types, too deep, a medication text longer than :data:`MAX_MED_TEXT`) gives a *warning* card naming it
and the problem — it is never skipped silently and never turns the whole call into an error, so the
cards for the readable resources (critical opioid conflicts included) are always returned. Text from
the request is escaped before it goes into card Markdown.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import uuid
from typing import Any

from ..clinical.fhir import entries_from_fhir
from ..clinical.rules import DISCLAIMER, RANK, rules, source_list
from ..clinical.screen import screen_entry
from ..errors import InputError

__all__ = ["SERVICES", "discovery", "evaluate", "MAX_SUMMARY", "MAX_MED_TEXT", "MAX_RESOURCES", "md_escape"]


MAX_SUMMARY = 139  # spec: "<140 characters"
#: longest medication text (name + dosage text) screened; real entries are < 300 characters, and the
#: screen costs ~30 µs per character, so this bounds one entry to ~30 ms
MAX_MED_TEXT = 1000
#: resources screened per bundle (prefetch or draftOrders); the rest get one "not screened" card
MAX_RESOURCES = 200
#: nesting depth of one FHIR resource (real ones are < 15 deep)
MAX_RESOURCE_DEPTH = 32
_log = logging.getLogger("ldnsim.web.cds")
_PREFETCH = {
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "statements": "MedicationStatement?patient={{context.patientId}}",
}
SERVICES = {
    "ldn-opioid-order-select": {
        "hook": "order-select",
        "title": "LDN–opioid conflict check (order select)",
        "description": "Warns when low-dose naltrexone and an opioid (incl. codeine combinations, "
        "cough syrups, tramadol, methadone, buprenorphine) would be taken together, as an order is "
        "selected. " + DISCLAIMER,
        "prefetch": _PREFETCH,
    },
    "ldn-opioid-order-sign": {
        "hook": "order-sign",
        "title": "LDN–opioid conflict check (order sign)",
        "description": "Checks every draft order against the active medication list for LDN–opioid conflicts "
        "before signing. " + DISCLAIMER,
        "prefetch": _PREFETCH,
    },
    "ldn-opioid-patient-view": {
        "hook": "patient-view",
        "title": "LDN–opioid conflict check (patient view)",
        "description": "On opening the chart of a patient taking LDN, lists opioid conflicts and "
        "antidiarrhoeal or duplicate-naltrexone cautions. " + DISCLAIMER,
        "prefetch": _PREFETCH,
    },
}
_SOURCE_LABEL = "ldnsim LDN rule base (research and education; not medical advice)"
_TOPIC_SYSTEM = "https://github.com/ldnsim/ldnsim/rules"
_OVERRIDE_SYSTEM = "https://github.com/ldnsim/ldnsim/override-reasons"
OVERRIDE_REASONS = [
    {"code": "ldn-held", "system": _OVERRIDE_SYSTEM, "display": "LDN is already paused / will be held"},
    {
        "code": "benefit-outweighs-risk",
        "system": _OVERRIDE_SYSTEM,
        "display": "Benefit outweighs risk (plan agreed with prescriber)",
    },
    {"code": "not-taking", "system": _OVERRIDE_SYSTEM, "display": "Patient no longer takes this medicine"},
    {"code": "wrong-match", "system": _OVERRIDE_SYSTEM, "display": "Medicine was not identified correctly"},
]


def discovery() -> dict:
    return {"services": [{"id": sid, **spec} for sid, spec in SERVICES.items()]}


def _short(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")  # the text is mid-line: no list/heading


def md_escape(text: Any, limit: int = 300) -> str:
    """Text from the request, safe inside card Markdown: HTML and Markdown syntax escaped (no links,
    images or emphasis can be injected), new lines flattened, at most ``limit`` characters."""
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _plain(text: Any, limit: int = 60) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _label(resource: Any, where: str) -> str:
    if isinstance(resource, dict):
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(rtype, str) and isinstance(rid, str | int):
            return _plain(f"{rtype}/{rid}")
    return where


def _depth_ok(obj: Any, limit: int) -> bool:
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict | list):
            if d > limit:
                return False
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return True


def _unreadable(where: str, label: str, problem: str, origin: str) -> dict:
    """A medication that could not be read: screened as ``unknown`` (never as safe)."""
    return {
        "unreadable": True,
        "input": label,
        "source": label,
        "origin": origin,
        "where": where,
        "problem": problem,
        "severity": "unknown",
        "rule": "unknown",
        "ingredients": [],
        "findings": [],
    }


def _split_bundle(doc: Any, field: str) -> tuple[list[tuple[str, Any]], list[dict]]:
    """(MedicationRequest/-Statement entries with their path, well-formed Medication entries)."""
    if isinstance(doc, dict) and doc.get("resourceType") in ("MedicationRequest", "MedicationStatement"):
        return [(field, {"resource": doc})], []
    if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
        raise InputError(field, "not a FHIR Bundle or MedicationRequest/MedicationStatement")
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        raise InputError(f"{field}.entry", "must be a list")
    meds, others = [], []
    for i, e in enumerate(entries):
        r = e.get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and r.get("resourceType") == "Medication":
            if isinstance(r.get("id"), str) and isinstance(r.get("fullUrl", ""), str):
                others.append({"resource": r})
            continue
        if isinstance(r, dict) and r.get("resourceType") not in ("MedicationRequest", "MedicationStatement"):
            continue  # other resource types are ignored (as in `ldnsim check --fhir`)
        meds.append((f"{field}.entry[{i}]", e))
    return meds, others


def _screen_one(entry: Any, med_entries: list[dict], where: str, origin: str) -> list[dict]:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    label = _label(resource, where)
    if not isinstance(resource, dict):
        return [_unreadable(where, label, "entry has no resource object", origin)]
    if not _depth_ok(resource, MAX_RESOURCE_DEPTH):
        return [_unreadable(where, label, f"nested deeper than {MAX_RESOURCE_DEPTH} levels", origin)]
    mini = {"resourceType": "Bundle", "entry": [{"resource": resource}, *med_entries]}
    try:
        found = entries_from_fhir(mini, allow_empty=True, field=where)
    except InputError as exc:
        return [_unreadable(where, label, str(exc).replace(f"{where}.entry[0].resource", where), origin)]
    except Exception as exc:  # malformed in a way the reader did not foresee: isolated, logged, shown
        _log.warning("unreadable FHIR resource at %s: %s: %s", where, type(exc).__name__, exc)
        return [_unreadable(where, label, f"malformed resource ({type(exc).__name__})", origin)]
    out = []
    for text, lab in found:
        if len(text) > MAX_MED_TEXT:
            out.append(_unreadable(where, lab, f"medication text too long ({len(text)} characters; "
                                   f"at most {MAX_MED_TEXT})", origin))
            continue
        res = _screen_cached(text)
        res["source"], res["origin"] = lab, origin
        out.append(res)
    return out


@functools.lru_cache(maxsize=4096)
def _screen_frozen(text: str) -> dict:
    return screen_entry(text, source="")


def _screen_cached(text: str) -> dict:
    """screen_entry with a bounded cache: medication lists repeat across calls (a copy: cards edit it)."""
    return copy.deepcopy(_screen_frozen(text))


def _meds_from(bundle: Any, field: str) -> list[dict]:
    """Screened medications of one bundle; every resource on its own (see the module docstring)."""
    if bundle is None:
        return []
    try:
        entries, med_entries = _split_bundle(bundle, field)
    except InputError as exc:
        return [_unreadable(field, field, str(exc), field)]
    out = []
    for where, e in entries[:MAX_RESOURCES]:
        out += _screen_one(e, med_entries, where, field)
    if len(entries) > MAX_RESOURCES:
        out.append(_unreadable(field, f"{len(entries) - MAX_RESOURCES} more entries",
                               f"only the first {MAX_RESOURCES} resources are screened", field))
    return out


def _is_ldn(m: dict) -> bool:
    return "naltrexone" in m["ingredients"]


def _card(
    hook_instance: str,
    key: str,
    indicator: str,
    summary: str,
    detail: str,
    rule_id: str,
    suggestions: list | None = None,
) -> dict:
    r = rules().get(rule_id, {})
    srcs = source_list(r.get("sources") or []) if r else []
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ldnsim:{hook_instance}:{key}")),
        "summary": _short(summary),
        "detail": detail,
        "indicator": indicator,
        "source": {
            "label": _SOURCE_LABEL,
            "url": next((x["url"] for x in srcs if x["url"].startswith("http")), "https://cds-hooks.hl7.org"),
            "topic": {"system": _TOPIC_SYSTEM, "code": rule_id, "display": r.get("summary", rule_id)[:120]},
        },
        "overrideReasons": OVERRIDE_REASONS,
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    return card


def _unreadable_card(hi: str, m: dict) -> dict:
    return _card(
        hi,
        f"unreadable:{m['where']}:{m['input']}",
        "warning",
        _short(f"Could not read {_plain(m['input'])}: not screened against LDN — check it manually"),
        f"The service could not read **{md_escape(m['input'])}** (`{md_escape(m['where'], 120)}`): "
        f"{md_escape(m['problem'])}.\n\nIt was **not** screened for LDN–opioid conflicts; an unreadable "
        "entry may be an opioid. Check this medicine manually.\n\n*" + DISCLAIMER + "*",
        "unknown",
    )


def _detail(m: dict, ldn_where: str) -> str:
    src = "\n".join(f"- [{s['grade']}] [{s['cite']}]({s['url']})" for s in m["sources"])
    notes = "".join(f"\n\n_Note: {md_escape(n, 500)}_" for n in m.get("notes") or [])
    return (
        f"**{md_escape(m['input'])}** ({', '.join(m['ingredients']) or 'not recognised'}) with low-dose "
        "naltrexone "
        f"({ldn_where}).\n\n**Mechanism:** {m['mechanism']}\n\n**Management:** {m['management']}\n\n"
        f"**Evidence:** {m['evidence']}\n\n**Sources:**\n{src}{notes}\n\n"
        "LDN is off-label; naltrexone labels were written for 50 mg/day.\n\n*" + DISCLAIMER + "*"
    )


def _ref_id(m: dict) -> str | None:
    s = m.get("source") or ""
    return s if "/" in s and not s.endswith("/?") else None


def evaluate(service_id: str, body: Any) -> dict:
    """Cards for one hook call; raises InputError (→ HTTP 400) naming the bad field."""
    if service_id not in SERVICES:
        raise KeyError(service_id)
    if not isinstance(body, dict):
        raise InputError("request", "must be a JSON object")
    spec = SERVICES[service_id]
    hook = body.get("hook")
    if hook != spec["hook"]:
        raise InputError("hook", f"this service handles {spec['hook']!r}", value=hook)
    hi = body.get("hookInstance")
    if not isinstance(hi, str) or not hi:
        raise InputError("hookInstance", "is required (a UUID string)")
    ctx = body.get("context")
    if not isinstance(ctx, dict):
        raise InputError("context", "is required (an object)")
    if not isinstance(ctx.get("patientId"), str):
        raise InputError("context.patientId", "is required")
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise InputError("prefetch", "must be an object")
    prefetch = prefetch or {}

    draft: list[dict] = []
    focus: list[dict] = []
    if hook in ("order-select", "order-sign"):
        draft = _meds_from(ctx.get("draftOrders"), "context.draftOrders")
        if hook == "order-select":
            sel = ctx.get("selections")
            if not isinstance(sel, list) or not sel:
                raise InputError("context.selections", "is required for order-select (non-empty list)")
            focus = [m for m in draft if m.get("source") in sel]
        else:
            focus = draft
    active = _meds_from(prefetch.get("medications"), "prefetch.medications")
    active += _meds_from(prefetch.get("statements"), "prefetch.statements")
    have_list = "medications" in prefetch or "statements" in prefetch
    # unreadable resources: one warning card each, never hidden, never hiding the readable ones
    unreadable = [_unreadable_card(hi, m) for m in draft + active if m.get("unreadable")]
    draft = [m for m in draft if not m.get("unreadable")]
    active = [m for m in active if not m.get("unreadable")]
    if hook == "order-select":
        focus = [m for m in focus if not m.get("unreadable")]
    elif hook == "order-sign":
        focus = draft
    result = _cards_for(hook, hi, draft, focus, active, have_list)
    result["cards"] = _dedupe(result["cards"] + unreadable)
    return result


def _dedupe(cards: list[dict]) -> list[dict]:
    """One card per key (ingredient); critical first, then warnings, then info (stable)."""
    seen, uniq = set(), []
    for c in cards:
        if c["uuid"] not in seen:
            seen.add(c["uuid"])
            uniq.append(c)
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(uniq, key=lambda c: order.get(c["indicator"], 3))


def _cards_for(hook: str, hi: str, draft: list, focus: list, active: list, have_list: bool) -> dict:
    cards: list[dict] = []
    if hook == "patient-view":
        ldn = [m for m in active if _is_ldn(m)]
        if not have_list:
            return {
                "cards": [
                    _card(
                        hi,
                        "no-list",
                        "info",
                        "LDN opioid screen not run: no medication list was provided (prefetch missing)",
                        "The service needs the `medications` and `statements` prefetch. *" + DISCLAIMER + "*",
                        "unknown",
                    )
                ]
            }
        if not ldn:
            return {"cards": []}
        others = [m for m in active if not _is_ldn(m)]
        cards += _conflict_cards(hi, ldn, others, focus_is_ldn=False, where="active medication")
        return {"cards": cards}

    # order hooks
    if not focus:
        return {"cards": []}
    focus_ldn = [m for m in focus if _is_ldn(m)]
    focus_other = [m for m in focus if not _is_ldn(m)]
    rest = [m for m in draft if m not in focus] + active
    if not have_list and (focus_ldn or any(m["severity"] == "critical" for m in focus_other)):
        cards.append(
            _card(
                hi,
                "no-list",
                "warning",
                "Could not check LDN/opioid conflicts: active medication "
                "list not provided (prefetch missing)",
                "Provide the `medications` and `statements` "
                "prefetch, or check the list manually. *" + DISCLAIMER + "*",
                "unknown",
            )
        )
    if focus_ldn:
        cards += _conflict_cards(hi, focus_ldn, rest + focus_other, focus_is_ldn=True, where="new order")
    ldn_elsewhere = [m for m in rest if _is_ldn(m)]
    if ldn_elsewhere and focus_other:
        cards += _conflict_cards(
            hi, ldn_elsewhere, focus_other, focus_is_ldn=False, where="patient takes LDN"
        )
    return {"cards": cards}


def _conflict_cards(hi: str, ldn: list[dict], others: list[dict], *, focus_is_ldn: bool, where: str) -> list:
    """Cards for every non-trivial finding in ``others`` against LDN; critical first; one per ingredient."""
    out = []
    seen: set[str] = set()
    ldn_ids = [_ref_id(m) for m in ldn if _ref_id(m)]
    for m in sorted(others, key=lambda m: -RANK[m["severity"]]):
        sev = m["severity"]
        if sev in ("none",):
            continue
        if sev == "info" and m["rule"] == "naltrexone_self":
            continue
        # the ingredient(s) that carry the severity: one card per conflicting ingredient, not per product
        key = ",".join(sorted({f["ingredient"] for f in m["findings"] if f["severity"] == sev})) or m["input"]
        if key in seen:
            continue
        seen.add(key)
        indicator = {"critical": "critical", "warning": "warning"}.get(sev, "info")
        names = key.replace(",", ", ") if m["findings"] else repr(m["input"])
        if sev == "unknown":
            summary = f"Could not screen '{_plain(m['input'])}' against LDN — check its ingredients"
        elif sev == "critical":
            summary = f"LDN + {names}: contraindicated — opioid effect blocked, withdrawal risk"
        else:
            summary = f"LDN + {names}: {rules()[m['rule']]['summary']}"
        suggestions = []
        if sev == "critical":
            if focus_is_ldn:
                for rid in ldn_ids:
                    if rid.startswith("MedicationRequest/"):
                        suggestions.append(
                            {
                                "label": "Cancel the naltrexone (LDN) order",
                                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ldnsim:{hi}:{key}:cancel-ldn")),
                                "isRecommended": True,
                                "actions": [
                                    {
                                        "type": "delete",
                                        "description": "Remove the draft LDN order",
                                        "resourceId": [rid],
                                    }
                                ],
                            }
                        )
            else:
                rid = _ref_id(m)
                if rid and rid.startswith("MedicationRequest/") and m.get("origin") == "context.draftOrders":
                    suggestions.append(
                        {
                            "label": f"Cancel the {names} order (patient takes LDN)",
                            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ldnsim:{hi}:{key}:cancel-opioid")),
                            "isRecommended": False,
                            "actions": [
                                {
                                    "type": "delete",
                                    "description": "Remove the draft opioid order",
                                    "resourceId": [rid],
                                }
                            ],
                        }
                    )
        out.append(_card(hi, key, indicator, summary, _detail(m, where), m["rule"], suggestions))
    return out
