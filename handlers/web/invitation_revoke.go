package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeInvitation handles "POST /teams/:team/invitations/:id/revoke".
func (h *Handler) revokeInvitation(c echo.Context) error {
	team := c.Param("team")
	if err := h.Store.RevokeInvitation(c.Request().Context(), actor(c), team, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabMembers), "success", "Invitation revoked; its link no longer works.")
}
