"""``ldnsim simulate``: one patient's pain and mechanism states under a regimen (daily means)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import DISCLAIMER, app, emit_json

PANEL = (
    ("microglia", "activated microglia"),
    ("cytokines", "cytokines"),
    ("glutamate", "glutamate"),
    ("nmda_drive", "NMDA drive"),
    ("sensitisation", "sensitisation"),
    ("endorphin", "endorphin tone"),
    ("mu_density", "μ density"),
    ("tolerance", "tolerance"),
)


def _plot(ds, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = ds["time_days"].values
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True, gridspec_kw={"height_ratios": [2, 2, 2]})
    axes[0].plot(t, ds["pain_nrs"].values[0], color="black")
    axes[0].set_ylabel("pain (NRS 0-10)")
    axes[0].set_ylim(0, 10)
    axes[0].set_title(f"{ds.attrs['condition']} ({ds.attrs['variant']}) — {DISCLAIMER}", fontsize=9)
    for name, label in PANEL[:4]:
        axes[1].plot(t, ds[name].values[0], label=label)
    axes[1].set_ylabel("glia → NMDA (relative)")
    axes[1].legend(fontsize=8, ncol=2)
    for name, label in PANEL[4:]:
        axes[2].plot(t, ds[name].values[0], label=label)
    axes[2].set_ylabel("sensitisation / opioid system")
    axes[2].set_xlabel("days")
    axes[2].legend(fontsize=8, ncol=2)
    for d in sorted({float(x) / 24.0 for x in ds["dose_time_h"].values})[:1]:
        axes[0].axvline(d, color="grey", lw=0.5)
    fig.tight_layout()
    from .._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


@app.command("simulate")
def simulate_cmd(
    condition: str = typer.Option(
        "fibromyalgia", "--condition",
        help="Condition preset: a pain condition (fibromyalgia, crps, ...) or crohns / ms (immune module)."),
    regimen: str = typer.Option("", "--regimen", help='Regimen text, e.g. "naltrexone 4.5 mg nightly".'),
    days: float = typer.Option(180.0, "--days", help="Days to simulate."),
    variant: str = typer.Option(
        "full", "--variant",
        help="model variant: a mechanism (system/variants.yaml: full, mu-only, null, tlr4, mu-rebound, ogf, "
             "mu-rebound+ogf), optionally /occupancy (data/occupancy.yaml: metabolite-sustained, the "
             "default, or parent-transient), e.g. mu-rebound/parent-transient",
    ),
    esr: float = typer.Option(None, "--esr", help="ESR (mm/h); default: the preset's."),
    plot: Path = typer.Option(None, "--plot", help="Write pain over a mechanism panel to this PNG."),
    engine: str = typer.Option(
        None, "--engine", help="numpy | jax | dask: compute pain on a population engine as well, and report "
        "its agreement with the reference integrator (states and occupancies come from the reference)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Simulate pain and the neuroimmune mechanism under a regimen (daily means); for crohns / ms, the
    peripheral immune / OGF-OGFr module (docs/immune.md)."""
    from .._io import check_output_path
    from ..simulate import simulate

    if plot is not None:  # before the run: a bad path fails fast, and no folder is created
        plot = check_output_path(plot, "--plot", (".png",))
    if _immune_condition(condition) is not None:
        _simulate_immune_cmd(condition, regimen, days, variant, esr, plot, engine, json_out)
        return
    _check_condition(condition)

    ds = simulate(regimen or None, condition=condition, days=days, variant=variant, esr_mm_h=esr)
    from ..system import STATE_NAMES

    doc = {
        "condition": ds.attrs["condition"],
        "variant": ds.attrs["variant"],
        "regimen": regimen,
        "time_days": ds["time_days"].values,
        "pain_nrs": ds["pain_nrs"].values[0],
        "states": {k: ds[k].values[0] for k in (*STATE_NAMES, "cytokines", "ros", "glutamate", "nmda_drive",
                                                   "opioid_tone", "firing")},
        "occupancy": {
            "mu": ds["mu_antagonist"].values[0],
            "mu_agonist": ds["mu_agonist"].values[0],
            "mu_endogenous": ds["mu_endogenous"].values[0],
            "tlr4": ds["tlr4_inhibition"].values[0],
            "nmda": ds["nmda_block"].values[0],
        },
        "disclaimer": DISCLAIMER,
    }
    if engine is not None:
        eng = simulate(regimen or None, condition=condition, days=days, variant=variant, esr_mm_h=esr,
                       engine=engine)
        pain_engine = eng["pain_nrs"].values[0]
        doc["engine"] = engine
        doc["engine_max_abs_diff_nrs"] = float(abs(pain_engine - doc["pain_nrs"]).max())
        doc["pain_nrs"] = pain_engine
    if plot is not None:
        _plot(ds, plot)
        doc["plot"] = str(plot)
    if json_out:
        emit_json(doc)
        return
    p = ds["pain_nrs"].values[0]
    typer.echo(f"{doc['condition']} ({doc['variant']}), regimen: {regimen or 'none'}")
    for d in range(0, p.size, 7):
        typer.echo(f"day {d:4d}  pain {p[d]:4.1f}  microglia {ds['microglia'].values[0, d]:.2f}  "
                   f"sensitisation {ds['sensitisation'].values[0, d]:.2f}")
    typer.echo(DISCLAIMER)


