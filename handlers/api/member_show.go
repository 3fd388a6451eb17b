package api

import (
	"github.com/labstack/echo/v4"
)

// showMember handles "GET /api/v1/teams/:team/members/:user". Its ETag is what PATCH
// and DELETE expect in If-Match.
func (h *Handler) showMember(c echo.Context) error {
	return h.respondMember(c, c.Param("team"), c.Param("user"))
}
