package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteTeam handles "POST /teams/:team/delete".
func (h *Handler) deleteTeam(c echo.Context) error {
	team := c.Param("team")
	tv, err := h.Store.TeamFor(c.Request().Context(), actor(c), team)
	if err != nil {
		return err
	}
	if !tv.MyRole.Can(models.ActTeamDelete) {
		return models.ErrForbidden // decided before the typed name is looked at
	}
	if !confirmedName(c, tv.Name) {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabSettings, func(vm *views.TeamVM) { vm.DeleteError = deleteRefusal("team", tv.Name) })
	}
	err = h.Store.DeleteTeam(c.Request().Context(), actor(c), team)
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.HomePath(), "success", "Team deleted. Its projects' credentials no longer work.")
}
