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
	// AuthTime is when the user authenticated (sub_type user only): as the upstream
	// provider asserted it, or else when they signed in to the portal.
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	// ACR and AMR are how the user authenticated, as the upstream provider asserted it
	// (sub_type user only; absent when it asserted nothing).
	ACR string   `json:"acr,omitempty"`
	AMR []string `json:"amr,omitempty"`
	// Act names the project acting for the subject, on a token issued by token exchange
	// (RFC 8693 §4.1), with earlier actors nested inside it.
	Act *ActClaim `json:"act,omitempty"`
	// MayAct, when present, names the only party that may exchange this token to act
	// for its subject (RFC 8693 §4.4).
	MayAct *ActClaim `json:"may_act,omitempty"`
	// Cnf binds a sender-constrained token to the client's DPoP key (RFC 9449 §6) or
	// TLS client certificate (RFC 8705 §3.1).
	Cnf *Confirmation `json:"cnf,omitempty"`
}

// IDTokenClaims are an OpenID Connect ID token's claims (OIDC Core §2): the user (sub)
// signed in to the app (aud, azp) at auth_time, how (acr, amr), and, with the profile and
// email scopes, their name and address.
type IDTokenClaims struct {
	jwt.Claims
	AuthorizedParty string           `json:"azp,omitempty"`
	Nonce           string           `json:"nonce,omitempty"`
	AuthTime        *jwt.NumericDate `json:"auth_time,omitempty"`
	ACR             string           `json:"acr,omitempty"`
	AMR             []string         `json:"amr,omitempty"`
	AccessTokenHash string           `json:"at_hash,omitempty"`
	UserClaims
}

// UserClaims are what the profile and email scopes reveal about a user, in the ID token
// and at the userinfo endpoint.
type UserClaims struct {
	Name          string `json:"name,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
}

// IssuedToken is an access token and what the token response says about it.
type IssuedToken struct {
	Token     string
	ExpiresIn int64
	Scope     string
	Audiences []string
	// IDToken is the OpenID Connect ID token of a user's authorization with scope openid.
	IDToken string
	// RefreshToken is the refresh token issued with it, if any.
	RefreshToken string
	// Delegation is, instead of a refresh token, the id of the user's delegation kept in
	// the credentials vault (a project in vault mode).
	Delegation string
	// IssuedTokenType is the RFC 8693 issued_token_type of a token exchange's answer.
	IssuedTokenType string
	// DPoPJKT is the thumbprint of the DPoP key the access token is bound to ("": a
	// bearer token).
	DPoPJKT string
	// CertThumbprint is the x5t#S256 of the client certificate the tokens are bound to
	// ("": none).
	CertThumbprint string
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
	// Cnf is a sender-constrained token's binding: a DPoP key (RFC 9449 §6.2; token_type
	// is then DPoP) or a TLS client certificate (RFC 8705 §3.2).
	Cnf *Confirmation `json:"cnf,omitempty"`
}
