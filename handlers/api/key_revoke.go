package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// revokeKey handles "POST /api/v1/projects/:project/keys/:key/revoke" and answers with
// the revoked key. Revoking twice is not an error.
func (h *Handler) revokeKey(c echo.Context) error {
	ctx, a, project, id := c.Request().Context(), actor(c), c.Param("project"), c.Param("key")
	if err := h.Store.RevokeAPIKey(ctx, a, project, id); err != nil {
		return err
	}
	keys, err := h.Store.APIKeys(ctx, a, project)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id {
			return respond(c, http.StatusOK, apiKeyOf(k, h.Store.Now()))
		}
	}
	return models.ErrNotFound
}
