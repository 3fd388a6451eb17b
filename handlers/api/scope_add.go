package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// addScope handles "POST /api/v1/apis/:api/scopes" (owners, admins) and answers with
// the API and its scopes.
func (h *Handler) addScope(c echo.Context) error {
	var in scopeJSON
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = scopeJSON{} // no name: the store refuses it, once it has authorized the caller
	}
	err := h.Store.AddScope(c.Request().Context(), actor(c), c.Param("api"), models.ScopeInput{Name: in.Name, Description: in.Description})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.respondAPI(c, http.StatusCreated, c.Param("api"))
}
