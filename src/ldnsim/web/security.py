"""HTTP-level protections of the web app: body-size limit, security headers, CSRF tokens, login throttle.

Each piece is small and independent: the two middlewares are plain ASGI (they work for every route,
the CDS Hooks ones included); CSRF and the login limiter are helpers the page routes call.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BodyLimitMiddleware",
    "SecurityHeadersMiddleware",
    "CSP",
    "csrf_token",
    "check_csrf",
    "LoginLimiter",
    "CsrfError",
]

#: Content-Security-Policy of every page: no inline script, nothing from other origins.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 to a body larger than ``max_bytes`` (declared or streamed) before the app reads it all."""

    def __init__(self, app: ASGIApp, max_bytes: int = 1_000_000) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers") or []:
            if k == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    await self._reject(send, 400, b"content-length: not an integer")
                    return
                if declared > self.max_bytes:
                    await self._reject(send, 413, self._msg())
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, 413, self._msg())

    def _msg(self) -> bytes:
        return f"request body: larger than the limit of {self.max_bytes} bytes".encode()

    @staticmethod
    async def _reject(send: Send, status: int, text: bytes) -> None:
        body = b'{"error": "' + text + b'"}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Add CSP (unless the route set its own), nosniff, frame denial and referrer policy to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [(k, v) for k, v in _HEADERS if k not in names]
                msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, add_headers)


class CsrfError(Exception):
    """A form POST without the session's CSRF token (→ HTTP 403)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); every form carries it in a hidden field."""
    tok = request.session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session["csrf"] = tok
    return tok


def check_csrf(request: Request, form_value: str | None) -> None:
    """Raise CsrfError unless the form field (or the X-CSRF-Token header htmx sends) matches the session's."""
    expected = request.session.get("csrf")
    given = form_value or request.headers.get("x-csrf-token") or ""
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        raise CsrfError


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (client address + user name) in ``window_s`` seconds."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when not blocked)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            if len(q) < self.max_failures:
                return 0.0
            return max(0.0, self.window_s - (now - q[0]))

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._fails) > 10_000:  # bound memory under a spray of names
                self._fails.pop(next(iter(self._fails)))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
