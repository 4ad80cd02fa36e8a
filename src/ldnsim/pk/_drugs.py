"""Loading and naming of drug files (``ldnsim/data/drugs/<id>.yaml``)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..data import data_path, load_yaml
from ..errors import DataFileError, UnknownNameError
from ._schema import DrugSpec, parse_drug

__all__ = ["load_drug", "known_drugs", "resolve_drug", "drug_file", "all_drugs"]


def _drugs_dir() -> Path:
    return data_path("drugs")


def drug_file(drug_id: str) -> Path:
    """Path of a shipped drug file."""
    return _drugs_dir() / f"{drug_id}.yaml"


@cache
def known_drugs() -> list[str]:
    """Ids of all shipped drug files (sorted)."""
    d = _drugs_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.yaml") if not p.stem.startswith("_"))


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).strip().lower())


@cache
def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for drug_id in known_drugs():
        spec = load_drug(drug_id)
        for name in spec.all_names():
            table.setdefault(_norm(name), drug_id)
    return table


def resolve_drug(text: str) -> str:
    """Drug id for a name, synonym or alias (case and separators ignored).

    Raises :class:`~ldnsim.errors.UnknownNameError` (exit code 2) with the nearest known names.
    """
    key = _norm(text)
    if not key:
        raise UnknownNameError("drug", str(text), known_drugs())
    ids = known_drugs()
    if key in {_norm(i) for i in ids}:
        return next(i for i in ids if _norm(i) == key)
    table = _alias_table()
    if key in table:
        return table[key]
    raise UnknownNameError("drug", str(text), ids)


@cache
def load_drug(name: str) -> DrugSpec:
    """Load and validate a drug file by id, name or synonym. Cached: treat the result as read-only.

    Raises :class:`~ldnsim.errors.DataFileError` naming the file and field when the file is malformed.
    """
    drug_id = name if name in known_drugs() else resolve_drug(name)
    path = drug_file(drug_id)
    spec = parse_drug(load_yaml(path), str(path))
    if spec.id != drug_id:
        raise DataFileError(f"{path}: id: {spec.id!r} must equal the file name {drug_id!r}")
    return spec


def all_drugs() -> list[DrugSpec]:
    """Every shipped drug, validated."""
    return [load_drug(d) for d in known_drugs()]
