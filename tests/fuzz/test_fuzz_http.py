"""Standing fuzz suite over the HTTP API (issue 16).

1. schemathesis, from the OpenAPI schema (which describes the request bodies): generated and mutated
   calls to discovery, the hook services and feedback — never a 5xx, and every response conforms to the
   documented status codes and content types.
2. hypothesis, structure-aware: a prefetch holding a valid LDN order and a valid opioid *plus* arbitrary
   JSON resources — always HTTP 200 with the critical card first (one bad resource never hides it).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fuzz_common import MEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from ldnsim.web.app import create_app

SCALE = float(os.environ.get("LDNSIM_FUZZ_EXAMPLES", "0")) / 100 or 1.0
RANDOM = bool(os.environ.get("LDNSIM_FUZZ_RANDOM"))

APP = create_app(allowed_hosts=("testserver", "localhost", "127.0.0.1"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(path_regex="^/cds-services")


@schema.parametrize()
@settings(
    max_examples=max(1, int(60 * SCALE)),
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_openapi_fuzz(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance])


# ------------------------------------------------------------------------------------------ structure-aware
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=12), c, max_size=4)),
    max_leaves=25,
)
KEYS = [
    "resourceType",
    "id",
    "medicationCodeableConcept",
    "medicationReference",
    "medication",
    "contained",
    "dosageInstruction",
    "dosage",
    "status",
    "ingredient",
    "code",
    "coding",
    "text",
    "fullUrl",
    "reference",
]


@st.composite
def fhir_ish(draw):
    """A resource that is nearly right: real keys with arbitrary values (the issue's 500s were all this)."""
    kind = draw(
        st.sampled_from(["MedicationRequest", "MedicationStatement", "Medication", "Patient", None, 5])
    )
    res = {"resourceType": kind} if kind is not None else {}
    for k in draw(st.lists(st.sampled_from(KEYS), max_size=5, unique=True)):
        res[k] = draw(st.one_of(JSON, st.sampled_from(MEDS), st.just({"text": draw(st.sampled_from(MEDS))})))
    return draw(st.one_of(st.just(res), JSON))


def _mr(rid, text):
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "medicationCodeableConcept": {"text": text},
    }


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    with TestClient(APP, base_url="http://127.0.0.1") as c:
        yield c


@settings(
    max_examples=max(1, int(150 * SCALE)),
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    bad=st.lists(fhir_ish(), min_size=1, max_size=4),
    wrap=st.lists(st.booleans(), min_size=4, max_size=4),
    hook=st.sampled_from(["patient-view", "order-sign"]),
)
def test_bad_resources_never_hide_the_critical_card(client, bad, wrap, hook):
    entries = [
        {"resource": _mr("ldn", "naltrexone 4.5 mg nightly")},
        {"resource": _mr("oxy", "oxycodone 5 mg")},
    ]
    entries += [{"resource": b} if w else b for b, w in zip(bad, wrap, strict=False)]
    body = {
        "hook": hook,
        "hookInstance": "f-1",
        "context": {"patientId": "p"},
        "prefetch": {"medications": {"resourceType": "Bundle", "entry": entries}},
    }
    if hook == "order-sign":
        body["context"]["draftOrders"] = {
            "resourceType": "Bundle",
            "entry": [{"resource": _mr("d", "codeine")}],
        }
    res = client.post(f"/cds-services/ldn-opioid-{hook}", json=body)
    assert res.status_code == 200, res.text
    cards = res.json()["cards"]
    assert cards and cards[0]["indicator"] == "critical", cards
    assert all(len(c["summary"]) < 140 for c in cards)
