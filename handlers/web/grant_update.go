package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// updateGrant handles "POST /apis/:api/grants/:grant": set the scopes of a grant.
// Narrowing revokes the project's keys that carry a scope it no longer has.
func (h *Handler) updateGrant(c echo.Context) error {
	scopes := nonNil(formValues(c)["scopes"])
	revoked, err := h.Store.UpdateGrant(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant"), scopes)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "grants"), "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, views.APITabAccess, revoked, "Scopes saved. New tokens carry only these scopes.")
}
