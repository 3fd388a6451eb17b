package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// updateAPI handles "PATCH /api/v1/apis/:api" (owners, admins). Scopes change one by
// one (POST and DELETE /apis/{api}/scopes); the identifier only until the first grant.
// If-Match must name the API's current ETag; the check is made in the changing
// transaction.
func (h *Handler) updateAPI(c echo.Context) error {
	ctx, a, id := c.Request().Context(), actor(c), c.Param("api")
	var body apiBody
	bodyErr := decode(c, &body)
	if bodyErr == nil && body.Scopes != nil {
		bodyErr = errBadBody // scopes are not changed here
	}
	v, err := h.Store.APIFor(ctx, a, id) // an API the caller cannot see is 404 first
	if err != nil {
		return err
	}
	in := inputOf(&v.API)
	if bodyErr != nil {
		in = models.APIInput{} // no name: the store refuses it, once authorized and the precondition holds
	} else {
		body.apply(&in)
	}
	err = h.Store.UpdateAPIIf(ctx, a, id, in, func(cur *models.APIView) error {
		return ifMatch(c, func() (any, error) { return apiDetailOf(cur), nil })
	})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.respondAPI(c, http.StatusOK, id)
}
