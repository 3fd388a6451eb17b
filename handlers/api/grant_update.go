package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// grantPatch is the body of a grant's change: its scopes, all of them.
type grantPatch struct {
	Scopes []string `json:"scopes"`
}

// updateGrant handles "PATCH /api/v1/apis/:api/grants/:grant" (the API's owners and
// admins): set the grant's scopes. Narrowing revokes the project's keys that carry a
// scope it no longer has. If-Match must name the grant's current ETag.
func (h *Handler) updateGrant(c echo.Context) error {
	var in grantPatch
	bodyErr := decode(c, &in)
	if bodyErr == nil && in.Scopes == nil {
		bodyErr = errBadBody // scopes are required
	}
	if bodyErr != nil {
		in.Scopes = []string{refused} // not a scope: the store refuses it, once authorized and the precondition holds
	}
	ctx, a, api, id := c.Request().Context(), actor(c), c.Param("api"), c.Param("grant")
	_, err := h.Store.UpdateGrantIf(ctx, a, api, id, in.Scopes, func(g *models.GrantInfo) error {
		return ifMatch(c, func() (any, error) { return grantOf(g), nil })
	})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.respondGrant(c, http.StatusOK, id)
}
