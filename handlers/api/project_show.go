package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showProject handles "GET /api/v1/projects/:project". Its ETag is what PATCH and
// DELETE expect in If-Match.
func (h *Handler) showProject(c echo.Context) error {
	pv, err := h.Store.ProjectFor(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, projectOf(&pv.Project))
}
