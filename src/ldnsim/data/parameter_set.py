"""The one parameter set of the model: system values, trial-realism values and their provenance.

Every consumer (``ldnsim.simulate`` through :func:`ldnsim.system.resolve_params`, virtual trials,
engines, SBML export, clinical model-based holds) reads its parameter values through
:func:`load_parameter_set`, so there is one set in circulation. The values come from:

1. ``system/parameters.yaml`` (system) and ``trials/realism.yaml`` (trial realism): the shipped values,
   which are the calibrated ones of the default (``full``) model;
2. ``system/variants.yaml``: each structural variant is declared there as data over the one system
   (switches such as ``tlr4_on`` and the values refitted for that variant).

``ParameterSet.draws`` returns parameter draws for uncertainty propagation: for a variant calibrated by
the Bayesian calibration (``ldnsim calibrate``; ``system/posterior.npz``), draws of its POSTERIOR for a new
trial (population parameters with a fresh study-level random effect, :func:`ldnsim.data.posterior.
new_study_draws`); for any other variant, APPROXIMATE draws built from the profile-likelihood intervals
(independent log-normal per parameter). ``provenance["draws"]`` says which kind they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import DataFileError, InputError
from . import iter_parameters, load_yaml, value_of

__all__ = [
    "ParameterSet",
    "load_parameter_set",
    "system_entries",
    "realism_defaults",
    "variant_names",
    "VARIANTS_FILE",
    "DEFAULT_VARIANT",
]

VARIANTS_FILE = "system/variants.yaml"
SYSTEM_FILE = "system/parameters.yaml"
REALISM_FILE = "trials/realism.yaml"
DEFAULT_VARIANT = "full"
#: z of a two-sided 95 % interval
_Z95 = 1.959963984540054


def realism_defaults() -> dict[str, float]:
    """The values of ``trials/realism.yaml`` as written (dotted names, a fresh dict), before any variant's
    calibrated values: what :mod:`ldnsim.trials.calibrate` starts from. The parameter set's ``realism``
    is this with the variant's values on top."""
    return {dotted: float(value_of(e)) for dotted, e in iter_parameters(load_yaml(REALISM_FILE))}


@cache
def system_entries() -> dict[str, dict]:
    """Every system parameter entry (value, unit, provenance …) of ``system/parameters.yaml`` by its flat
    name (cached; do not mutate). The one reader of that file's entries: the parameter set and
    :func:`ldnsim.system.parameter_entries` both come from here. Names must be unique across groups."""
    out: dict[str, dict] = {}
    for dotted, entry in iter_parameters(load_yaml(SYSTEM_FILE)):
        name = dotted.split(".")[-1]
        if name in out:
            raise DataFileError(f"{SYSTEM_FILE}: parameter name {name!r} appears twice")
        out[name] = entry
    return out


@cache
def _variants() -> dict[str, dict]:
    doc = load_yaml(VARIANTS_FILE)
    out = doc.get("variants") if isinstance(doc, dict) else None
    if not isinstance(out, dict) or DEFAULT_VARIANT not in out:
        raise DataFileError(f"{VARIANTS_FILE}: needs a 'variants' mapping with a {DEFAULT_VARIANT!r} entry")
    return out


def variant_names() -> tuple[str, ...]:
    """Names of the declared model variants (``full`` first)."""
    return tuple(_variants())


