package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// requestAccess handles "POST /apis/:api/requests": ask, for one of the user's
// projects, for access to the API.
func (h *Handler) requestAccess(c echo.Context) error {
	form := formValues(c)
	in := views.AccessRequestForm{Project: form.Get("project"), Reason: form.Get("reason"), FormToken: form.Get("form_token")}
	scopes := nonNil(form["scopes"])
	_, err := h.Store.RequestAccess(c.Request().Context(), actor(c), c.Param("api"), in.Project, scopes, in.Reason, in.FormToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "request"), "info", "That request was already sent.")
	}
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, views.APITabOverview, func(vm *views.APIPageVM) {
			in.Projects, in.Scopes, in.Errors = vm.RequestForm.Projects, vm.RequestForm.Scopes, f
			check(in.Scopes, scopes)
			vm.RequestForm = in
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "request"), "success",
		"Request sent. The API's team decides it; you will see the decision here and on the project page.")
}
