"""CDS Hooks service: a real uvicorn server on a free localhost port, spoken to over HTTP (httpx)."""

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from ldnsim.web.app import create_app

PID = "pat-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    th.join(timeout=10)


def mr(rid, text, status="active"):
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{PID}"},
        "medicationCodeableConcept": {"text": text},
    }


def ms(rid, text):
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "active",
        "subject": {"reference": f"Patient/{PID}"},
        "medicationCodeableConcept": {"text": text},
    }


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def call(base_url, sid, hook, context, prefetch=None, instance="d1a0c6f8-0000-4000-8000-000000000001"):
    body = {
        "hook": hook,
        "hookInstance": instance,
        "context": {"patientId": PID, "userId": "Practitioner/1", **context},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return httpx.post(f"{base_url}/cds-services/{sid}", json=body, timeout=30)


def check_card(card):
    assert len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"] and card["source"]["url"].startswith("http")
    assert card["uuid"]
    assert "not medical advice" in card["detail"] or card["indicator"] == "info"
    for o in card["overrideReasons"]:
        assert o["display"] and o["code"]
    if card.get("suggestions"):
        assert card["selectionBehavior"] in ("at-most-one", "any")
        for s in card["suggestions"]:
            assert s["label"] and s["actions"]


def test_discovery(base_url):
    doc = httpx.get(f"{base_url}/cds-services", timeout=30).json()
    hooks = {s["hook"] for s in doc["services"]}
    assert hooks == {"order-select", "order-sign", "patient-view"}
    for s in doc["services"]:
        assert s["id"] and s["title"] and s["description"]
        assert "{{context.patientId}}" in s["prefetch"]["medications"]


# (hook, service, draft orders, selections, active list, expected indicators (sorted), suggestion expected)
CASES = [
    (
        "order-select",
        "ldn-opioid-order-select",
        [mr("ldn1", "naltrexone 4.5 mg capsule nightly", "draft")],
        ["MedicationRequest/ldn1"],
        [mr("o1", "Percocet 5/325 q6h prn")],
        ["critical"],
        True,
    ),
    (
        "order-select",
        "ldn-opioid-order-select",
        [mr("ldn1", "LDN 1.5 mg", "draft")],
        ["MedicationRequest/ldn1"],
        [mr("a", "ibuprofen 400 mg"), ms("b", "Imodium")],
        ["warning"],
        False,
    ),
    (
        "order-select",
        "ldn-opioid-order-select",
        [mr("ldn1", "LDN 1.5 mg", "draft")],
        ["MedicationRequest/ldn1"],
        [mr("a", "sertraline 50 mg")],
        [],
        False,
    ),
    (
        "order-select",
        "ldn-opioid-order-select",
        [mr("t1", "tramadol 50 mg q6h", "draft")],
        ["MedicationRequest/t1"],
        [ms("l", "low dose naltrexone 4.5mg")],
        ["critical"],
        True,
    ),
    (
        "order-select",
        "ldn-opioid-order-select",
        [mr("t1", "tramadol 50 mg q6h", "draft")],
        ["MedicationRequest/t1"],
        [mr("a", "sertraline 50 mg")],
        [],
        False,
    ),
    (
        "order-sign",
        "ldn-opioid-order-sign",
        [mr("ldn1", "naltrexone 4.5mg", "draft"), mr("c1", "Tylenol #3", "draft")],
        None,
        [ms("s", "Robitussin AC"), ms("s2", "codeine linctus")],
        ["critical"],
        True,
    ),
    (
        "order-sign",
        "ldn-opioid-order-sign",
        [mr("ldn1", "naltrexone 4.5mg", "draft")],
        None,
        [ms("s", "Suboxone film"), ms("x", "xyzzy tablets")],
        ["critical", "info"],
        True,
    ),
    (
        "patient-view",
        "ldn-opioid-patient-view",
        None,
        None,
        [ms("l", "LDN 4.5 mg"), mr("m", "methadone 40 mg daily"), mr("f", "fentanyl 25 mcg/h patch")],
        ["critical", "critical"],
        False,
    ),
    ("patient-view", "ldn-opioid-patient-view", None, None, [mr("m", "methadone 40 mg daily")], [], False),
]


@pytest.mark.parametrize("hook,sid,draft,sel,active,indicators,suggest", CASES)
def test_hooks(base_url, hook, sid, draft, sel, active, indicators, suggest):
    ctx = {}
    if draft is not None:
        ctx["draftOrders"] = bundle(*draft)
    if sel is not None:
        ctx["selections"] = sel
    res = call(
        base_url,
        sid,
        hook,
        ctx,
        {
            "medications": bundle(*[r for r in active if r["resourceType"] == "MedicationRequest"]),
            "statements": bundle(*[r for r in active if r["resourceType"] == "MedicationStatement"]),
        },
    )
    assert res.status_code == 200, res.text
    cards = res.json()["cards"]
    assert sorted(c["indicator"] for c in cards) == sorted(indicators), [c["summary"] for c in cards]
    for c in cards:
        check_card(c)
    assert any(c.get("suggestions") for c in cards) == suggest
    assert len({c["uuid"] for c in cards}) == len(cards)


def test_one_card_per_ingredient(base_url):
    ctx = {"draftOrders": bundle(mr("ldn1", "LDN 4.5mg", "draft")), "selections": ["MedicationRequest/ldn1"]}
    res = call(
        base_url,
        "ldn-opioid-order-select",
        "order-select",
        ctx,
        {"medications": bundle(mr("a", "oxycodone 5 mg"), mr("b", "OxyContin 10 mg"))},
    )
    assert [c["indicator"] for c in res.json()["cards"]] == ["critical"]


def test_missing_prefetch_is_not_silent(base_url):
    ctx = {"draftOrders": bundle(mr("ldn1", "LDN 4.5mg", "draft")), "selections": ["MedicationRequest/ldn1"]}
    cards = call(base_url, "ldn-opioid-order-select", "order-select", ctx).json()["cards"]
    assert cards and cards[0]["indicator"] == "warning" and "not provided" in cards[0]["summary"]


BAD = [
    ({"hook": "patient-view", "context": {"patientId": PID}}, "ldn-opioid-order-select", "hook"),
    ({"hook": "order-select", "context": {"patientId": PID}}, "ldn-opioid-order-select", "hookInstance"),
    ({"hook": "order-select", "hookInstance": "x"}, "ldn-opioid-order-select", "context"),
    (
        {"hook": "order-select", "hookInstance": "x", "context": {"patientId": PID}},
        "ldn-opioid-order-select",
        "context.selections",
    ),
    (
        {
            "hook": "patient-view",
            "hookInstance": "x",
            "context": {"patientId": PID},
            "prefetch": {
                "medications": {
                    "resourceType": "Bundle",
                    "entry": [{"resource": {"resourceType": "MedicationRequest"}}],
                }
            },
        },
        "ldn-opioid-patient-view",
        "prefetch.medications.entry[0]",
    ),
]


@pytest.mark.parametrize("body,sid,field", BAD)
def test_bad_requests_400_name_field(base_url, body, sid, field):
    res = httpx.post(f"{base_url}/cds-services/{sid}", json=body, timeout=30)
    assert res.status_code == 400
    assert res.json()["field"].startswith(field)


def test_unknown_service_and_feedback(base_url):
    assert httpx.post(f"{base_url}/cds-services/nope", json={}, timeout=30).status_code == 404
    fb = {
        "feedback": [
            {
                "card": "abc",
                "outcome": "overridden",
                "overrideReason": {"reason": {"code": "ldn-held"}},
                "outcomeTimestamp": "2026-11-23T10:00:00Z",
            }
        ]
    }
    assert (
        httpx.post(
            f"{base_url}/cds-services/ldn-opioid-order-select/feedback", json=fb, timeout=30
        ).status_code
        == 200
    )
    r = httpx.post(
        f"{base_url}/cds-services/ldn-opioid-order-select",
        content=b"{not json",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 400


def test_ldnsim_serve_subprocess():
    import subprocess
    import sys

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ldnsim", "serve", "--port", str(port), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("ldnsim serve did not answer")
        assert r.status_code == 200 and len(r.json()["services"]) == 3
        import json

        first = json.loads(proc.stdout.readline())
        assert first["discovery_url"].endswith("/cds-services") and first["disclaimer"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
