package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createPersonalToken handles "POST /account/tokens". The new token is shown once, on a
// page of its own, in this no-store response; only its SHA-256 is kept.
func (h *Handler) createPersonalToken(c echo.Context) error {
	name, scope, team := c.FormValue("name"), c.FormValue("scope"), c.FormValue("team")
	expires, formToken := c.FormValue("expires_in_days"), c.FormValue("form_token")
	in := models.PersonalTokenInput{Name: name, Scope: scope, TeamID: team, TTL: lifetimeDays(expires)}
	t, plain, err := h.Store.CreatePersonalToken(c.Request().Context(), actor(c), in, formToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.AccountPath()+"#tokens", "info",
			"That form was already submitted. The token was shown once; create another if you did not copy it.")
	}
	if f := validation(err); f != nil {
		return h.renderAccount(c, http.StatusUnprocessableEntity, func(form *views.PersonalTokenForm) {
			form.Name, form.Scope, form.Team, form.ExpiresIn, form.FormToken, form.Errors = name, scope, team, expires, formToken, f
		})
	}
	if err != nil {
		return err
	}
	vm := views.PersonalTokenCreatedVM{Name: t.Name, Token: plain, Scope: t.Scope, ExpiresAt: t.ExpiresAt,
		APIBase: h.Cfg.BaseURL.JoinPath("/api/v1").String()}
	if t.TeamID != nil {
		tv, err := h.Store.TeamFor(c.Request().Context(), actor(c), *t.TeamID)
		if err != nil {
			return err
		}
		vm.Team = tv.Name
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.PersonalTokenCreatedPage(h.page(c, "Personal access token created"), vm))
}
