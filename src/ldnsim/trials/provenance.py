"""Which model produced a trial result: the ``model`` block of every trial JSON, the report's Model section.

A virtual trial's numbers depend on the model variant (mechanism and occupancy, ``system/variants.yaml``
and ``occupancy.yaml``) and on the parameter set it ran with (the shipped posterior medians of the Bayesian
calibration, a hypothesis variant's values, or the caller's overrides). :func:`model_info` gathers that from
the one parameter set's own provenance (:attr:`ldnsim.data.parameter_set.ParameterSet.provenance`, the
calibration record ``system/posterior.yaml``) instead of restating it, so the block is what the run used.
It holds no clock time or path of this machine: the same run gives the same block (the same-seed tests
compare whole documents).

:meth:`ModelInfo.to_json` is the JSON ``model`` block (keys in docs/trials.md, "Which model: the model
block"); :meth:`ModelInfo.lines` the plain-language lines of the report's and the text output's Model
section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..data.parameter_set import ParameterSet

__all__ = ["ModelInfo", "model_info", "disease_model_info"]

#: the key uncertain value of the pain model (system/parameters.yaml; nM)
IC50 = "tlr4_ic50_nM"
#: calibration record fields carried into the block (variants.yaml ``calibration``; ``sources`` stay there)
_CAL_KEYS = ("method", "command", "commit", "date", "record")


@dataclass(frozen=True)
class ModelInfo:
    """The model behind one trial result.

    variant: canonical model-variant name (``mechanism/occupancy``; ``immune`` for Crohn's/MS designs).
    shipped_default: the variant is the shipped default and ran with the shipped values (no overrides).
    draws: what parameter draws of this variant are (``ParameterSet.provenance["draws"]``), or for a
        posterior-predictive result what its draws were; None where the result has none (disease designs).
    calibration: the variant's calibration record (method, command, commit, date, record file, seed and
        the occupancy variant it was calibrated with), or None where its values were not calibrated.
    tlr4_ic50_nM: the TLR4 IC50 the run used (nM); None where the model has none (disease designs).
    tlr4_ic50_ci95: its 95 % interval (nM) and what kind (``tlr4_ic50_interval``), where known.
    tlr4_ic50_draws: median and 95 % range of the IC50 over a posterior-predictive run's draws (nM).
    overrides: parameter values the caller set on top of the parameter set (system and realism names).
    notes: caveats in words (e.g. values calibrated under another occupancy variant).
    """

    variant: str
    mechanism: str
    occupancy: str | None
    default_variant: str
    shipped_default: bool
    description: str
    occupancy_description: str | None
    values: str
    files: tuple[str, ...]
    draws: str | None
    calibration: Mapping[str, Any] | None
    tlr4_ic50_nM: float | None
    tlr4_block_acts: bool | None
    tlr4_ic50_ci95: tuple[float, float] | None = None
    tlr4_ic50_interval: str | None = None
    tlr4_ic50_draws: Mapping[str, Any] | None = None
    overrides: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    version: str = ""

    @property
    def draws_kind(self) -> str | None:
        """``posterior`` or ``approximate`` (from the ``draws`` text), None without draws."""
        if not self.draws:
            return None
        head = self.draws.split(":", 1)[0].strip().lower()
        return head if head in ("posterior", "approximate") else "other"

    def with_draws(self, kind: str, param_draws: Sequence[Mapping[str, float]]) -> ModelInfo:
        """This block for a posterior-predictive result: ``kind`` is what its draws were, and the IC50 is
        summarised over them where they vary it."""
        ic50 = [float(d[IC50]) for d in param_draws if IC50 in d]
        summary = None
        if ic50:
            lo, hi = np.percentile(ic50, [2.5, 97.5])
            summary = {"n": len(ic50), "median": float(np.median(ic50)), "range95": [float(lo), float(hi)]}
        return replace(self, draws=kind, tlr4_ic50_draws=summary)

    def to_json(self) -> dict[str, Any]:
        ic50: dict[str, Any] | None = None
        if self.tlr4_ic50_nM is not None:
            ic50 = {
                "value": self.tlr4_ic50_nM,
                "unit": "nM",
                "acts": self.tlr4_block_acts,
                "ci95": list(self.tlr4_ic50_ci95) if self.tlr4_ic50_ci95 else None,
                "ci95_kind": self.tlr4_ic50_interval,
            }
            if self.tlr4_ic50_draws is not None:
                ic50["draws"] = dict(self.tlr4_ic50_draws)
        return {
            "variant": self.variant,
            "mechanism": self.mechanism,
            "occupancy": self.occupancy,
            "default_variant": self.default_variant,
            "shipped_default": self.shipped_default,
            "description": self.description,
            "occupancy_description": self.occupancy_description,
            "parameter_set": {
                "values": self.values,
                "files": list(self.files),
                "draws": self.draws,
                "draws_kind": self.draws_kind,
                "calibration": dict(self.calibration) if self.calibration else None,
                "overrides": dict(self.overrides),
            },
            "tlr4_ic50_nM": ic50,
            "notes": list(self.notes),
            "ldnsim_version": self.version,
        }

    def lines(self) -> list[tuple[str, str]]:
        """(label, plain-language text) per field, for the report's and the CLI text's Model section."""
        if self.shipped_default:
            which = f"{self.variant} (the shipped default)"
        else:
            which = f"{self.variant} — NOT the shipped default ({self.default_variant})"
        out = [("Model variant", which), ("Mechanism", f"{self.mechanism}: {self.description}")]
        if self.occupancy is not None:
            out.append(("Occupancy", f"{self.occupancy}: {self.occupancy_description}"))
        out.append(("Parameter values", self.values))
        cal = self.calibration
        if cal:
            run = "; ".join(f"{label} {cal[k]}" for k, label in (
                ("command", "run with:"), ("commit", "commit"), ("date", "date"), ("seed", "seed"),
                ("record", "record")) if cal.get(k) is not None)
            out.append(("Calibration", f"{cal.get('method', '')} ({run})"))
        elif self.occupancy is not None:
            out.append(("Calibration", "none recorded for this variant: its values are stated, with their "
                                       "derivation, in system/variants.yaml"))
        if self.draws:
            out.append(("Parameter draws", self.draws))
        if self.tlr4_ic50_nM is not None:
            txt = f"{_nm(self.tlr4_ic50_nM, 4)} nM"
            if self.tlr4_ic50_ci95:
                lo, hi = self.tlr4_ic50_ci95
                txt += f" (95% {self.tlr4_ic50_interval} interval {_nm(lo)}–{_nm(hi)} nM)"
            if self.tlr4_ic50_draws:
                d = self.tlr4_ic50_draws
                lo, hi = d["range95"]
                txt += (f"; over the {d['n']} draws median {_nm(d['median'])} nM, "
                        f"95% range {_nm(lo)}–{_nm(hi)} nM")
            if not self.tlr4_block_acts:
                txt += "; the glial TLR4 block is switched off in this variant, so it does not act"
            out.append(("TLR4 IC50 (key unknown)", txt))
        if self.overrides:
            out.append(("Overrides", ", ".join(f"{k} = {v:.4g}" for k, v in sorted(self.overrides.items()))))
        out += [("Note", n) for n in self.notes]
        out.append(("ldnsim version", self.version))
        return out


def _nm(x: float, digits: int = 3) -> str:
    """A concentration in plain digits to ``digits`` significant figures (``53,600``, ``0.239``)."""
    s = float(f"{x:.{digits}g}")
    return f"{s:,.0f}" if abs(s) >= 10 ** (digits - 1) else f"{s:g}"


def _version() -> str:
    from .._version import __version__

    return __version__


def _overrides(*sources: Mapping[str, float] | None) -> dict[str, float]:
    """The caller's parameter values (``None`` values are no override, as in the runners)."""
    return {str(k): float(v) for src in sources for k, v in (src or {}).items() if v is not None}


