package api

import (
	"github.com/labstack/echo/v4"
)

// listTeams handles "GET /api/v1/teams": the caller's teams (one, for a token limited
// to a team), by name.
func (h *Handler) listTeams(c echo.Context) error {
	teams, err := h.Store.TeamsFor(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]teamJSON, len(teams))
	for i, m := range teams {
		out[i] = teamJSON{ID: m.Team.ID, Name: m.Team.Name, Personal: m.Team.Personal, Role: string(m.Role), CreatedAt: m.Team.CreatedAt.UTC()}
	}
	return paginate(c, out, func(t teamJSON) string { return t.Name + "\x00" + t.ID })
}
