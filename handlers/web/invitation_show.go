package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showInvitation handles "GET /invitations/:token": what the invitation offers, and an
// Accept button. Anonymous visitors sign in first and come back here. An invitation
// whose author can no longer grant its role is shown as withdrawn, without the button.
func (h *Handler) showInvitation(c echo.Context) error {
	token := c.Param("token")
	httpx.NoStore(c)
	info, err := h.Store.InvitationByToken(c.Request().Context(), token)
	if errors.Is(err, models.ErrNotFound) {
		return h.renderInvitation(c, http.StatusNotFound, views.InvitationVM{State: "invalid"})
	}
	if err != nil {
		return err
	}
	vm := views.InvitationVM{
		State: info.PageState(h.Store.Now()), TeamID: info.TeamID, TeamName: info.TeamName, Role: string(info.Role),
		InvitedBy: info.CreatedByLabel, ExpiresAt: info.ExpiresAt, Token: token,
	}
	// Whoever is already in the team (including whoever used this link) is shown the way
	// in, whatever state the link is in.
	if _, err := h.Store.TeamFor(c.Request().Context(), actor(c), info.TeamID); err == nil {
		vm.State = "member"
	}
	status := http.StatusOK
	if vm.State != models.InviteOpen && vm.State != "member" {
		status = http.StatusGone
	}
	return h.renderInvitation(c, status, vm)
}