def _calibration(cal: Mapping[str, Any]) -> dict[str, Any] | None:
    """The variant's calibration record, with the seed and occupancy variant of the Bayesian calibration when
    the record is ``system/posterior.yaml`` (its ``meta``)."""
    if not cal:
        return None
    from ..data.posterior import POSTERIOR_RECORD, posterior_record

    out = {k: cal[k] for k in _CAL_KEYS if k in cal}
    if cal.get("record") == POSTERIOR_RECORD:
        meta = (posterior_record() or {}).get("meta") or {}
        out["seed"] = meta.get("seed")
        out["occupancy_variant"] = meta.get("occupancy_variant")
    return out


def _ic50_interval(ps: ParameterSet) -> tuple[tuple[float, float] | None, str | None]:
    """The IC50's 95 % interval (nM): the posterior's population median where the variant was sampled with
    this occupancy (its own posterior: ``full/parent-transient`` never uses ``full``'s), else the
    profile-likelihood interval of its entry, else none."""
    from ..data.posterior import posterior_samples

    post = posterior_samples(ps.posterior_key)
    if post is not None and f"log10_{IC50}" in post:
        lo, hi = 10.0 ** np.percentile(post[f"log10_{IC50}"], [2.5, 97.5])
        return (float(lo), float(hi)), "posterior"
    if IC50 in ps.uncertainty:
        lo, hi = ps.uncertainty[IC50]
        return (float(lo), float(hi)), "profile-likelihood"
    return None, None


