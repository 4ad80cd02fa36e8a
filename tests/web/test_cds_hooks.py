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


# ----------------------------------------------------------------------------------------------- issue 16
PV = "cds-services/ldn-opioid-patient-view"
LDN = mr("ldn", "naltrexone 4.5 mg capsule nightly")
OXY = mr("oxy", "oxycodone 5 mg q6h prn")

def _nested(n):
    x: list = []
    for _ in range(n):
        x = [x]
    return x


# one malformed resource each (the 500s), beside a valid LDN and a valid opioid
MALFORMED = [
    ("dosageInstruction-int", [{**mr("bad", "tramadol 50 mg"), "dosageInstruction": 5}]),
    ("contained-int", [{"resourceType": "MedicationRequest", "id": "bad", "contained": 5,
                        "medicationReference": {"reference": "#m1"}}]),
    ("ingredient-int", [{"resourceType": "Medication", "id": "m2", "ingredient": 5},
                        {"resourceType": "MedicationRequest", "id": "bad",
                         "medicationReference": {"reference": "Medication/m2"}}]),
    ("no-medication", [{"resourceType": "MedicationRequest", "id": "bad"}]),
    ("coding-str", [{"resourceType": "MedicationRequest", "id": "bad",
                     "medicationCodeableConcept": {"coding": "x"}}]),
    ("deep", [{**mr("bad", "codeine"), "note": [{"text": "x", "extension": _nested(40)}]}]),
    ("long-text", [mr("bad", "morphine " + "x" * 150_000)]),
]


def _pv(entries, extra_entries=()):
    b = bundle(*entries)
    b["entry"] += list(extra_entries)
    return {"hook": "patient-view", "hookInstance": "i-1", "context": {"patientId": PID},
            "prefetch": {"medications": b}}


@pytest.mark.parametrize("bad", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_one_bad_resource_never_hides_the_critical_cards(base_url, bad):
    res = httpx.post(f"{base_url}/{PV}", json=_pv([LDN, OXY, *bad]), timeout=30)
    assert res.status_code == 200, res.text
    cards = res.json()["cards"]
    for c in cards:
        check_card(c)
    assert cards[0]["indicator"] == "critical" and "oxycodone" in cards[0]["summary"]
    unread = [c for c in cards if c["summary"].startswith("Could not read MedicationRequest/bad")]
    assert len(unread) == 1 and unread[0]["indicator"] == "warning"  # shown, never skipped silently


def test_fullurl_list_in_entry_is_isolated(base_url):
    med = {"fullUrl": [], "resource": {"resourceType": "Medication", "id": "m9", "fullUrl": []}}
    res = httpx.post(f"{base_url}/{PV}", json=_pv([LDN, OXY], [med]), timeout=30)
    assert res.status_code == 200 and res.json()["cards"][0]["indicator"] == "critical"


def test_prefetch_that_is_not_a_bundle_is_a_card_not_an_error(base_url):
    body = {"hook": "order-sign", "hookInstance": "i-2", "context": {"patientId": PID,
            "draftOrders": bundle(mr("o1", "oxycodone 5 mg", "draft"))},
            "prefetch": {"medications": bundle(LDN), "statements": 5}}
    res = httpx.post(f"{base_url}/cds-services/ldn-opioid-order-sign", json=body, timeout=30)
    assert res.status_code == 200
    inds = [c["indicator"] for c in res.json()["cards"]]
    assert inds[0] == "critical" and "warning" in inds


def test_markdown_from_the_request_is_escaped(base_url):
    evil = "![x](https://evil.example/x.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    res = httpx.post(f"{base_url}/cds-services/ldn-opioid-patient-view", json=_pv([LDN, mr("e", evil)]),
                     timeout=30)
    detail = " ".join(c["detail"] for c in res.json()["cards"])
    assert "evil.example" in detail  # the text is shown ...
    assert "![x](https" not in detail and "[click](javascript" not in detail  # ... but not as a link/image
    assert "<img" not in detail and "&lt;img" in detail
    assert "\\!\\[x\\]\\(https://evil" in detail


@pytest.mark.parametrize(
    "content, ctype, status",
    [
        (b'{"hook": "patient-view"}', "text/plain", 415),  # cross-site simple POST: refused
        (b'{"hook": "patient-view"}', "application/x-www-form-urlencoded", 415),
        (b"[" * 1000 + b"]" * 1000, "application/json", 400),  # was a RecursionError -> 500
        (b'{"hook": NaN}', "application/json", 400),
        (b'{"hook": "\\udcff"}', "application/json", 400),  # a lone surrogate could not be encoded back
        (b"\xff\xfe", "application/json", 400),
        (b" " * (600 * 1024), "application/json", 413),
    ],
)
def test_transport_limits(base_url, content, ctype, status):
    res = httpx.post(f"{base_url}/cds-services/ldn-opioid-patient-view", content=content,
                     headers={"content-type": ctype}, timeout=30)
    assert res.status_code == status, res.text
    assert res.json()["error"]


