// Package leak is the way in for secret scanners: POST /leaks/github takes GitHub's
// secret-scanning partner programme reports of Gatehouse credentials found in public
// repositories and packages. A machine endpoint: JSON only, no session, no CSRF; the
// sender is authenticated by its ECDSA signature over the body, against a key set the
// operator configured. What a report does is the store's (models/store ReportLeak) and
// each team's policy.
package leak

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
)

// GitHubReporter is how the audit log names GitHub's secret scanning.
const GitHubReporter = "GitHub secret scanning"

// Handler serves the leak endpoints.
type Handler struct {
	*httpx.Server
	github *keySource
}

// New builds the leak endpoints over the shared server.
func New(s *httpx.Server) *Handler {
	s.ServeJSON("/leaks/")
	return &Handler{Server: s, github: &keySource{url: s.Cfg.LeakGitHubKeysURL, file: s.Cfg.LeakGitHubKeysFile, fetcher: s.Store.JWKSFetcher}}
}

// Routes adds the leak endpoints to e.
func (h *Handler) Routes(e *echo.Echo) {
	e.POST("/leaks/github", h.reportGitHubLeaks) // leak_github.go
}