def model_info(
    variant: str = "full",
    *,
    params: Mapping[str, float] | None = None,
    realism: Mapping[str, float] | None = None,
    use_calibrated: bool = True,
) -> ModelInfo:
    """The model block of a pain-model trial run with ``variant`` and the caller's overrides (``params``:
    system names, ``realism``: dotted realism names), from the shipped parameter set's provenance.
    Raises :class:`~ldnsim.errors.InputError` for an unknown variant."""
    from ..data.parameter_set import DEFAULT_VARIANT, check_variant, load_parameter_set
    from ..data.posterior import POSTERIOR_RECORD

    ps = load_parameter_set(variant)
    prov = ps.provenance
    default = check_variant(DEFAULT_VARIANT)
    overrides = _overrides(params, realism)
    cal = _calibration(prov.get("calibration") or {})
    notes: list[str] = []
    if not use_calibrated:
        values = ("uncalibrated starting values (system/parameters.yaml and trials/realism.yaml as written, "
                  "not this variant's calibrated values)")
    elif cal and cal.get("record") == POSTERIOR_RECORD:
        values = "posterior medians of the Bayesian calibration of this variant (its shipped values)"
    elif cal:
        values = "the calibrated values of this variant"
    else:
        values = ("the shipped values with this variant's own, stated with their derivation in "
                  "system/variants.yaml (no calibration record of its own)")
    if overrides:
        values += ", with the caller's overrides"
    calibrated_occ = (cal or {}).get("occupancy_variant")
    if calibrated_occ and calibrated_occ != ps.occupancy:
        notes.append(f"the values were calibrated with occupancy variant {calibrated_occ}, not refitted for "
                     f"{ps.occupancy}")
    ic50 = float(overrides.get(IC50, ps.system[IC50]))
    ci, ci_kind = _ic50_interval(ps)
    if IC50 in overrides:  # the run's IC50 is the caller's, not the interval's centre
        notes.append(f"the TLR4 IC50 was set by the caller ({ic50:.4g} nM); its interval is the parameter "
                     "set's")
    return ModelInfo(
        variant=ps.name,
        mechanism=ps.variant,
        occupancy=ps.occupancy,
        default_variant=default,
        shipped_default=ps.name == default and not overrides and use_calibrated,
        description=str(prov.get("description", "")),
        occupancy_description=str(prov.get("occupancy_description", "")),
        values=values,
        files=tuple(prov.get("files", ())),
        draws=str(prov.get("draws", "")) or None,
        calibration=cal,
        tlr4_ic50_nM=ic50,
        tlr4_block_acts=bool(ps.switches.get("tlr4_on", 1.0)) and bool(ps.switches.get("drug_on", 1.0)),
        tlr4_ic50_ci95=ci,
        tlr4_ic50_interval=ci_kind,
        overrides=overrides,
        notes=tuple(notes),
        version=_version(),
    )


def disease_model_info(
    condition: str,
    *,
    params: Mapping[str, float] | None = None,
    readout: Mapping[str, float] | None = None,
    use_calibrated: bool = True,
) -> ModelInfo:
    """The model block of a Crohn's or MS trial: the immune module with the condition's readout (the pain
    model's variants and its TLR4 IC50 do not apply)."""
    from ..immune._params import CONDITIONS_FILE, PARAMETERS_FILE
    from .disease.params import CALIBRATED_FILE, calibrated_record

    overrides = _overrides(params, readout)
    calibrated = use_calibrated and bool(calibrated_record().get(condition))
    values = (f"the readout's grid-fit values ({CALIBRATED_FILE}) on disease/{condition}.yaml"
              if calibrated else f"disease/{condition}.yaml as written (not calibrated)")
    if overrides:
        values += ", with the caller's overrides"
    cal = ({"method": "grid fit with profile-likelihood intervals of the readout parameters",
            "command": "python -m ldnsim.trials.disease.calibrate", "record": CALIBRATED_FILE}
           if calibrated else None)
    return ModelInfo(
        variant="immune",
        mechanism="immune",
        occupancy=None,
        default_variant="immune",
        shipped_default=not overrides and use_calibrated,
        description=(f"The immune module (OGF-OGFr slowing of lymphocyte proliferation, cytokines, tissue "
                     f"inflammation) with the {condition} readout; the pain model's variants do not apply."),
        occupancy_description=None,
        values=values,
        files=(PARAMETERS_FILE, CONDITIONS_FILE, f"disease/{condition}.yaml", CALIBRATED_FILE),
        draws=None,
        calibration=cal,
        tlr4_ic50_nM=None,
        tlr4_block_acts=None,
        overrides=overrides,
        version=_version(),
    )
