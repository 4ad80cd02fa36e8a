"""Key outputs of ldnsim's wired model, dumped to .npz and compared (the "behaviour unchanged" check of
issue 12: the model layer moved the wiring, not the numbers).

    python -m bench.model_regression dump OUT.npz          # record (run on the old and on the new code)
    python -m bench.model_regression compare OLD.npz NEW.npz [--tol 1e-12]

Cases (fixed seeds): ``simulate()`` with the reference integrator (daily and hourly; treated, untreated,
ultra-low dose with an opioid, a patient table with covariates/ESR/parameter columns, the μ-only variant),
``simulate(..., engine=NAME)`` and virtual populations (``LdnModel`` × ``Problem``) on every available engine,
the exact-PK time course and the SBML export of the whole model (its initial state and its text), and the
immune / OGF-OGFr module on every engine with its SBML export (group ``imm``; a group one dump lacks is noted,
not compared).
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import numpy as np

REGIMENS = {
    "ldn": "naltrexone 4.5 mg nightly",
    "uld": "morphine 10 mg every 6 hours; naltrexone 0.001 mg every 12 hours",
    "std": "naltrexone 50 mg daily",
}


def _patients():
    import pandas as pd

    return pd.DataFrame({"weight_kg": [55.0, 70.0, 95.0], "esr_mm_h": [5.0, 20.0, 60.0],
                         "k_Sd": [0.02, 0.03, 0.05], "cyp2d6": ["pm", "em", "um"]})


def _reference_cases() -> dict[str, np.ndarray]:
    from ldnsim import simulate

    out: dict[str, np.ndarray] = {}
    cases = {
        "untreated_fm": dict(regimen=None, condition="fibromyalgia", days=20),
        "ldn_fm": dict(regimen=REGIMENS["ldn"], condition="fibromyalgia", days=28),
        "ldn_crps_hourly": dict(regimen=REGIMENS["ldn"], condition="crps", days=3, output="hourly"),
        "uld_fm": dict(regimen=REGIMENS["uld"], condition="fibromyalgia", days=10),
        "std_table": dict(regimen=REGIMENS["std"], condition="fibromyalgia", days=14, patients=_patients()),
        "ldn_muonly": dict(regimen=REGIMENS["ldn"], condition="painful_diabetic_neuropathy", days=14,
                           variant="mu-only", esr_mm_h=30.0),
        "healthy_ldn": dict(regimen=REGIMENS["ldn"], condition="healthy", days=7, dt_h=12.0, n_sub=6),
    }
    for name, kw in cases.items():
        ds = simulate(**kw)
        for v in ds.data_vars:
            arr = ds[v].values
            if arr.dtype.kind in "fiu":
                out[f"ref/{name}/{v}"] = np.asarray(arr, dtype=float)
        for c in ("time_h", "time_days"):
            out[f"ref/{name}/{c}"] = np.asarray(ds[c].values, dtype=float)
    return out


def _engine_cases(engines: list[str]) -> dict[str, np.ndarray]:
    from ldnsim import simulate
    from ldnsim.engines import LdnModel, Problem, get_engine

    out: dict[str, np.ndarray] = {}
    models = {
        "pop_ldn": (LdnModel(REGIMENS["ldn"], "fibromyalgia", days=21), dict(n_patients=40, seed=3)),
        "pop_uld_pkiiv": (LdnModel(REGIMENS["uld"], "crps", days=10, pk_iiv=True),
                          dict(n_patients=24, seed=5)),
        "pop_untreated": (LdnModel(None, "chronic_low_back_pain", days=12), dict(n_patients=16, seed=7)),
        "typical_std": (LdnModel(REGIMENS["std"], "fibromyalgia", days=14, population=False),
                        dict(n_patients=2, seed=0, rtol=1e-4)),
    }
    for eng_name in engines:
        opts = {"n_workers": 1} if eng_name == "dask" else {}
        eng = get_engine(eng_name.split(":")[0], **opts) if ":" not in eng_name else \
            get_engine("jax", mode=eng_name.split(":")[1])
        try:
            for case, (model, pkw) in models.items():
                res = eng.run(Problem(model, endpoint_days=tuple(range(model.days)), **pkw))
                for k, v in res.endpoints().items():
                    out[f"eng/{eng_name}/{case}/{k}"] = np.asarray(v, dtype=float)
            if ":" not in eng_name:
                ds = simulate(REGIMENS["ldn"], "fibromyalgia", days=10, patients=_patients(), engine=eng_name,
                              seed=1)
                out[f"eng/{eng_name}/simulate/pain_nrs"] = ds["pain_nrs"].values.astype(float)
                out[f"eng/{eng_name}/simulate/final_state"] = ds["final_state"].values.astype(float)
        finally:
            close = getattr(eng, "close", None)
            if close is not None:
                close()
    return out


def _pk_and_sbml() -> dict[str, np.ndarray]:
    from ldnsim.engines import pk_timecourse
    from ldnsim.regimen import Regimen
    from ldnsim.sbml import full_model_spec, pk_model_spec, sbml_string

    out: dict[str, np.ndarray] = {}
    events = list(Regimen.parse(REGIMENS["uld"]).events(72.0))
    tc = pk_timecourse(events, np.linspace(0.0, 72.0, 145))
    for k, v in tc.items():
        out[f"pk/{k}"] = np.asarray(v, dtype=float)
    for name, reg, cond in (("ldn", REGIMENS["ldn"], "fibromyalgia"), ("uld", REGIMENS["uld"], "crps"),
                            ):
        evs = list(Regimen.parse(reg).events(96.0)) if reg else []
        spec, info = full_model_spec(evs, days=4, condition=cond)
        out[f"sbml/{name}/y0"] = np.asarray(info["y0"], dtype=float)
        text = sbml_string(spec)
        digest = hashlib.sha1(text.encode()).digest()
        out[f"sbml/{name}/sha1"] = np.frombuffer(digest, dtype=np.uint8).astype(float)
    spec, _ = pk_model_spec(events, days=3)
    out["sbml/pk/sha1"] = np.frombuffer(hashlib.sha1(sbml_string(spec).encode()).digest(),
                                        dtype=np.uint8).astype(float)
    return out


def _immune_cases(engines: list[str]) -> dict[str, np.ndarray]:
    """The immune / OGF-OGFr module (ldnsim.immune): typical and sampled patients on every engine, and its
    SBML export (issue 15)."""
    try:
        from ldnsim.immune import OUTPUT_NAMES, simulate_immune
    except ModuleNotFoundError:  # code from before the module: no immune group
        return {}
    from ldnsim.regimen import Regimen
    from ldnsim.sbml import immune_model_spec, sbml_string

    out: dict[str, np.ndarray] = {}
    cases = {
        "ldn_crohns": (REGIMENS["ldn"], "crohns", 28, dict(n_patients=6, seed=4)),
        "std_ms": (REGIMENS["std"], "ms", 21, dict(n_patients=2, rtol=1e-4)),
        "untreated_ms": (None, "ms", 7, {}),
    }
    for eng_name in [e for e in engines if ":" not in e]:
        eng = None
        if eng_name == "dask":
            from ldnsim.engines.dask_engine import DaskEngine

            eng = DaskEngine(n_workers=1, processes=False)
        try:
            for case, (reg, cond, days, kw) in cases.items():
                ds = simulate_immune(reg, days, cond, engine=eng or eng_name, **kw)
                for k in (*OUTPUT_NAMES, "final_state"):
                    out[f"imm/{eng_name}/{case}/{k}"] = ds[k].values.astype(float)
        finally:
            if eng is not None:
                eng.close()
    events = list(Regimen.parse(REGIMENS["ldn"]).events(96.0))
    spec, info = immune_model_spec(events, days=4, condition="crohns")
    out["imm/sbml/y0"] = np.asarray(info["y0"], dtype=float)
    out["imm/sbml/sha1"] = np.frombuffer(hashlib.sha1(sbml_string(spec).encode()).digest(),
                                         dtype=np.uint8).astype(float)
    return out


def dump(path: str, engines: list[str]) -> None:
    from ldnsim.engines import available_engines

    have = available_engines()
    engs = [e for e in engines if e.split(":")[0] in have]
    data = {**_reference_cases(), **_engine_cases(engs), **_pk_and_sbml(), **_immune_cases(engs)}
    np.savez_compressed(path, **data)
    print(f"{len(data)} arrays -> {path} (engines: {', '.join(engs)})")


def compare(old: str, new: str, tol: float) -> int:
    a, b = np.load(old), np.load(new)
    worst: dict[str, float] = {}
    bad = []
    groups_a = {k.split("/")[0] for k in a.files}
    groups_b = {k.split("/")[0] for k in b.files}
    for g in sorted(groups_a ^ groups_b):  # a model part one side does not have (added or removed): noted
        print(f"NOTE group {g!r} only in {'old' if g in groups_a else 'new'} (not compared)")
    for k in sorted(set(a.files) | set(b.files)):
        if k.split("/")[0] not in groups_a & groups_b:
            continue
        if k not in a.files or k not in b.files:
            bad.append(f"{k}: only in {'old' if k in a.files else 'new'}")
            continue
        x, y = a[k], b[k]
        if x.shape != y.shape:
            bad.append(f"{k}: shape {x.shape} vs {y.shape}")
            continue
        d = float(np.max(np.abs(x - y))) if x.size else 0.0
        if not np.all(np.isfinite(x) == np.isfinite(y)):
            d = np.inf
        group = "/".join(k.split("/")[:2])
        worst[group] = max(worst.get(group, 0.0), d)
        if d > tol:
            bad.append(f"{k}: max abs diff {d:.3g}")
    for g, d in sorted(worst.items()):
        print(f"{g:40s} max abs diff {d:.3g}")
    for line in bad:
        print("DIFF", line)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--engines", default="numpy,jax:hybrid,jax:fused,jax,dask")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--tol", type=float, default=1e-12)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        dump(args.out, args.engines.split(","))
        return 0
    return compare(args.old, args.new, args.tol)


if __name__ == "__main__":
    sys.exit(main())
