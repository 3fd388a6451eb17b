// Package handlers is Gatehouse's HTTP layer: Echo routes, middleware, request parsing,
// rendering views and choosing status codes. Decisions about data live in models.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// Config is what the HTTP layer needs from the process configuration.
type Config struct {
	// BaseURL is the portal's public URL.
	BaseURL *url.URL
	// OIDC is the identity provider developers sign in with.
	OIDC OIDCConfig
	// DevProvider, when set, is the in-process development identity provider, mounted
	// at DevProviderPath. The layout then shows a development sign-in banner.
	DevProvider http.Handler
	// SessionKeys sign session cookies; the first signs, all verify.
	SessionKeys [][]byte
	// Sessions bounds session lifetimes.
	Sessions models.SessionPolicy
	// Logger receives the access log and errors. Never a secret or token.
	Logger *slog.Logger
	// Version is shown by /healthz.
	Version string
	// RequestTimeout bounds each request's context.
	RequestTimeout time.Duration
	// BodyLimit bounds request bodies, in Echo's notation ("256K").
	BodyLimit string
	// Signer signs credentials and serves the JWKS and status lists.
	Signer *signing.Signer
	// AdminEmails are the operators (lower case), who see the signing-key page.
	AdminEmails []string
	// Usage counts issued tokens and revocations per project (flushed by its owner).
	Usage *store.Usage
	// AuthFailuresPerClient and AuthFailuresPerIP bound failed client authentications
	// per minute at the OAuth endpoints; past them the caller gets 429.
	AuthFailuresPerClient int
	AuthFailuresPerIP     int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client's
	// address. A request from any other address is attributed to that address.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, serves GET /metrics on the main port to callers that
	// present it as a bearer token.
	MetricsToken string
	// QuietMachineLog logs the machine endpoints' requests (tokens, JWKS, status lists,
	// introspection, health) only when they fail (status 400 or more); pages are always
	// logged.
	QuietMachineLog bool
}

// DevProviderPath is where the development identity provider is mounted.
const DevProviderPath = "/dev-oidc"

// Handler serves every route. Build it with New and mount it with Echo.
type Handler struct {
	cfg      Config
	store    *store.Store
	sessions *DBStore
	auth     *authenticator
	log      *slog.Logger
	secure   bool
	cookie   string
	usage    *store.Usage
	limiter  *failureLimiter
	// draining is set when the process is shutting down (/readyz answers 503).
	draining atomic.Bool
	metrics  *metrics
}

// New builds the handler.
func New(cfg Config, st *store.Store) (*Handler, error) {
	if cfg.BaseURL == nil {
		return nil, errors.New("handlers: BaseURL is required")
	}
	if cfg.Signer == nil {
		return nil, errors.New("handlers: Signer is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sessions == (models.SessionPolicy{}) {
		cfg.Sessions = models.DefaultSessionPolicy
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "256K"
	}
	if cfg.Usage == nil {
		cfg.Usage = store.NewUsage(st)
	}
	if cfg.AuthFailuresPerClient == 0 {
		cfg.AuthFailuresPerClient = 10
	}
	if cfg.AuthFailuresPerIP == 0 {
		cfg.AuthFailuresPerIP = 50
	}
	secure := cfg.BaseURL.Scheme == "https"
	sessions, err := NewDBStore(st, cfg.SessionKeys, cfg.Sessions, secure)
	if err != nil {
		return nil, err
	}
	cookie := "gatehouse_session"
	if secure {
		// __Host- binds the cookie to this exact origin: Secure, Path=/, no Domain.
		cookie = "__Host-gatehouse_session"
	}
	if cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = cfg.BaseURL.JoinPath("/auth/callback").String()
	}
	h := &Handler{
		cfg: cfg, store: st, sessions: sessions, auth: newAuthenticator(cfg.OIDC),
		log: cfg.Logger, secure: secure, cookie: cookie, usage: cfg.Usage,
		limiter: newFailureLimiter(st, time.Minute),
	}
	h.metrics = h.newMetrics()
	// Every revocation the store commits, whichever way it came, is counted once.
	st.Subscribe(func(ev models.Event) {
		if ev.Type == models.EventAPIKeyRevoked {
			h.metrics.revocations.WithLabelValues(ev.Via).Inc()
		}
	})
	return h, nil
}

// PruneAuthFailures forgets expired client-authentication throttles and the failure
// counts that no longer matter (the process runs it every 5 minutes).
func (h *Handler) PruneAuthFailures(ctx context.Context) error { return h.limiter.prune(ctx) }

// SessionCookieName is the name of the session cookie.
func (h *Handler) SessionCookieName() string { return h.cookie }
