package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createSecret handles "POST /projects/:project/secrets". The new secret is shown once,
// in this no-store response; only its SHA-256 is kept.
func (h *Handler) createSecret(c echo.Context) error {
	project := c.Param("project")
	name, expires, token := c.FormValue("name"), c.FormValue("expires_in_days"), c.FormValue("form_token")
	ttl := lifetimeDays(expires)
	cs, plain, err := h.Store.CreateClientSecret(c.Request().Context(), actor(c), project, name, ttl, token)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.ProjectPath(project), "info",
			"That form was already submitted. The secret was shown once; create another if you did not copy it.")
	}
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, func(vm *views.ProjectVM) {
			vm.SecretForm.Name, vm.SecretForm.ExpiresIn, vm.SecretForm.FormToken, vm.SecretForm.Errors = name, expires, token, f
		})
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	return h.renderProject(c, http.StatusOK, func(vm *views.ProjectVM) {
		vm.NewSecret, vm.NewSecretName = plain, cs.Name
		vm.GettingStarted = false
	})
}
