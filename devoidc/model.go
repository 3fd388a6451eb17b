package devoidc

import (
	"crypto/rsa"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client implements op.Client for a confidential web client that may only
// use the authorization code flow.
type client struct {
	id           string
	secret       string
	redirectURIs []string
	loginURL     func(authRequestID string) string
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}

// AuthMethod is client_secret_basic; op then also accepts the secret in the
// form body (client_secret_post) because Config.AuthMethodPost is set.
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode}
}
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return idTokenLifetime }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// authRequest implements op.AuthRequest. The storage hands out copies, so a
// value returned to op is never modified afterwards.
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	acrValues     []string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge

	// set by the login page
	done     bool
	authTime time.Time
	user     user

	// set by SaveAuthCode
	code string
}

// user is who signed in on the login page.
type user struct {
	subject string
	email   string
	name    string
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string { return a.id }

// GetACR is the authentication context the ID token asserts: the development provider
// has one way to sign in and asserts whichever class the client asked for first
// (acr_values), so step-up flows can be exercised; nothing when none was asked for.
func (a *authRequest) GetACR() string {
	if len(a.acrValues) > 0 {
		return a.acrValues[0]
	}
	return ""
}

// GetAMR says the user signed in with a password-like form (RFC 8176 "pwd").
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.user.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) expired(now time.Time) bool {
	return now.Sub(a.created) > authRequestLifetime
}

// snapshot returns a shallow copy that is safe to hand to op.
func (a *authRequest) snapshot() *authRequest {
	cp := *a
	return &cp
}

// accessToken is an opaque (op-encrypted) bearer token's server-side record,
// used by the userinfo endpoint.
type accessToken struct {
	id         string
	clientID   string
	user       user
	scopes     []string
	expiration time.Time
}

func (t *accessToken) expired(now time.Time) bool { return !now.Before(t.expiration) }

// signingKey implements op.SigningKey (RS256).
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey implements op.Key for the JWKS endpoint.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

// setUserinfo fills info with the claims of u allowed by scopes.
func setUserinfo(info *oidc.UserInfo, u user, scopes []string) {
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeOpenID:
			info.Subject = u.subject
		case oidc.ScopeEmail:
			info.Email = u.email
			info.EmailVerified = true
		case oidc.ScopeProfile:
			info.Name = u.name
		}
	}
}
