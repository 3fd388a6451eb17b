package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeSecret handles "POST /projects/:project/secrets/:id/revoke".
func (h *Handler) revokeSecret(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RevokeClientSecret(c.Request().Context(), actor(c), project, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "secrets"), "success", "Secret revoked. Services using it can no longer get tokens.")
}
