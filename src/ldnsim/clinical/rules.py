"""The interaction rule base (``ldnsim/data/clinical/rules.yaml``) and the severity order."""

from __future__ import annotations

from functools import cache

from .._disclaimer import DISCLAIMER
from ..errors import DataFileError
from ._doccache import cached_doc

__all__ = ["SEVERITIES", "RANK", "rules", "sources", "source_list", "max_severity", "DISCLAIMER"]


#: severities from lowest to highest. `unknown` (not screened) ranks above `warning`: an unresolved entry
#: must be resolved by a person before the list is called safe, so it must never hide behind a warning.
SEVERITIES = ("none", "info", "warning", "unknown", "critical")
RANK = {s: i for i, s in enumerate(SEVERITIES)}


@cache
def _doc() -> dict:
    doc = cached_doc("clinical/rules.yaml")
    for rid, r in doc["rules"].items():
        if r.get("severity") not in RANK:
            raise DataFileError(
                f"clinical/rules.yaml: rules.{rid}.severity {r.get('severity')!r} not in {SEVERITIES}"
            )
        for s in r.get("sources") or []:
            if s not in doc["sources"]:
                raise DataFileError(f"clinical/rules.yaml: rules.{rid}.sources names unknown source {s!r}")
    return doc


def rules() -> dict:
    return _doc()["rules"]


def sources() -> dict:
    return _doc()["sources"]


def source_list(ids: list[str]) -> list[dict]:
    """Expand source ids → ``[{id, cite, url, grade}]``."""
    src = sources()
    return [{"id": i, **src[i]} for i in ids]


def max_severity(values) -> str:
    vals = list(values)
    return max(vals, key=RANK.__getitem__) if vals else "none"
