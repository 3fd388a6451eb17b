"""Verify Gatehouse API keys and access tokens offline.

    from gatehouse_verify import Verifier, VerifyError

    verifier = Verifier("https://portal.example.com", audience="orders-api")
    principal = verifier.verify(token)      # raises a VerifyError subclass
    principal.project, principal.scopes, principal.has_scope("orders:write")

Middleware for WSGI (gatehouse_verify.wsgi), ASGI (gatehouse_verify.asgi) and a FastAPI
dependency (gatehouse_verify.fastapi) are in their own modules. The package imports only
the standard library and cryptography (FastAPI only when gatehouse_verify.fastapi's
functions are called).
"""

from ._version import __version__
from .errors import (
    AudienceError,
    CertBoundError,
    ClaimsError,
    DiscoveryError,
    DPoPBoundError,
    DPoPProofError,
    ExpiredError,
    HeaderError,
    InsufficientScopeError,
    InsufficientUserAuthenticationError,
    IssuerError,
    MalformedError,
    NoTokenError,
    NotAllowedError,
    NotYetValidError,
    RevokedError,
    SignatureError,
    StatusUnavailableError,
    TokenTypeError,
    UnknownKeyError,
    VerifyError,
    describe,
)
from .principal import (
    KIND_ACCESS_TOKEN,
    KIND_API_KEY,
    SUBJECT_PROJECT,
    SUBJECT_SERVICE_ACCOUNT,
    SUBJECT_USER,
    Actor,
    Principal,
)
from ._mtls import cert_thumbprint
from .verifier import Fetch, Stats, Verifier

__all__ = [
    "__version__",
    "Verifier",
    "Principal",
    "Actor",
    "Stats",
    "Fetch",
    "KIND_API_KEY",
    "KIND_ACCESS_TOKEN",
    "SUBJECT_PROJECT",
    "SUBJECT_SERVICE_ACCOUNT",
    "SUBJECT_USER",
    "VerifyError",
    "DPoPProofError",
    "DPoPBoundError",
    "CertBoundError",
    "cert_thumbprint",
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
    "describe",
]
