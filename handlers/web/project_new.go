package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// newProject handles "GET /projects/new?team=…".
func (h *Handler) newProject(c echo.Context) error {
	return h.renderNewProject(c, http.StatusOK, views.ProjectForm{TeamID: c.QueryParam("team"), FormToken: models.NewIdempotencyKey()})
}
