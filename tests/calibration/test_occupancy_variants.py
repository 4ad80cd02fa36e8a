"""Occupancy variants in the Bayesian calibration: ``mechanism/occupancy`` names through the pipeline (the
simulator receives them), the draws file's keys (split at the LAST '/'), ParameterSet.draws of an occupancy
variant with and without its own posterior, ``--apply-medians`` (no point values for occupancy variants) and
the record's occupancy comparison. The pipeline test uses a FAKE simulator whose drug effect depends on the
occupancy variant, with the smoke settings (pipeline.SMOKE); marked slow like test_pipeline (one NUTS
compilation)."""

import shutil

import numpy as np
import pytest
import yaml

from ldnsim.calibration import SMOKE, Settings, calibrate
from ldnsim.calibration import apply as apply_mod
from ldnsim.calibration import runs as runs_mod
from ldnsim.calibration.pipeline import DEFAULT_VARIANTS, _check_variants
from ldnsim.calibration.spec import load_spec
from ldnsim.calibration.store import write_posterior
from ldnsim.data import data_path
from ldnsim.data import parameter_set as ps_mod
from ldnsim.data import posterior as post_mod
from ldnsim.data.parameter_set import load_parameter_set, posterior_key
from ldnsim.errors import InputError

# --- names and keys (no sampling) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("full", "full"),
        ("full/metabolite-sustained", "full"),  # the default occupancy: the same variant as bare 'full'
        ("full/parent-transient", "full/parent-transient"),
        (" mu-rebound+ogf / parent-transient ", "mu-rebound+ogf/parent-transient"),
    ],
)
def test_posterior_key_is_the_mechanism_alone_for_the_default_occupancy(given, key):
    assert posterior_key(given) == key


def test_check_variants_canonicalises_and_deduplicates():
    assert _check_variants(["full", "full/metabolite-sustained", "full/parent-transient"]) == [
        "full",
        "full/parent-transient",
    ]


@pytest.mark.parametrize("bad", ["full/quantum", "quantum/parent-transient", "quantum"])
def test_unknown_part_names_the_field(bad):
    with pytest.raises(InputError, match="variants"):
        _check_variants([bad])


def test_defaults_include_both_occupancy_hypotheses_and_the_cli_default_matches():
    import inspect

    from ldnsim.cli.calibrate_cmd import calibrate_cmd

    assert {"full/parent-transient", "mu-rebound/parent-transient"} <= set(DEFAULT_VARIANTS)
    assert {"full", "mu-rebound"} <= set(DEFAULT_VARIANTS)  # their default-occupancy partners
    cli_default = inspect.signature(calibrate_cmd).parameters["variants"].default.default
    assert tuple(cli_default.split(",")) == DEFAULT_VARIANTS
    assert _check_variants(DEFAULT_VARIANTS) == list(DEFAULT_VARIANTS)  # every default is canonical


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("full/placebo_logit_single", ("full", "placebo_logit_single")),  # files written before: same
        ("full/parent-transient/log10_tlr4_ic50_nM", ("full/parent-transient", "log10_tlr4_ic50_nM")),
        ("mu-rebound+ogf/parent-transient/sigma_study_placebo",
         ("mu-rebound+ogf/parent-transient", "sigma_study_placebo")),
    ],
)
def test_key_round_trip(key, parts):
    assert post_mod.split_key(key) == parts
    assert post_mod.draws_key(*parts) == key


@pytest.mark.parametrize("bad", ["nokey", "/x", "full/"])
def test_malformed_key_is_refused(bad):
    with pytest.raises(ValueError, match="variant"):
        post_mod.split_key(bad)


# --- draws for an occupancy variant, with and without its own posterior -----------------------------------


def _fake_arrays(variants: dict[str, float], m: int = 400) -> dict[str, np.ndarray]:
    """A draws file: per variant, population parameters with the TLR4 IC50 centred on the given log10."""
    rng = np.random.default_rng(0)
    out = {}
    for v, l0 in variants.items():
        cols = {
            "placebo_logit_single": rng.normal(-0.5, 0.1, m),
            "placebo_logit_double_shift": rng.normal(-0.3, 0.1, m),
            "placebo_length_logit": rng.normal(0.0, 0.1, m),
            "placebo_recall_logit": rng.normal(0.0, 0.1, m),
            "sigma_study_placebo": np.abs(rng.normal(0.2, 0.02, m)),
            "log10_tlr4_ic50_nM": rng.normal(l0, 0.05, m),
            "sigma_study_ic50_log10": np.full(m, 1e-3),
        }
        out.update({post_mod.draws_key(v, k): a for k, a in cols.items()})
    return out


