"""One exception family for ldnsim.

Every error a user can cause is an :class:`InputError` that names the offending field and,
where there is one, the accepted range, so that the CLI can print it and exit with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "LdnsimError",
    "InputError",
    "UnknownNameError",
    "SolverError",
    "DataFileError",
]


class LdnsimError(Exception):
    """Base class of every error ldnsim raises on purpose."""

    exit_code = 1


class InputError(LdnsimError, ValueError):
    """Bad user input: names the field, what was wrong, and what is accepted.

    >>> raise InputError("dose", "must be positive", accepted="0.001-2000 mg", value=-1)
    Traceback (most recent call last):
    ...
    ldnsim.errors.InputError: dose: must be positive (got -1; accepted: 0.001-2000 mg)
    """

    exit_code = 2

    def __init__(self, field: str, problem: str, *, accepted: str | None = None, value: object = None):
        self.field = field
        self.problem = problem
        self.accepted = accepted
        self.value = value
        msg = f"{field}: {problem}"
        extras = []
        if value is not None:
            extras.append(f"got {value!r}")
        if accepted:
            extras.append(f"accepted: {accepted}")
        if extras:
            msg += f" ({'; '.join(extras)})"
        super().__init__(msg)


class UnknownNameError(InputError):
    """A name (drug, condition, preset) that is not known; suggests the nearest known names."""

    def __init__(self, field: str, value: str, known: Iterable[str]):
        from rapidfuzz import process, utils

        known = sorted(set(known))
        # case-insensitive; a cutoff of 70 keeps real near-misses ("fibro", "naltrexon", "Crohns disease")
        # and drops the partial-match noise of short names ("lupus" or "migraine" → "ms" scored 60)
        matches = [
            m[0]
            for m in process.extract(
                str(value), known, limit=3, score_cutoff=70, processor=utils.default_process
            )
        ]
        self.suggestions = matches
        hint = f"did you mean {' or '.join(matches)}?" if matches else "no similar name is known"
        super().__init__(field, f"unknown {field} {value!r}; {hint}", accepted=", ".join(known))


class SolverError(LdnsimError):
    """A numerical failure (non-finite state, step-size underflow). Never silently returns NaN."""


class DataFileError(LdnsimError):
    """A shipped or user-supplied data file is malformed; names the file and the field."""

    exit_code = 2
