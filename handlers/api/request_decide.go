package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// decision is the body of an approval (scopes narrow what was asked for; absent, all of
// it is approved) or a denial (scopes not allowed). Both may carry a note for the
// requesting team; the body may be empty.
type decision struct {
	Scopes *[]string `json:"scopes"`
	Note   string    `json:"note"`
}

// approveRequest handles "POST /api/v1/apis/:api/requests/:request/approve" (the API's
// owners and admins) and answers with the decided request.
func (h *Handler) approveRequest(c echo.Context) error { return h.decide(c, true) }

// denyRequest handles "POST /api/v1/apis/:api/requests/:request/deny" (the API's owners
// and admins) and answers with the decided request.
func (h *Handler) denyRequest(c echo.Context) error { return h.decide(c, false) }

// decide applies a decision on the request of the API in the path.
func (h *Handler) decide(c echo.Context, approve bool) error {
	var in decision
	var bodyErr error
	if c.Request().ContentLength != 0 {
		bodyErr = decode(c, &in)
	}
	if bodyErr == nil && !approve && in.Scopes != nil {
		bodyErr = errBadBody // a denial grants no scopes
	}
	d := models.Decision{Approve: approve, Note: in.Note}
	if in.Scopes != nil {
		d.Scopes = *in.Scopes
	}
	if bodyErr != nil {
		d = models.Decision{Note: refused} // the store refuses the note, once it has authorized the caller
	}
	ctx, a := c.Request().Context(), actor(c)
	r, _, err := h.Store.DecideRequest(ctx, a, c.Param("api"), c.Param("request"), d)
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	reqs, err := h.Store.APIRequests(ctx, a, c.Param("api")) // the API's team may not see the project's
	if err != nil {
		return err
	}
	info, err := findRequest(reqs, r.ID)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, accessRequestOf(info))
}
