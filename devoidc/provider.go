// Package devoidc is a real, in-process OpenID Connect provider for
// development sign-in and for tests.
//
// The protocol side (discovery, authorization, token, JWKS and userinfo
// endpoints, PKCE and ID token signing) is served by
// github.com/zitadel/oidc/v3/pkg/op, an OpenID certified library; this package
// only adds a small in-memory storage and a login page on which any email
// address is accepted without verification.
//
// Gatehouse uses it as its development sign-in provider when no company OIDC
// provider is configured (GATEHOUSE_OIDC_ISSUER), and tests use it as their
// identity provider. It must never be used in production: anyone can sign in
// as anyone.
//
// Only the authorization code flow for confidential web clients is supported,
// with PKCE (S256, required) and nonce. Refresh tokens, implicit and hybrid
// flows, device authorization, client credentials, JWT profile, token
// exchange and introspection are not supported.
package devoidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Paths served by the provider below the issuer, in addition to op's own
// endpoints (/.well-known/openid-configuration, /authorize,
// /authorize/callback, /oauth/token, /userinfo, /keys, ...).
const (
	// LoginPath is the login page, relative to the issuer. op redirects the
	// browser to {issuer}/login?authRequestID=… and the form posts back to it.
	LoginPath = "/login"
	// LoggedOutPath is the page end_session redirects to, relative to the issuer.
	LoggedOutPath = "/logged-out"
)

// Lifetimes of the provider's artefacts.
const (
	authRequestLifetime = 10 * time.Minute
	accessTokenLifetime = 5 * time.Minute
	idTokenLifetime     = 5 * time.Minute
)

// Client is an OAuth client registered with the provider.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

// Config configures a Provider.
type Config struct {
	// Issuer is the full issuer URL including path, e.g. "http://127.0.0.1:8080/dev-oidc"
	// or an httptest server URL like "http://127.0.0.1:41234". http is allowed (development only).
	Issuer  string
	Clients []Client
	// Now is an injectable clock for tests (nil = time.Now). It drives the
	// provider's own bookkeeping (expiry of sign-in requests and access
	// tokens); the timestamps op signs into tokens use the real clock.
	Now func() time.Time
}

// Provider is the in-process OIDC provider.
type Provider struct {
	issuer  string // without trailing slash
	prefix  string // path of the issuer, without trailing slash; "" for the root
	op      *op.Provider
	storage *storage
	handler http.Handler
}

// New creates a provider for cfg.Issuer with the given clients, a freshly
// generated RSA-2048 signing key (RS256, random kid) and a random key for
// op's access token encryption. Nothing is persisted: tokens issued by a
// previous Provider cannot be verified by a new one, but subjects are stable
// because they are derived from the email address.
func New(cfg Config) (*Provider, error) {
	issuer, prefix, err := parseIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	loginURL := func(id string) string {
		return issuer + LoginPath + "?authRequestID=" + url.QueryEscape(id)
	}
	clients := make(map[string]*client, len(cfg.Clients))
	for i, c := range cfg.Clients {
		if err := validateClient(c); err != nil {
			return nil, fmt.Errorf("devoidc: client %d: %w", i, err)
		}
		if _, dup := clients[c.ID]; dup {
			return nil, fmt.Errorf("devoidc: duplicate client ID %q", c.ID)
		}
		clients[c.ID] = &client{
			id:           c.ID,
			secret:       c.Secret,
			redirectURIs: append([]string(nil), c.RedirectURIs...),
			loginURL:     loginURL,
		}
	}

	signer, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devoidc: generate signing key: %w", err)
	}
	kid, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("devoidc: generate crypto key: %w", err)
	}
	cryptoKeyID, err := randomHex(8)
	if err != nil {
		return nil, err
	}

	st := newStorage(now, clients, &signingKey{id: kid, key: signer})
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		CryptoKeyId:              cryptoKeyID,
		DefaultLogoutRedirectURI: issuer + LoggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile},
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("devoidc: create provider: %w", err)
	}

	p := &Provider{issuer: issuer, prefix: prefix, op: provider, storage: st}
	p.handler = p.newHandler()
	return p, nil
}

// Issuer returns the issuer URL exactly as it appears in discovery and in
// the iss claim (Config.Issuer without a trailing slash).
func (p *Provider) Issuer() string { return p.issuer }

// Handler serves the whole provider. It works when mounted at the issuer's
// path without stripping: if the issuer has the path "/dev-oidc", a request
// for "/dev-oidc/.well-known/openid-configuration" is served as
// "/.well-known/openid-configuration". Requests whose path does not start
// with the issuer's path are served unchanged, so a caller that already
// stripped the prefix works too. If the issuer has no path, it serves at "/".
func (p *Provider) Handler() http.Handler { return p.handler }

func (p *Provider) newHandler() http.Handler {
	interceptor := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.Handle(LoginPath, interceptor.HandlerFunc(p.serveLogin))
	mux.HandleFunc(LoggedOutPath, p.serveLoggedOut)
	mux.Handle("/", p.op)
	if p.prefix == "" {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, stripPrefix(r, p.prefix))
	})
}

// stripPrefix returns r with prefix removed from its path, or r itself when
// the path does not start with prefix as a whole path segment.
func stripPrefix(r *http.Request, prefix string) *http.Request {
	path := r.URL.Path
	if path != prefix && !strings.HasPrefix(path, prefix+"/") {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = strings.TrimPrefix(path, prefix)
	if r2.URL.Path == "" {
		r2.URL.Path = "/"
	}
	r2.URL.RawPath = ""
	if rp := r.URL.RawPath; rp != "" && strings.HasPrefix(rp, prefix) {
		r2.URL.RawPath = strings.TrimPrefix(rp, prefix)
	}
	return r2
}

// parseIssuer validates raw and returns it without trailing slash, together
// with its path (also without trailing slash).
func parseIssuer(raw string) (issuer, prefix string, err error) {
	if raw == "" {
		return "", "", errors.New("devoidc: issuer is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("devoidc: invalid issuer %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("devoidc: issuer %q must use http or https", raw)
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("devoidc: issuer %q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("devoidc: issuer %q must not have user info, query or fragment", raw)
	}
	if u.RawPath != "" {
		return "", "", fmt.Errorf("devoidc: issuer %q must not have an escaped path", raw)
	}
	return strings.TrimSuffix(raw, "/"), strings.TrimSuffix(u.Path, "/"), nil
}

func validateClient(c Client) error {
	if c.ID == "" {
		return errors.New("ID is required")
	}
	if c.Secret == "" {
		return errors.New("secret is required (only confidential clients are supported)")
	}
	if len(c.RedirectURIs) == 0 {
		return errors.New("at least one redirect URI is required")
	}
	for _, ru := range c.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("invalid redirect URI %q", ru)
		}
	}
	return nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("devoidc: read random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
