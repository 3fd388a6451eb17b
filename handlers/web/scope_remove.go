package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// removeScope handles "POST /apis/:api/scopes/remove": every grant loses the scope and
// the API keys carrying it are revoked (listed on the page that answers).
func (h *Handler) removeScope(c echo.Context) error {
	scope := c.FormValue("name")
	revoked, err := h.Store.RemoveScope(c.Request().Context(), actor(c), c.Param("api"), scope)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "scopes"), "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, views.APITabOverview, revoked, "Scope "+scope+" removed.")
}