@dataclass(frozen=True)
class ParameterSet:
    """One complete, read-only parameter set of the model.

    system: every system parameter, ``name -> float`` (units in ``system/parameters.yaml``).
    realism: trial-realism parameters by dotted name (``placebo.expectation.double`` …; units in
        ``trials/realism.yaml``).
    variant: the structural variant's name.
    provenance: where the values come from (files, calibration record, kind of ``draws``).
    switches: the variant's structural switches (``tlr4_on``: 1 when glial TLR4 block acts, 0 when not).
    uncertainty: per-parameter 95 % intervals ``name -> (lo, hi)`` used by :meth:`draws`.
    """

    variant: str
    system: Mapping[str, float]
    realism: Mapping[str, float]
    provenance: Mapping[str, Any]
    switches: Mapping[str, float] = field(default_factory=dict)
    uncertainty: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def draws(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` parameter draws, each a flat dict of the uncertain parameters (system names and dotted
        realism names) to pass as overrides. See ``provenance["draws"]`` for what they are.

        With a shipped posterior for this variant: posterior draws for a NEW trial
        (:func:`ldnsim.data.posterior.new_study_draws`: the sampled population parameters, each with a
        fresh study-level random effect; expectation values are the reference design's, adjusted per
        design by the trial layer). Otherwise independent log-normal draws with the shipped value as
        median and the log-width of the profile-likelihood 95 % interval: an approximation.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= int(n) <= 100000:
            raise InputError("n", "number of draws out of range", accepted="1-100000", value=n)
        from .posterior import new_study_draws, posterior_samples

        post = posterior_samples(self.variant)
        if post is not None:
            return new_study_draws(post, int(n), seed, float(self.realism["placebo.expectation_cap"]))
        rng = np.random.default_rng(seed)
        out: list[dict[str, float]] = [dict() for _ in range(int(n))]
        for name, (lo, hi) in sorted(self.uncertainty.items()):
            centre = self.system.get(name, self.realism.get(name))
            if centre is None or centre <= 0 or lo <= 0 or hi <= 0:
                continue
            sd = max(np.log(hi / centre), np.log(centre / lo)) / _Z95
            vals = centre * np.exp(rng.normal(0.0, sd, int(n)))
            for d, v in zip(out, vals, strict=True):
                d[name] = float(v)
        return out


def _uncertainty_of(entry: Mapping[str, Any]) -> tuple[float, float] | None:
    ci = entry.get("ci95_profile") if isinstance(entry, Mapping) else None
    if isinstance(ci, list | tuple) and len(ci) == 2:
        return float(ci[0]), float(ci[1])
    return None


@cache
def _load(variant: str) -> ParameterSet:
    variants = _variants()
    if variant not in variants:
        raise InputError("variant", f"unknown model variant {variant!r}", accepted=", ".join(variants),
                         value=variant)
    spec = variants[variant] or {}
    sys_entries = system_entries()
    system = {k: float(value_of(e)) for k, e in sys_entries.items()}
    realism = realism_defaults()
    uncertainty: dict[str, tuple[float, float]] = {}
    for k, e in sys_entries.items():
        u = _uncertainty_of(e)
        if u:
            uncertainty[k] = u
    switches = {k: float(v) for k, v in (spec.get("switches") or {}).items()}
    for block, target in (("system", system), ("realism", realism)):
        for k, e in (spec.get(block) or {}).items():
            if k not in target:
                raise DataFileError(
                    f"{VARIANTS_FILE}: variant {variant!r} sets unknown {block} parameter {k!r}"
                )
            target[k] = float(value_of(e))
            u = _uncertainty_of(e)
            if u:
                uncertainty[k] = u
    provenance = {
        "variant": variant,
        "description": str(spec.get("description", "")),
        "files": [SYSTEM_FILE, REALISM_FILE, VARIANTS_FILE],
        "calibration": dict(spec.get("calibration") or {}),
        "draws": _draws_kind(variant),
    }
    return ParameterSet(
        variant=variant,
        system=MappingProxyType(system),
        realism=MappingProxyType(realism),
        provenance=MappingProxyType(provenance),
        switches=MappingProxyType(switches),
        uncertainty=MappingProxyType(uncertainty),
    )


def _draws_kind(variant: str) -> str:
    from .posterior import posterior_record, posterior_samples

    if posterior_samples(variant) is not None:
        meta = (posterior_record() or {}).get("meta", {})
        return (f"POSTERIOR: Bayesian calibration draws of {variant!r} for a new trial "
                f"(system/posterior.npz; "
                f"command {meta.get('command', '?')!r}, commit {meta.get('commit', '?')}, "
                f"date {meta.get('date', '?')}, seed {meta.get('seed', '?')})")
    return ("APPROXIMATE: independent log-normal per parameter from the profile-likelihood 95% "
            "intervals of the calibration (not a Bayesian posterior; this variant has no shipped posterior)")


def load_parameter_set(variant: str = DEFAULT_VARIANT) -> ParameterSet:
    """The shipped parameter set of ``variant`` (``ldnsim.data.parameter_set.variant_names()``).

    Cached and read-only; copy ``dict(ps.system)`` to modify. Raises
    :class:`~ldnsim.errors.InputError` for an unknown variant.
    """
    return _load(str(variant))
