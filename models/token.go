package models

import (
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// OAuthError is an RFC 6749 §5.2 error: a registered code and a description safe to
// show the client.
type OAuthError struct {
	Code        string
	Description string
	// RetryAfter, when set, is how long the client should wait before trying again.
	RetryAfter time.Duration
	// Throttled marks a refusal for too many failures from the client's source (429),
	// as opposed to the server being unavailable (503), which share a code.
	Throttled bool
}

// NewOAuthError is an error with code and a description safe to show the client.
func NewOAuthError(code, desc string) *OAuthError { return &OAuthError{Code: code, Description: desc} }

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

// The OAuth error codes the endpoints use.
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidGrant         = "invalid_grant"
	ErrCodeUnauthorizedClient   = "unauthorized_client"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeInvalidScope         = "invalid_scope"
	ErrCodeInvalidTarget        = "invalid_target"
	// ErrCodeTemporarilyUnavailable: throttled, or the database cannot be reached.
	ErrCodeTemporarilyUnavailable = "temporarily_unavailable"
)

// AccessTokenClaims are the claims of an RFC 9068 access token.
type AccessTokenClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	// Team is the project's team, so an API can narrow whom it accepts.
	Team string `json:"team,omitempty"`
	// SubType says what sub is: SubjectProject, SubjectServiceAccount or SubjectUser.
	SubType string `json:"sub_type,omitempty"`
	// AuthTime is when the user signed in to the portal (sub_type user only).
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// IssuedToken is an access token and what the token response says about it.
type IssuedToken struct {
	Token     string
	ExpiresIn int64
	Scope     string
	Audiences []string
}

// QuoteForError quotes client-supplied text for an error description: bounded, and
// reduced to printable ASCII without quotes or backslashes.
func QuoteForError(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '?'
		}
		return r
	}, s) + `"`
}

// Introspection is an RFC 7662 answer. Inactive tokens carry nothing but Active=false.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	// CredentialType is "api_key" or "access_token" (a Gatehouse extension).
	CredentialType string `json:"credential_type,omitempty"`
	Team           string `json:"team,omitempty"`
}
