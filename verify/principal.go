package verify

import (
	"context"
	"slices"
	"time"
)

// Kind says which credential a request carried.
type Kind string

// The credential kinds.
const (
	KindAPIKey      Kind = "api_key"
	KindAccessToken Kind = "access_token"
)

// Principal is who called: the project a verified credential belongs to, and the API
// it was accepted for.
type Principal struct {
	Kind Kind
	// API is the identifier of the API the credential was accepted for: the Verifier's
	// Audience, which the credential's aud names.
	API string
	// Project is the project's client_id (the token's sub).
	Project string
	// Team is the project's team (the team claim). API keys always carry it; access
	// tokens carry it too, except those issued before the claim was added, for which
	// Team is empty.
	Team string
	// Scopes are the credential's scopes: scopes of this API that the API's owners
	// granted the project (a credential may carry fewer than the grant).
	Scopes []string
	// KeyID is the credential's id (jti): key_… for API keys.
	KeyID     string
	Audience  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasScope reports whether the credential carries scope.
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal the middleware verified, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
