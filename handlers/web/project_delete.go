package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteProject handles "POST /projects/:project/delete".
func (h *Handler) deleteProject(c echo.Context) error {
	pv, err := h.Store.ProjectFor(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	if !pv.MyRole.Can(models.ActProjectDelete) {
		return models.ErrForbidden // decided before the typed name is looked at
	}
	if !confirmedName(c, pv.Name) {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabSettings, func(vm *views.ProjectVM) { vm.DeleteError = deleteRefusal("project", pv.Name) })
	}
	if err := h.Store.DeleteProject(c.Request().Context(), actor(c), pv.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(pv.TeamID), "success", "Project “"+pv.Name+"” deleted. Its credentials no longer work.")
}
