"""``ldnsim pk`` (single-dose PK and receptor occupancy of one drug) and ``ldnsim drugs``."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json

AT_H = (2, 8, 24, 48, 72)
WEIGHT_RANGE = (20.0, 300.0)
EGFR_RANGE = (1.0, 200.0)
HOURS_RANGE = (1.0, 24.0 * 60)


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def pk_report(
    drug: str,
    dose: str | float,
    formulation: str | None = None,
    hours: float = 72.0,
    weight: float = 70.0,
    hepatic: str = "none",
    egfr: float = 100.0,
    cyp2d6: str = "em",
    points: int = 241,
) -> dict:
    """The document ``ldnsim pk --json`` prints (also used by the report and web layers).

    dose: text with a unit ("4.5 mg", "250 mcg") or mg; hours: length of the time course (h).
    """
    import numpy as np

    from ..pk import Covariates, load_drug, resolve_drug, simulate_pk, single_dose_metrics
    from ..pk._simulate import Event
    from ..receptors import occupancy_from_pk
    from ..units import check_range, parse_mass

    drug_id = resolve_drug(drug)
    spec = load_drug(drug_id)
    lo, hi = spec.dose_range_mg or (0.0, 2000.0)
    dose_mg = parse_mass(dose, "--dose", default_unit=None if isinstance(dose, str) else "mg", lo=0.0, hi=hi)
    if dose_mg < lo:
        raise InputError("--dose", "below the accepted range", accepted=f"{lo:g}-{hi:g} mg", value=dose)
    form = (formulation or spec.default_formulation or "").strip().lower()
    if form not in spec.formulations:
        from ..errors import UnknownNameError

        raise UnknownNameError("--formulation", form, spec.formulations)
    hours = check_range("--hours", float(hours), *HOURS_RANGE, "h")
    check_range("--weight", float(weight), *WEIGHT_RANGE, "kg", lo_inclusive=True)
    check_range("--egfr", float(egfr), *EGFR_RANGE, "mL/min", lo_inclusive=True)
    try:
        cov = Covariates(weight_kg=float(weight), hepatic=hepatic, egfr_ml_min=float(egfr), cyp2d6=cyp2d6)
    except InputError as exc:
        raise InputError(f"--{exc.field.replace('_ml_min', '').replace('_kg', '')}", exc.problem,
                         accepted=exc.accepted, value=exc.value) from None
    metrics = single_dose_metrics(drug_id, dose_mg, form, cov)
    tc = np.linspace(0.0, hours, points)
    t_all = np.unique(np.r_[tc, np.asarray(AT_H, dtype=float)])
    ds = simulate_pk([Event(0.0, drug_id, dose_mg, form, 0.0)], t_all, cov)
    occ = occupancy_from_pk(ds)
    mu = occ["mu_antagonist"].values[0] + occ["mu_agonist_occupancy"].values[0]
    tlr_i = occ["tlr4_inhibition"].values[0]
    tlr_a = occ["tlr4_agonism"].values[0]
    nmda = occ["nmda_block"].values[0]
    idx_at = {str(h): int(np.searchsorted(t_all, h)) for h in AT_H}
    idx_tc = np.searchsorted(t_all, tc)

    def at(series) -> dict[str, float]:
        return {k: float(series[i]) for k, i in idx_at.items()}

    from ..receptors import default_params

    analytes = {
        a: {
            "cmax_ng_ml": m["cmax_ng_ml"],
            "tmax_h": m["tmax_h"],
            "t_half_h": _finite(m["t_half_h"]),
            "auc_ng_h_ml": m["auc_ng_h_ml"],
        }
        for a, m in metrics.items()
    }
    names = [str(a) for a in ds.analyte.values]
    roles = {a: an.receptors.mu.role for a, an in spec.analytes.items() if an.receptors.mu is not None}
    doc = {
        "drug": drug_id,
        "name": spec.name,
        "dose_mg": dose_mg,
        "formulation": form,
        "dose_basis": spec.dose_basis.salt if spec.dose_basis is not None else "base",
        "covariates": {"weight_kg": float(weight), "hepatic": str(cov.arrays(1)["hepatic"][0]),
                       "egfr_ml_min": float(egfr), "cyp2d6": str(cov.arrays(1)["cyp2d6"][0])},
        "analytes": analytes,
        "occupancy": {
            "mu": {"at_h": at(mu), "peak": float(mu.max()), "roles": roles,
                   "note": "fraction of brain mu-opioid receptors occupied by this drug and its metabolites"},
            "tlr4": {"at_h": at(tlr_i), "peak": float(tlr_i.max()), "agonism_at_h": at(tlr_a),
                     "ic50_nM": default_params()["tlr4_ic50_nM"],
                     "note": "TLR4 IC50 is an assumed, uncertain parameter (prior 10 nM-100 uM)"},
            "nmda": {"at_h": at(nmda), "peak": float(nmda.max())},
        },
        "timecourse": {
            "time_h": np.round(tc, 6),
            "plasma_ng_ml": {str(a): ds.plasma_ng_ml.sel(analyte=a).values[0][idx_tc] for a in names},
            "effect_nM": {str(a): ds.effect_nM.sel(analyte=a).values[0][idx_tc] for a in names},
            "mu_occupancy": mu[idx_tc],
            "tlr4_inhibition": tlr_i[idx_tc],
            "tlr4_agonism": tlr_a[idx_tc],
            "nmda_block": nmda[idx_tc],
        },
        "disclaimer": DISCLAIMER,
    }
    return doc


def _plot(doc: dict, path: Path) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tc = doc["timecourse"]
    t = np.asarray(tc["time_h"])
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for a, c in tc["plasma_ng_ml"].items():
        c = np.asarray(c)
        ax1.plot(t, np.where(c > 0, c, np.nan), label=a)
    ax1.set_yscale("log")
    ax1.set_ylabel("plasma (ng/mL)")
    ax1.legend()
    ax1.set_title(f"{doc['name']} {doc['dose_mg']:g} mg {doc['formulation']} — {DISCLAIMER}", fontsize=8)
    ax2.plot(t, tc["mu_occupancy"], label="μ occupancy")
    ax2.plot(t, tc["tlr4_inhibition"], label="TLR4 inhibition")
    if max(tc["tlr4_agonism"]) > 0:
        ax2.plot(t, tc["tlr4_agonism"], label="TLR4 agonism")
    if max(tc["nmda_block"]) > 0:
        ax2.plot(t, tc["nmda_block"], label="NMDA block")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("fraction")
    ax2.set_xlabel("time after dose (h)")
    ax2.legend()
    fig.tight_layout()
    from .._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format=path.suffix.lower().lstrip("."))
    plt.close(fig)


def _print_table(doc: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"{doc['name']} {doc['dose_mg']:g} mg ({doc['formulation']}), single dose")
    for col in ("analyte", "Cmax ng/mL", "Tmax h", "t½ h", "AUC ng·h/mL"):
        t.add_column(col)
    for a, m in doc["analytes"].items():
        th = m["t_half_h"]
        t.add_row(a, f"{m['cmax_ng_ml']:.4g}", f"{m['tmax_h']:.2f}", "-" if th is None else f"{th:.2f}",
                  f"{m['auc_ng_h_ml']:.4g}")
    con.print(t)
    o = Table(title="receptor occupancy / effect (fraction)")
    o.add_column("target")
    for h in AT_H:
        o.add_column(f"{h} h")
    o.add_column("peak")
    for key, label in (("mu", "μ-opioid"), ("tlr4", "TLR4 inhibition"), ("nmda", "NMDA block")):
        d = doc["occupancy"][key]
        o.add_row(label, *[f"{d['at_h'][str(h)]:.2f}" for h in AT_H], f"{d['peak']:.2f}")
    con.print(o)
    con.print(doc["disclaimer"])


@app.command("pk")
def pk_cmd(
    drug: str = typer.Argument(..., help="Drug name, e.g. naltrexone, LDN, naloxone, dextromethorphan."),
    dose: str = typer.Option(..., "--dose", help="Dose with unit, e.g. 4.5mg, 250mcg (labelled amount)."),
    formulation: str = typer.Option(None, "--formulation", help="ir | sr | liquid | iv | … (drug-specific)."),
    hours: float = typer.Option(72.0, "--hours", help="Length of the time course, h (1-1440)."),
    weight: float = typer.Option(70.0, "--weight", help="Body weight, kg (20-300)."),
    hepatic: str = typer.Option("none", "--hepatic", help="none | mild | moderate | severe."),
    egfr: float = typer.Option(100.0, "--egfr", help="eGFR, mL/min (1-200)."),
    cyp2d6: str = typer.Option("em", "--cyp2d6", help="pm | im | em | um."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    plot: Path = typer.Option(None, "--plot", help="Write a PNG/SVG/PDF of concentrations and occupancy."),
) -> None:
    """Single-dose PK (Cmax, Tmax, t½, AUC per analyte) and receptor occupancy over time."""
    if plot is not None:
        from .._io import check_output_path

        plot = check_output_path(plot, "--plot", (".png", ".svg", ".pdf"))
    doc = pk_report(drug, dose, formulation, hours, weight, hepatic, egfr, cyp2d6)
    if plot is not None:
        _plot(doc, plot)
        doc["plot"] = str(plot)
    if json_out:
        emit_json(doc)
    else:
        _print_table(doc)


def drugs_list() -> list[dict]:
    """Every shipped compound with formulations, analytes and the sources its numbers were read from."""
    from ..data import iter_parameters, load_yaml
    from ..pk import drug_file, known_drugs, load_drug

    out = []
    for d in known_drugs():
        spec = load_drug(d)
        seen: dict[str, str | None] = {}
        n_assumed = 0
        n_total = 0
        for _path, entry in iter_parameters(load_yaml(drug_file(d))):
            n_total += 1
            n_assumed += bool(entry.get("assumed"))
            for s in entry.get("source") or []:
                if isinstance(s, dict) and s.get("cite") and s["cite"] not in seen:
                    seen[s["cite"]] = s.get("url")
        out.append({
            "id": spec.id,
            "name": spec.name,
            "class": spec.drug_class,
            "synonyms": spec.synonyms,
            "formulations": {k: f.label for k, f in spec.formulations.items()},
            "analytes": list(spec.analytes),
            "parameters": n_total,
            "assumed": n_assumed,
            "sources": [{"cite": c, "url": u} for c, u in seen.items()],
        })
    return out


@app.command("drugs")
def drugs_cmd(json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List the compounds ldnsim knows, with their formulations and sources."""
    items = drugs_list()
    if json_out:
        emit_json({"drugs": items, "disclaimer": DISCLAIMER})
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="ldnsim compounds")
    for col in ("id", "class", "formulations", "analytes", "params (assumed)", "sources"):
        t.add_column(col)
    for it in items:
        t.add_row(it["id"], it["class"], ", ".join(it["formulations"]), ", ".join(it["analytes"]),
                  f"{it['parameters']} ({it['assumed']})", str(len(it["sources"])))
    con = Console()
    con.print(t)
    con.print(DISCLAIMER)
