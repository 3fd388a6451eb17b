package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeKey handles "POST /projects/:project/keys/:id/revoke".
func (h *Handler) revokeKey(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RevokeAPIKey(c.Request().Context(), actor(c), project, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "api-keys"), "success",
		"Key revoked. Every API rejects it within "+views.RevocationDelay(h.Cfg.Signer.Config().StatusListTTL)+".")
}
