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

// Principal is who called: the project a verified credential belongs to.
type Principal struct {
	Kind Kind
	// Project is the project's client_id (the token's sub).
	Project string
	// Team is the project's team (API keys only).
	Team string
	// Scopes are the credential's scopes.
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
