"""The screen's typed stages (``screen_list``/``screen_medication``) and their JSON rendering.

The refactor from dicts to dataclasses kept the ``ldnsim check`` JSON byte-identical (checked when it was made
on 1594 documents: every case of the check_cases CSVs alone and in lists of eight with DXM, cyp2d6 pm and FHIR
sources, plus CLI, restart, titrate and acute-pain documents); these tests pin the typed API and the key order
of the JSON contract.
"""

from __future__ import annotations

import json

from ldnsim.clinical.screen import screen, screen_entry, screen_list, screen_medication
from ldnsim.clinical.screened import Finding, ScreenedMedication, Screening
from ldnsim.errors import InputError

MED_KEYS = ["input", "source", "recognised", "ingredients", "severity", "summary", "mechanism",
            "management", "evidence", "rule", "sources", "findings", "formulation", "formulation_detail",
            "notes", "candidates"]


def test_typed_results_and_their_documents_agree():
    entries = ["gabapentin 300 mg tid, Dolantin 50 mg prn, LDN 4.5 mg", "DXM 30 mg q4h", "fluoxetine 20 mg"]
    typed = screen_list(entries, cyp2d6="pm")
    assert isinstance(typed, Screening) and all(isinstance(m, ScreenedMedication) for m in typed.medications)
    assert all(isinstance(f, Finding) for m in typed.medications for f in m.findings)
    doc = screen(entries, cyp2d6="pm")
    assert json.dumps(typed.to_dict()) == json.dumps(doc)
    assert list(doc) == ["medications", "highest_severity", "counts", "severity_order", "disclaimer"]
    # the split list: three items, each marked with the line it came from (key after the contract's keys)
    split = [m for m in doc["medications"] if "split_from" in m]
    assert [m["input"] for m in split] == ["gabapentin 300 mg tid", "Dolantin 50 mg prn", "LDN 4.5 mg"]
    assert list(split[0]) == [*MED_KEYS, "split_from"]
    # list-level DXM findings are typed too, with their detail, after the severity
    dxm = next(m for m in typed.medications if m.input == "DXM 30 mg q4h")
    rules = {f.rule for f in dxm.findings}
    assert {"dxm_dose_ceiling", "dxm_serotonergic", "dxm_cyp2d6"} <= rules
    f = next(f for f in dxm.findings if f.rule == "dxm_dose_ceiling")
    assert f.detail and "180 mg/day" in f.detail
    assert list(f.to_dict()) == ["ingredient", "rule", "atc", "matched", "severity", "detail"]
    assert typed.highest_severity == "critical" and typed.counts["critical"] == 1


def test_uncertain_findings_keep_their_optional_keys():
    med = screen_medication("Dilantim 100 mg")
    assert isinstance(med, ScreenedMedication)
    d = screen_entry("Dilantim 100 mg")
    assert d == med.to_dict() and list(d) == MED_KEYS
    plain = screen_entry("oxycodone 5 mg")["findings"][0]
    assert list(plain) == ["ingredient", "rule", "atc", "matched", "severity"]
    unsure = [f for f in med.findings if f.uncertain]
    for f in unsure:
        keys = list(f.to_dict())
        assert keys[:5] == ["ingredient", "rule", "atc", "matched", "uncertain"] and keys[-1] == "severity"


def test_bad_input_still_names_the_field():
    for bad, field in (([], "medications"), ([3], "medications[0]")):
        try:
            screen_list(bad)
        except InputError as exc:
            assert exc.field == field
        else:
            raise AssertionError(bad)
