"""Trusting CDS clients (CDS Hooks spec, "Trusting CDS Clients"): JWT bearer tokens, when configured.

Spec: https://cds-hooks.org/specification/current/#trusting-cds-clients — the CDS client sends
``Authorization: Bearer <JWT>`` signed with its private key; the JWT header names the key (``kid``, and
optionally ``jku``); the claims are ``iss`` (the client), ``aud`` (the URL of the service endpoint being
called), ``exp`` (≤ 5 minutes ahead), ``iat`` and ``jti`` (unique per call). The service trusts a
client when its ``iss`` is on an allow-list with the client's public keys (a JWKS, given inline or as a
file; or a JWKS URL fetched from the issuer's configuration, never from the token's ``jku``) or a
shared secret (HS256/384/512; for tests and closed deployments).

Configuration: :func:`configure` from Python, or the environment variable ``LDNSIM_CDS_AUTH`` naming
a JSON file::

    {"issuers": {"https://sandbox.cds-hooks.org": {"jwks_url": "https://sandbox.cds-hooks.org/.well-known/jwks.json"},
                 "https://ehr.example": {"jwks": {"keys": [...]}},
                 "test-client": {"secret": "..."}},
     "audience": ["https://cds.example/cds-services/ldn-opioid-order-sign"],   # optional
     "cors_origins": ["https://sandbox.cds-hooks.org"]}                       # optional

Without configuration no token is required (the service binds to localhost by default); with it,
every hook and feedback call needs a valid token (401 otherwise). Replayed ``jti`` values are refused.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

__all__ = ["AuthConfig", "AuthError", "configure", "current", "verify", "SANDBOX_ORIGIN"]

SANDBOX_ORIGIN = "https://sandbox.cds-hooks.org"
ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
SYMMETRIC = ["HS256", "HS384", "HS512"]
MAX_TOKEN_CHARS = 16_384
LEEWAY_S = 30
MAX_LIFETIME_S = 3600  # the spec asks for ≤ 5 min; tolerate clients up to an hour, no more


class AuthError(Exception):
    """The call is not from a trusted CDS client (HTTP 401)."""


@dataclass
class AuthConfig:
    issuers: dict[str, dict[str, Any]] = field(default_factory=dict)
    audience: list[str] | None = None
    cors_origins: list[str] = field(default_factory=lambda: [SANDBOX_ORIGIN])
    _jwk_clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _seen_jti: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def required(self) -> bool:
        return bool(self.issuers)

    @classmethod
    def from_dict(cls, doc: Any, source: str = "cds auth") -> AuthConfig:
        if not isinstance(doc, dict):
            raise InputError(source, "must be a JSON object")
        issuers = doc.get("issuers") or {}
        if not isinstance(issuers, dict):
            raise InputError(f"{source}.issuers", "must be an object: issuer → key settings")
        for iss, spec in issuers.items():
            keys = [k for k in ("jwks", "jwks_file", "jwks_url", "secret", "public_key") if k in (spec or {})]
            if not isinstance(spec, dict) or len(keys) != 1:
                raise InputError(
                    f"{source}.issuers.{iss}", "needs exactly one key setting",
                    accepted="jwks, jwks_file, jwks_url, public_key (PEM) or secret",
                )
            if "jwks_file" in spec:
                from .._io import load_json_file

                spec["jwks"] = load_json_file(spec.pop("jwks_file"), f"{source}.issuers.{iss}.jwks_file")
        aud = doc.get("audience")
        if isinstance(aud, str):
            aud = [aud]
        origins = doc.get("cors_origins", [SANDBOX_ORIGIN])
        return cls(issuers=dict(issuers), audience=aud, cors_origins=list(origins))


_config: AuthConfig | None = None


def configure(config: AuthConfig | dict[str, Any] | None) -> AuthConfig:
    """Set (or with ``None`` reset to the environment's) trust configuration; returns it."""
    global _config
    if config is None:
        _config = None
        return current()
    _config = config if isinstance(config, AuthConfig) else AuthConfig.from_dict(config)
    return _config


def current() -> AuthConfig:
    global _config
    if _config is None:
        path = os.environ.get("LDNSIM_CDS_AUTH")
        if path:
            from .._io import load_json_file

            _config = AuthConfig.from_dict(load_json_file(path, "LDNSIM_CDS_AUTH"), "LDNSIM_CDS_AUTH")
        else:
            _config = AuthConfig()
    return _config


def _key_for(cfg: AuthConfig, iss: str, spec: dict[str, Any], token: str) -> tuple[Any, list[str]]:
    import jwt

    if "secret" in spec:
        return spec["secret"], SYMMETRIC
    if "public_key" in spec:
        return spec["public_key"], ASYMMETRIC
    kid = jwt.get_unverified_header(token).get("kid")
    if "jwks" in spec:
        keys = jwt.PyJWKSet.from_dict(spec["jwks"]).keys
    else:  # jwks_url from the configuration (never the token's jku: that would let anyone pick the key)
        client = cfg._jwk_clients.get(iss)
        if client is None:
            client = cfg._jwk_clients.setdefault(iss, jwt.PyJWKClient(spec["jwks_url"], cache_keys=True,
                                                                      timeout=5))
        keys = client.get_signing_keys()
    match = [k for k in keys if kid is None or k.key_id == kid]
    if not match:
        raise AuthError(f"no key {kid!r} for issuer {iss!r}")
    return match[0].key, ASYMMETRIC


def verify(
    authorization: str | None, endpoint_url: str, cfg: AuthConfig | None = None
) -> dict[str, Any] | None:
    """Check the bearer token of one call; returns its claims (``None`` when no trust is configured).

    Raises :class:`AuthError` when a token is required and missing, malformed, expired, for another
    audience, from an issuer not on the allow-list, wrongly signed, or replayed.
    """
    import jwt

    cfg = cfg or current()
    if not cfg.required:
        return None
    if not authorization or not authorization.startswith("Bearer "):
        raise AuthError("a bearer token (JWT) is required")
    token = authorization[len("Bearer "):].strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise AuthError("token too long")
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in cfg.issuers:
            raise AuthError(f"issuer {iss!r} is not trusted")
        key, algorithms = _key_for(cfg, iss, cfg.issuers[iss], token)
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=cfg.audience or [endpoint_url],
            issuer=iss,
            leeway=LEEWAY_S,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
    except AuthError:
        raise
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise AuthError(f"invalid token ({type(exc).__name__}: {exc})") from None
    now = time.time()
    if float(claims["exp"]) - float(claims["iat"]) > MAX_LIFETIME_S:
        raise AuthError("token lifetime too long (exp - iat > 1 h)")
    with cfg._lock:
        for j, exp in list(cfg._seen_jti.items()):
            if exp < now - LEEWAY_S:
                del cfg._seen_jti[j]
        key = f"{iss}\x00{claims['jti']}"
        if key in cfg._seen_jti:
            raise AuthError("token replayed (jti already used)")
        if len(cfg._seen_jti) > 100_000:
            raise AuthError("too many live tokens")
        cfg._seen_jti[key] = float(claims["exp"])
    return claims

