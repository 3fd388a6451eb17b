package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// projectPatch is the body of a project's change: members left out keep their value.
type projectPatch struct {
	Name                  *string   `json:"name"`
	Description           *string   `json:"description"`
	AccessTokenTTLMinutes *int      `json:"access_token_ttl_minutes"`
	GrantTypes            *[]string `json:"grant_types"`
	AuthMethods           *[]string `json:"auth_methods"`
	RedirectURIs          *[]string `json:"redirect_uris"`
	PublicClient          *bool     `json:"public_client"`
	RequirePAR            *bool     `json:"require_pushed_authorization_requests"`
	AccessTokenFormat     *string   `json:"access_token_format"`
	RefreshTokens         *string   `json:"refresh_tokens"`
	RefreshIdleDays       *int      `json:"refresh_idle_days"`
	RefreshAbsoluteDays   *int      `json:"refresh_absolute_days"`
	RequireDPoP           *bool     `json:"require_dpop"`

	// TLSClientAuth sets the tls_client_auth rule (field and value "" clear it).
	TLSClientAuth          *tlsClientAuthJSON `json:"tls_client_auth"`
	CertificateBoundTokens *bool              `json:"tls_client_certificate_bound_access_tokens"`
}

// updateProject handles "PATCH /api/v1/projects/:project". If-Match must name the
// project's current ETag; the check is made in the changing transaction.
func (h *Handler) updateProject(c echo.Context) error {
	ctx, a, id := c.Request().Context(), actor(c), c.Param("project")
	var in projectPatch
	bodyErr := decode(c, &in)
	pv, err := h.Store.ProjectFor(ctx, a, id) // a project the caller cannot see is 404 first
	if err != nil {
		return err
	}
	set := models.ProjectSettings{Name: pv.Name, Description: pv.Description, TokenTTLMinutes: pv.AccessTokenTTL / 60,
		GrantTypes: pv.GrantTypeList(), AuthMethods: fields(pv.AuthMethods)}
	if bodyErr != nil {
		set = models.ProjectSettings{} // no lifetime: the store refuses it, once authorized and the precondition holds
	} else {
		if in.Name != nil {
			set.Name = *in.Name
		}
		if in.Description != nil {
			set.Description = *in.Description
		}
		if in.AccessTokenTTLMinutes != nil {
			set.TokenTTLMinutes = *in.AccessTokenTTLMinutes
		}
		if in.GrantTypes != nil {
			set.GrantTypes = *in.GrantTypes
		}
		if in.AuthMethods != nil {
			set.AuthMethods = append([]string{}, *in.AuthMethods...)
		}
		if in.RedirectURIs != nil {
			uris := strings.Join(*in.RedirectURIs, "\n")
			set.RedirectURIs = &uris
		}
		set.PublicClient = in.PublicClient
		if in.TLSClientAuth != nil {
			set.TLSAuth = &models.TLSAuthRule{Field: in.TLSClientAuth.Field, Value: in.TLSClientAuth.Value}
		}
		set.CertificateBoundTokens = in.CertificateBoundTokens
		set.RequirePushedAuthorization = in.RequirePAR
		if in.AccessTokenFormat != nil {
			set.AccessTokenFormat = *in.AccessTokenFormat
			if set.AccessTokenFormat == "" {
				set.AccessTokenFormat = "none" // empty means "as it is" to the store; refuse it here
			}
		}
		if in.RefreshTokens != nil || in.RefreshIdleDays != nil || in.RefreshAbsoluteDays != nil {
			r := pv.RefreshPolicyOf()
			if in.RefreshTokens != nil {
				r.Issue = *in.RefreshTokens
			}
			if in.RefreshIdleDays != nil {
				r.IdleDays = *in.RefreshIdleDays
			}
			if in.RefreshAbsoluteDays != nil {
				r.AbsoluteDays = *in.RefreshAbsoluteDays
			}
			set.Refresh = &r
		}
		set.RequireDPoP = in.RequireDPoP
	}
	err = h.Store.UpdateProjectIf(ctx, a, id, set, func(p *models.Project) error {
		return ifMatch(c, func() (any, error) { return projectOf(p), nil })
	})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	pv, err = h.Store.ProjectFor(ctx, a, id)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, projectOf(&pv.Project))
}
