package handlers

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/handlers/oauth"
	"github.com/gatehouse-dev/gatehouse/static"
)

// Echo builds the Echo instance with every middleware, the error handler and all routes.
// Tests serve requests through it, so what they see is what production serves.
func (h *Handler) Echo() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.HandleError
	e.IPExtractor = ipExtractor(h.Cfg.TrustedProxies)

	// These run before routing, so every response carries the security headers and a
	// request id, and is logged: the trailing-slash redirects, 404s and 405s included.
	e.Pre(h.SecureHeaders)
	e.Pre(middleware.RequestID())
	e.Pre(h.AccessLog())
	e.Pre(middleware.Recover())
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.BodyLimit(h.Cfg.BodyLimit))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: h.Cfg.RequestTimeout,
		// The revocation feed's streams live for minutes; they bound themselves.
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == oauth.StatusEventsPath }}))
	e.Use(h.Metrics.Observe)
	e.Use(httpx.WithRealIP)
	e.Use(h.web.LoadUser)
	h.Register(e)
	return e
}

// Register adds every route to e: the process's own (health, metrics, static assets,
// the development provider), then each way in's.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/healthz", h.healthz) // health.go
	e.GET("/readyz", h.readyz)   // health.go
	e.GET("/metrics", h.ServeMetrics)
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/static/img/favicon.svg")
	})
	if h.Server != nil && h.Cfg.DevProvider != nil { // (a zero Handler lists the routes)
		dev := echo.WrapHandler(h.Cfg.DevProvider)
		e.Any(DevProviderPath, dev)
		e.Any(DevProviderPath+"/*", dev)
	}
	h.oauth.Routes(e)
	h.leak.Routes(e)
	h.api.Routes(e)
	h.web.Routes(e)
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
