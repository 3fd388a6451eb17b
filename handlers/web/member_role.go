package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// changeRole handles "POST /teams/:team/members/:user/role".
func (h *Handler) changeRole(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.ChangeRole(c.Request().Context(), actor(c), team, c.Param("user"), models.Role(c.FormValue("role")))
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabMembers), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabMembers), "success", "Role changed.")
}
