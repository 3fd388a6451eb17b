"""Who called: the principal a verified credential stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = ["Principal", "KIND_API_KEY", "KIND_ACCESS_TOKEN"]

KIND_API_KEY = "api_key"
KIND_ACCESS_TOKEN = "access_token"


@dataclass(frozen=True)
class Principal:
    """The project a verified credential belongs to, and the API it was accepted for.

    Instances are immutable; one credential seen again gives back the same instance.
    """

    #: "api_key" or "access_token".
    kind: str
    #: The API the credential was accepted for: the Verifier's audience, which aud names.
    api: str
    #: The project's client_id (the sub claim).
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

    def has_scope(self, scope: str) -> bool:
        """Whether the credential carries scope."""
        return scope in self.scopes
