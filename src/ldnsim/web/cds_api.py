"""HTTP routes of the CDS Hooks service (discovery, hook calls, feedback) as one router.

The hook logic lives in :mod:`ldnsim.web.cds_hooks`; this module only speaks HTTP.
Bad requests get HTTP 400 with ``{"error": "<field>: <problem>", "field": ...}``; unknown services 404.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..errors import InputError
from .cds_hooks import SERVICES, discovery, evaluate

__all__ = ["router"]

router = APIRouter(tags=["CDS Hooks"])


async def _json(request: Request):
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("request", "body is not valid JSON") from None


@router.get("/cds-services")
def cds_services() -> dict:
    return discovery()


@router.post("/cds-services/{service_id}")
async def call_service(service_id: str, request: Request):
    if service_id not in SERVICES:
        return JSONResponse({"error": f"unknown service {service_id!r}"}, status_code=404)
    try:
        body = await _json(request)
        return evaluate(service_id, body)
    except InputError as exc:
        return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)


@router.post("/cds-services/{service_id}/feedback")
async def feedback(service_id: str, request: Request):
    if service_id not in SERVICES:
        return JSONResponse({"error": f"unknown service {service_id!r}"}, status_code=404)
    try:
        body = await _json(request)
    except InputError as exc:
        return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        return JSONResponse({"error": "feedback: must be a list", "field": "feedback"}, status_code=400)
    return {}
