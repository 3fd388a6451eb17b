package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// grantPatch is the body of a grant's change: its scopes (all of them), whether its
// project may impersonate, or both.
type grantPatch struct {
	Scopes        []string `json:"scopes"`
	Impersonation *bool    `json:"impersonation"`
}

// updateGrant handles "PATCH /api/v1/apis/:api/grants/:grant" (the API's owners and
// admins): set the grant's scopes and/or whether its project may impersonate through
// token exchange. Narrowing revokes the project's keys that carry a scope it no longer
// has. If-Match must name the grant's current ETag.
func (h *Handler) updateGrant(c echo.Context) error {
	var in grantPatch
	bodyErr := decode(c, &in)
	if bodyErr == nil && in.Scopes == nil && in.Impersonation == nil {
		bodyErr = errBadBody // scopes or impersonation is required
	}
	if bodyErr != nil {
		in.Scopes = []string{refused} // not a scope: the store refuses it, once authorized and the precondition holds
	}
	ctx, a, api, id := c.Request().Context(), actor(c), c.Param("api"), c.Param("grant")
	_, err := h.Store.PatchGrantIf(ctx, a, api, id, in.Scopes, in.Impersonation, func(g *models.GrantInfo) error {
		return ifMatch(c, func() (any, error) { return grantOf(g), nil })
	})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.respondGrant(c, http.StatusOK, id)
}
