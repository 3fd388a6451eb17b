package handlers

import (
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
	e.IPExtractor = echo.ExtractIPDirect()

	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestID())
	e.Use(h.accessLog())
	e.Use(middleware.Recover())
	e.Use(h.secureHeaders)
	e.Use(middleware.BodyLimit(h.cfg.BodyLimit))
	e.Use(middleware.ContextTimeout(h.cfg.RequestTimeout))
	e.Use(withRealIP)
	h.Register(e)
	return e
}

// Register adds every route to e.
func (h *Handler) Register(e *echo.Echo) {
	// Machine endpoints: no session, no CSRF.
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	if h.cfg.DevProvider != nil {
		dev := echo.WrapHandler(h.cfg.DevProvider)
		e.Any(DevProviderPath, dev)
		e.Any(DevProviderPath+"/*", dev)
	}

	// Browser pages: the session's user is loaded, every unsafe method needs the CSRF token.
	web := e.Group("", h.loadUser, h.csrf)
	web.GET("/", h.showHome)
	web.GET("/login", h.startLogin)
	web.GET("/auth/callback", h.finishLogin)
	web.POST("/logout", h.logout)

	auth := web.Group("", h.requireUser)
	auth.POST("/logout/everywhere", h.logoutEverywhere)
	auth.GET("/account", h.showAccount)
}

// staticHandler serves the embedded assets with long-lived caching.
func staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