def test_cors_for_the_sandbox(base_url):
    origin = "https://sandbox.cds-hooks.org"
    pre = httpx.options(f"{base_url}/cds-services/ldn-opioid-patient-view", timeout=30,
                        headers={"origin": origin, "access-control-request-method": "POST",
                                 "access-control-request-headers": "content-type,authorization"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == origin
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    got = httpx.get(f"{base_url}/cds-services", headers={"origin": origin}, timeout=30)
    assert got.headers["access-control-allow-origin"] == origin
    other = httpx.get(f"{base_url}/cds-services", headers={"origin": "https://evil.example"}, timeout=30)
    assert "access-control-allow-origin" not in other.headers


def test_openapi_describes_the_request_bodies(base_url):
    spec = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    hook = spec["paths"]["/cds-services/{service_id}"]["post"]["requestBody"]["content"]["application/json"]
    assert {"hook", "hookInstance", "context"} <= set(hook["schema"]["required"])
    fb = spec["paths"]["/cds-services/{service_id}/feedback"]["post"]["requestBody"]
    assert fb["content"]["application/json"]["schema"]["required"] == ["feedback"]


# ----------------------------------------------------------------------------------------- JWT (client trust)
@pytest.fixture
def es384():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    import jwt

    pub = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    pub.update({"kid": "k1", "alg": "ES384", "use": "sig"})
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, {"keys": [pub]}


@pytest.fixture
def trusted(es384):
    from ldnsim.web import cds_auth

    cds_auth.configure({"issuers": {"https://ehr.example": {"jwks": es384[1]}}})
    yield es384[0]
    cds_auth.configure(None)


def _token(pem, url, **over):
    import uuid

    import jwt

    now = int(time.time())
    claims = {"iss": "https://ehr.example", "sub": "client", "aud": url, "iat": now, "exp": now + 300,
              "jti": str(uuid.uuid4()), **over}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, pem, algorithm="ES384", headers={"kid": "k1"})


def test_jwt_when_configured(base_url, trusted):
    url = f"{base_url}/cds-services/ldn-opioid-patient-view"
    body = _pv([LDN, OXY])

    def post(token):
        h = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.post(url, json=body, headers=h, timeout=30)

    assert post(None).status_code == 401
    good = _token(trusted, url)
    assert post(good).status_code == 200
    assert post(good).status_code == 401  # replayed jti
    assert post(_token(trusted, url, iss="https://other.example")).status_code == 401
    assert post(_token(trusted, url + "x")).status_code == 401  # another endpoint's audience
    assert post(_token(trusted, url, exp=int(time.time()) - 120)).status_code == 401
    assert post(_token(trusted, url, jti=None)).status_code == 401
    assert post(good[:-4] + "AAAA").status_code == 401  # bad signature
    import jwt

    hs = jwt.encode({"iss": "https://ehr.example", "aud": url, "iat": int(time.time()),
                     "exp": int(time.time()) + 60, "jti": "x"}, "secret", algorithm="HS256")
    assert post(hs).status_code == 401  # no algorithm confusion: asymmetric keys only for this issuer
    assert httpx.get(f"{base_url}/cds-services", timeout=30).status_code == 200  # discovery stays open


def _jwks_server(doc):
    """A local issuer serving ``doc`` as its JWKS; returns (url, server, hits)."""
    import http.server
    import json as _json

    hits: list[str] = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            hits.append(self.path)
            body = _json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}/.well-known/jwks.json", srv, hits


def test_jwks_url_is_fetched_from_the_configuration_never_from_the_tokens_jku(es384):
    """The issuer's keys come from the configured URL (fetched once, cached); a token naming its own key
    set (jku) and signed by that other key is refused; an unreachable JWKS URL is a 401, not a 500."""
    import jwt

    from ldnsim.web import cds_auth

    attacker_pem, attacker_jwks = _other_key()
    url, srv, hits = _jwks_server(es384[1])
    bad_url, bad_srv, bad_hits = _jwks_server(attacker_jwks)
    try:
        cfg = cds_auth.AuthConfig.from_dict({"issuers": {"https://ehr.example": {"jwks_url": url}}})
        endpoint = "https://ldnsim.example/cds-services/ldn-opioid-patient-view"
        assert cds_auth.verify(f"Bearer {_token(es384[0], endpoint)}", endpoint, cfg)["iss"] == "https://ehr.example"
        assert cds_auth.verify(f"Bearer {_token(es384[0], endpoint)}", endpoint, cfg)  # new jti, cached keys
        assert len(hits) == 1
        now = int(time.time())
        forged = jwt.encode(
            {"iss": "https://ehr.example", "aud": endpoint, "iat": now, "exp": now + 300, "jti": "forged-1"},
            attacker_pem, algorithm="ES384", headers={"kid": "k1", "jku": bad_url},
        )
        with pytest.raises(cds_auth.AuthError, match="invalid token"):
            cds_auth.verify(f"Bearer {forged}", endpoint, cfg)
        assert bad_hits == []  # the token's jku was never fetched
        down = cds_auth.AuthConfig.from_dict(
            {"issuers": {"https://ehr.example": {"jwks_url": "http://127.0.0.1:9/none.json"}}}
        )
        with pytest.raises(cds_auth.AuthError):
            cds_auth.verify(f"Bearer {_token(es384[0], endpoint)}", endpoint, down)
    finally:
        srv.shutdown()
        bad_srv.shutdown()


def _other_key():
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    pub = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    pub.update({"kid": "k1", "alg": "ES384", "use": "sig"})
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, {"keys": [pub]}