@pytest.fixture
def fake_draws(monkeypatch):
    """Install a fake draws file (cached parameter sets are rebuilt before and after)."""

    def install(arrays):
        monkeypatch.setattr(post_mod, "_arrays", lambda: arrays)
        ps_mod._load.cache_clear()

    yield install
    ps_mod._load.cache_clear()


def test_occupancy_variant_without_its_own_posterior_gets_approximate_draws(fake_draws):
    fake_draws(_fake_arrays({"full": 3.0}))
    assert load_parameter_set("full").provenance["draws"].startswith("POSTERIOR")
    ps = load_parameter_set("full/parent-transient")
    assert ps.posterior_key == "full/parent-transient"
    assert ps.provenance["draws"].startswith("APPROXIMATE")
    assert "full/parent-transient" in ps.provenance["draws"]
    # 'full' draws are NOT used for another occupancy: the approximate draws carry no placebo logits
    assert all("placebo.expectation.double" not in d for d in ps.draws(5, seed=1))
    # the prefix 'full/' must not pick up another variant's keys
    assert post_mod.posterior_samples("full/parent-transient") is None


def test_occupancy_variant_with_its_own_posterior_draws_from_it(fake_draws):
    fake_draws(_fake_arrays({"full": 3.0, "full/parent-transient": -1.0}))
    assert set(post_mod.posterior_variants()) == {"full", "full/parent-transient"}
    assert set(post_mod.posterior_samples("full")) == set(post_mod.posterior_samples("full/parent-transient"))
    pt = load_parameter_set("full/parent-transient")
    kind = pt.provenance["draws"]
    assert kind.startswith("POSTERIOR") and "'full/parent-transient'" in kind and "POINT values" in kind
    l_pt = np.log10([d["tlr4_ic50_nM"] for d in pt.draws(500, seed=2)])
    l_full = np.log10([d["tlr4_ic50_nM"] for d in load_parameter_set("full").draws(500, seed=2)])
    assert np.median(l_pt) == pytest.approx(-1.0, abs=0.05)  # its own posterior, not full's (3.0)
    assert np.median(l_full) == pytest.approx(3.0, abs=0.05)
    # the explicit default occupancy is bare 'full'
    assert load_parameter_set("full/metabolite-sustained").draws(3, seed=2) == load_parameter_set(
        "full"
    ).draws(3, seed=2)


# --- apply_medians: no point values for occupancy variants -------------------------------------------------


