package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteProject handles "POST /projects/:project/delete".
func (h *Handler) deleteProject(c echo.Context) error {
	pv, err := h.Store.ProjectFor(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteProject(c.Request().Context(), actor(c), pv.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(pv.TeamID), "success", "Project “"+pv.Name+"” deleted. Its credentials no longer work.")
}
