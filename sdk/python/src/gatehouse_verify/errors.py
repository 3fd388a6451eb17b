"""Typed reasons a credential is rejected.

Every exception here subclasses :class:`VerifyError` and carries ``code`` (the
language-neutral code of ``sdk/conformance/README.md``) and ``description`` (the RFC 6750
``error_description`` an API tells its client: the category only, never token content).
``str(err)`` adds detail for logs.
"""

from __future__ import annotations

from typing import Iterable, Optional, Tuple

__all__ = [
    "VerifyError",
    "NoTokenError",
    "MalformedError",
    "HeaderError",
    "UnknownKeyError",
    "SignatureError",
    "TokenTypeError",
    "IssuerError",
    "AudienceError",
    "ExpiredError",
    "NotYetValidError",
    "ClaimsError",
    "RevokedError",
    "StatusUnavailableError",
    "NotAllowedError",
    "InsufficientScopeError",
    "InsufficientUserAuthenticationError",
    "DiscoveryError",
    "DPoPProofError",
    "DPoPBoundError",
    "CertBoundError",
    "describe",
]


class VerifyError(Exception):
    """Base of every rejection. ``code`` is the conformance code, ``description`` the
    RFC 6750 error_description."""

    code = "invalid_token"
    description = "invalid token"

    def __init__(self, detail: Optional[str] = None):
        self.detail = detail
        super().__init__(self.description + (": " + detail if detail else ""))


class NoTokenError(VerifyError):
    """The request carried no credential."""

    code = "no_token"
    description = "no credential"


class MalformedError(VerifyError):
    """Not a compact JWS of bounded size (also JWE, JSON serialization), or a header or
    claims with a duplicate member name or a case variant of a name the verifier reads."""

    code = "malformed"
    description = "malformed token"


class HeaderError(VerifyError):
    """The JOSE header asks for something never accepted (embedded keys, key URLs, crit,
    unencoded payload, an algorithm that is not allowed or is not the key's)."""

    code = "header"
    description = "unacceptable token header"


class UnknownKeyError(VerifyError):
    """The kid is not in the issuer's JWKS (after at most one refetch per cooldown)."""

    code = "unknown_key"
    description = "unknown signing key"


class SignatureError(VerifyError):
    """The signature does not verify."""

    code = "signature"
    description = "bad signature"


class TokenTypeError(VerifyError):
    """typ is not a credential type this API accepts."""

    code = "type"
    description = "wrong token type"


class IssuerError(VerifyError):
    """iss is not the configured issuer."""

    code = "issuer"
    description = "wrong issuer"


class AudienceError(VerifyError):
    """aud does not contain this API's audience."""

    code = "audience"
    description = "wrong audience"


class ExpiredError(VerifyError):
    """exp is missing or past (beyond the leeway)."""

    code = "expired"
    description = "expired"


class NotYetValidError(VerifyError):
    """nbf or iat is in the future (beyond the leeway)."""

    code = "not_yet_valid"
    description = "not yet valid"


class ClaimsError(VerifyError):
    """A required claim is missing or has the wrong type."""

    code = "claims"
    description = "invalid claims"


class RevokedError(VerifyError):
    """The status list marks the credential revoked."""

    code = "revoked"
    description = "revoked"


class StatusUnavailableError(VerifyError):
    """The credential's status cannot be established: its list is unreachable past the
    list's exp, invalid, the index is out of range, or the list is not under the issuer."""

    code = "status_unavailable"
    description = "status unavailable"


class NotAllowedError(VerifyError):
    """The credential is valid, but this API narrowed who may call it (``projects``,
    ``teams``) and the credential's project or team is not listed, or ``teams`` is set and
    the credential carries no team claim. ``reason`` says which."""

    code = "not_allowed"
    description = "not allowed"

    #: The reasons (``reason``); the middleware names them to the client.
    PROJECT_NOT_LISTED = "project not on the allow-list"
    TEAM_NOT_LISTED = "team not on the allow-list"
    NO_TEAM = "no team claim"

    def __init__(self, reason: Optional[str] = None, detail: Optional[str] = None):
        self.reason = reason
        self.detail = detail
        msg = self.description
        if reason:
            msg += ": " + reason
        if detail:
            msg += ": " + detail
        Exception.__init__(self, msg)


class InsufficientScopeError(VerifyError):
    """The credential lacks a scope the route requires (answered with 403)."""

    code = "insufficient_scope"
    description = "insufficient scope"


class InsufficientUserAuthenticationError(VerifyError):
    """The credential is valid, but the user's authentication is older or weaker than
    the route requires (RFC 9470): answered 401 with
    error="insufficient_user_authentication" and max_age (``max_age``, seconds) or
    acr_values (``acr_values``). ``reason`` is the error_description."""

    code = "insufficient_user_authentication"
    description = "insufficient user authentication"

    def __init__(self, reason: str, max_age: Optional[float] = None, acr_values: Iterable[str] = ()):
        self.reason = reason
        self.max_age = max_age
        self.acr_values: Tuple[str, ...] = tuple(acr_values)
        super().__init__(reason)


class DPoPProofError(VerifyError):
    """A DPoP proof (RFC 9449) is missing where a DPoP-bound token needs one, malformed,
    or does not match the request, the key or the token: answered 401
    invalid_dpop_proof with a DPoP challenge. ``reason`` is the error_description."""

    code = "dpop_proof"
    description = "invalid DPoP proof"

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class DPoPBoundError(VerifyError):
    """A DPoP-bound token sent as a bearer token (or an unbound one under the DPoP
    scheme), or an unbound token where require_dpop asks for a bound one: answered 401
    invalid_token with a DPoP challenge."""

    code = "dpop_bound"
    description = "DPoP binding"

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class CertBoundError(VerifyError):
    """A certificate-bound token (cnf.x5t#S256, RFC 8705) came without the client
    certificate it is bound to (none, another, or a malformed header from a trusted
    proxy), or to verify(), which sees no request: answered 401 invalid_token with a
    Bearer challenge (a DPoP one when the token is DPoP-bound too: dpop)."""

    code = "cert_bound"
    description = "certificate binding"

    def __init__(self, reason: str, dpop: bool = False):
        self.reason = reason
        self.dpop = dpop
        super().__init__(reason)


class DiscoveryError(Exception):
    """The Verifier could not start: the issuer's metadata or JWKS could not be had or
    did not fit. Not a credential rejection, so not a VerifyError."""


def describe(err: BaseException) -> str:
    """The reason a client is told: the category only, never token content. For
    NotAllowedError it also says which list refused the credential (never the id)."""
    if isinstance(err, NotAllowedError):
        if err.reason:
            return err.description + ": " + err.reason
        return err.description
    if isinstance(err, (InsufficientUserAuthenticationError, DPoPProofError, DPoPBoundError)):
        return err.reason
    if isinstance(err, VerifyError):
        return err.description
    return "invalid token"
