package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// leaveTeam handles "POST /teams/:team/leave".
func (h *Handler) leaveTeam(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.LeaveTeam(c.Request().Context(), actor(c), team)
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.HomePath(), "success", "You left the team.")
}
