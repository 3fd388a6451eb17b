package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// withdrawRequest handles "POST /projects/:project/requests/:request/withdraw".
func (h *Handler) withdrawRequest(c echo.Context) error {
	project := c.Param("project")
	err := h.Store.WithdrawRequest(c.Request().Context(), actor(c), project, c.Param("request"))
	if errors.Is(err, models.ErrRequestDecided) {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "apis"), "info", "That request was already decided or withdrawn.")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "apis"), "success", "Request withdrawn.")
}
