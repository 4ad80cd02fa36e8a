"""HTTP routes of the CDS Hooks service (discovery, hook calls, feedback) as one router.

The hook logic lives in :mod:`ldnsim.web.cds_hooks`; this module only speaks HTTP, and protects the
service from any one request (issue 16):

- JSON only: a hook or feedback call whose ``Content-Type`` is not ``application/json`` gets 415 (a
  cross-site "simple" POST needs no CORS preflight; a JSON one does).
- Bounded: the body is read up to :data:`MAX_BODY_BYTES` (413 beyond), parsed with bounded depth,
  finite numbers and valid Unicode (400 otherwise).
- Off the event loop: parsing and the hook logic run in a bounded pool of :data:`WORKERS` threads,
  with at most :data:`MAX_PENDING` calls queued (503 + ``Retry-After`` beyond) and a time limit of
  :data:`TIME_LIMIT_S` (503), so one slow request cannot stall the others.
- Trusted clients: when configured (:mod:`ldnsim.web.cds_auth`), a valid CDS client JWT (401 otherwise).
- CORS for the configured origins (default: the public CDS Hooks sandbox), with preflight.

Bad requests get HTTP 4xx with ``{"error": "<field>: <problem>", "field": ...}``; unknown services 404.
The OpenAPI schema describes the request bodies (:class:`HookRequest`, :class:`FeedbackRequest`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import _io
from ..errors import InputError
from . import cds_auth
from .cds_hooks import SERVICES, discovery, evaluate

__all__ = ["router", "HookRequest", "FeedbackRequest", "MAX_BODY_BYTES", "TIME_LIMIT_S", "WORKERS"]

router = APIRouter(tags=["CDS Hooks"])

MAX_BODY_BYTES = 512 * 1024  # a prefetch of 200 medications is < 200 kB
MAX_DEPTH = 200  # whole request; one FHIR resource is held to cds_hooks.MAX_RESOURCE_DEPTH
TIME_LIMIT_S = 10.0
#: threads for hook work (``LDNSIM_CDS_WORKERS``); the work is pure Python, so under the GIL more threads add
#: contention with the event loop rather than throughput
WORKERS = max(1, int(os.environ.get("LDNSIM_CDS_WORKERS", "2") or 2))
MAX_PENDING = 256
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ldnsim-cds")
_pending = 0
_log = logging.getLogger("ldnsim.web.cds")


class HookRequest(BaseModel):
    """A CDS Hooks call (spec: "HTTP Request"). Context and prefetch are free-form FHIR JSON."""

    model_config = ConfigDict(extra="allow")
    hook: str = Field(description="order-select | order-sign | patient-view (must match the service)")
    hookInstance: str = Field(min_length=1, description="UUID of this hook call")
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    context: dict[str, Any] = Field(description="patientId (string); draftOrders and selections for orders")
    prefetch: dict[str, Any] | None = Field(
        default=None, description="medications / statements: FHIR Bundles of MedicationRequest/-Statement"
    )


class FeedbackRequest(BaseModel):
    """Feedback on cards (spec: "Feedback")."""

    model_config = ConfigDict(extra="allow")
    feedback: list[dict[str, Any]]


class Card(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str
    summary: str = Field(max_length=140)
    indicator: str
    source: dict[str, Any]
    detail: str | None = None


class CardsResponse(BaseModel):
    cards: list[Card]


class ErrorResponse(BaseModel):
    error: str
    field: str | None = None


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


_ERROR_CODES = [
    (400, "Malformed request (names the field)"),
    (401, "CDS client JWT missing or invalid (only when client trust is configured)"),
    (404, "Unknown service"),
    (413, "Body too large"),
    (415, "Content-Type is not application/json"),
    (503, "Busy or too slow; retry"),
]
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": why} for code, why in _ERROR_CODES
}


def _error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    allowed = cds_auth.current().cors_origins
    if origin and (origin in allowed or "*" in allowed):
        return {
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return {}


def _with_cors(request: Request, resp: Response) -> Response:
    resp.headers.update(_cors_headers(request))
    return resp


async def _read_body(request: Request) -> bytes:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", "application/fhir+json"):
        raise _HttpError(415, "Content-Type: must be application/json", "Content-Type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _HttpError(413, f"request: body larger than {MAX_BODY_BYTES} bytes", "request")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _HttpError(413, f"request: body larger than {MAX_BODY_BYTES} bytes", "request")
        chunks.append(chunk)
    return b"".join(chunks)


class _HttpError(Exception):
    def __init__(
        self, status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("request", "body is not valid UTF-8") from None
    return _io.loads_json(text, "request", max_depth=MAX_DEPTH)


async def _off_loop(fn: Callable[[bytes], dict[str, Any]], raw: bytes) -> dict[str, Any]:
    """Run ``fn`` in the bounded pool with a queue bound and a time limit (off the event loop)."""
    global _pending
    if _pending >= MAX_PENDING:
        raise _HttpError(503, "busy: too many calls in progress", None, {"Retry-After": "1"})
    _pending += 1
    try:
        fut = asyncio.get_running_loop().run_in_executor(_pool, fn, raw)
        return await asyncio.wait_for(fut, TIME_LIMIT_S)
    except TimeoutError:
        msg = f"the call took longer than {TIME_LIMIT_S:g} s"
        raise _HttpError(503, msg, None, {"Retry-After": "5"}) from None
    finally:
        _pending -= 1


def _endpoint_url(request: Request) -> str:
    return str(request.url.replace(query=None, fragment=None))


def _check_client(request: Request) -> None:
    try:
        cds_auth.verify(request.headers.get("authorization"), _endpoint_url(request))
    except cds_auth.AuthError as exc:
        raise _HttpError(401, f"Authorization: {exc}", "Authorization",
                         {"WWW-Authenticate": 'Bearer realm="ldnsim-cds"'}) from None


async def _handle(
    request: Request, service_id: str, work: Callable[[bytes], dict[str, Any]]
) -> Response:
    try:
        if service_id not in SERVICES:
            raise _HttpError(404, f"unknown service {service_id[:80]!r}")
        _check_client(request)  # PyJWT decode is microseconds; a jwks_url fetch is cached
        raw = await _read_body(request)
        result = await _off_loop(work, raw)
        return _with_cors(request, JSONResponse(result))
    except InputError as exc:
        return _with_cors(request, _error(400, str(exc), exc.field))
    except _HttpError as exc:
        return _with_cors(request, _error(exc.status, exc.message, exc.field, exc.headers))


@router.get("/cds-services", response_model=None)
def cds_services(request: Request) -> Response:
    return _with_cors(request, JSONResponse(discovery()))


@router.post(
    "/cds-services/{service_id}",
    openapi_extra=_body_doc(HookRequest),
    responses={200: {"model": CardsResponse, "description": "Cards"}, **_ERRORS},
)
async def call_service(service_id: str, request: Request) -> Response:
    def work(raw: bytes) -> dict[str, Any]:
        return evaluate(service_id, _parse(raw))

    return await _handle(request, service_id, work)


@router.post(
    "/cds-services/{service_id}/feedback",
    openapi_extra=_body_doc(FeedbackRequest),
    responses={200: {"description": "Accepted"}, **_ERRORS},
)
async def feedback(service_id: str, request: Request) -> Response:
    def work(raw: bytes) -> dict[str, Any]:
        body = _parse(raw)
        if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
            raise InputError("feedback", "must be a list")
        return {}

    return await _handle(request, service_id, work)


@router.options("/cds-services", include_in_schema=False)
@router.options("/cds-services/{service_id}", include_in_schema=False)
@router.options("/cds-services/{service_id}/feedback", include_in_schema=False)
def preflight(request: Request) -> Response:
    headers = _cors_headers(request)
    return Response(status_code=204 if headers else 403, headers=headers)
