package models

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// GrantAuthorizationCode is RFC 6749 §4.1: an app acting for a user who consented.
const GrantAuthorizationCode = "authorization_code"

// AuthorizationCodeTTL is how long an authorization code may be redeemed.
const AuthorizationCodeTTL = 60 * time.Second

// PushedAuthorizationTTL is how long a pushed authorization request's request_uri may
// be used (RFC 9126 §2.2).
const PushedAuthorizationTTL = 60 * time.Second

// RequestURIPrefix begins every request_uri the pushed authorization request endpoint
// returns (RFC 9126 §2.2); a random part follows.
const RequestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// ErrCodeRequestNotSupported answers a request object (the request parameter, RFC
// 9101), which Gatehouse does not support.
const ErrCodeRequestNotSupported = "request_not_supported"

// MaxRedirectURIs bounds how many redirect URIs a project registers.
const MaxRedirectURIs = 20

// RedirectURIList is a project's registered redirect URIs (stored one per line).
func (p *Project) RedirectURIList() []string { return strings.Fields(p.RedirectURIs) }

// MatchesRedirectURI reports whether uri is one of the project's registered redirect
// URIs: the same string exactly, except that a loopback http URI (127.0.0.1 or [::1])
// matches on any port (RFC 8252 §7.3). No normalisation of any other kind: a trailing
// slash, a case change, an added path or query, userinfo or a fragment is another URI.
func (p *Project) MatchesRedirectURI(uri string) bool {
	for _, reg := range p.RedirectURIList() {
		if uri == reg {
			return true
		}
		if a, ok := loopbackWithoutPort(reg); ok {
			if b, ok := loopbackWithoutPort(uri); ok && a == b {
				return true
			}
		}
	}
	return false
}

// loopbackWithoutPort returns a loopback http URI with its port removed, and false for
// any other URI. It works on the string as sent: "http://127.0.0.1" or "http://[::1]",
// an optional ":digits", then nothing, a path or a query.
func loopbackWithoutPort(s string) (string, bool) {
	for _, host := range []string{"http://127.0.0.1", "http://[::1]"} {
		rest, ok := strings.CutPrefix(s, host)
		if !ok {
			continue
		}
		if r, ok := strings.CutPrefix(rest, ":"); ok {
			i := 0
			for i < len(r) && i < 5 && r[i] >= '0' && r[i] <= '9' {
				i++
			}
			if i == 0 {
				return "", false
			}
			rest = r[i:]
		}
		if rest != "" && rest[0] != '/' && rest[0] != '?' {
			return "", false
		}
		if strings.ContainsAny(rest, "#@\\") {
			return "", false
		}
		return host + rest, true
	}
	return "", false
}

// CheckRedirectURI says, as a sentence, why uri cannot be registered as a redirect URI,
// or "" when it can: an https URI with a host; http only on a loopback address
// (127.0.0.1 or [::1], any port, RFC 8252 §7.3); or a private-use scheme in reverse
// domain notation (com.example.app:/callback, RFC 8252 §7.1). Never a fragment, a
// wildcard, userinfo, spaces or control characters.
func CheckRedirectURI(uri string) string {
	q := QuoteForError(uri)
	if len(uri) > 2000 {
		return "A redirect URI is at most 2000 characters long."
	}
	for _, r := range uri {
		if r <= 0x20 || r == 0x7f || r > 0x7e {
			return "The redirect URI " + q + " contains spaces or characters that must be percent-encoded."
		}
	}
	if strings.Contains(uri, "#") {
		return "The redirect URI " + q + " has a fragment (#…), which redirect URIs may not have."
	}
	if strings.Contains(uri, "*") {
		return "The redirect URI " + q + " contains a wildcard; register each URI exactly."
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return "The redirect URI " + q + " is not an absolute URI."
	}
	if u.User != nil {
		return "The redirect URI " + q + " contains a user name or password (…@), which redirect URIs may not have."
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" || u.Hostname() == "" {
			return "The redirect URI " + q + " has no host."
		}
		return ""
	case "http":
		if _, ok := loopbackWithoutPort(uri); !ok {
			return "The redirect URI " + q + " uses http: only loopback addresses (http://127.0.0.1 or http://[::1], any port) may; use https."
		}
		return ""
	}
	if !strings.Contains(u.Scheme, ".") || u.Opaque != "" || u.Host != "" {
		return "The redirect URI " + q + " must use https, loopback http, or a private-use scheme in reverse domain notation such as com.example.app:/callback."
	}
	return ""
}

// ParseRedirectURIs reads the settings field: one URI per line, blank lines ignored,
// duplicates dropped. It returns the URIs and the first problem as a sentence.
func ParseRedirectURIs(text string) ([]string, string) {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || slices.Contains(out, line) {
			continue
		}
		if msg := CheckRedirectURI(line); msg != "" {
			return nil, msg
		}
		out = append(out, line)
	}
	if len(out) > MaxRedirectURIs {
		return nil, "Register at most 20 redirect URIs."
	}
	return out, ""
}

