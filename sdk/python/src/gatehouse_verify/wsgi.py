"""WSGI middleware: verify every request's credential before the application sees it.

    from gatehouse_verify import Verifier
    from gatehouse_verify.wsgi import VerifyMiddleware, require_scope, principal

    verifier = Verifier("https://portal.example.com", audience="orders-api")
    app = VerifyMiddleware(app, verifier)              # Flask: app.wsgi_app = VerifyMiddleware(app.wsgi_app, verifier)

    def orders(environ, start_response):
        p = principal(environ)                          # environ["gatehouse.principal"]
        ...

A missing or rejected credential gets 401 with an RFC 6750 WWW-Authenticate header and a
JSON body {"error", "error_description"} (Cache-Control: no-store); the application is not
called. require_scope answers 403 insufficient_scope; require_auth_time and require_acr
step up (RFC 9470): 401 insufficient_user_authentication with max_age or acr_values.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._http import Response, acr_values_of, max_age_of, missing_scope, status_line, step_up_check
from ._http import error_response as _error_response
from ._mtls import pem_to_der
from .errors import NoTokenError, VerifyError
from .principal import Principal
from .verifier import Verifier

__all__ = [
    "ENVIRON_KEY", "VerifyMiddleware", "require_scope", "require_auth_time", "require_acr", "principal",
    "token_from_environ", "error_response",
]  # fmt: skip

#: Where the middleware puts the Principal.
ENVIRON_KEY = "gatehouse.principal"
#: The verifier's clock (Verifier.now), for step-up requirements.
CLOCK_KEY = "gatehouse.clock"

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def principal(environ: Dict[str, Any]) -> Optional[Principal]:
    """The principal VerifyMiddleware verified for this request, or None."""
    return environ.get(ENVIRON_KEY)


def token_from_environ(verifier: Verifier, environ: Dict[str, Any]) -> str:
    """The request's credential, as Verifier.token_from_headers reads it."""
    headers = {}
    auth = environ.get("HTTP_AUTHORIZATION")
    if auth:
        headers["authorization"] = auth
    key = environ.get("HTTP_X_API_KEY")
    if key:
        headers["x-api-key"] = key
    return verifier.token_from_headers(headers, environ.get("QUERY_STRING"))


def _request_url(environ: Dict[str, Any]) -> str:
    """The request's absolute URL as the server saw it (Verifier public_url overrides
    scheme and host behind a proxy)."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return "%s://%s%s" % (environ.get("wsgi.url_scheme", "http"), host, path or "/")


def _dpop_headers(environ: Dict[str, Any], cert_header: str = "client-cert") -> List[Tuple[str, str]]:
    names = (("Authorization", "HTTP_AUTHORIZATION"), ("DPoP", "HTTP_DPOP"), (cert_header, "HTTP_" + cert_header.upper().replace("-", "_")))
    return [(k, environ[e]) for k, e in names if e in environ]


def verify_environ(v: Verifier, environ: Dict[str, Any]) -> Principal:
    """The principal of a request's credential (what VerifyMiddleware checks): a
    DPoP-bound token with its proof, a certificate-bound one with its client certificate
    (a trusted proxy's header, see Verifier.client_certificate, or the TLS connection's
    from SSL_CLIENT_CERT, a PEM, as mod_ssl exports it), or raises a VerifyError."""
    headers = _dpop_headers(environ, v.client_cert_header)
    remote = environ.get("REMOTE_ADDR")

    def peer() -> Optional[bytes]:
        return v.client_certificate(headers, remote, pem_to_der(environ.get("SSL_CLIENT_CERT")))

    if environ.get("HTTP_AUTHORIZATION", "").lower().startswith("dpop "):
        return v.verify_request(environ.get("REQUEST_METHOD", "GET"), _request_url(environ), headers,
                                remote_addr=remote, tls_client_cert=pem_to_der(environ.get("SSL_CLIENT_CERT")))
    return v._verify_bearer(token_from_environ(v, environ), peer)


def error_response(verifier: Verifier, err: BaseException) -> Tuple[str, List[Tuple[str, str]], bytes]:
    """(status line, headers, body) of the RFC 6750 answer to err, for frameworks that
    build their own responses."""
    status, headers, body = _error_response(verifier.audience, err, verifier.resource_metadata)
    return status_line(status), headers, body


def _respond(start_response: Callable[..., Any], r: Response) -> List[bytes]:
    status, headers, body = r
    start_response(status_line(status), headers)
    return [body]


class VerifyMiddleware:
    """Verifies each request's credential (Authorization: Bearer, or X-API-Key and the
    query parameter when the verifier is set to read them) and puts the Principal in
    environ["gatehouse.principal"]; answers 401 itself otherwise."""

    def __init__(self, app: WSGIApp, verifier: Verifier):
        self.app = app
        self.verifier = verifier

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        v = self.verifier
        try:
            p = verify_environ(v, environ)
        except VerifyError as e:
            if not isinstance(e, NoTokenError):
                v.logger.info("gatehouse_verify: credential rejected (path=%s, reason=%s)", environ.get("PATH_INFO", ""), e)
            return _respond(start_response, _error_response(v.audience, e, v.resource_metadata))
        environ[ENVIRON_KEY] = p
        environ[CLOCK_KEY] = v.now
        return self.app(environ, start_response)


def require_scope(*scopes: str) -> Callable[[WSGIApp], WSGIApp]:
    """Wraps a WSGI application (behind VerifyMiddleware) so that it answers 403
    insufficient_scope unless the principal carries every scope."""

    def wrap(app: WSGIApp) -> WSGIApp:
        def inner(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            r = missing_scope(environ.get(ENVIRON_KEY), scopes)
            if r is not None:
                return _respond(start_response, r)
            return app(environ, start_response)

        return inner

    return wrap


def require_auth_time(max_age: float) -> Callable[[WSGIApp], WSGIApp]:
    """Wraps a WSGI application (behind VerifyMiddleware) so that it answers 401
    insufficient_user_authentication with max_age (RFC 9470) unless the principal's user
    authenticated at most max_age seconds ago, by the verifier's clock."""
    return _require_step_up(max_age_of(max_age), ())


def require_acr(*values: str) -> Callable[[WSGIApp], WSGIApp]:
    """Wraps a WSGI application (behind VerifyMiddleware) so that it answers 401
    insufficient_user_authentication with acr_values (RFC 9470) unless the principal's
    acr is one of values."""
    return _require_step_up(None, acr_values_of(values))


def _require_step_up(max_age: Optional[float], acr_values: Tuple[str, ...]) -> Callable[[WSGIApp], WSGIApp]:
    def wrap(app: WSGIApp) -> WSGIApp:
        def inner(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            now = environ.get(CLOCK_KEY, time.time)()
            r = step_up_check(environ.get(ENVIRON_KEY), now, max_age, acr_values)
            if r is not None:
                return _respond(start_response, r)
            return app(environ, start_response)

        return inner

    return wrap
