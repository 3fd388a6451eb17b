package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// createTeam handles "POST /teams".
func (h *Handler) createTeam(c echo.Context) error {
	name, token := c.FormValue("name"), c.FormValue("form_token")
	t, err := h.Store.CreateTeam(c.Request().Context(), actor(c), name, token)
	if id, ok := duplicate(err); ok {
		return h.redirectWithFlash(c, views.TeamPath(id), "info", "That form was already submitted; here is the team it created.")
	}
	if fields := validation(err); fields != nil {
		return h.renderTeams(c, http.StatusUnprocessableEntity, views.TeamForm{Name: name, FormToken: token, Errors: fields})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(t.ID), "success", "Team created. Invite your colleagues below.")
}
