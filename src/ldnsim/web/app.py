"""The one FastAPI application of ``ldnsim serve``: the web pages and the CDS Hooks service.

``create_app()`` builds it. Middleware (outermost first): security headers (CSP without inline
script, nosniff, frame denial, referrer policy) → trusted Host (localhost names by default) →
request body-size limit → signed session cookie (HttpOnly, SameSite=Strict, Secure by default).
The CDS Hooks routes come from :mod:`ldnsim.web.cds_api`; the pages from the ``*_page`` modules.
Bad input on a page answers HTTP 400 with the field and the accepted range; a form POST without the
session's CSRF token answers 403.
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..clinical.rules import DISCLAIMER
from ..errors import InputError
from . import cds_api
from .diary_page import NotLoggedIn
from .render import render
from .security import BodyLimitMiddleware, CsrfError, LoginLimiter, SecurityHeadersMiddleware

__all__ = ["create_app", "WebConfig", "LOCAL_HOSTS"]

#: page modules, each with a ``router``
PAGES = ("check_page", "plan_page", "titrate_page", "trials_page", "diary_page")
STATIC = Path(__file__).with_name("static")
#: Host header values accepted by default (the server binds to localhost by default).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class WebConfig:
    """Settings of one app instance (``ldnsim serve`` fills them from its options)."""

    #: the diary store (ldnsim.diary); by default a private in-memory database (shared by its threads)
    diary_url: str = field(
        default_factory=lambda: (
            f"sqlite:///file:ldnsim-web-{secrets.token_hex(8)}?mode=memory&cache=shared&uri=true"
        )
    )
    accounts_url: str = "sqlite://"  # web accounts (ldnsim.web.accounts); in memory unless given
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    secure_cookies: bool = True
    max_body_bytes: int = 1_000_000
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    trial_workers: int = 1
    max_queued_trials: int = 4
    session_max_age_s: int = 8 * 3600


def create_app(config: WebConfig | None = None, **overrides) -> FastAPI:
    """Build the app; keyword ``overrides`` set fields of :class:`WebConfig` (e.g. ``db_url=...``)."""
    cfg = config or WebConfig()
    for k, v in overrides.items():
        if not hasattr(cfg, k):
            raise TypeError(f"create_app: unknown setting {k!r}")
        setattr(cfg, k, v)
    app = FastAPI(
        title="ldnsim",
        description="LDN decision support and research tools (web app and CDS Hooks). " + DISCLAIMER,
        version="1",
        docs_url=None,  # the interactive docs load scripts from a CDN: not offline, not under our CSP
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.config = cfg
    app.state.login_limiter = LoginLimiter()

    from importlib import import_module

    from ..diary import DiaryStore
    from .accounts import AccountStore
    from .jobs import JobQueue

    app.state.diary = DiaryStore(cfg.diary_url)
    app.state.accounts = AccountStore(cfg.accounts_url)
    app.state.jobs = JobQueue(workers=cfg.trial_workers, max_pending=cfg.max_queued_trials)
    app.include_router(cds_api.router)
    for mod in PAGES:
        app.include_router(import_module(f"{__package__}.{mod}").router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        return render(request, "home.html", {})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True, "disclaimer": DISCLAIMER}

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        if _wants_json(request):
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)
        return render(request, "error.html", {"title": "Please check the input", "message": str(exc)}, 400)

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(CsrfError)
    async def csrf_error(request: Request, exc: CsrfError):
        msg = "The form has expired or did not come from this site. Reload the page and try again."
        return render(request, "error.html", {"title": "Form expired", "message": msg}, 403)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        # no traceback to the client; the server log has it
        import logging

        logging.getLogger("ldnsim.web").exception("internal error on %s", request.url.path)
        msg = f"Internal error ({type(exc).__name__}); this is a bug in ldnsim, not in your input."
        if _wants_json(request):
            return JSONResponse({"error": msg}, status_code=500)
        return render(request, "error.html", {"title": "Internal error", "message": msg}, 500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {}
        fld = ".".join(str(x) for x in first.get("loc", ())[1:]) or "request"
        msg = f"{fld}: {first.get('msg', 'invalid')}"
        if _wants_json(request):
            return JSONResponse({"error": msg, "field": fld}, status_code=400)
        return render(request, "error.html", {"title": "Please check the input", "message": msg}, 400)

    # outermost last: session → body limit → trusted host → security headers
    app.add_middleware(
        SessionMiddleware,
        secret_key=cfg.secret_key,
        session_cookie="ldnsim_session",
        max_age=cfg.session_max_age_s,
        same_site="strict",
        https_only=cfg.secure_cookies,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=cfg.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(cfg.allowed_hosts))
    app.add_middleware(SecurityHeadersMiddleware)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    app.state.jobs.shutdown()
    if "mode=memory" not in app.state.diary.url:  # a private in-memory diary goes with the process
        app.state.diary.close()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/cds-services") or "application/json" in request.headers.get(
        "accept", ""
    )
