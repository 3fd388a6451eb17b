package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showAPI handles "GET /api/v1/apis/:api": an API of the caller's teams, or a listed one.
// Its ETag is what PATCH, DELETE and a scope's DELETE expect in If-Match.
func (h *Handler) showAPI(c echo.Context) error {
	return h.respondAPI(c, http.StatusOK, c.Param("api"))
}

// respondAPI answers with the API as the caller sees it now.
func (h *Handler) respondAPI(c echo.Context, status int, id string) error {
	v, err := h.Store.APIFor(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return respond(c, status, apiDetailOf(v))
}
