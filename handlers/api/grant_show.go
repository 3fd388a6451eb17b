package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showGrant handles "GET /api/v1/apis/:api/grants/:grant", for the API's team. Its ETag
// is what PATCH expects in If-Match.
func (h *Handler) showGrant(c echo.Context) error {
	return h.respondGrant(c, http.StatusOK, c.Param("grant"))
}

// respondGrant answers with the grant of the API in the path as it stands.
func (h *Handler) respondGrant(c echo.Context, status int, id string) error {
	g, err := h.Store.GrantFor(c.Request().Context(), actor(c), c.Param("api"), id)
	if err != nil {
		return err
	}
	return respond(c, status, grantOf(g))
}
