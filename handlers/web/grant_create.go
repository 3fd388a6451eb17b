package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// grantAccess handles "POST /apis/:api/grants": an owner or admin of the API's team
// grants one of the team's projects access.
func (h *Handler) grantAccess(c echo.Context) error {
	form := formValues(c)
	project, scopes := form.Get("project"), nonNil(form["scopes"])
	_, revoked, err := h.Store.GrantAccess(c.Request().Context(), actor(c), c.Param("api"), project, scopes)
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, views.APITabAccess, func(vm *views.APIPageVM) {
			vm.GrantForm.Project, vm.GrantForm.Errors = project, f
			check(vm.GrantForm.Scopes, scopes)
		})
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, views.APITabAccess, revoked, "Access granted. The project can get credentials for this API now.")
}