def test_apply_medians_writes_no_point_values_for_an_occupancy_variant(fake_draws, monkeypatch, tmp_path):
    """On copies of the three data files: 'full' gets its own medians, 'full/parent-transient' (a very
    different posterior) changes nothing and is listed as not applied."""
    fake_draws(_fake_arrays({"full": 3.0, "full/parent-transient": -1.0}))
    for rel in ("system/parameters.yaml", "trials/realism.yaml", "system/variants.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_path(rel), tmp_path / rel)
    monkeypatch.setattr(apply_mod, "data_path", lambda rel: tmp_path / rel)
    diag = {"q2.5": 2.9, "q97.5": 3.1}
    rec = {
        "meta": {"command": "ldnsim calibrate --test", "commit": "abc", "date": "2026-12-06", "seed": 1},
        "variants": {"full": {"diagnostics": {"log10_tlr4_ic50_nM": diag}},
                     "full/parent-transient": {"diagnostics": {"log10_tlr4_ic50_nM": diag}}},
    }
    monkeypatch.setattr(apply_mod, "posterior_record", lambda: rec)
    shipped = {rel: data_path(rel).read_bytes() for rel in ("system/variants.yaml", "trials/realism.yaml")}
    written = apply_mod.apply_medians()
    assert set(written["not_applied"]) == {"full/parent-transient"}
    assert "full/parent-transient" not in written.get("system/variants.yaml", {})
    params = yaml.safe_load((tmp_path / "system/parameters.yaml").read_text())
    ic50 = params["receptor_coupling"]["tlr4_ic50_nM"]["value"]
    assert np.log10(ic50) == pytest.approx(3.0, abs=0.01)  # full's median (10^3 nM), not 10^-1
    variants = yaml.safe_load((tmp_path / "system/variants.yaml").read_text())["variants"]
    assert not any("/" in v for v in variants)
    assert "calibration" in variants["full"]  # full's entry got the calibration's provenance
    assert all(data_path(rel).read_bytes() == b for rel, b in shipped.items())  # the shipped files untouched


# --- the pipeline end to end with a '/' variant (fake simulator) -------------------------------------


SEEN: list[str] = []


def _fake(study, variant, inputs, seed):
    """pct reductions: placebo = 100 E; LDN adds 12 points with the default occupancy, 2 with
    parent-transient (the sustained occupancy carries the effect); responder/dose rates follow."""
    SEEN.append(variant)
    rng = np.random.default_rng(seed)
    e = inputs["expectation"]
    drug = 2.0 if variant.endswith("/parent-transient") else 12.0
    out = []
    for t in study.targets:
        pct = 100.0 * e + (drug if t.quantity.startswith(("ldn", "rate")) else 0.0)
        v = pct / 100.0 + 0.2 if "rate" in t.quantity else pct
        out.append(float(v + rng.normal(0.0, 0.01 * max(abs(v), 1.0))))
    return out


@pytest.mark.slow
def test_pipeline_calibrates_and_stores_an_occupancy_variant(tmp_path, monkeypatch, fake_draws):
    SEEN.clear()
    monkeypatch.setattr(runs_mod, "simulate_study", _fake)
    res = calibrate(
        ["mu-rebound", "mu-rebound/parent-transient"],
        settings=Settings.from_spec(load_spec(), **SMOKE),
        seed=3,
    )
    assert set(SEEN) == {"mu-rebound", "mu-rebound/parent-transient"}  # the simulator got the '/' name
    assert list(res.variants) == ["mu-rebound", "mu-rebound/parent-transient"]
    [pair] = res.occupancy_comparison
    assert pair["mechanism"] == "mu-rebound" and pair["occupancy"] == "parent-transient"
    assert pair["default_occupancy"] == "metabolite-sustained" and pair["dse"] > 0
    # the paired difference is the difference of the two variants' elpd_loo
    loo = {v: f.loo["elpd_loo"] for v, f in res.variants.items()}
    want_diff = loo["mu-rebound/parent-transient"] - loo["mu-rebound"]
    assert pair["elpd_diff"] == pytest.approx(want_diff, abs=1e-6)

    paths = write_posterior(res, tmp_path, "ldnsim calibrate --test")
    with np.load(paths["draws"]) as z:
        keys = set(z.files)
        arrays = {k: np.asarray(z[k], float) for k in keys}
    assert "mu-rebound/parent-transient/placebo_logit_single" in keys
    assert "mu-rebound/placebo_logit_single" in keys
    rec = yaml.safe_load(paths["record"].read_text())
    v = rec["variants"]["mu-rebound/parent-transient"]
    assert v["mechanism"] == "mu-rebound" and v["occupancy"] == "parent-transient"
    assert rec["occupancy_comparison"][0]["occupancy"] == "parent-transient"

    # read back: the file's draws are what each variant's ParameterSet draws from
    fake_draws(arrays)
    got = post_mod.posterior_samples("mu-rebound/parent-transient")
    want = res.variants["mu-rebound/parent-transient"].thinned(SMOKE["keep_draws"])
    assert set(got) == set(want)
    np.testing.assert_allclose(got["placebo_logit_single"], want["placebo_logit_single"], rtol=1e-6)
    assert set(post_mod.posterior_samples("mu-rebound")) == set(got)
    ps = load_parameter_set("mu-rebound/parent-transient")
    assert ps.provenance["draws"].startswith("POSTERIOR")
    assert ps.draws(10, seed=0) != load_parameter_set("mu-rebound").draws(10, seed=0)


def test_trial_model_block_uses_the_occupancy_variants_own_posterior(fake_draws):
    """The trial's model block (trials.provenance) takes the IC50 interval from the variant's own
    posterior: none shipped for 'full/parent-transient' -> profile likelihood, never 'full's'."""
    from ldnsim.trials.provenance import _ic50_interval

    fake_draws(_fake_arrays({"full": 3.0}))
    ci, kind = _ic50_interval(load_parameter_set("full"))
    assert kind == "posterior" and 2.5 < np.log10(ci[0]) < np.log10(ci[1]) < 3.5
    assert _ic50_interval(load_parameter_set("full/parent-transient"))[1] != "posterior"
    fake_draws(_fake_arrays({"full": 3.0, "full/parent-transient": -1.0}))
    ci, kind = _ic50_interval(load_parameter_set("full/parent-transient"))
    assert kind == "posterior" and -1.5 < np.log10(ci[0]) < np.log10(ci[1]) < -0.5
