package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// renameTeam handles "POST /teams/:team/rename".
func (h *Handler) renameTeam(c echo.Context) error {
	team, name := c.Param("team"), c.FormValue("name")
	err := h.Store.RenameTeam(c.Request().Context(), actor(c), team, name)
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabSettings, func(vm *views.TeamVM) { vm.RenameForm.Name, vm.RenameForm.Errors = name, f })
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings), "success", "Team renamed.")
}
