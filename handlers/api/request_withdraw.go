package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// withdrawRequest handles "POST /api/v1/projects/:project/requests/:request/withdraw"
// (developers and up of the project's team) and answers with the withdrawn request. A
// request no longer pending is 409.
func (h *Handler) withdrawRequest(c echo.Context) error {
	project, id := c.Param("project"), c.Param("request")
	if err := h.Store.WithdrawRequest(c.Request().Context(), actor(c), project, id); err != nil {
		return err
	}
	return h.respondProjectRequest(c, http.StatusOK, project, id)
}
