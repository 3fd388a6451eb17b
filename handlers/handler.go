// Package handlers wires Gatehouse's ways in: handlers/web (pages), handlers/oauth (the
// machine endpoints), handlers/api (/api/v1) and handlers/leak (secret scanners'
// reports), and, shared by all, handlers/httpx (rendering, the one error mapper,
// security headers, the access log, metrics). It holds no handlers of its own beyond
// health checks; decisions about data live in models.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/handlers/api"
	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/handlers/leak"
	"github.com/gatehouse-dev/gatehouse/handlers/oauth"
	"github.com/gatehouse-dev/gatehouse/handlers/web"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// Config is what the HTTP layer needs from the process configuration.
type Config = httpx.Config

// OIDCConfig names the identity provider developers sign in with.
type OIDCConfig = httpx.OIDCConfig

// DevProviderPath is where the development identity provider is mounted.
const DevProviderPath = httpx.DevProviderPath

// Handler serves every route. Build it with New and mount it with Echo.
type Handler struct {
	*httpx.Server
	web   *web.Handler
	oauth *oauth.Handler
	api   *api.Handler
	leak  *leak.Handler
	// draining is set when the process is shutting down (/readyz answers 503).
	draining atomic.Bool
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
	if cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = cfg.BaseURL.JoinPath("/auth/callback").String()
	}
	s := &httpx.Server{Cfg: cfg, Store: st, Log: cfg.Logger, Usage: cfg.Usage, Secure: cfg.BaseURL.Scheme == "https"}
	s.Metrics = s.NewMetrics()
	s.ServeJSON("/healthz", "/readyz", "/metrics")
	w, err := web.New(s)
	if err != nil {
		return nil, err
	}
	h := &Handler{Server: s, web: w, oauth: oauth.New(s), api: api.New(s), leak: leak.New(s)}
	// Pushed authorization requests are checked as the authorization endpoint checks them.
	h.oauth.CheckAuthorization = w.CheckPushedAuthorization
	h.registerFeedMetrics()
	// Every revocation the store commits, whichever way it came, is counted once.
	st.Subscribe(func(ev models.Event) {
		if ev.Type == models.EventAPIKeyRevoked {
			s.Metrics.Revocations.WithLabelValues(ev.Via).Inc()
		}
	})
	return h, nil
}

// PruneAuthFailures forgets expired client-authentication throttles and the failure
// counts that no longer matter (the process runs it every 5 minutes).
func (h *Handler) PruneAuthFailures(ctx context.Context) error { return h.oauth.PruneAuthFailures(ctx) }

// SessionCookieName is the name of the session cookie.
func (h *Handler) SessionCookieName() string { return h.web.SessionCookieName() }
