package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// memberPatch is the body of a member's change.
type memberPatch struct {
	Role string `json:"role"`
}

// updateMember handles "PATCH /api/v1/teams/:team/members/:user": a new role, by the
// pages' rules (admins change non-owners up to admin, nobody their own role, the last
// owner stays). If-Match must name the ETag of GET /teams/{team}/members/{user}.
func (h *Handler) updateMember(c echo.Context) error {
	ctx, a, team, user := c.Request().Context(), actor(c), c.Param("team"), c.Param("user")
	var in memberPatch
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = memberPatch{} // no role: the store refuses it, once authorized and the precondition holds
	}
	err := h.Store.ChangeRoleIf(ctx, a, team, user, models.Role(in.Role), func(m *models.Member) error {
		return ifMatch(c, func() (any, error) { return memberOf(*m), nil })
	})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.respondMember(c, team, user)
}

// respondMember answers with the team's member user as they stand.
func (h *Handler) respondMember(c echo.Context, team, user string) error {
	members, err := h.Store.Members(c.Request().Context(), actor(c), team)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.UserID == user {
			return respond(c, http.StatusOK, memberOf(m))
		}
	}
	return models.ErrNotFound
}
