package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// requestCreate is the body of an access request.
type requestCreate struct {
	Project string   `json:"project"`
	Scopes  []string `json:"scopes"`
	Note    string   `json:"note"`
}

// createRequest handles "POST /api/v1/apis/:api/requests": ask, for a project of one of
// the caller's teams (developers and up), for access to an API the caller can see. A
// repeat with the same Idempotency-Key answers with the request the first one made.
func (h *Handler) createRequest(c echo.Context) error {
	var in requestCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = requestCreate{} // no project: nothing to act on, so 404
	}
	ctx, a := c.Request().Context(), actor(c)
	r, err := h.Store.RequestAccess(ctx, a, c.Param("api"), in.Project, in.Scopes, in.Note, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondProjectRequest(c, http.StatusCreated, in.Project, id) }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+r.ProjectID+"/requests")
	return h.respondProjectRequest(c, http.StatusCreated, r.ProjectID, r.ID)
}
