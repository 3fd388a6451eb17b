package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// deleteProject handles "DELETE /api/v1/projects/:project": the project goes, its
// secrets with it, and its API keys are revoked. If-Match must name its current ETag.
func (h *Handler) deleteProject(c echo.Context) error {
	err := h.Store.DeleteProjectIf(c.Request().Context(), actor(c), c.Param("project"), func(p *models.Project) error {
		return ifMatch(c, func() (any, error) { return projectOf(p), nil })
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
