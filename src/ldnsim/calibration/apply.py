"""Make the shipped point values the posterior medians (``ldnsim calibrate --apply-medians``).

``full`` is the default model: its medians go into ``system/parameters.yaml`` (``tlr4_ic50_nM``) and
``trials/realism.yaml`` (expectation by blinding at the reference design, design-feature coefficients), by
editing the entries' lines in place (comments and layout kept). Every other calibrated variant gets its
medians in its ``system/variants.yaml`` entry. A median of a derived quantity is the median of its draws
(e.g. the double-blind expectation ``cap · sigmoid(a + b_D)``), not the transform of medians.

A variant calibrated with a non-default occupancy (``full/parent-transient``) gets NO point values: it has
no ``variants.yaml`` entry of its own (the occupancy is a second axis, ``occupancy.yaml``, combined with
any mechanism entry), and writing its medians into the mechanism's entry would silently change the
default-occupancy model too. Its posterior is used as DRAWS only (``ParameterSet.draws``, the posterior
trials); a point-value run of ``full/parent-transient`` uses ``full``'s medians, which were calibrated
with the default occupancy, and ``ParameterSet.provenance["draws"]`` says so. The returned ``not_applied``
lists these variants.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import yaml

from .._io import atomic_write_text
from ..data import data_path
from ..data.posterior import POSTERIOR_RECORD, posterior_record, posterior_samples, posterior_variants

__all__ = ["point_values", "apply_medians"]


class _NoAliases(yaml.SafeDumper):
    """Writes repeated values (the variants' shared source lists) in full, not as ``&id001`` anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def point_values(variant: str, cap: float) -> dict[str, float]:
    """Posterior medians of the shipped parameters of ``variant`` (system and dotted realism names)."""
    s = posterior_samples(variant)
    if s is None:
        raise ValueError(f"no shipped posterior for variant {variant!r}")
    out = {
        "placebo.expectation.single": float(np.median(cap * _sig(s["placebo_logit_single"]))),
        "placebo.expectation.double": float(
            np.median(cap * _sig(s["placebo_logit_single"] + s["placebo_logit_double_shift"]))
        ),
        "placebo.design.length_logit": float(np.median(s["placebo_length_logit"])),
        "placebo.design.recall_logit": float(np.median(s["placebo_recall_logit"])),
    }
    if "log10_tlr4_ic50_nM" in s:
        out["tlr4_ic50_nM"] = float(10 ** np.median(s["log10_tlr4_ic50_nM"]))
    return out


#: where the TLR4 IC50 sits in system/parameters.yaml (dotted)
IC50_ENTRY = "receptor_coupling.tlr4_ic50_nM"


def _unit(doc: Any, dotted: str) -> str:
    """The ``unit`` of the entry at ``dotted`` in a parsed data file (the shipped entry's own unit)."""
    node = doc
    for key in dotted.split("."):
        node = node[key]
    return str(node["unit"])


def _g(x: float) -> str:
    return f"{x:.5g}"


def _set_entry(text: str, dotted: str, value: float, derived: str, drop: tuple[str, ...] = ()) -> str:
    """Rewrite the ``value:`` (and ``derived:``) line of the entry at ``dotted`` in a YAML text."""
    lines = text.split("\n")
    start, indent = 0, -1
    for key in dotted.split("."):
        pat = re.compile(r"^(\s*)" + re.escape(key) + r":\s*$")
        for i in range(start, len(lines)):
            m = pat.match(lines[i])
            if m and len(m.group(1)) > indent:
                start, indent = i + 1, len(m.group(1))
                break
        else:
            raise KeyError(dotted)
    end = start
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    body = [ln for ln in lines[start:end] if not any(ln.strip().startswith(f"{d}:") for d in drop)]
    pad = " " * (indent + 2)
    new, seen = [], set()
    for ln in body:
        k = ln.strip().split(":", 1)[0]
        if k == "value":
            ln = f"{pad}value: {_g(value)}"
            seen.add("value")
        elif k == "derived":
            ln = f"{pad}derived: {json.dumps(derived, ensure_ascii=False)}"
            seen.add("derived")
        new.append(ln)
    if "derived" not in seen:
        new.insert(1, f"{pad}derived: {json.dumps(derived, ensure_ascii=False)}")
    return "\n".join(lines[:start] + new + lines[end:])


def apply_medians() -> dict[str, Any]:
    """Write the posterior medians as the shipped values; returns what was written per file."""
    rec = posterior_record()
    if rec is None:
        raise FileNotFoundError("no shipped posterior: run `ldnsim calibrate --write` first")
    meta = rec["meta"]
    real_path = data_path("trials/realism.yaml")
    real_doc = yaml.safe_load(real_path.read_text(encoding="utf-8"))
    cap = float(real_doc["placebo"]["expectation_cap"]["value"])
    note = (
        f"posterior median of the Bayesian calibration (ldnsim calibrate; record system/posterior.yaml: "
        f"{meta['command']}, commit {meta['commit']}, {meta['date']}, seed {meta['seed']})"
    )
    written: dict[str, Any] = {}
    full = point_values("full", cap)
    sys_path = data_path("system/parameters.yaml")
    text = sys_path.read_text(encoding="utf-8")
    sys_doc = yaml.safe_load(text)
    if "tlr4_ic50_nM" in full:
        d = rec["variants"]["full"]["diagnostics"]["log10_tlr4_ic50_nM"]
        text = _set_entry(
            text,
            IC50_ENTRY,
            full["tlr4_ic50_nM"],
            f"{note}; 95% CrI 10^{d['q2.5']:.2f}-10^{d['q97.5']:.2f} nM under the in-vitro prior "
            "(system/calibration.yaml; prior-data conflict in docs/credibility.md)",
            drop=("ci95_profile", "note"),  # the prior (sensitivity range) stays
        )
        atomic_write_text(sys_path, text)
        written["system/parameters.yaml"] = {"tlr4_ic50_nM": full["tlr4_ic50_nM"]}
    rtext = real_path.read_text(encoding="utf-8")
    for k, v in full.items():
        if k.startswith("placebo."):
            rtext = _set_entry(
                rtext, k, v, f"{note} (reference design: daily diary, 12 weeks)", drop=("assumed", "reason")
            )
    atomic_write_text(real_path, rtext)
    written["trials/realism.yaml"] = {k: v for k, v in full.items() if k.startswith("placebo.")}
    var_path = data_path("system/variants.yaml")
    doc = yaml.safe_load(var_path.read_text(encoding="utf-8"))
    method = {
        "method": "Bayesian calibration: GP emulators of the virtual trials + NUTS (numpyro) on a "
        "hierarchical model; shipped values are posterior medians",
        "command": meta["command"],
        "commit": meta["commit"],
        "date": meta["date"],
        "record": POSTERIOR_RECORD,
    }
    for v, spec in doc["variants"].items():
        if posterior_samples(v) is None:
            continue
        spec["calibration"] = {**method, "sources": (spec.get("calibration") or {}).get("sources", [])}
        if v == "full":
            continue
        pv = point_values(v, cap)
        spec["realism"] = {
            k: {"value": float(_g(x)), "unit": _unit(real_doc, k), "derived": note}
            for k, x in pv.items() if k.startswith("placebo.")
        }
        if "tlr4_ic50_nM" in pv:
            old = (spec.get("system") or {}).get("tlr4_ic50_nM") or {}
            spec.setdefault("system", {})["tlr4_ic50_nM"] = {
                "value": float(_g(pv["tlr4_ic50_nM"])),
                "unit": _unit(sys_doc, IC50_ENTRY),
                "derived": note,
                **({"prior": old["prior"]} if "prior" in old else {}),
            }
        written.setdefault("system/variants.yaml", {})[v] = pv
    head = (
        "# Structural variants of the one model (ldnsim.data.parameter_set.load_parameter_set).\n"
        "# Each variant is declared as data over the one system: structural switches, plus the values\n"
        "# calibrated for it (posterior medians written by `ldnsim calibrate --apply-medians`; record\n"
        "# system/posterior.yaml). Values not listed are the shipped values of parameters.yaml /\n"
        "# realism.yaml, which are the 'full' variant's posterior medians.\n"
    )
    atomic_write_text(var_path, head + yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, width=110,
                                                 allow_unicode=True))
    skipped = [v for v in posterior_variants() if v not in doc["variants"]]
    if skipped:
        written["not_applied"] = {
            v: "occupancy variant: no variants.yaml entry of its own; its posterior is used as draws only, "
            "its point values stay those of its mechanism variant"
            for v in skipped
        }
    return written
