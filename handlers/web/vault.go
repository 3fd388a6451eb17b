package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// vaultSection fills the credentials page's "Credentials vault" section (shown with the
// users connected: the team's admins, a project acting for users).
func (h *Handler) vaultSection(c echo.Context, vm *views.ProjectVM, on bool) error {
	ctx, a := c.Request().Context(), actor(c)
	grants, err := h.Store.CredentialGrants(ctx, a, vm.ID)
	if err != nil {
		return err
	}
	apis, services, err := h.Store.VaultableAPIs(ctx, a, vm.ID)
	if err != nil {
		return err
	}
	v := views.VaultVM{On: on, TokenURL: vm.TokenURL, TokenType: models.TokenTypeDelegation}
	held := map[string]map[string]bool{} // service → the APIs it holds a grant on
	for _, g := range grants {
		if held[g.ServiceID] == nil {
			held[g.ServiceID] = map[string]bool{}
			own, err := h.Store.ProjectGrants(ctx, a, g.ServiceID)
			if err != nil {
				return err
			}
			for _, og := range own {
				held[g.ServiceID][og.APIID] = true
			}
		}
		v.Grants = append(v.Grants, views.CredentialGrantRow{ID: g.ID, Service: g.ServiceName, ServiceID: g.ServiceID, API: g.APIName,
			APIIdentifier: g.APIIdentifier, Scopes: g.Scopes, CreatedAt: g.CreatedAt, NoGrant: !held[g.ServiceID][g.APIID]})
	}
	for _, api := range apis {
		f := views.CredentialGrantForm{APIID: api.ID, APIName: api.Name}
		for _, sc := range api.Scopes {
			f.Scopes = append(f.Scopes, views.Checkbox{Value: sc, Label: sc})
		}
		v.Forms = append(v.Forms, f)
	}
	for _, s := range services {
		label := s.Name
		if s.ID == vm.ID {
			label += " (this app)"
		}
		v.Services = append(v.Services, views.Option{Value: s.ID, Label: label})
	}
	vm.Vault = v
	return nil
}

// setVault handles "POST /projects/:project/vault": the team's admins turn the
// credentials vault on (the checkbox "vault") or off.
func (h *Handler) setVault(c echo.Context) error {
	project := c.Param("project")
	on := c.FormValue("vault") == "on"
	if err := h.Store.SetProjectVault(c.Request().Context(), actor(c), project, &on); err != nil {
		return err
	}
	msg := "Vault off: users who allow offline access from now on give the app their refresh token."
	if on {
		msg = "Vault on: users who allow offline access from now on keep their refresh token in Gatehouse; the app gets a delegation id."
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "vault"), "success", msg)
}

// createCredentialGrant handles "POST /projects/:project/credential-grants": the team's
// admins let a service (a project of the team) use the project's vaulted delegations
// for an API with the scopes checked (saving again replaces them).
func (h *Handler) createCredentialGrant(c echo.Context) error {
	project := c.Param("project")
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	in := models.CredentialGrantInput{ServiceID: form.Get("service_id"), APIID: form.Get("api_id"), Scopes: form["scopes"]}
	g, err := h.Store.SaveCredentialGrant(c.Request().Context(), actor(c), project, in)
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabCredentials, func(vm *views.ProjectVM) {
			vm.Vault.Errors, vm.Vault.ErrorAPI = f, in.APIID
			for i := range vm.Vault.Forms {
				if vm.Vault.Forms[i].APIID != in.APIID {
					continue
				}
				for j := range vm.Vault.Forms[i].Scopes {
					vm.Vault.Forms[i].Scopes[j].Checked = slices.Contains(in.Scopes, vm.Vault.Forms[i].Scopes[j].Value)
				}
			}
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "vault"), "success",
		g.ServiceName+" may now act offline for this app's users on "+g.APIName+" ("+strings.ReplaceAll(g.Scopes, " ", ", ")+").")
}

// revokeCredentialGrant handles "POST /projects/:project/credential-grants/:grant/revoke":
// the service can no longer use the vault; its tokens already issued expire within
// minutes. Another project's grant, or a made-up one, is 404.
func (h *Handler) revokeCredentialGrant(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RevokeCredentialGrant(c.Request().Context(), actor(c), project, c.Param("grant")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "vault"), "success",
		"Service removed: it can no longer act for this app's users offline. Tokens it already holds expire within minutes.")
}
