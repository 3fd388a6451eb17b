// Package echoverify adapts verify to Echo. It lives apart from verify so that APIs
// that do not use Echo do not build it.
//
//	v, _ := verify.New(ctx, "https://portal.example.com", verify.Audience("orders-api"))
//	e.Use(echoverify.Middleware(v))
//	e.GET("/orders", listOrders, echoverify.RequireScope("orders:read"))
//	e.POST("/payouts", payout, echoverify.RequireAuthTime(5*time.Minute), echoverify.RequireACR("urn:example:mfa"))
package echoverify

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// Middleware verifies each request's credential and stores the principal in the
// request's context (verify.FromContext(c.Request().Context())). Rejections are answered
// by verify's RFC 6750 writer, not by Echo's error handler.
func Middleware(v *verify.Verifier) echo.MiddlewareFunc {
	return echo.WrapMiddleware(v.Middleware)
}

// RequireScope answers 403 insufficient_scope unless the principal has every scope.
func RequireScope(scopes ...string) echo.MiddlewareFunc {
	return echo.WrapMiddleware(verify.RequireScope(scopes...))
}

// RequireAuthTime answers 401 insufficient_user_authentication (RFC 9470, with
// max_age) unless the principal's user authenticated at most maxAge ago.
func RequireAuthTime(maxAge time.Duration) echo.MiddlewareFunc {
	return echo.WrapMiddleware(verify.RequireAuthTime(maxAge))
}

// RequireACR answers 401 insufficient_user_authentication (RFC 9470, with acr_values)
// unless the principal's acr is one of values.
func RequireACR(values ...string) echo.MiddlewareFunc {
	return echo.WrapMiddleware(verify.RequireACR(values...))
}

// Principal returns the verified principal of the request.
func Principal(c echo.Context) *verify.Principal { return verify.FromContext(c.Request().Context()) }
