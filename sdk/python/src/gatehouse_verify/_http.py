"""RFC 6750 answers shared by the WSGI, ASGI and FastAPI integrations (as the Go
verifier's http.go writes them)."""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Optional, Tuple

from .errors import InsufficientScopeError, NoTokenError, describe

Headers = List[Tuple[str, str]]
Response = Tuple[int, Headers, bytes]

#: The description a request without a credential gets.
NO_CREDENTIAL = "no credential: send Authorization: Bearer <key>"

_REASONS = {401: "Unauthorized", 403: "Forbidden"}


def status_line(status: int) -> str:
    return "%d %s" % (status, _REASONS.get(status, ""))


def quote(s: str) -> str:
    """Makes s safe inside a quoted-string of an auth-param."""
    return s.replace("\\", "").replace('"', "").replace("\r", "").replace("\n", "")


def json_body(code: str, desc: str) -> bytes:
    """{"error": code, "error_description": desc} as Go's json.Encoder writes it."""
    out = json.dumps({"error": code, "error_description": desc}, separators=(",", ":"), ensure_ascii=False)
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(c, esc)
    return (out + "\n").encode("utf-8")


def _json_response(status: int, challenge: str, code: str, desc: str) -> Response:
    body = json_body(code, desc)
    return status, [
        ("WWW-Authenticate", challenge),
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-store"),
        ("Content-Length", str(len(body))),
    ], body


def scope_challenge(desc: str, scope: str = "") -> Response:
    """403 insufficient_scope."""
    h = 'Bearer error="insufficient_scope", error_description="%s"' % quote(desc)
    if scope:
        h += ', scope="%s"' % quote(scope)
    return _json_response(403, h, "insufficient_scope", desc)


def error_response(audience: str, err: BaseException) -> Response:
    """The answer to a rejected request: 401 with a bare challenge when no credential was
    sent, 403 insufficient_scope, else 401 invalid_token with the reason's category."""
    realm = 'Bearer realm="%s"' % quote(audience)
    if isinstance(err, NoTokenError):
        return _json_response(401, realm, "invalid_request", NO_CREDENTIAL)
    if isinstance(err, InsufficientScopeError):
        return scope_challenge(str(err))
    desc = describe(err)
    return _json_response(
        401, realm + ', error="invalid_token", error_description="%s"' % quote(desc), "invalid_token", desc
    )


def missing_scope(principal: Any, scopes: Iterable[str]) -> Optional[Response]:
    """The 403 answer when principal (or None) lacks one of scopes, else None."""
    scopes = tuple(scopes)
    for s in scopes:
        if principal is None or not principal.has_scope(s):
            return scope_challenge("this request needs the scope " + s, " ".join(scopes))
    return None
