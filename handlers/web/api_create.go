package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// createAPI handles "POST /apis".
func (h *Handler) createAPI(c echo.Context) error {
	vf, in := apiFormFrom(formValues(c))
	api, err := h.Store.CreateAPI(c.Request().Context(), actor(c), vf.TeamID, in, vf.FormToken)
	if id, ok := duplicate(err); ok {
		return h.redirectWithFlash(c, views.APIPath(id), "info", "That form was already submitted; here is the API it registered.")
	}
	if f := validation(err); f != nil {
		vf.Errors = f
		return h.renderNewAPI(c, http.StatusUnprocessableEntity, vf)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIPath(api.ID), "success",
		"API registered. Grant your team's projects access below, or list it in the catalog so other teams can ask for access.")
}
