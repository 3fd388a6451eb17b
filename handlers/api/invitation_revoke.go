package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// revokeInvitation handles "POST /api/v1/teams/:team/invitations/:invitation/revoke":
// the link stops working. Revoking twice (or a used or expired invitation) is not an
// error.
func (h *Handler) revokeInvitation(c echo.Context) error {
	if err := h.Store.RevokeInvitation(c.Request().Context(), actor(c), c.Param("team"), c.Param("invitation")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
