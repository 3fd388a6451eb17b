"""ASGI middleware (Starlette, FastAPI, Quart, plain ASGI): verify every request's
credential before the application sees it.

    from gatehouse_verify.asgi import VerifyMiddleware, RequireScope, RequireAuthTime, RequireACR, principal

    app = VerifyMiddleware(app, verifier)        # Starlette/FastAPI: app.add_middleware(VerifyMiddleware, verifier=verifier)

    # in a handler: principal(request.scope), or request.state.gatehouse_principal

RequireAuthTime(app, 300) and RequireACR(app, "urn:example:mfa") step up (RFC 9470): 401
insufficient_user_authentication with max_age or acr_values.

The principal is put in scope["gatehouse.principal"] and in scope["state"]
["gatehouse_principal"] (request.state.gatehouse_principal in Starlette). A missing or
rejected credential gets the same RFC 6750 answers as the WSGI middleware; a rejected
WebSocket is closed with 1008 before it is accepted.

Verification is CPU work of a few microseconds for a credential seen before and about a
signature check's worth for a new one, done on the event loop; when a request needs the
portal (the first use of a status list, an unknown kid), the verification runs in a
worker thread (asyncio.to_thread) so the loop never waits for the network.
"""

from __future__ import annotations

import asyncio

import time
from typing import Any, Awaitable, Callable, Dict, MutableMapping, Optional

from ._http import Response, acr_values_of, error_response, max_age_of, missing_scope, step_up_check
from ._mtls import Peer, pem_to_der
from .errors import NoTokenError, VerifyError
from .principal import Principal
from .verifier import Verifier

__all__ = ["SCOPE_KEY", "STATE_KEY", "VerifyMiddleware", "RequireScope", "RequireAuthTime", "RequireACR", "principal"]

SCOPE_KEY = "gatehouse.principal"
#: The verifier's clock (Verifier.now), for step-up requirements.
CLOCK_KEY = "gatehouse.clock"
STATE_KEY = "gatehouse_principal"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def principal(scope: Scope) -> Optional[Principal]:
    """The principal VerifyMiddleware verified for this request, or None."""
    return scope.get(SCOPE_KEY)


async def _send_response(send: Send, r: Response) -> None:
    status, headers, body = r
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _request_url(scope: Scope) -> str:
    """The request's absolute URL as the server saw it (Verifier public_url overrides
    scheme and host behind a proxy)."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"host"), "")
    if not host and scope.get("server"):
        host = "%s:%s" % tuple(scope["server"])
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    return "%s://%s%s" % (scheme, host or "localhost", (scope.get("root_path", "") + scope.get("path", "")) or "/")


def peer_of(scope: Scope) -> "tuple[Optional[str], Optional[bytes]]":
    """The request's direct peer address (scope["client"]) and the DER of the
    certificate it presented on the TLS connection (the ASGI "tls" extension's
    client_cert_chain[0], a PEM), or None."""
    client = scope.get("client")
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or ()
    return (str(client[0]) if client else None), (pem_to_der(chain[0]) if chain else None)


def _peer(v: Verifier, scope: Scope) -> Peer:
    """The client certificate of the request, read when a token is bound to one."""
    def peer() -> Optional[bytes]:
        remote, der = peer_of(scope)
        return v.client_certificate(scope.get("headers") or [], remote, der)
    return peer


async def verify_scope(v: Verifier, scope: Scope) -> Principal:
    """The principal of an HTTP or WebSocket scope's credential (what VerifyMiddleware
    checks): a DPoP-bound token with its proof, a certificate-bound one with its client
    certificate (see Verifier.client_certificate), or raises a VerifyError."""
    headers = scope.get("headers") or []
    auth = next((val for k, val in headers if k.lower() == b"authorization"), b"")
    if auth[:5].lower() == b"dpop ":
        remote, der = peer_of(scope)
        return await asyncio.to_thread(
            v.verify_request, scope.get("method", "GET"), _request_url(scope), headers, remote_addr=remote, tls_client_cert=der
        )
    return await v._averify_bearer(v.token_from_headers(headers, scope.get("query_string")), _peer(v, scope))


class VerifyMiddleware:
    """Verifies each HTTP and WebSocket request's credential and passes the principal
    on in the scope; answers 401 itself otherwise. Other scopes (lifespan) pass through."""

    def __init__(self, app: ASGIApp, verifier: Verifier):
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        v = self.verifier
        try:
            p = await verify_scope(v, scope)
        except VerifyError as e:
            if not isinstance(e, NoTokenError):
                v.logger.info("gatehouse_verify: credential rejected (path=%s, reason=%s)", scope.get("path", ""), e)
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _send_response(send, error_response(v.audience, e, v.resource_metadata))
            return
        # A copy of the scope and of its state: the principal belongs to this request only.
        scope = dict(scope)
        scope[SCOPE_KEY] = p
        scope[CLOCK_KEY] = v.now
        state = dict(scope.get("state") or {})
        state[STATE_KEY] = p
        scope["state"] = state
        await self.app(scope, receive, send)


class RequireScope:
    """Wraps an ASGI application (behind VerifyMiddleware) so that HTTP requests get 403
    insufficient_scope unless the principal carries every scope."""

    def __init__(self, app: ASGIApp, *scopes: str):
        self.app = app
        self.scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            r = missing_scope(scope.get(SCOPE_KEY), self.scopes)
            if r is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await _send_response(send, r)
                return
        await self.app(scope, receive, send)


class _RequireStepUp:
    """Shared by RequireAuthTime and RequireACR: answers HTTP requests whose principal
    does not meet the requirement with 401 insufficient_user_authentication (RFC 9470);
    closes such WebSockets with 1008."""

    max_age: Optional[float] = None
    acr_values: tuple = ()

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            now = scope.get(CLOCK_KEY, time.time)()
            r = step_up_check(scope.get(SCOPE_KEY), now, self.max_age, self.acr_values)
            if r is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await _send_response(send, r)
                return
        await self.app(scope, receive, send)


class RequireAuthTime(_RequireStepUp):
    """Wraps an ASGI application (behind VerifyMiddleware) so that requests get 401
    insufficient_user_authentication with max_age unless the principal's user
    authenticated at most max_age seconds ago, by the verifier's clock
    (Principal.check_auth_time)."""

    def __init__(self, app: ASGIApp, max_age: float):
        super().__init__(app)
        self.max_age = max_age_of(max_age)


class RequireACR(_RequireStepUp):
    """Wraps an ASGI application (behind VerifyMiddleware) so that requests get 401
    insufficient_user_authentication with acr_values unless the principal's acr is one
    of values (Principal.check_acr)."""

    def __init__(self, app: ASGIApp, *values: str):
        super().__init__(app)
        self.acr_values = acr_values_of(values)
