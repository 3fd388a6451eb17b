package models

import (
	"errors"
	"log/slog"
	"time"
)

// Token types (the JOSE "typ" header) of what the portal signs.
const (
	TypAPIKey      = "apikey+jwt"
	TypAccessToken = "at+jwt"
	TypStatusList  = "statuslist+jwt"
	// TypStatusEvent is one event of the revocation feed (GET /statuslists/events).
	TypStatusEvent = "statuslist-event+jwt"
	// TypTokenIntrospection is an introspection answer signed as a JWT (RFC 9701).
	TypTokenIntrospection = "token-introspection+jwt"
	// TypIDToken is an OpenID Connect ID token's typ: the plain "JWT" relying-party
	// libraries expect. No verifier of access tokens or API keys accepts it.
	TypIDToken = "JWT"
)

// SignerConfig configures the portal's token signing.
type SignerConfig struct {
	// Issuer is the portal's public base URL, the iss of everything it signs.
	Issuer string
	// MasterKeys seal the signing keys at rest.
	MasterKeys *MasterKeys
	// Rotation is the signing-key lifecycle.
	Rotation RotationPolicy
	// JWKSMaxAge is the JWKS Cache-Control max-age. Rotation.Lead must be at least this.
	JWKSMaxAge time.Duration
	// StatusListTTL is the ttl of status lists: the bound on revocation delay.
	StatusListTTL time.Duration
	// StatusListValidity is how long a signed status list may be relied on (its exp):
	// verifiers that cannot reach the portal keep using a list until then, and then
	// fail closed. At least 2 × StatusListTTL; 1 h by default.
	StatusListValidity time.Duration
	// KeyMaxLifetime is the longest expiry an API key may be given.
	KeyMaxLifetime time.Duration
	// Logger receives rotation events.
	Logger *slog.Logger
}

// ErrBadToken means a string is not a valid token of this portal of the expected type.
var ErrBadToken = errors.New("not a valid token of this portal")
