"""FastAPI application: CDS Hooks discovery, hook endpoints and feedback.

``create_app()`` builds the app; ``ldnsim serve`` runs it with uvicorn on localhost by default.
Bad requests get HTTP 400 with ``{"error": "<field>: <problem>"}``; unknown services 404.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..clinical.rules import DISCLAIMER
from ..errors import InputError
from .cds_hooks import SERVICES, discovery, evaluate

__all__ = ["create_app"]


def create_app() -> FastAPI:
    app = FastAPI(
        title="ldnsim CDS Hooks", description="LDN–opioid decision support. " + DISCLAIMER, version="1"
    )

    @app.get("/cds-services")
    def cds_services() -> dict:
        return discovery()

    async def _json(request: Request):
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("request", "body is not valid JSON") from None

    @app.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request):
        if service_id not in SERVICES:
            return JSONResponse({"error": f"unknown service {service_id!r}"}, status_code=404)
        try:
            body = await _json(request)
            return evaluate(service_id, body)
        except InputError as exc:
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)

    @app.post("/cds-services/{service_id}/feedback")
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

    @app.get("/")
    def root() -> dict:
        return {"service": "ldnsim CDS Hooks", "discovery": "/cds-services", "disclaimer": DISCLAIMER}

    return app
