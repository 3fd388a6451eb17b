package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// removeClientKey handles "DELETE /api/v1/projects/:project/client-keys/:client_key"
// (owners, admins): assertions signed with it stop working at once. If-Match must name
// the key's current ETag.
func (h *Handler) removeClientKey(c echo.Context) error {
	err := h.Store.RemoveClientKeyIf(c.Request().Context(), actor(c), c.Param("project"), c.Param("client_key"), func(k *models.ClientKeyInfo) error {
		return ifMatch(c, func() (any, error) { return clientKeyOf(k), nil })
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
