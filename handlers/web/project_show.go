package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
	"github.com/gatehouse-dev/gatehouse/views"
)

// secretExpiry are the lifetimes a client secret may be given, in days (0 = never).
var secretExpiry = dayOptions(30, 90, 180, 365, 0)

// showProject handles "GET /projects/:project" (the overview) and the project's other
// pages, "GET /projects/:project/{keys,credentials,access,usage,settings}".
func (h *Handler) showProject(tab string) echo.HandlerFunc {
	return func(c echo.Context) error { return h.renderProject(c, http.StatusOK, tab, nil) }
}

// renderProject renders one of a project's pages; adjust may fill in form state.
func (h *Handler) renderProject(c echo.Context, status int, tab string, adjust func(*views.ProjectVM)) error {
	ctx, a := c.Request().Context(), actor(c)
	pv, err := h.Store.ProjectFor(ctx, a, c.Param("project"))
	if err != nil {
		return err
	}
	secrets, err := h.Store.ClientSecrets(ctx, a, pv.ID)
	if err != nil {
		return err
	}
	role := pv.MyRole
	vm := views.ProjectVM{
		Tab: tab, ID: pv.ID, Name: pv.Name, Description: pv.Description, ClientID: pv.ClientID(), TeamID: pv.TeamID, TeamName: pv.TeamName,
		MyRole: string(role), CreatedAt: pv.CreatedAt,
		Can: views.ProjectPermissions{
			ManageSecrets: role.Can(models.ActSecretManage), EditSettings: role.Can(models.ActProjectUpdate),
			Delete: role.Can(models.ActProjectDelete), ManageKeys: role.Can(models.ActKeyManage), ViewCredential: true,
		},
		GettingStarted: len(secrets) == 0,
		BaseURL:        h.Cfg.BaseURL.String(),
		TokenURL:       h.Cfg.BaseURL.JoinPath("/oauth/token").String(),
		SecretForm:     views.SecretForm{ExpiresIn: "90", ExpiryOptions: secretExpiry, FormToken: models.NewIdempotencyKey()},
		Settings:       settingsForm(&pv.Project),
	}
	reg, err := h.Store.ProjectRegistration(ctx, a, pv.ID)
	if err != nil {
		return err
	}
	if reg != nil {
		vm.RegisteredVia, vm.RegisteredAt = reg.Via, reg.CreatedAt
	}
	grants, err := h.Store.ProjectGrants(ctx, a, pv.ID)
	if err != nil {
		return err
	}
	if vm.APIKeys, err = h.apiKeysVM(c, pv, grants); err != nil {
		return err
	}
	if vm.APIs, err = h.projectAPIsVM(c, pv, grants); err != nil {
		return err
	}
	if vm.ClientKeys, err = h.clientKeysVM(c, pv, grants); err != nil {
		return err
	}
	u, err := h.Usage.UsageFor(c.Request().Context(), pv.ID)
	if err != nil {
		return err
	}
	vm.Usage = views.UsageVM{TokensToday: u.TokensToday, TokensWeek: u.TokensWeek, RevocationsToday: u.RevocationsToday, RevocationsWeek: u.RevocationsWeek}
	vm.GettingStarted = len(secrets) == 0 && len(vm.APIKeys.Keys) == 0
	now := h.Store.Now()
	for _, s := range secrets {
		vm.Secrets = append(vm.Secrets, views.SecretRow{LastUsedAt: s.LastUsedAt, ID: s.ID, Name: s.Name, Hint: s.Hint, CreatedBy: s.CreatedByLabel,
			CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt, Status: s.Status(now)})
	}
	if tab == views.ProjectTabCredentials && vm.Can.ManageSecrets && pv.AllowsGrant(models.GrantAuthorizationCode) {
		if err := h.connectedUsers(c, &vm); err != nil {
			return err
		}
		if err := h.vaultSection(c, &vm, pv.Vault); err != nil { // vault.go
			return err
		}
	}
	if tab == views.ProjectTabUsage {
		if vm.UsagePanel, err = h.usagePanel(c, models.ProjectUsageScope(pv.ID), views.ProjectTabPath(pv.ID, tab)); err != nil {
			return err
		}
	}
	if adjust != nil {
		adjust(&vm)
	}
	return httpx.Render(c, status, views.ProjectPage(h.page(c, pv.Name), vm))
}

