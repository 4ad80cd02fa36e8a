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
    condition: str = typer.Option("fibromyalgia", "--condition", help="Condition preset."),
    regimen: str = typer.Option("", "--regimen", help='Regimen text, e.g. "naltrexone 4.5 mg nightly".'),
    days: float = typer.Option(180.0, "--days", help="Days to simulate."),
    variant: str = typer.Option(
        "full", "--variant",
        help="model variant (system/variants.yaml): full, mu-only, null, tlr4, mu-rebound, ogf, "
             "mu-rebound+ogf",
    ),
    esr: float = typer.Option(None, "--esr", help="ESR (mm/h); default: the preset's."),
    plot: Path = typer.Option(None, "--plot", help="Write pain over a mechanism panel to this PNG."),
    engine: str = typer.Option(
        None, "--engine", help="numpy | jax | dask: compute pain on a population engine as well, and report "
        "its agreement with the reference integrator (states and occupancies come from the reference)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Simulate pain and the neuroimmune mechanism under a regimen (daily means)."""
    from .._io import check_output_path
    from ..simulate import simulate

    if plot is not None:  # before the run: a bad path fails fast, and no folder is created
        plot = check_output_path(plot, "--plot", (".png",))

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
