package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"golang.org/x/oauth2"
)

// allowedIDTokenAlgs are the ID-token algorithms we accept; go-oidc would otherwise
// accept only RS256. Never "none", never HMAC.
var allowedIDTokenAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// authenticator is the relying-party side of sign-in. Discovery happens on first use
// and is retried until it succeeds, so the portal starts even while the provider is down.
type authenticator struct {
	cfg httpx.OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newAuthenticator(cfg httpx.OIDCConfig) *authenticator {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &authenticator{cfg: cfg}
}

// context attaches the provider HTTP client for go-oidc and x/oauth2.
func (a *authenticator) context(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, a.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, a.cfg.HTTPClient)
}

// setup discovers the provider once and returns the OAuth config and ID-token verifier.
func (a *authenticator) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.oauth != nil {
		return a.oauth, a.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The provider must stay usable after this request ends: discovery's context is
	// only for the discovery call, the key set uses the client context below.
	p, err := oidc.NewProvider(a.context(ctx), a.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover OpenID provider %s: %w", a.cfg.Issuer, err)
	}
	var meta struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	_ = p.Claims(&meta)
	algs := make([]string, 0, len(allowedIDTokenAlgs))
	for _, alg := range meta.Algs {
		if slices.Contains(allowedIDTokenAlgs, alg) {
			algs = append(algs, alg)
		}
	}
	if len(algs) == 0 {
		algs = allowedIDTokenAlgs
	}
	keySet := oidc.NewRemoteKeySet(a.context(context.Background()), jwksURI(p))
	a.verifier = oidc.NewVerifier(a.cfg.Issuer, keySet, &oidc.Config{ClientID: a.cfg.ClientID, SupportedSigningAlgs: algs})
	a.oauth = &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		RedirectURL:  a.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
	return a.oauth, a.verifier, nil
}

// jwksURI reads the provider's jwks_uri from its discovery document.
func jwksURI(p *oidc.Provider) string {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	_ = p.Claims(&meta)
	return meta.JWKSURI
}
