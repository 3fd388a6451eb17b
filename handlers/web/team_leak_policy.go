package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// setLeakPolicy handles "POST /teams/:team/leak-policy": what a secret scanner's
// report of one of the team's credentials does (revoke or notify).
func (h *Handler) setLeakPolicy(c echo.Context) error {
	team, policy := c.Param("team"), c.FormValue("leak_policy")
	err := h.Store.SetLeakPolicy(c.Request().Context(), actor(c), team, policy)
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabSettings, func(vm *views.TeamVM) { vm.LeakPolicyError = f["leak_policy"] })
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings), "success", "Leak policy saved.")
}
