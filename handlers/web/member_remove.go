package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// removeMember handles "POST /teams/:team/members/:user/remove".
func (h *Handler) removeMember(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.RemoveMember(c.Request().Context(), actor(c), team, c.Param("user"))
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabMembers), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabMembers), "success", "Member removed. They lost access to the team's projects at once.")
}
