package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// removeScope handles "DELETE /api/v1/apis/:api/scopes/:scope" (owners, admins): every
// grant loses the scope and the API keys carrying it are revoked. The scope is part of
// the API, so If-Match names the API's current ETag.
func (h *Handler) removeScope(c echo.Context) error {
	_, err := h.Store.RemoveScopeIf(c.Request().Context(), actor(c), c.Param("api"), c.Param("scope"), func(cur *models.APIView) error {
		return ifMatch(c, func() (any, error) { return apiDetailOf(cur), nil })
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
