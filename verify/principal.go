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

// SubjectType says who a credential's sub is (the token's sub_type claim).
type SubjectType string

// The subject types. API keys are always a project's; an access token without a
// sub_type claim (issued before it was added) is a project's too.
const (
	SubjectProject        SubjectType = "project"
	SubjectServiceAccount SubjectType = "service_account"
	SubjectUser           SubjectType = "user"
)

// Principal is who called: the project (or service account) a verified credential
// belongs to, and the API it was accepted for.
type Principal struct {
	Kind Kind
	// API is the identifier of the API the credential was accepted for: the Verifier's
	// Audience, which the credential's aud names.
	API string
	// SubjectType says what Subject is: a project, a service account or a user. Decide
	// on it before trusting Project: a service account's id is not a project's.
	SubjectType SubjectType
	// Subject is the token's sub, whatever its type.
	Subject string
	// Project is the project's client_id (the token's sub) when SubjectType is
	// SubjectProject, and empty otherwise, so code keyed on Project never mistakes
	// another kind of subject for a project.
	Project string
	// ServiceAccount is the service account's id (sa_…) when SubjectType is
	// SubjectServiceAccount.
	ServiceAccount string
	// ClientID is the client the credential was issued to: the project (API keys, a
	// project's tokens), the service account, or, for a user's token, the project acting
	// for the user. The Projects allow-list is checked against it.
	ClientID string
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
	// AuthTime is when the user last authenticated (the auth_time claim of a user's
	// access token); zero when the token does not say.
	AuthTime time.Time
	// ACR is the authentication context class the user's authentication satisfied (the
	// acr claim), and AMR the methods used (amr: "pwd", "otp", "hwk", …); empty when the
	// token does not say.
	ACR string
	AMR []string
	// Actors is the chain of parties acting for Subject, nearest first, on a token
	// issued by token exchange (the act claim, RFC 8693 §4.1): Actors[0] is the project
	// that exchanged the token this API received (it is also ClientID), Actors[1] the one
	// that called it, and so on. Empty when nobody acts for the subject (or the token
	// impersonates it).
	Actors []Actor
	// DPoPBound is true for a sender-constrained token (cnf.jkt, RFC 9449): the request
	// carried a valid DPoP proof signed by the key the token is bound to, whose
	// thumbprint is DPoPThumbprint.
	DPoPBound      bool
	DPoPThumbprint string
	// CertBound is true for a certificate-bound token (cnf.x5t#S256, RFC 8705): the
	// request presented the client certificate the token is bound to, whose SHA-256
	// (base64url) is CertThumbprint.
	CertBound      bool
	CertThumbprint string
}

// Actor is one party of an actor chain: its sub and sub_type (SubjectProject for the
// projects Gatehouse names; empty when the claim does not say).
type Actor struct {
	Subject     string
	SubjectType SubjectType
}

// CheckAuthTime returns nil when the user authenticated at most maxAge before now, and
// otherwise a *StepUpError (ErrInsufficientUserAuthentication) asking for an
// authentication within maxAge: the credential carries no auth_time (it is not a
// user's, or does not say), or the authentication is older. Handlers that step up on
// some requests only call it with the verifier's clock (time.Now in production) and
// answer an error with Verifier.WriteError; RequireAuthTime does both.
func (p *Principal) CheckAuthTime(now time.Time, maxAge time.Duration) error {
	switch {
	case p == nil || p.AuthTime.IsZero():
		return &StepUpError{Reason: "the credential does not say when the user authenticated", MaxAge: maxAge}
	case now.Sub(p.AuthTime) > maxAge:
		return &StepUpError{Reason: "the user authenticated too long ago", MaxAge: maxAge}
	}
	return nil
}

// CheckACR returns nil when the credential's acr is one of values, and otherwise a
// *StepUpError (ErrInsufficientUserAuthentication) asking for one of them. A credential
// without acr never passes.
func (p *Principal) CheckACR(values ...string) error {
	if p == nil || p.ACR == "" || !slices.Contains(values, p.ACR) {
		return &StepUpError{Reason: "the user's authentication is not of a required level", ACRValues: append([]string{}, values...)}
	}
	return nil
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
