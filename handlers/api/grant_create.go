package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// grantCreate is the body of a grant: one of the API's team's projects, and scopes the
// API defines.
type grantCreate struct {
	Project string   `json:"project"`
	Scopes  []string `json:"scopes"`
}

// createGrant handles "POST /api/v1/apis/:api/grants" (the API's owners and admins):
// give a project of the API's own team access (other teams' projects send an access
// request). Granting a project that holds a grant already sets its scopes, revoking the
// keys that carry a scope it loses; the answer is the grant either way.
func (h *Handler) createGrant(c echo.Context) error {
	var in grantCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = grantCreate{} // no project: the store refuses it, once it has authorized the caller
	}
	if in.Scopes == nil {
		in.Scopes = []string{}
	}
	g, _, err := h.Store.GrantAccess(c.Request().Context(), actor(c), c.Param("api"), in.Project, in.Scopes)
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/apis/"+c.Param("api")+"/grants/"+g.ID)
	return h.respondGrant(c, http.StatusCreated, g.ID)
}