def _immune_condition(condition: str) -> str | None:
    from ..immune import normalise_condition

    return normalise_condition(condition)


def _check_condition(condition: str) -> None:
    """A condition neither model covers is refused (exit 2) naming every accepted one — never run on the
    pain model's nearest guess."""
    from ..errors import UnknownNameError
    from ..immune import condition_names as immune_conditions
    from ..system import condition_names, condition_params

    try:
        condition_params(condition)
    except UnknownNameError:
        raise UnknownNameError("condition", condition, [*condition_names(), *immune_conditions()]) from None


#: the immune module's panel: (variable, label)
IMMUNE_PANEL = (
    ("ogf", "OGF"),
    ("ogfr_density", "OGFr density"),
    ("lymphocyte_proliferation", "lymphocyte proliferation"),
    ("cytokines", "cytokines"),
)


def _simulate_immune_cmd(condition, regimen, days, variant, esr, plot, engine, json_out) -> None:
    """``simulate --condition crohns|ms``: the immune module (pain-model options are refused, not ignored)."""
    from ..errors import InputError
    from ..immune import STATE_NAMES, simulate_immune

    if variant != "full":
        raise InputError("--variant", f"applies to the pain model only, not to {condition!r}",
                         accepted="full (the default) for crohns / ms")
    if esr is not None:
        raise InputError("--esr", f"applies to the pain model only, not to {condition!r}",
                         accepted="leave out for crohns / ms")
    ds = simulate_immune(regimen or None, days, condition, engine=engine or "numpy")
    tissue = "mucosal_inflammation" if ds.attrs["condition"] == "crohns" else "cns_inflammation"
    doc = {
        "condition": ds.attrs["condition"],
        "model": "immune",
        "regimen": regimen,
        "engine": ds.attrs["engine"],
        "time_days": ds["time_days"].values,
        "tissue_inflammation": tissue,
        "states": {k: ds[k].values[0] for k in STATE_NAMES},
        "cytokines": ds["cytokines"].values[0],
        "occupancy": {"ogfr": ds["ogfr_occupancy"].values[0]},
        "ogfr_blockade_hours": ds["ogfr_blockade_hours"].values[0],
        "disclaimer": DISCLAIMER,
    }
    from ..trials.disease import typical_readout

    readout = typical_readout(doc["condition"], ds[tissue].values[0])
    doc["readout_typical_patient"] = readout
    doc["readout_note"] = (
        "the disease readout (docs/conditions.md) of a patient with population-mean traits: drug effect "
        "only, no placebo, natural course or visit noise (those are in the trial designs: ldnsim trial "
        "smith2011, cree2010)"
    )
    if plot is not None:
        _plot_immune(ds, tissue, plot)
        doc["plot"] = str(plot)
    if json_out:
        emit_json(doc)
        return
    typer.echo(f"{doc['condition']} (immune / OGF-OGFr module), regimen: {regimen or 'none'}")
    v = ds[tissue].values[0]
    score = "cdai" if doc["condition"] == "crohns" else "sf36_mcs"
    for d in range(0, v.size, 7):
        typer.echo(f"day {d:4d}  {tissue.replace('_', ' ')} {v[d]:5.2f}  OGFr occupancy "
                   f"{ds['ogfr_occupancy'].values[0, d]:.2f}  proliferation "
                   f"{ds['lymphocyte_proliferation'].values[0, d]:.3f}  OGF {ds['ogf'].values[0, d]:.2f}  "
                   f"{score} {readout[score][d]:.1f}")
    typer.echo(DISCLAIMER)


def _plot_immune(ds, tissue: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = ds["time_days"].values
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    axes[0].plot(t, ds[tissue].values[0], color="black")
    axes[0].set_ylabel(tissue.replace("_", " ") + "\n(untreated 1)")
    axes[0].set_ylim(bottom=0)
    axes[0].set_title(f"{ds.attrs['condition']} (immune / OGF-OGFr) — {DISCLAIMER}", fontsize=9)
    for name, label in IMMUNE_PANEL:
        axes[1].plot(t, ds[name].values[0], label=label)
    axes[1].set_ylabel("relative to untreated (1)")
    axes[1].legend(fontsize=8, ncol=2)
    axes[2].plot(t, ds["ogfr_occupancy"].values[0], label="OGFr occupancy (daily mean)")
    axes[2].plot(t, ds["ogfr_blockade_hours"].values[0] / 24.0, label="fraction of day > 50% blocked")
    axes[2].set_ylabel("fraction")
    axes[2].set_ylim(0, 1)
    axes[2].set_xlabel("days")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    from .._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
