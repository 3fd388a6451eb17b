package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// invitationCreate is the body of an invitation's creation.
type invitationCreate struct {
	Role          string `json:"role"`
	ExpiresInDays *int   `json:"expires_in_days"`
}

// defaultInvitationDays is an invitation's lifetime when the body names none.
const defaultInvitationDays = 7

// createInvitation handles "POST /api/v1/teams/:team/invitations". The link is in this
// no-store response only (the database keeps its hash); a repeat with the same
// Idempotency-Key is 409, naming the invitation without its link.
func (h *Handler) createInvitation(c echo.Context) error {
	var in invitationCreate
	bodyErr := decode(c, &in)
	days := defaultInvitationDays
	if in.ExpiresInDays != nil {
		days = *in.ExpiresInDays
	}
	if bodyErr != nil {
		in, days = invitationCreate{}, 0 // no role: the store refuses it, once it has authorized the caller
	}
	ctx, a, team := c.Request().Context(), actor(c), c.Param("team")
	inv, token, err := h.Store.CreateInvitation(ctx, a, team, models.Role(in.Role), lifetime(days), idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("invitation", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/teams/"+team+"/invitations")
	return respond(c, http.StatusCreated, invitationCreatedJSON{invitationJSON: invitationOf(inv, a.User.Email),
		Link: h.Cfg.BaseURL.JoinPath(views.InvitationPath(token)).String()})
}
