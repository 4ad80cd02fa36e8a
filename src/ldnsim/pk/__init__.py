"""Pharmacokinetics: drug files, exact linear compartment models, covariates, effect compartments.

Public names (others code against these):

- :func:`load_drug`, :func:`known_drugs`, :func:`resolve_drug` — drug files and names.
- :class:`DrugSpec` and the schema models — see ``docs/drug-files.md``.
"""

from __future__ import annotations

from ._drugs import all_drugs, drug_file, known_drugs, load_drug, resolve_drug
from ._schema import DrugSpec, Param, parse_drug

__all__ = [
    "DrugSpec",
    "Param",
    "parse_drug",
    "load_drug",
    "known_drugs",
    "resolve_drug",
    "drug_file",
    "all_drugs",
]
