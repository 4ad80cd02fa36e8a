"""Every shipped data file has a schema and passes it; a malformed one fails naming file and field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import ldnsim.data as data_mod
from ldnsim.data import data_path, load_yaml
from ldnsim.data.provenance import data_files
from ldnsim.data.schema import SCHEMAS, ParameterTree, schema_for, validate_document
from ldnsim.errors import DataFileError

ROOT = data_path("")


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _raw(rel: str):
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


@pytest.mark.parametrize("rel", [_rel(p) for p in data_files()])
def test_every_shipped_file_has_a_schema_and_passes_it(rel):
    assert schema_for(rel) is not None, f"{rel}: add its schema to ldnsim.data.schema.SCHEMAS"
    validate_document(rel, _raw(rel))


def test_data_layer_files_have_their_own_schema():
    """Only the files whose full schema lives in another layer (or whose shape science is changing) use the
    generic parameter-tree schema: everything else has a model of its own."""
    generic = sorted(_rel(p) for p in data_files() if schema_for(_rel(p)) is ParameterTree)
    owned = ("drugs/", "system/", "trials/", "disease/")  # disease/: read by ldnsim.trials.disease
    assert all(r.startswith(owned) for r in generic), generic
    assert {"clinical/rules.yaml", "receptors.yaml", "population.yaml", "trials/realism.yaml"} <= {
        r for r in SCHEMAS if SCHEMAS[r] is not ParameterTree
    }


def test_drug_files_and_trial_designs_pass_their_layers_schemas():
    from ldnsim.pk import known_drugs, load_drug
    from ldnsim.trials.design import PRESETS, load_design

    for d in known_drugs():
        assert load_drug(d).id == d
    for name in PRESETS:
        assert load_design(name).name == name


def _set(doc, path, value):
    *head, last = path
    for k in head:
        doc = doc[k]
    if value is KeyError:
        del doc[last]
    else:
        doc[last] = value


NAN = float("nan")
BAD = [
    (
        "clinical/rules.yaml",
        ("rules", "opioid_agonist", "severity"),
        "severe",
        "rules.opioid_agonist.severity",
    ),
    ("clinical/rules.yaml", ("rules", "opioid_agonist", "sources"), ["no_such_source"], "no_such_source"),
    (
        "clinical/rules.yaml",
        ("rules", "opioid_agonist", "sevrity"),
        "critical",
        "Extra inputs are not permitted",
    ),
    (
        "clinical/compounding.yaml",
        ("parameters", "liquid_bud", "unit"),
        KeyError,
        "parameters.liquid_bud.unit",
    ),
    ("clinical/monitoring.yaml", ("cautions", "pregnancy", "sources"), ["nowhere"], "nowhere"),
    ("clinical/titration.yaml", ("presets", "slow", "target"), 4.5, "presets.slow.target"),
    ("clinical/washout.yaml", ("hold_model", "percentile", "value"), NAN, "finite"),
    ("clinical/vocabulary.yaml", ("brands", "ms contin", "in"), ["unobtainium"], "unobtainium"),
    ("clinical/dxm.yaml", ("daily_ceiling", "source"), KeyError, "needs provenance"),
    ("clinical/acute_pain.yaml", ("steps", "stop_ldn", "only"), "sometimes", "steps.stop_ldn.only"),
    ("receptors.yaml", ("nox2_cap", "unit"), KeyError, "nox2_cap.unit: Field required"),
    ("population.yaml", ("traits", "adherence_mean", "reason"), KeyError, "adherence_mean"),
    ("trials/realism.yaml", ("dropout", "per_week", "value"), "often", "dropout.per_week.value"),
    ("system/parameters.yaml", ("pain", "Z50", "source"), None, "pain.Z50"),
    ("drugs/naltrexone.yaml", ("id",), "naltrexone", None),  # unchanged: passes
]


@pytest.mark.parametrize(
    ("rel", "path", "value", "expected"), BAD, ids=[f"{b[0]}:{'.'.join(b[1])}" for b in BAD]
)
def test_malformed_file_names_file_and_field(rel, path, value, expected):
    doc = copy.deepcopy(_raw(rel))
    if rel == "population.yaml":  # make the entry an assumption without a reason
        doc["traits"]["adherence_mean"] = {"value": 0.9, "unit": "fraction", "assumed": True}
    elif rel == "system/parameters.yaml":  # strip the provenance of one entry
        for k in ("source", "derived", "assumed", "reason"):
            doc["pain"]["Z50"].pop(k, None)
    else:
        _set(doc, path, value)
    if expected is None:
        validate_document(rel, doc)
        return
    with pytest.raises(DataFileError) as ei:
        validate_document(rel, doc)
    msg = str(ei.value)
    assert msg.startswith(f"{rel}: ") and expected in msg, msg


def test_load_yaml_validates_shipped_files(tmp_path, monkeypatch):
    """The one loader applies the schema: a shipped file with a missing unit fails on load, naming it."""
    (tmp_path / "receptors.yaml").write_text("endogenous_ratio: {value: 1.0, assumed: true, reason: test}\n")
    monkeypatch.setattr(data_mod, "data_path", lambda relative="": tmp_path / relative)
    with pytest.raises(DataFileError, match=r"receptors.yaml: endogenous_ratio.unit: Field required"):
        load_yaml(tmp_path / "receptors.yaml")
