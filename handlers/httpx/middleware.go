package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// contentSecurityPolicy allows scripts and styles only from our own origin: no inline
// script, no eval, no framing, no plugins, no <base> games.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// SecureHeaders sets the headers every response carries.
func (h *Server) SecureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if h.Secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// WithRealIP hands Echo's view of the client address to code below the request context.
func WithRealIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx := context.WithValue(r.Context(), realIPKey{}, c.RealIP())
		c.SetRequest(r.WithContext(models.WithCaller(ctx, c.RealIP(), r.UserAgent())))
		return next(c)
	}
}

// AccessLog writes one structured line per request. It logs the path without the query
// string (an OAuth callback's query carries a code and state), never headers or bodies.
func (h *Server) AccessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogResponseSize: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			if h.Cfg.QuietMachineLog && v.Status < 400 && h.WantsJSON(c) {
				return nil // machine endpoints at volume: only their failures
			}
			level := slog.LevelInfo
			switch {
			case v.Status == http.StatusServiceUnavailable && v.URIPath == "/readyz":
				level = slog.LevelWarn // not ready (shutting down, database away): expected, not a fault
			case v.Status >= 500:
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", redactPath(v.URIPath)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID),
				slog.String("ip", v.RemoteIP), slog.Int64("bytes", v.ResponseSize),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			h.Log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// redactPath hides the secret part of paths that carry one (invitation links).
func redactPath(p string) string {
	if strings.HasPrefix(p, "/invitations/") {
		return "/invitations/[redacted]"
	}
	return p
}

// NoStore marks a response as never to be cached (sign-in steps, pages with secrets).
func NoStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}

// ClientIP is the address the request came from as Echo resolved it, or RemoteAddr.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(realIPKey{}).(string); ok {
		return ip
	}
	return r.RemoteAddr
}

// realIPKey carries Echo's RealIP into the request context for the session store.
type realIPKey struct{}
