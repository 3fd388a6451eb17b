package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// acceptInvitation handles "POST /invitations/:token".
func (h *Handler) acceptInvitation(c echo.Context) error {
	token := c.Param("token")
	inv, err := h.Store.AcceptInvitation(c.Request().Context(), actor(c), token)
	state := ""
	switch {
	case err == nil:
		return h.redirectWithFlash(c, views.TeamPath(inv.TeamID), "success", "Welcome! You joined the team as "+roleLabel(inv.Role)+".")
	case errors.Is(err, models.ErrNotFound):
		state = "invalid"
	case errors.Is(err, models.ErrInvitationUsed):
		state = models.InviteAccepted
	case errors.Is(err, models.ErrInvitationExpired):
		state = models.InviteExpired
	case errors.Is(err, models.ErrInvitationRevoked):
		state = models.InviteRevoked
	case errors.Is(err, models.ErrInvitationWithdrawn):
		state = models.InviteWithdrawn
	case errors.Is(err, models.ErrAlreadyMember):
		state = "member"
	default:
		return err
	}
	vm := views.InvitationVM{State: state}
	if info, err := h.Store.InvitationByToken(c.Request().Context(), token); err == nil {
		vm.TeamID, vm.TeamName, vm.Role, vm.InvitedBy = info.TeamID, info.TeamName, string(info.Role), info.CreatedByLabel
	}
	status := http.StatusGone
	if state == "invalid" {
		status = http.StatusNotFound
	} else if state == "member" {
		status = http.StatusConflict
	}
	return h.renderInvitation(c, status, vm)
}

func (h *Handler) renderInvitation(c echo.Context, status int, vm views.InvitationVM) error {
	return httpx.Render(c, status, views.InvitationPage(h.page(c, "Invitation"), vm))
}
