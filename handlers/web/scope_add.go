package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// addScope handles "POST /apis/:api/scopes".
func (h *Handler) addScope(c echo.Context) error {
	in := models.ScopeInput{Name: c.FormValue("name"), Description: c.FormValue("description")}
	err := h.Store.AddScope(c.Request().Context(), actor(c), c.Param("api"), in)
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, views.APITabOverview, func(vm *views.APIPageVM) {
			vm.ScopeForm = views.ScopeForm{Name: in.Name, Description: in.Description, Errors: f}
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "scopes"), "success", "Scope "+in.Name+" added. Grant it to projects below.")
}
