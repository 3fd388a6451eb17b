package api

import (
	"github.com/labstack/echo/v4"
)

// listGrants handles "GET /api/v1/apis/:api/grants": the projects holding access to the
// API, for its team's members, oldest first.
func (h *Handler) listGrants(c echo.Context) error {
	grants, err := h.Store.APIGrants(c.Request().Context(), actor(c), c.Param("api"))
	if err != nil {
		return err
	}
	out := make([]grantJSON, len(grants))
	for i := range grants {
		out[i] = grantOf(&grants[i])
	}
	return paginate(c, out, func(g grantJSON) string { return timeKey(g.CreatedAt) + "\x00" + g.ID })
}
