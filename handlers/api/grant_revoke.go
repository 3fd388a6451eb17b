package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// revokeGrant handles "POST /api/v1/apis/:api/grants/:grant/revoke" (the API's owners
// and admins): issuance for the project stops at once and its keys for the API are
// revoked. The grant is gone: a second revoke is 404.
func (h *Handler) revokeGrant(c echo.Context) error {
	if _, err := h.Store.RevokeGrant(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
