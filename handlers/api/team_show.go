package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showTeam handles "GET /api/v1/teams/:team".
func (h *Handler) showTeam(c echo.Context) error {
	t, err := h.Store.TeamFor(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, teamJSON{ID: t.ID, Name: t.Name, Personal: t.Personal, Role: string(t.MyRole), CreatedAt: t.CreatedAt.UTC()})
}
