package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createInvitation handles "POST /teams/:team/invitations". The link is shown once, on
// a page of its own, in this no-store response; the database keeps only the token's hash.
func (h *Handler) createInvitation(c echo.Context) error {
	role, expires, token := c.FormValue("role"), c.FormValue("expires_in_days"), c.FormValue("form_token")
	ttl := lifetimeDays(expires)
	inv, secret, err := h.Store.CreateInvitation(c.Request().Context(), actor(c), c.Param("team"), models.Role(role), ttl, token)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.TeamTabPath(c.Param("team"), views.TeamTabMembers), "info",
			"That invitation form was already submitted. Its link was shown once; create a new invitation if you did not copy it.")
	}
	if fields := validation(err); fields != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabMembers, func(vm *views.TeamVM) {
			vm.InviteForm.Role, vm.InviteForm.ExpiresIn, vm.InviteForm.FormToken, vm.InviteForm.Errors = role, expires, token, fields
		})
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	tv, err := h.Store.TeamFor(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.InvitationCreatedPage(h.page(c, "Invitation created"), views.InvitationCreatedVM{
		TeamID: tv.ID, TeamName: tv.Name, Role: string(inv.Role),
		// JoinPath takes escaped elements: the token stays one path segment.
		Link:    h.Cfg.BaseURL.JoinPath(views.InvitationPath(secret)).String(),
		Expires: inv.ExpiresAt.UTC().Truncate(time.Minute),
	}))
}
