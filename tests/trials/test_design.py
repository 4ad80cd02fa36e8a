"""Design files: presets load, the schema exports, malformed files give named-field errors (exit 2)."""

import copy
import json
import subprocess
import sys

import pytest
import yaml

from ldnsim.errors import InputError
from ldnsim.trials.design import PRESETS, design_from_dict, json_schema, load_design, preset_path


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_load_and_carry_published_block(name):
    d = load_design(name)
    assert d.name == name
    assert d.published and d.published["citation"]
    pub = d.published
    if d.role == "context":  # shown beside the simulation, never judged: no tolerance on purpose
        assert not pub.get("tolerance") and pub.get("arms")
    else:  # something the comparison can judge: arm tolerances, contrasts with a CI, or directions
        assert pub.get("tolerance") or any(c.get("ci95") for c in pub.get("contrasts") or []) \
            or pub.get("directions")


def test_json_schema_exports():
    s = json_schema()
    assert "properties" in s and "sequences" in s["properties"]
    json.dumps(s)


def _base():
    return yaml.safe_load(preset_path("younger2013").read_text())


MUTATIONS = [
    (lambda d: d.update(patients=-3), "patients"),
    (lambda d: d["sequences"][0]["phases"][1].update(treatment="ldm"), "sequences.0.phases.1.treatment"),
    (lambda d: d.update(primry="x"), "primry"),
    (lambda d: d.pop("primary"), "primary"),
    (lambda d: d["endpoints"][0].update(kind="foo"), "endpoints.0.kind"),
    (lambda d: d["contrasts"][0].update(a="zz"), "contrasts.0.a"),
    (lambda d: d["treatments"]["ldn"].update(placebo=True), "treatments.ldn"),
    (lambda d: d["sequences"][0]["phases"][0].update(weeks="two"), "sequences.0.phases.0.weeks"),
    (lambda d: d.update(type="zigzag"), "type"),
    (lambda d: d.update(sequences=d["sequences"][:1]), "sequences"),
    (lambda d: d["endpoints"][0].update(baseline_phase="run-in"), "endpoints.0.baseline_phase"),
]


@pytest.mark.parametrize("mutate,field", MUTATIONS)
def test_malformed_design_names_the_field(mutate, field):
    d = copy.deepcopy(_base())
    mutate(d)
    with pytest.raises(InputError) as ei:
        design_from_dict(d, "x.yaml")
    assert f"x.yaml: {field}" in str(ei.value)


def test_up_and_down_needs_dose_placeholder():
    d = yaml.safe_load(preset_path("bruun-plesner2020").read_text())
    d["treatments"]["dose"]["regimen"] = "naltrexone 4.5 mg nightly"
    with pytest.raises(InputError, match="treatments.dose.regimen"):
        design_from_dict(d)


def test_cli_malformed_file_exit_2_no_traceback(tmp_path):
    d = _base()
    d["sequences"][0]["phases"][1]["treatment"] = "ldm"
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(d))
    res = subprocess.run(
        [sys.executable, "-m", "ldnsim", "trial", str(f), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "sequences.0.phases.1.treatment" in res.stderr
    assert res.stdout == ""
    f.write_text("name: [unclosed")
    res = subprocess.run(
        [sys.executable, "-m", "ldnsim", "trial", str(f), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr and "YAML" in res.stderr
