package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// removeMember handles "DELETE /api/v1/teams/:team/members/:user", by the pages' rules
// (admins remove non-owners, nobody themselves, the last owner stays). If-Match must
// name the member's current ETag.
func (h *Handler) removeMember(c echo.Context) error {
	err := h.Store.RemoveMemberIf(c.Request().Context(), actor(c), c.Param("team"), c.Param("user"), func(m *models.Member) error {
		return ifMatch(c, func() (any, error) { return memberOf(*m), nil })
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
