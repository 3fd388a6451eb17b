package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// ctxActor is where authenticate leaves the request's actor.
const ctxActor = "api.actor"

// authenticate reads the bearer credential and builds the request's actor: for a
// personal access token its user, narrowed by the token's limits; for a service
// account's access token (aud the management API, sub_type service_account) the
// account, acting with its role. A missing, malformed, unknown,
// expired or revoked token gets one 401 with WWW-Authenticate; a read-only token gets
// 403 on any method but GET. The user's role is read by every store call, never here.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return unauthorized(c)
		}
		token = strings.TrimSpace(token)
		var (
			a   models.Actor
			err error
		)
		if strings.HasPrefix(token, models.PersonalTokenPrefix) {
			a, err = h.Store.AuthenticatePersonalToken(c.Request().Context(), token)
		} else {
			a, err = h.Store.AuthenticateServiceAccountToken(c.Request().Context(), token)
		}
		if models.ErrorCode(err) == models.CodeUnauthenticated {
			return unauthorized(c)
		}
		if err != nil {
			return err
		}
		if a.Limits != nil && a.Limits.ReadOnly && !methodIsRead(c.Request().Method) {
			return models.ErrReadOnlyToken
		}
		a.IP, a.UserAgent = c.RealIP(), c.Request().UserAgent()
		c.Set(ctxActor, a)
		return next(c)
	}
}

// unauthorized is the one answer to a request without a usable token.
func unauthorized(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="gatehouse", error="invalid_token"`)
	return httpx.NewProblem(http.StatusUnauthorized, "unauthenticated",
		"Send a personal access token (create one on your account page) as Authorization: Bearer ghpat_…, or a service account's access token from /oauth/token.")
}

// actor is the request's actor, set by authenticate.
func actor(c echo.Context) models.Actor {
	a, _ := c.Get(ctxActor).(models.Actor)
	return a
}
