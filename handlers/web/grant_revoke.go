package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeGrant handles "POST /apis/:api/grants/:grant/revoke".
func (h *Handler) revokeGrant(c echo.Context) error {
	revoked, err := h.Store.RevokeGrant(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant"))
	if err != nil {
		return err
	}
	return h.afterRevocations(c, views.APITabAccess, revoked, "Access revoked. The project can no longer get credentials for this API.")
}
