package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// updateGrant handles "POST /apis/:api/grants/:grant": set the scopes of a grant and,
// when the form shows it, whether its project may impersonate through token exchange.
// Narrowing revokes the project's keys that carry a scope it no longer has.
func (h *Handler) updateGrant(c echo.Context) error {
	form := formValues(c)
	scopes := nonNil(form["scopes"])
	var impersonation *bool
	if c.FormValue("impersonation_shown") != "" {
		allow := c.FormValue("impersonation") == "true"
		impersonation = &allow
	}
	revoked, err := h.Store.PatchGrantIf(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant"), scopes, impersonation, nil)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "grants"), "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, views.APITabAccess, revoked, "Access saved. New tokens carry only these scopes.")
}
