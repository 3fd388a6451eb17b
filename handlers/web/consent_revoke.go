package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeConsent handles "POST /account/consents/revoke": the user withdraws what they
// allowed an app (the form's project) on an API (api), and with it the app's refresh
// tokens for it. Only their own consents exist for them: anything else is 404.
func (h *Handler) revokeConsent(c echo.Context) error {
	if err := h.Store.RevokeConsent(c.Request().Context(), actor(c), c.FormValue("project"), c.FormValue("api")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.AccountPath()+"#apps", "success",
		"Access withdrawn. The app must ask you again: its refresh tokens are revoked, and access tokens it already holds expire within minutes.")
}
