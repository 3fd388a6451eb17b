package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// addClientKey handles "POST /projects/:project/client-keys".
func (h *Handler) addClientKey(c echo.Context) error {
	project := c.Param("project")
	form := views.ClientKeyForm{Name: c.FormValue("name"), Key: c.FormValue("key"), JWKSURI: c.FormValue("jwks_uri"),
		ExpiresIn: c.FormValue("expires_in_days"), FormToken: c.FormValue("form_token")}
	ttl := lifetimeDays(form.ExpiresIn)
	_, err := h.Store.AddClientKey(c.Request().Context(), actor(c), project,
		models.ClientKeyInput{Name: form.Name, Material: form.Key, JWKSURI: form.JWKSURI, TTL: ttl}, form.FormToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "info", "That form was already submitted; the key is registered.")
	}
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabCredentials, func(vm *views.ProjectVM) {
			// Pasted key material is never sent back: it may be a private key pasted by
			// mistake, and this page would carry it again.
			form.Key, form.ExpiryOptions, form.Errors = "", clientKeyExpiry, f
			vm.ClientKeys.Form = form
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "success",
		"Key registered. Clients can sign assertions with its private key once private_key_jwt is enabled in the settings.")
}
