"""Which conditions ldnsim covers, with which model, and the refusal of everything else.

Lives in the data layer so that every layer (the pain facade :func:`ldnsim.simulate`, the trial schema, the
N-of-1 analysis, the CLI and the web) can ask it before anything runs.

Pure lookups (no numpy): the CLI, the web forms, the trial schema and the N-of-1 analysis call these
before anything is simulated, so an uncovered condition is refused with a clear message (InputError,
exit 2 in the CLI, HTTP 4xx in the web) and never silently run on the pain model.
"""

from __future__ import annotations

from ..errors import InputError, UnknownNameError

__all__ = [
    "DISEASE_CONDITIONS",
    "DISEASE_ENDPOINT_KINDS",
    "ALIASES",
    "disease_condition",
    "is_disease_condition",
    "covered_conditions",
    "check_condition",
    "refuse_disease_condition",
]

#: conditions read out by a disease-activity model over the immune module (not the pain model)
DISEASE_CONDITIONS: dict[str, str] = {
    "crohns": "Crohn's disease: mucosal inflammation (immune module) read out as CDAI, PCDAI and CDEIS",
    "ms": "multiple sclerosis: CNS inflammation (immune module) read out as MSQLI-54 quality of life",
}

#: other spellings people type for them
ALIASES: dict[str, str] = {
    "crohn": "crohns",
    "crohn's": "crohns",
    "crohns disease": "crohns",
    "crohn's disease": "crohns",
    "crohn disease": "crohns",
    "cd": "crohns",
    "multiple sclerosis": "ms",
    "multiple_sclerosis": "ms",
}

#: endpoint kinds of each disease condition (trial schema)
DISEASE_ENDPOINT_KINDS: dict[str, tuple[str, ...]] = {
    "crohns": (
        "cdai_response",
        "cdai_remission",
        "cdai_change",
        "endoscopic_response",
        "endoscopic_remission",
        "pcdai_response",
        "pcdai_remission",
        "pcdai_change",
    ),
    "ms": ("qol_score", "qol_change"),
}


def _key(name: str) -> str:
    return str(name).strip().lower().replace("-", " ").replace("_", " ")


def disease_condition(name: str) -> str | None:
    """The canonical disease condition (``crohns``/``ms``) for ``name`` or an alias; None for any other."""
    k = _key(name)
    if k.replace(" ", "") in DISEASE_CONDITIONS:
        return k.replace(" ", "")
    return ALIASES.get(k) or ALIASES.get(k.replace(" ", "_"))


def is_disease_condition(name: str) -> bool:
    return disease_condition(name) is not None


def _pain_conditions() -> list[str]:
    from . import load_yaml

    return sorted(k for k, v in load_yaml("system/conditions.yaml").items() if isinstance(v, dict))


def covered_conditions() -> dict[str, list[str]]:
    """``{"pain model": [...], "immune model": [...]}``: every condition ldnsim can simulate."""
    return {"pain model": _pain_conditions(), "immune model": sorted(DISEASE_CONDITIONS)}


def check_condition(
    name: str, field: str = "condition", *, allow: tuple[str, ...] = ("pain", "disease")
) -> str:
    """The canonical name of a covered condition, or :class:`InputError` naming ``field``.

    ``allow``: which models the caller can run (``pain``, ``disease``). A disease condition asked of a
    pain-only tool (e.g. the N-of-1 pain analysis) is refused with the reason, never run on the pain model.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(field, "a condition is required", accepted=_accepted(allow))
    dis = disease_condition(name)
    if dis is not None:
        if "disease" not in allow:
            refuse_disease_condition(dis, field)
        return dis
    pain = _pain_conditions()
    key = _key(name).replace(" ", "_")
    if key in pain:
        if "pain" not in allow:
            raise InputError(
                field,
                f"{name!r} is a pain condition; this tool covers "
                f"{', '.join(sorted(DISEASE_CONDITIONS))} only",
                accepted=_accepted(allow),
            )
        return key
    known = (pain if "pain" in allow else []) + (sorted(DISEASE_CONDITIONS) if "disease" in allow else [])
    err = UnknownNameError(field, name, known)
    raise InputError(
        field,
        f"condition {name!r} is not covered by ldnsim's models and is not run on the pain model"
        + (f"; did you mean {' or '.join(err.suggestions)}?" if err.suggestions else ""),
        accepted=_accepted(allow),
    )


def refuse_disease_condition(name: str, field: str = "condition") -> None:
    """Raise the refusal for a disease condition asked of the pain model."""
    raise InputError(
        field,
        f"{name!r} is modelled by the immune module with its own readout ({DISEASE_CONDITIONS[name]}), "
        "not by the pain model this tool uses; use ldnsim.immune.simulate_immune, `ldnsim simulate "
        f"--condition {name}` or a trial design (`ldnsim trial smith2011`, `ldnsim trial cree2010`)",
        accepted="pain conditions: " + ", ".join(_pain_conditions()),
    )


def _accepted(allow: tuple[str, ...]) -> str:
    parts = []
    if "pain" in allow:
        parts.append("pain model: " + ", ".join(_pain_conditions()))
    if "disease" in allow:
        parts.append("immune model: " + ", ".join(sorted(DISEASE_CONDITIONS)))
    return "; ".join(parts)
