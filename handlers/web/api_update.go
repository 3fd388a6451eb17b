package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// updateAPI handles "POST /apis/:api/settings".
func (h *Handler) updateAPI(c echo.Context) error {
	form := formValues(c)
	vf, in := apiFormFrom(form)
	in.Scopes = nil
	id := c.Param("api")
	if vf.Identifier == "" && !form.Has("identifier") {
		// A locked identifier's input is disabled, so the browser does not send it.
		if av, err := h.Store.APIFor(c.Request().Context(), actor(c), id); err == nil {
			in.Identifier, vf.Identifier = av.Identifier, av.Identifier
		}
	}
	err := h.Store.UpdateAPI(c.Request().Context(), actor(c), id, in)
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, views.APITabSettings, func(vm *views.APIPageVM) {
			vf.IdentifierLocked, vf.Errors = vm.IdentifierLocked, f
			vm.Settings = vf
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIAnchor(id, "settings"), "success", "API saved.")
}
