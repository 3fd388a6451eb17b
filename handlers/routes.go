package handlers

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/gatehouse-dev/gatehouse/static"
)

// Echo builds the Echo instance with every middleware, the error handler and all routes.
// Tests serve requests through it, so what they see is what production serves.
func (h *Handler) Echo() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.handleError
	e.IPExtractor = ipExtractor(h.cfg.TrustedProxies)

	// These run before routing, so every response carries the security headers and a
	// request id, and is logged: the trailing-slash redirects, 404s and 405s included.
	e.Pre(h.secureHeaders)
	e.Pre(middleware.RequestID())
	e.Pre(h.accessLog())
	e.Pre(middleware.Recover())
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.BodyLimit(h.cfg.BodyLimit))
	e.Use(middleware.ContextTimeout(h.cfg.RequestTimeout))
	e.Use(h.metrics.observe)
	e.Use(withRealIP)
	e.Use(h.loadUser)
	h.Register(e)
	return e
}

// Register adds every route to e.
func (h *Handler) Register(e *echo.Echo) {
	// Machine endpoints: no session, no CSRF.
	e.GET("/healthz", h.healthz)
	e.GET("/.well-known/jwks.json", h.jwks)
	e.GET("/.well-known/jwks.pem", h.jwksPEM)
	e.GET("/.well-known/oauth-authorization-server", h.metadata)
	e.POST("/oauth/token", h.issueToken)
	e.POST("/oauth/introspect", h.introspect)
	e.POST("/oauth/revoke", h.revokeToken)
	e.GET("/statuslists/:id", h.statusList)
	e.GET("/readyz", h.readyz)
	e.GET("/metrics", h.serveMetrics)
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/static/img/favicon.svg")
	})
	if h.cfg.DevProvider != nil {
		dev := echo.WrapHandler(h.cfg.DevProvider)
		e.Any(DevProviderPath, dev)
		e.Any(DevProviderPath+"/*", dev)
	}

	// Browser pages: every unsafe method needs the session's CSRF token. (Per-route
	// middleware rather than groups: an Echo group with middleware also catches every
	// unknown path, which would turn 404s into sign-in redirects.)
	page := []echo.MiddlewareFunc{h.csrf}
	signedIn := []echo.MiddlewareFunc{h.csrf, h.requireUser}
	e.GET("/", h.showHome, page...)
	e.GET("/login", h.startLogin, page...)
	e.GET("/auth/callback", h.finishLogin, page...)
	e.POST("/logout", h.logout, page...)
	e.POST("/logout/everywhere", h.logoutEverywhere, signedIn...)
	e.GET("/account", h.showAccount, signedIn...)

	e.GET("/teams", h.listTeams, signedIn...)
	e.POST("/teams", h.createTeam, signedIn...)
	e.GET("/teams/:team", h.showTeam, signedIn...)
	e.POST("/teams/:team/rename", h.renameTeam, signedIn...)
	e.POST("/teams/:team/delete", h.deleteTeam, signedIn...)
	e.POST("/teams/:team/leave", h.leaveTeam, signedIn...)
	e.POST("/teams/:team/members/:user/role", h.changeRole, signedIn...)
	e.POST("/teams/:team/members/:user/remove", h.removeMember, signedIn...)
	e.POST("/teams/:team/invitations", h.createInvitation, signedIn...)
	e.POST("/teams/:team/invitations/:id/revoke", h.revokeInvitation, signedIn...)
	e.GET("/teams/:team/audit", h.showAudit, signedIn...)
	e.GET("/invitations/:token", h.showInvitation, signedIn...)
	e.POST("/invitations/:token", h.acceptInvitation, signedIn...)

	e.GET("/projects/new", h.newProject, signedIn...)
	e.POST("/projects", h.createProject, signedIn...)
	e.GET("/projects/:project", h.showProject, signedIn...)
	e.POST("/projects/:project/settings", h.updateProject, signedIn...)
	e.POST("/projects/:project/delete", h.deleteProject, signedIn...)
	e.POST("/projects/:project/secrets", h.createSecret, signedIn...)
	e.POST("/projects/:project/secrets/:id/revoke", h.revokeSecret, signedIn...)
	e.POST("/projects/:project/client-keys", h.addClientKey, signedIn...)
	e.POST("/projects/:project/client-keys/:id/remove", h.removeClientKey, signedIn...)
	e.POST("/projects/:project/keys", h.createKey, signedIn...)
	e.POST("/projects/:project/keys/revoke-by-value", h.revokeKeyByValue, signedIn...)
	e.POST("/projects/:project/keys/:id/revoke", h.revokeKey, signedIn...)
	e.POST("/projects/:project/requests/:request/withdraw", h.withdrawRequest, signedIn...)

	e.GET("/apis", h.listAPIs, signedIn...)
	e.GET("/apis/new", h.newAPI, signedIn...)
	e.POST("/apis", h.createAPI, signedIn...)
	e.GET("/apis/:api", h.showAPI, signedIn...)
	e.POST("/apis/:api/settings", h.updateAPI, signedIn...)
	e.POST("/apis/:api/delete", h.deleteAPI, signedIn...)
	e.POST("/apis/:api/scopes", h.addScope, signedIn...)
	e.POST("/apis/:api/scopes/remove", h.removeScope, signedIn...)
	e.POST("/apis/:api/grants", h.grantAccess, signedIn...)
	e.POST("/apis/:api/grants/:grant", h.updateGrant, signedIn...)
	e.POST("/apis/:api/grants/:grant/revoke", h.revokeGrant, signedIn...)
	e.POST("/apis/:api/requests", h.requestAccess, signedIn...)
	e.POST("/apis/:api/requests/:request/approve", h.approveRequest, signedIn...)
	e.POST("/apis/:api/requests/:request/deny", h.denyRequest, signedIn...)

	admin := append(signedIn, h.requireAdmin)
	e.GET("/admin/signing-keys", h.showSigningKeys, admin...)
	e.POST("/admin/signing-keys/rotate", h.rotateSigningKeys, admin...)
}

// ipExtractor says where a request came from: the connection's address, unless that is a
// configured trusted proxy, in which case X-Forwarded-For is read from the right, past
// trusted proxies only. Echo's own defaults (trusting loopback and private networks)
// are switched off: an address is trusted only when the operator said so.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// staticHandler serves the embedded assets with long-lived caching.
func staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
