package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showAPI handles "GET /api/v1/apis/:api": an API of the caller's teams, or a listed one.
func (h *Handler) showAPI(c echo.Context) error {
	v, err := h.Store.APIFor(c.Request().Context(), actor(c), c.Param("api"))
	if err != nil {
		return err
	}
	out := apiOf(&v.API, v.TeamName, v.Member())
	out.Scopes = make([]scopeJSON, len(v.Scopes))
	for i, s := range v.Scopes {
		out.Scopes[i] = scopeJSON{Name: s.Name, Description: s.Description}
	}
	return respond(c, http.StatusOK, out)
}
