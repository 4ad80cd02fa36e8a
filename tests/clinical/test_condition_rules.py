"""Clinical notes for the conditions the immune module covers: IBD medicines (aminosalicylates: no
interaction; thiopurines and biologics: the usual immunosuppressant caution, no more) and MS disease-modifying
therapies
(LDN was taken with stable DMTs in Cree 2010). Each finding cites its sources with evidence grades."""

import pytest

from ldnsim.clinical.screen import screen_entry


@pytest.mark.parametrize(
    "entry, severity, rule, source",
    [
        ("mesalamine 800 mg tds", "none", "ibd_aminosalicylate", "lie_2018_ibd_addon"),
        ("sulfasalazine", "none", "ibd_aminosalicylate", "cochrane_ldn_crohns"),
        ("mercaptopurine 50 mg", "info", "ibd_immunomodulator", "smith_2011_crohns"),
        ("Entyvio", "info", "ibd_immunomodulator", "lie_2018_ibd_addon"),
        ("Stelara", "info", "ibd_immunomodulator", "transplant_caution"),
        ("azathioprine 100 mg", "info", "immunosuppressant", "lie_2018_ibd_addon"),
        ("infliximab", "info", "immunosuppressant", "transplant_caution"),
        ("Avonex", "info", "ms_dmt", "cree_2010_ms_dmt"),
        ("glatiramer acetate", "info", "ms_dmt", "cree_2010_ms_dmt"),
        ("Tecfidera", "info", "ms_dmt", "cree_2010_ms_dmt"),
        ("natalizumab", "info", "immunosuppressant", "cree_2010_ms_dmt"),
    ],
)
def test_ibd_and_ms_medicines(entry, severity, rule, source):
    r = screen_entry(entry)
    assert r["recognised"] and r["severity"] == severity and r["rule"] == rule
    ids = {s["id"] for s in r["sources"]}
    assert source in ids
    assert r["evidence"] and all(s["grade"] for s in r["sources"])


def test_no_ibd_or_ms_medicine_is_reported_below_its_previous_grade():
    """Moving medicines into the condition rules may only raise a severity (none -> info), never lower one."""
    for entry in ("ustekinumab", "interferon beta", "tofacitinib", "cladribine"):
        assert screen_entry(entry)["severity"] == "info"
