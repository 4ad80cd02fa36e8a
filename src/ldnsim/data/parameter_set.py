"""The one parameter set of the model: system values, trial-realism values and their provenance.

Every consumer (``ldnsim.simulate`` through :func:`ldnsim.system.resolve_params`, virtual trials,
engines, SBML export, clinical model-based holds) reads its parameter values through
:func:`load_parameter_set`, so there is one set in circulation. The values come from:

1. ``system/parameters.yaml`` (system) and ``trials/realism.yaml`` (trial realism): the shipped values,
   which are the calibrated ones of the default (``full``) model;
2. ``system/variants.yaml``: each structural (mechanism) variant is declared there as data over the one
   system (switches such as ``tlr4_on`` and the values refitted for that variant);
3. ``occupancy.yaml``: the occupancy variants (``metabolite-sustained``, ``parent-transient``): where the
   sustained part of naltrexone's brain μ occupancy comes from, as effect-site values of naltrexone and
   6β-naltrexol. A model variant is a mechanism variant and an occupancy variant: ``"mu-rebound"`` (the
   default occupancy) or ``"mu-rebound/parent-transient"``.

``ParameterSet.draws`` returns parameter draws for uncertainty propagation: for a variant calibrated by
the Bayesian calibration (``ldnsim calibrate``; ``system/posterior.npz``; each mechanism/occupancy pair is
its own calibrated variant, :func:`posterior_key`), draws of its POSTERIOR for a new
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
    "OCCUPANCY_FILE",
    "occupancy_variant_names",
    "default_occupancy",
    "split_variant",
    "check_variant",
    "posterior_key",
]

VARIANTS_FILE = "system/variants.yaml"
SYSTEM_FILE = "system/parameters.yaml"
REALISM_FILE = "trials/realism.yaml"
DEFAULT_VARIANT = "full"
OCCUPANCY_FILE = "occupancy.yaml"
#: separates the mechanism variant from the occupancy variant in a model-variant name
VARIANT_SEP = "/"
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


@cache
def _occupancy_doc() -> dict:
    doc = load_yaml(OCCUPANCY_FILE)
    vs = doc.get("variants") if isinstance(doc, dict) else None
    if not isinstance(vs, dict) or doc.get("default") not in vs:
        raise DataFileError(f"{OCCUPANCY_FILE}: needs a 'variants' mapping and a 'default' that names one")
    return doc


def occupancy_variant_names() -> tuple[str, ...]:
    """Names of the declared occupancy variants (``occupancy.yaml``), the default first."""
    doc = _occupancy_doc()
    return (doc["default"], *(k for k in doc["variants"] if k != doc["default"]))


def default_occupancy() -> str:
    """The occupancy variant that ships as default (``occupancy.yaml`` ``default``)."""
    return str(_occupancy_doc()["default"])


def split_variant(name: str) -> tuple[str, str]:
    """``"mechanism[/occupancy]"`` → (mechanism, occupancy), the default occupancy when none is named.
    Raises :class:`~ldnsim.errors.InputError` naming the accepted values for an unknown part."""
    text = str(name).strip()
    mech, sep, occ = text.partition(VARIANT_SEP)
    mech = mech.strip()
    occ = occ.strip() if sep else default_occupancy()
    if mech not in _variants():
        raise InputError("variant", f"unknown model variant {mech!r}",
                         accepted=", ".join(_variants()) + f" (optionally {VARIANT_SEP}"
                         + "|".join(occupancy_variant_names()) + ")", value=name)
    if occ not in _occupancy_doc()["variants"]:
        raise InputError("variant", f"unknown occupancy variant {occ!r}",
                         accepted=", ".join(occupancy_variant_names()), value=name)
    return mech, occ


def check_variant(name: str) -> str:
    """The canonical model-variant name (``mechanism/occupancy``) of ``name``, or InputError."""
    mech, occ = split_variant(name)
    return f"{mech}{VARIANT_SEP}{occ}"


def posterior_key(name: str) -> str:
    """The name a model variant has in the Bayesian calibration and its files (``system/posterior.*``):
    the mechanism alone for the default occupancy variant (``"full"``, also for
    ``"full/metabolite-sustained"``; the files written before occupancy variants were calibrated use it),
    ``"mechanism/occupancy"`` for another occupancy variant (``"full/parent-transient"``). InputError for
    an unknown part."""
    mech, occ = split_variant(name)
    return mech if occ == default_occupancy() else f"{mech}{VARIANT_SEP}{occ}"


@dataclass(frozen=True)
class ParameterSet:
    """One complete, read-only parameter set of the model.

    system: every system parameter, ``name -> float`` (units in ``system/parameters.yaml``).
    realism: trial-realism parameters by dotted name (``placebo.expectation.double`` …; units in
        ``trials/realism.yaml``).
    variant: the mechanism variant's name (``system/variants.yaml``).
    occupancy: the occupancy variant's name (``occupancy.yaml``).
    pk: the occupancy variant's effect-site values by eta key (``naltrexone/6beta-naltrexol.kp_uu`` → value;
        ke0 in 1/h, kp_uu fraction): what the PK layer uses in place of the drug file's values.
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
    occupancy: str = ""
    pk: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The canonical model-variant name, ``mechanism/occupancy``."""
        return f"{self.variant}{VARIANT_SEP}{self.occupancy}"

    @property
    def posterior_key(self) -> str:
        """This variant's name in the Bayesian calibration's files (:func:`posterior_key`)."""
        return posterior_key(self.name)

    def draws(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` parameter draws, each a flat dict of the uncertain parameters (system names and dotted
        realism names) to pass as overrides. See ``provenance["draws"]`` for what they are.

        With a shipped posterior for this model variant (mechanism AND occupancy:
        ``full/parent-transient`` uses only draws calibrated with parent-transient occupancy, never
        ``full``'s): posterior draws for a NEW trial
        (:func:`ldnsim.data.posterior.new_study_draws`: the sampled population parameters, each with a
        fresh study-level random effect; expectation values are the reference design's, adjusted per
        design by the trial layer). Otherwise independent log-normal draws with the shipped value as
        median and the log-width of the profile-likelihood 95 % interval: an approximation.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= int(n) <= 100000:
            raise InputError("n", "number of draws out of range", accepted="1-100000", value=n)
        from .posterior import new_study_draws, posterior_samples

        # each occupancy variant has its own posterior (calibrated with its own effect-site values)
        post = posterior_samples(self.posterior_key)
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


def _occupancy_values(occ: str) -> dict[str, float]:
    spec = _occupancy_doc()["variants"][occ] or {}
    out = {}
    for k, e in (spec.get("values") or {}).items():
        out[f"naltrexone/{k}"] = float(value_of(e))
    return out


@cache
def _load(variant: str) -> ParameterSet:
    variants = _variants()
    variant, occ = split_variant(variant)
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
        "occupancy": occ,
        "occupancy_description": str((_occupancy_doc()["variants"][occ] or {}).get("description", "")),
        "files": [SYSTEM_FILE, REALISM_FILE, VARIANTS_FILE, OCCUPANCY_FILE],
        "calibration": dict(spec.get("calibration") or {}),
        "draws": _draws_kind(variant, occ),
    }
    return ParameterSet(
        variant=variant,
        system=MappingProxyType(system),
        realism=MappingProxyType(realism),
        provenance=MappingProxyType(provenance),
        switches=MappingProxyType(switches),
        uncertainty=MappingProxyType(uncertainty),
        occupancy=occ,
        pk=MappingProxyType(_occupancy_values(occ)),
    )


def _draws_kind(variant: str, occupancy: str) -> str:
    from .posterior import posterior_record, posterior_samples

    key = posterior_key(f"{variant}{VARIANT_SEP}{occupancy}")
    if posterior_samples(key) is not None:
        meta = (posterior_record() or {}).get("meta", {})
        point = (
            "" if key == variant else
            f"; calibrated with the {occupancy!r} occupancy variant. Its POINT values are {variant!r}'s "
            f"(system/variants.yaml; calibrated, where at all, with the default {default_occupancy()!r} "
            "occupancy): `--apply-medians` writes no point values for occupancy variants"
        )
        return (f"POSTERIOR: Bayesian calibration draws of {key!r} for a new trial "
                f"(system/posterior.npz key {key!r}; "
                f"command {meta.get('command', '?')!r}, commit {meta.get('commit', '?')}, "
                f"date {meta.get('date', '?')}, seed {meta.get('seed', '?')}){point}")
    return ("APPROXIMATE: independent log-normal per parameter from the profile-likelihood 95% "
            f"intervals of the calibration (not a Bayesian posterior; {key!r} has no shipped posterior)")


def load_parameter_set(variant: str = DEFAULT_VARIANT) -> ParameterSet:
    """The shipped parameter set of ``variant``: a mechanism variant
    (``ldnsim.data.parameter_set.variant_names()``), optionally ``/`` an occupancy variant
    (:func:`occupancy_variant_names`; the default occupancy when none is named).

    Cached and read-only; copy ``dict(ps.system)`` to modify. Raises
    :class:`~ldnsim.errors.InputError` for an unknown variant.
    """
    return _load(check_variant(variant))
