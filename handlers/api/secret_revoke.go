package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// revokeSecret handles "POST /api/v1/projects/:project/secrets/:secret/revoke" and
// answers with the revoked secret's metadata.
func (h *Handler) revokeSecret(c echo.Context) error {
	ctx, a, project, id := c.Request().Context(), actor(c), c.Param("project"), c.Param("secret")
	if err := h.Store.RevokeClientSecret(ctx, a, project, id); err != nil {
		return err
	}
	secrets, err := h.Store.ClientSecrets(ctx, a, project)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if s.ID == id {
			return respond(c, http.StatusOK, secretOf(s, h.Store.Now()))
		}
	}
	return models.ErrNotFound
}
