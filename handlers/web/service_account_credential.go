package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// addWorkloadIdentity handles "POST /teams/:team/service-accounts/:sa/workloads".
func (h *Handler) addWorkloadIdentity(c echo.Context) error {
	teamID, saID := c.Param("team"), c.Param("sa")
	form := views.WorkloadForm{Name: c.FormValue("name"), Issuer: c.FormValue("issuer"), JWKSURI: c.FormValue("jwks_uri"),
		Audience: c.FormValue("audience"), Subject: c.FormValue("subject"), Claims: c.FormValue("claims")}
	_, err := h.Store.AddWorkloadIdentity(c.Request().Context(), actor(c), teamID, saID, models.WorkloadIdentityInput{Name: form.Name,
		Issuer: form.Issuer, JWKSURI: form.JWKSURI, Audience: form.Audience, Subject: form.Subject, Claims: form.Claims}, "")
	if f := validation(err); f != nil {
		return h.renderServiceAccount(c, http.StatusUnprocessableEntity, func(vm *views.ServiceAccountVM) {
			form.Errors = f
			vm.WorkloadForm = form
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ServiceAccountPath(teamID, saID), "success",
		"Issuer trusted. Its workloads that meet the conditions can now get this account's tokens.")
}

// addServiceAccountKey handles "POST /teams/:team/service-accounts/:sa/keys".
func (h *Handler) addServiceAccountKey(c echo.Context) error {
	teamID, saID := c.Param("team"), c.Param("sa")
	form := views.KeyForm{Name: c.FormValue("name"), Key: c.FormValue("key"), JWKSURI: c.FormValue("jwks_uri")}
	_, err := h.Store.AddServiceAccountKey(c.Request().Context(), actor(c), teamID, saID,
		models.ClientKeyInput{Name: form.Name, Material: form.Key, JWKSURI: form.JWKSURI}, "")
	if f := validation(err); f != nil {
		return h.renderServiceAccount(c, http.StatusUnprocessableEntity, func(vm *views.ServiceAccountVM) {
			form.Key, form.Errors = "", f // pasted material is never sent back: it may be a private key
			vm.KeyForm = form
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ServiceAccountPath(teamID, saID), "success", "Key registered.")
}

// createServiceAccountSecret handles "POST /teams/:team/service-accounts/:sa/secrets":
// the secret is shown once, in this no-store response.
func (h *Handler) createServiceAccountSecret(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	teamID, saID := c.Param("team"), c.Param("sa")
	form := views.NamedForm{Name: c.FormValue("name"), ExpiresIn: c.FormValue("expires_in"), ExpiryOptions: serviceAccountSecretExpiry}
	_, secret, err := h.Store.CreateServiceAccountSecret(ctx, a, teamID, saID, form.Name, lifetimeDays(form.ExpiresIn), "")
	if f := validation(err); f != nil {
		return h.renderServiceAccount(c, http.StatusUnprocessableEntity, func(vm *views.ServiceAccountVM) {
			form.Errors = f
			vm.SecretForm = form
		})
	}
	if err != nil {
		return err
	}
	sa, _, err := h.Store.ServiceAccountFor(ctx, a, teamID, saID)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.ServiceAccountSecretPage(h.page(c, "Secret created"), views.ServiceAccountSecretVM{
		TeamID: teamID, AccountID: saID, AccountName: sa.Name, Secret: secret,
		Snippet: secretTokenSnippet(h.Cfg.BaseURL.JoinPath("/oauth/token").String(), saID)}))
}

// removeServiceAccountCredential handles
// "POST /teams/:team/service-accounts/:sa/credentials/:credential/remove".
func (h *Handler) removeServiceAccountCredential(c echo.Context) error {
	teamID, saID := c.Param("team"), c.Param("sa")
	if err := h.Store.RemoveServiceAccountCredential(c.Request().Context(), actor(c), teamID, saID, c.Param("credential"), nil); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ServiceAccountPath(teamID, saID), "success", "Done: it no longer authenticates this account.")
}
