package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createSecret handles "POST /projects/:project/secrets". The new secret is shown once,
// on a page of its own with a token request that uses it, in this no-store response;
// only its SHA-256 is kept.
func (h *Handler) createSecret(c echo.Context) error {
	project := c.Param("project")
	name, expires, token := c.FormValue("name"), c.FormValue("expires_in_days"), c.FormValue("form_token")
	ttl := lifetimeDays(expires)
	cs, plain, err := h.Store.CreateClientSecret(c.Request().Context(), actor(c), project, name, ttl, token)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "secrets"), "info",
			"That form was already submitted. The secret was shown once; create another if you did not copy it.")
	}
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabCredentials, func(vm *views.ProjectVM) {
			vm.SecretForm.Name, vm.SecretForm.ExpiresIn, vm.SecretForm.FormToken, vm.SecretForm.Errors = name, expires, token, f
		})
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	ctx, a := c.Request().Context(), actor(c)
	pv, err := h.Store.ProjectFor(ctx, a, project)
	if err != nil {
		return err
	}
	grants, err := h.Store.ProjectGrants(ctx, a, pv.ID)
	if err != nil {
		return err
	}
	vm := views.SecretCreatedVM{ProjectID: pv.ID, ProjectName: pv.Name, ClientID: pv.ClientID(), Name: cs.Name, Secret: plain,
		ExpiresAt: cs.ExpiresAt, NoGrant: len(grants) == 0}
	vm.Snippets = h.secretSnippets(pv.ClientID(), plain, grants)
	return httpx.Render(c, http.StatusOK, views.SecretCreatedPage(h.page(c, "Client secret created"), vm))
}
