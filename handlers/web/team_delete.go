package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteTeam handles "POST /teams/:team/delete".
func (h *Handler) deleteTeam(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.DeleteTeam(c.Request().Context(), actor(c), team)
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamPath(team), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.HomePath(), "success", "Team deleted. Its projects' credentials no longer work.")
}