// AuthorizationRequest is a request to the authorization endpoint, once its client and
// redirect URI were found valid.
type AuthorizationRequest struct {
	ClientID      string
	RedirectURI   string
	State         string
	CodeChallenge string
	// Scope is the requested scopes, space-separated (empty: every delegable scope granted).
	Scope     string
	Resources []string
	// Prompt is "", "none", "consent" or "login".
	Prompt    string
	LoginHint string
	// Nonce is the client's value for the ID token (OpenID Connect).
	Nonce string
	// ACRValues are the authentication context classes the client asks for, most
	// preferred first: passed on to the upstream provider.
	ACRValues []string
	// DPoPJKT is the thumbprint of the DPoP key the code is bound to (dpop_jkt, RFC 9449
	// §10): redeeming it needs a proof by that key. "" when unbound.
	DPoPJKT string
}

// The identity scopes: OpenID Connect's, which the portal itself defines (about the user,
// not about any API), and offline_access, which asks for a refresh token.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// IdentityScopes are the identity scopes in the order the consent page lists them.
var IdentityScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}

// IsIdentityScope reports whether name is one of IdentityScopes.
func IsIdentityScope(name string) bool { return slices.Contains(IdentityScopes, name) }

// SplitScopes separates a scope parameter into the identity scopes (deduplicated, in
// IdentityScopes order) and the rest (the API's, as sent).
func SplitScopes(scope string) (identity, api []string) {
	for _, name := range strings.Fields(scope) {
		if IsIdentityScope(name) {
			if !slices.Contains(identity, name) {
				identity = append(identity, name)
			}
		} else {
			api = append(api, name)
		}
	}
	slices.SortFunc(identity, func(a, b string) int {
		return slices.Index(IdentityScopes, a) - slices.Index(IdentityScopes, b)
	})
	return identity, api
}

// ScopeInfo is a scope with what it lets an app do.
type ScopeInfo struct {
	Name        string
	Description string
}

// Authorization is what a user is asked to allow: a project (with its team) acting for
// them on one API with these scopes, and/or knowing who they are (Identity).
type Authorization struct {
	Project  *Project
	TeamName string
	// APIID is "" for an authorization of the user's identity alone (scope openid
	// without an API): its access token is for the userinfo endpoint only.
	APIID   string
	APIName string
	// APIIdentifier is the aud of the tokens.
	APIIdentifier string
	Scopes        []ScopeInfo
	// Identity are the identity scopes asked for (IdentityScopes order).
	Identity []string
}

// ConsentScopes are what a consent to a records: the API's scopes, then the identity
// scopes.
func (a *Authorization) ConsentScopes() []string {
	return append(a.ScopeNames(), a.Identity...)
}

// Has reports whether the authorization includes the identity scope name.
func (a *Authorization) Has(name string) bool { return slices.Contains(a.Identity, name) }

// ScopeNames are the authorization's scope names.
func (a *Authorization) ScopeNames() []string {
	out := make([]string, len(a.Scopes))
	for i, s := range a.Scopes {
		out[i] = s.Name
	}
	return out
}

// AuthorizationCode is an issued code as stored: only its SHA-256.
type AuthorizationCode struct {
	Hash      string `gorm:"primaryKey"`
	ProjectID string
	UserID    string
	// APIID is nil for a code of the user's identity alone.
	APIID          *string `gorm:"column:api_id"`
	Scopes         string
	IdentityScopes string
	Nonce          string
	ACR            string
	AMR            string
	RedirectURI    string
	CodeChallenge  string
	AuthTime       time.Time
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         *time.Time
	ReplayedAt     *time.Time
	// DPoPJKT binds the code to a DPoP key (RFC 9449 §10); "" when unbound.
	DPoPJKT string `gorm:"column:dpop_jkt"`
}

// PushedAuthorization is a pushed authorization request as stored: the SHA-256 of its
// request_uri's random part, the client, and the validated request's parameters.
type PushedAuthorization struct {
	Hash      string `gorm:"primaryKey"`
	ProjectID string
	// Params are the request's parameters, form-encoded.
	Params    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Consent is what a user allowed a project to do on an API for them.
type Consent struct {
	UserID    string
	ProjectID string
	// APIID is nil for a consent to the user's identity alone.
	APIID     *string `gorm:"column:api_id"`
	Scopes    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConsentInfo is a consent as its user sees it: the app, its team, the API and scopes.
type ConsentInfo struct {
	ProjectID   string
	ProjectName string
	TeamName    string
	// APIID and APIName are "" for a consent to the user's identity alone.
	APIID     string `gorm:"column:api_id"`
	APIName   string
	Scopes    string
	UpdatedAt time.Time
}

// AuthContext is how and when a user authenticated, as the upstream provider asserted
// it: what a user's tokens say in auth_time, acr and amr (step-up context).
type AuthContext struct {
	AuthTime time.Time
	ACR      string
	AMR      []string
}
