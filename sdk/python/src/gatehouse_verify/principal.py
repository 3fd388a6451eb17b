"""Who called: the principal a verified credential stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from .errors import InsufficientUserAuthenticationError

__all__ = [
    "Principal", "Actor", "MAX_ACTORS", "KIND_API_KEY", "KIND_ACCESS_TOKEN", "SUBJECT_PROJECT", "SUBJECT_SERVICE_ACCOUNT", "SUBJECT_USER",
    "NO_AUTH_TIME", "AUTH_TOO_OLD", "ACR_NOT_ALLOWED",
]  # fmt: skip

KIND_API_KEY = "api_key"
KIND_ACCESS_TOKEN = "access_token"

#: The subject types (the sub_type claim; a token without one is a project's).
SUBJECT_PROJECT = "project"
SUBJECT_SERVICE_ACCOUNT = "service_account"
SUBJECT_USER = "user"

#: The reasons of step-up answers (their error_description), worded as in Go.
NO_AUTH_TIME = "the credential does not say when the user authenticated"
AUTH_TOO_OLD = "the user authenticated too long ago"
ACR_NOT_ALLOWED = "the user's authentication is not of a required level"


#: The longest actor chain (act nested in act) a credential may carry.
MAX_ACTORS = 10


@dataclass(frozen=True)
class Actor:
    """One party of an actor chain (the act claim of RFC 8693)."""

    #: Its sub.
    subject: str
    #: Its sub_type ("project" for the projects Gatehouse names; "" when the claim does
    #: not say).
    subject_type: str = ""


@dataclass(frozen=True)
class Principal:
    """The project a verified credential belongs to, and the API it was accepted for.

    Instances are immutable; one credential seen again gives back the same instance.
    """

    #: "api_key" or "access_token".
    kind: str
    #: The API the credential was accepted for: the Verifier's audience, which aud names.
    api: str
    #: The project's client_id (the sub claim) when subject_type is "project", else "":
    #: code keyed on project never mistakes another kind of subject for a project.
    project: str
    #: The project's team (the team claim); "" for access tokens issued before it existed.
    team: str
    #: The credential's scopes, in the order the credential lists them.
    scopes: Tuple[str, ...]
    #: The credential's id (jti): key_… for API keys.
    key_id: str
    #: Every audience the credential names.
    audience: Tuple[str, ...]
    #: iat and exp as Unix times (seconds); issued_at is None when the token has no iat.
    issued_at: Optional[float]
    expires_at: float
    #: What subject is: "project", "service_account" or "user" (the sub_type claim; a
    #: token without one is a project's). Decide on it before trusting project.
    subject_type: str = SUBJECT_PROJECT
    #: The token's sub, whatever its type.
    subject: str = ""
    #: The service account's id (sub) when subject_type is "service_account", else "".
    service_account: str = ""
    #: The client the credential was issued to: the project, the service account, or, for
    #: a user's token, the project acting for the user. The projects allow-list is
    #: checked against it.
    client_id: str = ""
    #: When the user last authenticated (auth_time, Unix seconds); None when the token
    #: does not say.
    auth_time: Optional[float] = None
    #: The authentication context class of the user's authentication (acr), or "".
    acr: str = ""
    #: The authentication methods used (amr: "pwd", "otp", "hwk", …), or ().
    amr: Tuple[str, ...] = ()
    #: The parties acting for subject, nearest first, on a token issued by token
    #: exchange (the act claim, RFC 8693): actors[0] is the project that exchanged the
    #: token this API received, actors[1] the one that called it, and so on; () when none.
    actors: Tuple[Actor, ...] = ()
    #: True for a sender-constrained token (cnf.jkt, RFC 9449) accepted by verify_request
    #: with a valid DPoP proof of the key whose RFC 7638 thumbprint is dpop_thumbprint
    #: ("" for an unbound token).
    dpop_bound: bool = False
    dpop_thumbprint: str = ""
    #: True for a certificate-bound token (cnf.x5t#S256, RFC 8705) accepted by
    #: verify_request (or the middleware) from a request presenting the client
    #: certificate whose SHA-256 (base64url) is cert_thumbprint ("" when not bound to one).
    cert_bound: bool = False
    cert_thumbprint: str = ""

    def has_scope(self, scope: str) -> bool:
        """Whether the credential carries scope."""
        return scope in self.scopes

    def check_auth_time(self, now: float, max_age: float) -> None:
        """Raises InsufficientUserAuthenticationError (answered 401 with max_age, RFC 9470)
        unless the user authenticated at most max_age seconds before now (Unix seconds:
        the verifier's clock, ``verifier.now()``): the token has no auth_time, or it is
        older. Handlers that step up on some requests only answer the error with
        gatehouse_verify.wsgi.error_response; the require helpers of the wsgi, asgi and
        fastapi modules do both."""
        if max_age < 0:
            raise ValueError("gatehouse_verify: max_age must be 0 or more")
        if self.auth_time is None:
            raise InsufficientUserAuthenticationError(NO_AUTH_TIME, max_age=max_age)
        if now - self.auth_time > max_age:
            raise InsufficientUserAuthenticationError(AUTH_TOO_OLD, max_age=max_age)

    def check_acr(self, *values: str) -> None:
        """Raises InsufficientUserAuthenticationError (answered 401 with acr_values, RFC
        9470) unless acr is one of values (strings, or one list of them). A token without
        acr never passes."""
        if len(values) == 1 and not isinstance(values[0], str):
            values = tuple(values[0])
        if not self.acr or self.acr not in values:
            raise InsufficientUserAuthenticationError(ACR_NOT_ALLOWED, acr_values=values)
