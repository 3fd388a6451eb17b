package api

import (
	"github.com/labstack/echo/v4"
)

// listInvitations handles "GET /api/v1/teams/:team/invitations": the open invitations
// (never their links), oldest first.
func (h *Handler) listInvitations(c echo.Context) error {
	invs, err := h.Store.PendingInvitations(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	out := make([]invitationJSON, len(invs))
	for i := range invs {
		out[i] = invitationOf(&invs[i].Invitation, invs[i].CreatedByLabel)
	}
	return paginate(c, out, func(i invitationJSON) string { return timeKey(i.CreatedAt) + "\x00" + i.ID })
}
