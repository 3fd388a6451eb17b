package api

import (
	"github.com/labstack/echo/v4"
)

// listMembers handles "GET /api/v1/teams/:team/members", in the order they joined.
func (h *Handler) listMembers(c echo.Context) error {
	members, err := h.Store.Members(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(members))
	for i, m := range members {
		out[i] = memberOf(m)
	}
	return paginate(c, out, func(m memberJSON) string { return timeKey(m.JoinedAt) + "\x00" + m.UserID })
}
