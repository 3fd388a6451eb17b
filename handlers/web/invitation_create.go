package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createInvitation handles "POST /teams/:team/invitations". The link is shown once, in
// this no-store response; the database keeps only the token's hash.
func (h *Handler) createInvitation(c echo.Context) error {
	role, expires, token := c.FormValue("role"), c.FormValue("expires_in_days"), c.FormValue("form_token")
	ttl := lifetimeDays(expires)
	inv, secret, err := h.Store.CreateInvitation(c.Request().Context(), actor(c), c.Param("team"), models.Role(role), ttl, token)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.TeamPath(c.Param("team")), "info",
			"That invitation form was already submitted. Its link was shown once; create a new invitation if you did not copy it.")
	}
	if fields := validation(err); fields != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, func(vm *views.TeamVM) {
			vm.InviteForm.Role, vm.InviteForm.ExpiresIn, vm.InviteForm.FormToken, vm.InviteForm.Errors = role, expires, token, fields
		})
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	return h.renderTeam(c, http.StatusOK, func(vm *views.TeamVM) {
		// JoinPath takes escaped elements: the token stays one path segment.
		vm.NewInviteLink = h.Cfg.BaseURL.JoinPath(views.InvitationPath(secret)).String()
		vm.NewInviteExpires = inv.ExpiresAt.UTC().Truncate(time.Minute)
	})
}
