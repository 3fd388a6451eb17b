"""RFC 6750 answers shared by the WSGI, ASGI and FastAPI integrations (as the Go
verifier's http.go writes them)."""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Optional, Tuple

from .errors import (
    CertBoundError,
    DPoPBoundError,
    DPoPProofError,
    InsufficientScopeError,
    InsufficientUserAuthenticationError,
    NoTokenError,
    describe,
)
from .principal import ACR_NOT_ALLOWED, NO_AUTH_TIME

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


def step_up_response(err: InsufficientUserAuthenticationError) -> Response:
    """401 insufficient_user_authentication (RFC 9470 §3) with max_age or acr_values."""
    h = 'Bearer error="insufficient_user_authentication", error_description="%s"' % quote(err.reason)
    if err.max_age is None:
        h += ', acr_values="%s"' % quote(" ".join(err.acr_values))
    else:
        h += ', max_age="%d"' % int(err.max_age or 0)
    return _json_response(401, h, "insufficient_user_authentication", err.reason)


def step_up_check(principal: Any, now: float, max_age: Optional[float], acr_values: Tuple[str, ...]) -> Optional[Response]:
    """The 401 answer when principal (or None) does not meet a step-up requirement
    (max_age when not None, else acr_values), else None."""
    try:
        if principal is None:
            raise InsufficientUserAuthenticationError(
                NO_AUTH_TIME if max_age is not None else ACR_NOT_ALLOWED, max_age=max_age, acr_values=acr_values
            )
        if max_age is not None:
            principal.check_auth_time(now, max_age)
        else:
            principal.check_acr(*acr_values)
    except InsufficientUserAuthenticationError as e:
        return step_up_response(e)
    return None


def max_age_of(max_age: Any) -> float:
    """Checks a require_auth_time max age (seconds, 0 or more)."""
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or not 0 <= max_age < float("inf"):
        raise ValueError("gatehouse_verify: max_age must be a number of seconds, 0 or more")
    return max_age


def acr_values_of(values: Iterable[str]) -> Tuple[str, ...]:
    """Checks require_acr values: at least one, none empty."""
    out = (values,) if isinstance(values, str) else tuple(values)
    if not out or not all(isinstance(v, str) and v for v in out):
        raise ValueError("gatehouse_verify: acr values: at least one, and no empty one")
    return out


def error_response(audience: str, err: BaseException, resource_metadata: Optional[str] = None) -> Response:
    """The answer to a rejected request: 401 with a bare challenge when no credential was
    sent, 403 insufficient_scope, 401 insufficient_user_authentication, else 401
    invalid_token with the reason's category. With resource_metadata (the verifier's
    option), the challenge ends with resource_metadata="…" (RFC 9728 §5.1), as the Go
    verifier's WriteError writes it."""
    status, headers, body = _error_response(audience, err)
    if resource_metadata:
        headers = [
            (k, v + ', resource_metadata="%s"' % quote(resource_metadata) if k == "WWW-Authenticate" else v)
            for k, v in headers
        ]
    return status, headers, body


def _error_response(audience: str, err: BaseException) -> Response:
    realm = 'Bearer realm="%s"' % quote(audience)
    if isinstance(err, NoTokenError):
        return _json_response(401, realm, "invalid_request", NO_CREDENTIAL)
    if isinstance(err, InsufficientScopeError):
        return scope_challenge(str(err))
    if isinstance(err, InsufficientUserAuthenticationError):
        return step_up_response(err)
    if isinstance(err, CertBoundError) and not err.dpop:
        # RFC 8705 §3 leaves the answer to RFC 6750 (a DPoP challenge, below, when the
        # token is DPoP-bound too).
        return _json_response(
            401, realm + ', error="invalid_token", error_description="%s"' % quote(err.reason), "invalid_token", err.reason
        )
    if isinstance(err, (DPoPProofError, DPoPBoundError, CertBoundError)):
        # RFC 9449 §7.1: a DPoP challenge naming the algorithms proofs may use.
        code = "invalid_dpop_proof" if isinstance(err, DPoPProofError) else "invalid_token"
        challenge = 'DPoP realm="%s", error="%s", error_description="%s", algs="ES256 EdDSA RS256 PS256"' % (
            quote(audience), code, quote(err.reason))
        return _json_response(401, challenge, code, err.reason)
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
