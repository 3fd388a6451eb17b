package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// removeClientKey handles "POST /projects/:project/client-keys/:id/remove".
func (h *Handler) removeClientKey(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RemoveClientKey(c.Request().Context(), actor(c), project, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "success", "Key removed. Assertions signed with it no longer work.")
}
