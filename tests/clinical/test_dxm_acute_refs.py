"""DXM rules across a list, the acute-pain plan, references listed once with BibTeX/RIS export (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from ldnsim.clinical.acute import plan_acute_pain
from ldnsim.clinical.dxm import daily_dose_mg
from ldnsim.clinical.references import collect, export, grade_legend, identifiers
from ldnsim.clinical.screen import screen
from ldnsim.errors import InputError

# (list, expected severity of the DXM entry, rule) — ceiling 120 mg/24 h from 21 CFR 341.74; MAOI
# contraindication from the OTC Drug Facts; QT/serotonergic/CYP2D6 from the DXM/quinidine label
DXM = [
    (["DXM 240 mg/day"], "warning", "dxm_dose_ceiling"),
    (["dextromethorphan 60 mg q6h"], "warning", "dxm_dose_ceiling"),  # 240 mg/day
    (["dextromethorphan 30 mg q8h"], "info", "dextromethorphan"),  # 90 mg/day: within the ceiling
    (["Nuedexta 20/10 bid"], "warning", "dxm_quinidine_qt"),
    (["Auvelity 45/105 mg bid"], "warning", "dxm_bupropion"),
    (["Robitussin DM", "phenelzine 15 mg tid"], "critical", "dxm_maoi"),
    (["Delsym 30 mg q12h", "fluoxetine 20 mg"], "warning", "dxm_serotonergic"),
    (["DXM 15 mg", "sertraline 50 mg"], "warning", "dxm_serotonergic"),
    (["DXM 15 mg", "quinidine 200 mg"], "warning", "dxm_cyp2d6"),
    (["DXM 15 mg", "bupropion XL 150 mg"], "warning", "dxm_cyp2d6"),
    (["DXM 15 mg", "LDN 4.5 mg"], "info", "dextromethorphan"),
]


@pytest.mark.parametrize("meds,severity,rule", DXM, ids=[" + ".join(c[0]) for c in DXM])
def test_dxm_rules(meds, severity, rule):
    m = screen(meds)["medications"][0]
    assert m["severity"] == severity and m["rule"] == rule, (m["severity"], m["rule"], m["notes"])
    assert m["sources"]
    if rule != "dextromethorphan":
        assert any(f["rule"] == rule for f in m["findings"])


def test_dxm_poor_metaboliser_context():
    assert screen(["DXM 15 mg"], cyp2d6="pm")["medications"][0]["rule"] == "dxm_cyp2d6"
    assert screen(["DXM 15 mg"], cyp2d6="em")["medications"][0]["rule"] == "dextromethorphan"


@pytest.mark.parametrize(
    "text,mg",
    [
        ("DXM 240 mg/day", 240),
        ("DXM 30 mg q6h", 120),
        ("DXM 20 mg q4h", 120),
        ("DXM 30 mg tid", 90),
        ("DXM 30 mg", 30),
    ],
)
def test_dxm_daily_dose(text, mg):
    assert daily_dose_mg(text)[0] == pytest.approx(mg)


@pytest.mark.parametrize(
    "text,unchecked",
    [
        ("DXM 30 mg", True),  # no frequency: 30 mg q4h would be 180 mg/day, over the ceiling
        ("Robitussin DM", True),  # no dose at all
        ("dextromethorphan 30 mg q8h", False),  # 90 mg/day: checked, within
        ("DXM 240 mg/day", False),  # checked, over (the ceiling finding says so)
    ],
)
def test_dxm_unchecked_daily_total_is_said(text, unchecked):
    m = screen([text])["medications"][0]
    said = [n for n in m["notes"] if "not be checked against the 120 mg/day ceiling (21 CFR 341.74" in n]
    assert bool(said) == unchecked, m["notes"]


NOW = datetime(2026, 12, 6, 9, 0)


def test_acute_pain_oral_ldn_is_dose_aware():
    doc = plan_acute_pain("4.5mg", "2026-12-05T22:00", now=NOW, n_patients=60)
    b = doc["blockade"]
    assert b["blocked_now"] and b["hours_after_last_dose"] >= 72  # never shorter than the published 72 h
    titles = [s["title"] for s in doc["steps"]]
    assert titles[0].startswith("Stop LDN") and any("Non-opioid" in t for t in titles)
    assert any("higher doses" in t for t in titles)
    assert all(s["sources"] and s["evidence"] for s in doc["steps"])
    assert doc["disclaimer"].startswith("For research and education")


def test_acute_pain_after_blockade_and_injection():
    late = plan_acute_pain("4.5mg", "2026-11-01T22:00", now=NOW, n_patients=60)
    assert not late["blockade"]["blocked_now"]
    assert not any("higher doses" in s["title"] for s in late["steps"])
    inj = plan_acute_pain("380mg", "2026-11-20T10:00", now=NOW, form="injection")
    assert inj["blockade"]["hours_after_last_dose"] == 30 * 24 and inj["blockade"]["blocked_now"]
    assert any("Monthly injection" in s["title"] for s in inj["steps"])
    with pytest.raises(InputError):
        plan_acute_pain("4.5mg", "2026-12-05T22:00", weight_kg=301)


def test_acute_pain_cli_json():
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "ldnsim",
            "acute-pain",
            "--dose",
            "380mg",
            "--last-dose",
            "2026-11-20T10:00",
            "--now",
            "2026-12-06T09:00",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["product"] == "injection" and doc["blockade"]["blocked_now"]


def test_references_listed_once_with_grades_explained():
    doc = screen(["oxycodone 5 mg", "morphine 10 mg", "codeine 30 mg"])
    refs = collect(doc["medications"])
    urls = [r["url"] + r["cite"] for r in refs]
    assert len(urls) == len(set(urls))  # each reference once although three entries cite the same ones
    per_entry = sum(len(m["sources"]) for m in doc["medications"])
    assert len(refs) < per_entry
    legend = grade_legend([r["grade"] for r in refs])
    assert legend.count("L =") == 1 and "regulatory label" in legend


def test_identifiers_and_export():
    assert identifiers("https://pubmed.ncbi.nlm.nih.gov/19453963/") == {"pmid": "19453963"}
    assert identifiers("https://pmc.ncbi.nlm.nih.gov/articles/PMC3628052")["pmcid"] == "PMC3628052"
    refs = [
        {
            "cite": "A & B_1",
            "url": "https://doi.org/10.2147/JPR.S451183",
            "grade": "P",
            "identifiers": identifiers("https://doi.org/10.2147/JPR.S451183"),
        }
    ]
    bib = export(refs, "bibtex")
    assert bib.startswith("@misc{") and "doi = {10.2147/JPR.S451183}" in bib and "A \\& B\\_1" in bib
    ris = export(refs, "ris")
    assert "TY  - ELEC" in ris and "DO  - 10.2147/JPR.S451183" in ris and ris.count("ER  - ") == 1
    with pytest.raises(InputError):
        export(refs, "endnote")


def test_check_cli_refs_export():
    res = subprocess.run(
        [sys.executable, "-m", "ldnsim", "check", "Percocet", "Imodium", "--refs", "bibtex"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and res.stdout.count("@misc{") >= 5
    bad = subprocess.run(
        [sys.executable, "-m", "ldnsim", "check", "Percocet", "--refs", "xml"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "refs" in bad.stderr


@pytest.mark.parametrize(
    "last_dose, expect_warning",
    [
        ("2026-12-05T22:00", None),  # last night: no date warning at all (none about a "procedure")
        ("2026-12-09T22:00", "is in the future"),  # a last dose cannot be ahead of today
        ("2022-12-05T22:00", "years ago"),
    ],
)
def test_acute_pain_date_warnings_speak_of_the_last_dose_not_a_procedure(last_dose, expect_warning):
    warnings = plan_acute_pain("4.5mg", last_dose, now=NOW, n_patients=20)["warnings"]
    assert not any("procedure" in w for w in warnings)
    if expect_warning is None:
        assert warnings == []
    else:
        assert any("last LDN dose" in w and expect_warning in w for w in warnings), warnings
