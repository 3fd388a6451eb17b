package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokePersonalToken handles "POST /account/tokens/:id/revoke".
func (h *Handler) revokePersonalToken(c echo.Context) error {
	if err := h.Store.RevokePersonalToken(c.Request().Context(), actor(c), c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.AccountPath()+"#tokens", "success", "Token revoked. Scripts using it can no longer call the API.")
}
