// Package oauth is the machine way in: /oauth/* (token, introspection, revocation),
// /.well-known/* (metadata, JWKS) and /statuslists/*. JSON only, no session, no CSRF.
// Grants come from models/oauth's registry.
package oauth

import (
	"context"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// Handler serves the machine endpoints.
type Handler struct {
	*httpx.Server
	limiter *failureLimiter
	// CheckAuthorization validates a pushed authorization request's parameters for the
	// client that pushed them exactly as the authorization endpoint does (handlers/web's
	// CheckPushedAuthorization; handlers.New sets it): a *models.OAuthError says what
	// is wrong.
	CheckAuthorization func(ctx context.Context, p *models.Project, q url.Values) error
	// feed pushes revocations to subscribers (nil when the store keeps no change log).
	feed *signing.Feed
}

// New builds the machine endpoints over the shared server.
func New(s *httpx.Server) *Handler {
	s.ServeJSON("/oauth/", "/.well-known/", "/statuslists/")
	h := &Handler{Server: s, limiter: newFailureLimiter(s.Store, time.Minute)}
	if s.Cfg.Signer != nil {
		h.feed = s.Cfg.Signer.NewFeed(s.Cfg.StatusEvents)
	}
	if h.feed != nil && s.Store != nil {
		// A revocation committed here is pushed at once, not at the next poll.
		s.Store.Subscribe(func(ev models.Event) {
			if ev.Type == models.EventAPIKeyRevoked {
				h.feed.Wake()
			}
		})
	}
	return h
}

// Routes adds the machine endpoints to e.
func (h *Handler) Routes(e *echo.Echo) {
	e.GET("/.well-known/jwks.json", h.jwks)                           // wellknown.go
	e.GET("/.well-known/jwks.pem", h.jwksPEM)                         // wellknown.go
	e.GET("/.well-known/oauth-authorization-server", h.metadata)      // metadata.go
	e.POST("/oauth/token", h.issueToken)                              // oauth_token.go
	e.POST(parPath, h.pushAuthorization)                              // oauth_par.go
	e.POST("/oauth/introspect", h.introspect)                         // oauth_token.go
	e.POST("/oauth/revoke", h.revokeToken)                            // oauth_token.go
	e.GET(StatusEventsPath, h.statusEvents)                           // status_events.go
	e.GET("/statuslists/:id", h.statusList)                           // wellknown.go
	e.GET("/oauth/resource-metadata", h.resourceMetadata)             // resource_metadata.go
	e.GET("/.well-known/openid-configuration", h.openIDConfiguration) // openid.go
	e.GET("/oauth/userinfo", h.userinfo)                              // openid.go
	e.POST("/oauth/userinfo", h.userinfo)                             // openid.go
	e.POST("/oauth/register", h.registerClient)                       // registration.go
	e.GET("/oauth/register/:client_id", h.readRegistration)           // registration.go
	e.PUT("/oauth/register/:client_id", h.updateRegistration)         // registration.go
	e.DELETE("/oauth/register/:client_id", h.deleteRegistration)      // registration.go
}

// PruneAuthFailures forgets expired client-authentication throttles and the failure
// counts that no longer matter (the process runs it every 5 minutes).
func (h *Handler) PruneAuthFailures(ctx context.Context) error { return h.limiter.prune(ctx) }
