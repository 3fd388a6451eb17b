package api

import (
	"github.com/labstack/echo/v4"
)

// listProjects handles "GET /api/v1/teams/:team/projects", oldest first.
func (h *Handler) listProjects(c echo.Context) error {
	projects, err := h.Store.TeamProjects(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	out := make([]projectJSON, len(projects))
	for i := range projects {
		out[i] = projectOf(&projects[i])
	}
	return paginate(c, out, func(p projectJSON) string { return timeKey(p.CreatedAt) + "\x00" + p.ID })
}
