package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// updateProject handles "POST /projects/:project/settings". Only the named fields are
// read; anything else in the form (team_id, role, …) is ignored.
func (h *Handler) updateProject(c echo.Context) error {
	form := formValues(c)
	ttl, convErr := strconv.Atoi(strings.TrimSpace(form.Get("token_ttl_minutes")))
	in := models.ProjectSettings{
		Name: form.Get("name"), Description: form.Get("description"), TokenTTLMinutes: ttl, GrantTypes: form["grant_types"],
	}
	// The settings form marks that it showed the checkboxes, so that none checked is
	// refused rather than read as "leave as is" (which is what a form without them means).
	if form.Has("auth_methods_shown") {
		in.AuthMethods = append([]string{}, form["auth_methods"]...)
	}
	// Likewise the user-delegation fields: absent (an older form) leaves them as they are.
	if form.Has("redirect_uris_shown") {
		uris, public := strings.ReplaceAll(form.Get("redirect_uris"), "\r", ""), form.Get("public_client") == "on"
		in.RedirectURIs, in.PublicClient = &uris, &public
		par := form.Get("require_par") == "on"
		in.RequirePushedAuthorization = &par
	}
	if form.Has("dpop_shown") {
		dpop := form.Get("require_dpop") == "on"
		in.RequireDPoP = &dpop
	}
	if form.Has("mtls_shown") {
		bound := form.Get("certificate_bound_tokens") == "on"
		in.TLSAuth = &models.TLSAuthRule{Field: form.Get("tls_auth_field"), Value: form.Get("tls_auth_value")}
		in.CertificateBoundTokens = &bound
	}
	// Absent (an older form) leaves it as it is; anything but jwt or reference is refused.
	if form.Has("access_token_format") {
		in.AccessTokenFormat = form.Get("access_token_format")
		if in.AccessTokenFormat == "" {
			in.AccessTokenFormat = "none"
		}
	}
	if form.Has("refresh_shown") {
		in.Refresh = &models.RefreshPolicy{Issue: form.Get("refresh_tokens"),
			IdleDays: atoiOr(form.Get("refresh_idle_days"), -1), AbsoluteDays: atoiOr(form.Get("refresh_absolute_days"), -1)}
	}
	if convErr != nil {
		in.TokenTTLMinutes = -1
	}
	err := h.Store.UpdateProject(c.Request().Context(), actor(c), c.Param("project"), in)
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabSettings, func(vm *views.ProjectVM) {
			vm.Settings.Name, vm.Settings.Description = in.Name, in.Description
			vm.Settings.TokenTTLMinutes, vm.Settings.Errors = form.Get("token_ttl_minutes"), f
			if models.ValidAccessTokenFormat(in.AccessTokenFormat) {
				vm.Settings.AccessTokenFormat = in.AccessTokenFormat
			}
			if in.RedirectURIs != nil {
				vm.Settings.RedirectURIs, vm.Settings.PublicClient = *in.RedirectURIs, *in.PublicClient
				vm.Settings.RequirePAR = *in.RequirePushedAuthorization
			}
			if in.RequireDPoP != nil {
				vm.Settings.RequireDPoP = *in.RequireDPoP
			}
			if in.TLSAuth != nil {
				vm.Settings.TLSAuthField, vm.Settings.TLSAuthValue = in.TLSAuth.Field, in.TLSAuth.Value
				vm.Settings.CertificateBoundTokens = *in.CertificateBoundTokens
			}
			if in.Refresh != nil {
				vm.Settings.RefreshTokens = in.Refresh.Issue
				vm.Settings.RefreshIdleDays, vm.Settings.RefreshAbsoluteDays = form.Get("refresh_idle_days"), form.Get("refresh_absolute_days")
			}
			for i := range vm.Settings.GrantTypes {
				vm.Settings.GrantTypes[i].Checked = slices.Contains(in.GrantTypes, vm.Settings.GrantTypes[i].Value)
			}
			for i := range vm.Settings.AuthMethods {
				vm.Settings.AuthMethods[i].Checked = slices.Contains(in.AuthMethods, vm.Settings.AuthMethods[i].Value)
			}
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectPath(c.Param("project")), "success", "Settings saved.")
}

// atoiOr reads a whole number typed in a form, or returns bad for anything else.
func atoiOr(s string, bad int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return bad
	}
	return n
}
