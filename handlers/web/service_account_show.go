package web

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// serviceAccountSecretExpiry are the lifetimes a service account's secret may be given.
var serviceAccountSecretExpiry = dayOptions(30, 90, 180, 365, 0)

// showServiceAccount handles "GET /teams/:team/service-accounts/:sa".
func (h *Handler) showServiceAccount(c echo.Context) error {
	return h.renderServiceAccount(c, http.StatusOK, nil)
}

// renderServiceAccount renders a service account's page; adjust may fill in form state.
func (h *Handler) renderServiceAccount(c echo.Context, status int, adjust func(*views.ServiceAccountVM)) error {
	ctx, a := c.Request().Context(), actor(c)
	teamID := c.Param("team")
	tv, err := h.Store.TeamFor(ctx, a, teamID)
	if err != nil {
		return err
	}
	sa, creds, err := h.Store.ServiceAccountFor(ctx, a, teamID, c.Param("sa"))
	if err != nil {
		return err
	}
	tokenURL := h.Cfg.BaseURL.JoinPath("/oauth/token").String()
	vm := views.ServiceAccountVM{TeamID: tv.ID, TeamName: tv.Name, MyRole: string(tv.MyRole), Personal: tv.Personal,
		CanAudit: tv.MyRole.Can(models.ActAuditView), CanManage: tv.MyRole.Can(models.ActServiceAccountManage) && tv.MyRole.CanManage(sa.Role),
		Account: serviceAccountRow(sa), TokenURL: tokenURL, Audience: h.Store.ManagementAudience(),
		Snippets:     serviceAccountSnippets(tokenURL, h.Cfg.BaseURL.JoinPath("/api/v1").String(), tv.ID, sa.ID),
		WorkloadForm: views.WorkloadForm{Audience: h.Cfg.BaseURL.String()},
		SecretForm:   views.NamedForm{ExpiresIn: "90", ExpiryOptions: serviceAccountSecretExpiry},
	}
	now := h.Store.Now()
	for _, cr := range creds {
		switch cr.Kind {
		case models.CredentialWorkload:
			w := views.WorkloadRow{ID: cr.ID, Name: cr.Name, Issuer: cr.Issuer, JWKSURI: cr.JWKSURI, Audience: cr.Audience,
				Subject: cr.Subject, CreatedAt: cr.CreatedAt, LastUsedAt: cr.LastUsedAt}
			for _, cond := range cr.ClaimConditions() {
				w.Claims = append(w.Claims, cond.Claim+" = "+cond.Pattern)
			}
			vm.Workloads = append(vm.Workloads, w)
		case models.CredentialKey:
			vm.Keys = append(vm.Keys, views.CredentialRow{ID: cr.ID, Name: cr.Name, Detail: strings.TrimSpace(cr.Alg + " " + cmp.Or(cr.JWKSURI, cr.KID)),
				Status: cr.Status(now), CreatedAt: cr.CreatedAt, ExpiresAt: cr.ExpiresAt, LastUsedAt: cr.LastUsedAt})
		case models.CredentialSecret:
			vm.Secrets = append(vm.Secrets, views.CredentialRow{ID: cr.ID, Name: cr.Name, Detail: cr.Hint,
				Status: cr.Status(now), CreatedAt: cr.CreatedAt, ExpiresAt: cr.ExpiresAt, LastUsedAt: cr.LastUsedAt})
		}
	}
	if adjust != nil {
		adjust(&vm)
	}
	return httpx.Render(c, status, views.ServiceAccountPage(h.page(c, sa.Name+" · "+tv.Name), vm))
}

// serviceAccountSnippets are the page's commands: a workload token or the fallback
// secret for an access token, and a call to the management API with it.
func serviceAccountSnippets(tokenURL, apiBase, teamID, saID string) views.ServiceAccountSnippets {
	return views.ServiceAccountSnippets{
		Workload: "curl -s " + tokenURL + " \\\n  -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \\\n  -d client_id=" + saID +
			" \\\n  --data-urlencode \"assertion=$WORKLOAD_TOKEN\"",
		Secret: secretTokenSnippet(tokenURL, saID),
		Call:   "curl -s " + apiBase + "/teams/" + teamID + "/projects \\\n  -H \"Authorization: Bearer $GATEHOUSE_TOKEN\"",
	}
}

// secretTokenSnippet gets a service account's token with its secret.
func secretTokenSnippet(tokenURL, saID string) string {
	return "curl -s " + tokenURL + " \\\n  -u \"" + saID + ":$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials"
}
