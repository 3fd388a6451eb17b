package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// deleteAPI handles "DELETE /api/v1/apis/:api" (owners, admins): every grant on it goes
// and every API key for it is revoked. The page asks for the API's name typed out; here
// If-Match stands for it: the caller names the API by id and proves, with its current
// ETag, that it read this API as it is now.
func (h *Handler) deleteAPI(c echo.Context) error {
	_, err := h.Store.DeleteAPIIf(c.Request().Context(), actor(c), c.Param("api"), func(cur *models.APIView) error {
		return ifMatch(c, func() (any, error) { return apiDetailOf(cur), nil })
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