// settingsForm fills the settings form from the stored project.
func settingsForm(p *models.Project) views.SettingsForm {
	f := views.SettingsForm{Name: p.Name, Description: p.Description,
		TokenTTLMinutes: strconv.Itoa(int(p.TokenTTL() / time.Minute)),
		RedirectURIs:    strings.Join(p.RedirectURIList(), "\n"), PublicClient: p.PublicClient,
		RequirePAR: p.RequirePushedAuthorization, RequireDPoP: p.RequireDPoP, AccessTokenFormat: p.AccessTokenFormat}
	r := p.RefreshPolicyOf()
	f.RefreshTokens, f.RefreshIdleDays, f.RefreshAbsoluteDays = r.Issue, strconv.Itoa(r.IdleDays), strconv.Itoa(r.AbsoluteDays)
	f.RefreshOptions = refreshOptions
	f.TLSAuthField, f.TLSAuthValue, f.TLSAuthFields = p.TLSAuthField, p.TLSAuthValue, tlsAuthFields
	f.CertificateBoundTokens = p.CertificateBoundTokens
	if p.AllowsGrant(models.GrantRefreshToken) {
		f.KeptGrantTypes = []string{models.GrantRefreshToken}
	}
	for _, g := range oauth.ProjectGrantTypes() {
		f.GrantTypes = append(f.GrantTypes, views.Checkbox{Value: g, Label: grantLabel(g), Checked: p.AllowsGrant(g)})
	}
	for _, m := range models.AuthMethods {
		f.AuthMethods = append(f.AuthMethods, views.Checkbox{Value: m, Label: authMethodLabel(m), Checked: p.AcceptsAuth(m)})
	}
	return f
}

// tlsAuthFields are the certificate fields a tls_client_auth rule may name, as the
// settings offer them.
var tlsAuthFields = []views.Option{
	{Value: "", Label: "None"},
	{Value: "subject_dn", Label: "Subject DN"},
	{Value: "san_dns", Label: "SAN: DNS name"},
	{Value: "san_uri", Label: "SAN: URI (e.g. SPIFFE ID)"},
	{Value: "san_ip", Label: "SAN: IP address"},
	{Value: "san_email", Label: "SAN: email address"},
}

// refreshOptions are the refresh-token policies as the settings offer them.
var refreshOptions = []views.Option{
	{Value: models.RefreshOfflineAccess, Label: "When the user allows offline access (scope offline_access)"},
	{Value: models.RefreshAlways, Label: "Always, with every user's tokens"},
	{Value: models.RefreshOff, Label: "Never"},
}

// grantLabel names a grant type for people.
func grantLabel(g string) string {
	switch g {
	case models.GrantClientCredentials:
		return "Client credentials (client_credentials)"
	case models.GrantJWTBearer:
		return "JWT bearer: exchange a JWT the client signed (RFC 7523)"
	case models.GrantAuthorizationCode:
		return "Authorization code: an app acting for a user who consents (PKCE required)"
	case models.GrantTokenExchange:
		return "Token exchange: call another API for the subject of a token your API received (RFC 8693)"
	}
	return g
}

// authMethodLabel names a client authentication method for people.
func authMethodLabel(m string) string {
	switch m {
	case models.AuthClientSecret:
		return "Client secret (client_secret_basic, client_secret_post)"
	case models.AuthPrivateKeyJWT:
		return "Private key JWT (private_key_jwt): no shared secret"
	case models.AuthTLSClientAuth:
		return "TLS client certificate from a trusted CA (tls_client_auth)"
	case models.AuthSelfSignedTLS:
		return "Self-signed TLS client certificate (self_signed_tls_client_auth)"
	}
	return m
}
