package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// createAPI handles "POST /api/v1/teams/:team/apis" (owners, admins): register an API
// with its scopes. A repeat with the same Idempotency-Key answers with the API the
// first one registered.
func (h *Handler) createAPI(c echo.Context) error {
	var body apiBody
	bodyErr := decode(c, &body)
	in := models.APIInput{AcceptsAPIKeys: true, AcceptsAccessTokens: true} // as the page's form starts
	if bodyErr != nil {
		in = models.APIInput{} // no name: the store refuses it, once it has authorized the caller
	} else {
		body.apply(&in)
	}
	ctx, a := c.Request().Context(), actor(c)
	api, err := h.Store.CreateAPI(ctx, a, c.Param("team"), in, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondAPI(c, http.StatusCreated, id) }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/apis/"+api.ID)
	return h.respondAPI(c, http.StatusCreated, api.ID)
}
