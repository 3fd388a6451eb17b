package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
	"github.com/gatehouse-dev/gatehouse/views"
)

// vaultApp is the acApp with the credentials vault on (through its Credentials page),
// and a service of its team, "Nightly sync": a project allowed token exchange, granted
// orders:read and orders:write on orders-api by the API's owners, and named by the app's
// admins for orders:read (through the page's form).
type vaultApp struct {
	*acApp
	svc, svcSecret string
}

func newVaultApp(t *testing.T, opts ...func(*envOptions)) *vaultApp {
	t.Helper()
	ctx := context.Background()
	a := newACApp(t, opts...)
	e, dev := a.e, a.dev
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("_csrf", dev.csrf)
		if res := dev.b.post(path, form, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, readBody(res))
		}
	}
	post(views.ProjectVaultPath(a.project.ID), url.Values{"vault": {"on"}})
	svc, err := e.store.CreateProject(ctx, dev.actor, a.project.TeamID, "Nightly sync", "", "")
	if err != nil {
		t.Fatal(err)
	}
	v := &vaultApp{acApp: a, svc: svc.ID, svcSecret: allowTokenExchange(t, e, dev, svc.ID, svc.Name)}
	grantAPI(t, e, dev.actor, a.api, svc.ID, "orders:read", "orders:write")
	post(views.CredentialGrantsPath(a.project.ID), url.Values{"service_id": {svc.ID}, "api_id": {a.api.ID}, "scopes": {"orders:read"}})
	return v
}

// delegate has the user allow the app orders:read, orders:write and offline access
// through the real code flow (golang.org/x/oauth2), and returns the delegation the app
// got instead of a refresh token, and the user's sub.
func (v *vaultApp) delegate(t *testing.T, user *member) (delegation, sub string) {
	t.Helper()
	tok := v.authorizeOffline(t, user.b, v.config(acRedirect, "orders:read", "orders:write", "offline_access"))
	if tok.RefreshToken != "" {
		t.Fatalf("vault mode: the app received a refresh token")
	}
	delegation, _ = tok.Extra("gatehouse_delegation").(string)
	if !models.HasPrefixID(delegation, "rtf") {
		t.Fatalf("gatehouse_delegation = %q, want a delegation id", delegation)
	}
	sub, _ = userClaims(t, tok.AccessToken)["sub"].(string)
	return delegation, sub
}

// vaultForm is a token-exchange request for a vaulted delegation.
func vaultForm(delegation, resource string, extra ...string) url.Values {
	f := exchangeForm(delegation, resource, extra...)
	f.Set("subject_token_type", models.TokenTypeDelegation)
	return f
}

// TestCredentialsVault: from the real code flow, a service of the app's team named in a
// credentials grant gets a short-lived token for the user that verify accepts (sub =
// the user, acting: the service, after the app), never a refresh token; every use is
// audited and shown to the user under Connected apps; the RFC 8693 refusals come back
// exactly; withdrawing the consent on the account page ends it at once.
func TestCredentialsVault(t *testing.T) {
	v := newVaultApp(t)
	e := v.e
	ctx := context.Background()
	alice := signedInMember(t, e, "alice@example.com")
	// The consent page tells her who will hold her offline access.
	cfg := v.config(acRedirect, "orders:read", "offline_access")
	kept := doc(t, alice.b.get(v.authURL(cfg, "s", oauth2.GenerateVerifier()))).Find(`[data-testid="consent-vault"]`).Text()
	if !strings.Contains(kept, "instead of handing it to the app") || !strings.Contains(kept, "Nightly sync") {
		t.Errorf("the consent page about the vault: %q", kept)
	}
	delegation, sub := v.delegate(t, alice)

	res, body, raw := oauthPost(t, e, "/oauth/token", vaultForm(delegation, v.api.Identifier), v.svc, v.svcSecret)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("exchange: %d %s", res.StatusCode, raw)
	}
	if _, ok := body["refresh_token"]; ok || body["issued_token_type"] != models.TokenTypeAccessToken || body["scope"] != "orders:read" {
		t.Errorf("token response %s", raw)
	}
	if exp, _ := body["expires_in"].(float64); exp <= 0 || exp > models.VaultTokenTTL.Seconds() {
		t.Errorf("expires_in %v, want at most %v", body["expires_in"], models.VaultTokenTTL)
	}
	at, _ := body["access_token"].(string)
	p, err := occVerifier(t, e, v.api.Identifier).Verify(ctx, at)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if p.Subject != sub || p.ClientID != v.svc || len(p.Actors) != 2 || p.Actors[0].Subject != v.svc || p.Actors[1].Subject != v.project.ID ||
		strings.Join(p.Scopes, " ") != "orders:read" {
		t.Errorf("principal %+v, want Alice, acting: the service after the app, orders:read", p)
	}

	// Refused, exactly as RFC 8693 and RFC 6749 say, and nothing issued.
	reports, err := e.store.CreateProject(ctx, v.dev.actor, v.project.TeamID, "Reports", "", "")
	if err != nil {
		t.Fatal(err)
	}
	reportsSecret := allowTokenExchange(t, e, v.dev, reports.ID, reports.Name)
	grantAPI(t, e, v.dev.actor, v.api, reports.ID, "orders:read")
	bob := signedInMember(t, e, "bob@example.com")
	theirs := firstProject(t, e, bob)
	theirSecret := allowTokenExchange(t, e, bob, theirs.ID, theirs.Name)
	for name, tc := range map[string]struct {
		id, secret string
		form       url.Values
		status     int
		code       string
	}{
		"NoCredentialsGrant": {reports.ID, reportsSecret, vaultForm(delegation, v.api.Identifier), http.StatusBadRequest, models.ErrCodeInvalidGrant},
		"AnotherTeam":        {theirs.ID, theirSecret, vaultForm(delegation, v.api.Identifier), http.StatusBadRequest, models.ErrCodeInvalidGrant},
		"UnknownDelegation":  {v.svc, v.svcSecret, vaultForm("rtf_"+strings.Repeat("a", 26), v.api.Identifier), http.StatusBadRequest, models.ErrCodeInvalidGrant},
		"ScopeBeyond":        {v.svc, v.svcSecret, vaultForm(delegation, v.api.Identifier, "scope", "orders:write"), http.StatusBadRequest, models.ErrCodeInvalidScope},
		"WrongResource":      {v.svc, v.svcSecret, vaultForm(delegation, "https://billing.example.com"), http.StatusBadRequest, models.ErrCodeInvalidTarget},
		"Impersonation":      {v.svc, v.svcSecret, vaultForm(delegation, v.api.Identifier, models.ParamImpersonate, "true"), http.StatusBadRequest, models.ErrCodeInvalidRequest},
		"WrongSecret":        {v.svc, "wrong", vaultForm(delegation, v.api.Identifier), http.StatusUnauthorized, models.ErrCodeInvalidClient},
	} {
		t.Run(name, func(t *testing.T) {
			res, _, raw := oauthPost(t, e, "/oauth/token", tc.form, tc.id, tc.secret)
			wantOAuthError(t, res, raw, tc.status, tc.code)
		})
	}
	events, _, err := e.store.AuditLog(ctx, v.dev.actor, v.project.TeamID, models.AuditFilter{Action: "vault.use"})
	if err != nil || len(events) != 1 || events[0].TargetID != delegation || !strings.Contains(events[0].Details, v.svc) {
		t.Errorf("vault.use events %+v %v, want the one exchange", events, err)
	}

	// The project's Credentials page shows the vault on and the service.
	page := doc(t, v.dev.b.get(views.ProjectTabPath(v.project.ID, views.ProjectTabCredentials)))
	if page.Find(`[data-testid="vault-on"][checked]`).Length() != 1 {
		t.Error("the vault switch is not on")
	}
	// The user's family is listed under Users connected, marked as kept in the vault.
	if row := page.Find(`[data-testid="connected-user-row"]`); row.Length() != 1 || row.AttrOr("data-family-id", "") != delegation ||
		row.Find(`[data-testid="connected-user-vault"]`).Length() != 1 {
		t.Errorf("Users connected: %d rows, vault mark %d", row.Length(), row.Find(`[data-testid="connected-user-vault"]`).Length())
	}
	if row := page.Find(`[data-testid="credential-grant-row"]`); row.Length() != 1 || !strings.Contains(row.Text(), "Nightly sync") ||
		row.Find(`[data-testid="credential-grant-scopes"]`).Text() != "orders:read" {
		t.Errorf("credential grants: %q", row.Text())
	}
	if page.Find(`[data-testid="credential-grant-no-grant"]`).Length() != 0 {
		t.Error("a service holding its grant on the API is said to hold none")
	}
	// A service of the team without its own grant on the API is named, with a warning
	// on its row: its exchanges would be refused.
	bare, err := e.store.CreateProject(ctx, v.dev.actor, v.project.TeamID, "Ungranted worker", "", "")
	if err != nil {
		t.Fatal(err)
	}
	bareGrant, err := e.store.SaveCredentialGrant(ctx, v.dev.actor, v.project.ID, models.CredentialGrantInput{ServiceID: bare.ID, APIID: v.api.ID,
		Scopes: []string{"orders:read"}})
	if err != nil {
		t.Fatal(err)
	}
	warned := doc(t, v.dev.b.get(views.ProjectTabPath(v.project.ID, views.ProjectTabCredentials))).Find(`[data-testid="credential-grant-row"]`).
		FilterFunction(func(_ int, r *goquery.Selection) bool {
			return r.Find(`[data-testid="credential-grant-no-grant"]`).Length() == 1
		})
	if warned.Length() != 1 || warned.AttrOr("data-grant-id", "") != bareGrant.ID {
		t.Errorf("rows warned of a missing grant: %d, want the ungranted worker's", warned.Length())
	}
	if err := e.store.RevokeCredentialGrant(ctx, v.dev.actor, v.project.ID, bareGrant.ID); err != nil {
		t.Fatal(err)
	}
	// Naming another team's project is refused on the form, saying why, and changes nothing.
	res = v.dev.b.post(views.CredentialGrantsPath(v.project.ID), url.Values{"_csrf": {v.dev.csrf}, "service_id": {theirs.ID},
		"api_id": {v.api.ID}, "scopes": {"orders:read"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("another team's service on the form: %d", res.StatusCode)
	}
	if msg := doc(t, res).Find(`#vault [data-testid="field-error"]`).First().Text(); !strings.Contains(msg, "project of this team") {
		t.Errorf("the form's message: %q", msg)
	}
	if list, err := e.store.CredentialGrants(ctx, v.dev.actor, v.project.ID); err != nil || len(list) != 1 {
		t.Errorf("credential grants after the refusal: %v %v", list, err)
	}
	// Alice sees who acts for her offline.
	account := doc(t, alice.b.get(views.AccountPath()))
	use := strings.Join(strings.Fields(account.Find(`[data-testid="vault-use"]`).Text()), " ")
	if !strings.HasPrefix(use, "Used offline by Nightly sync for "+v.api.Name+" (orders:read), last used ") {
		t.Errorf("Connected apps: %q", use)
	}

	// She withdraws her consent: the very next exchange is refused.
	res = alice.b.post(views.ConsentRevokePath(), url.Values{"_csrf": {alice.csrf}, "project": {v.project.ID}, "api": {v.api.ID}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", res.StatusCode, readBody(res))
	}
	res, _, raw = oauthPost(t, e, "/oauth/token", vaultForm(delegation, v.api.Identifier), v.svc, v.svcSecret)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidGrant)
	if n := doc(t, alice.b.get(views.AccountPath())).Find(`[data-testid="vault-use"]`).Length(); n != 0 {
		t.Errorf("after the withdrawal Connected apps still shows %d offline uses", n)
	}
}

// TestCredentialsVaultEveryInstance: a second instance of the portal (another store on
// the same database) serves the vault, and refuses it on the very next request once the
// user withdrew consent at the first.
func TestCredentialsVaultEveryInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		v := newVaultApp(t, func(o *envOptions) { o.store = s })
		twin := newEnv(t, func(o *envOptions) { o.twinOf = v.e })
		alice := signedInMember(t, v.e, "alice@example.com")
		delegation, _ := v.delegate(t, alice)
		for name, e := range map[string]*env{"first": v.e, "second": twin} {
			if res, _, raw := oauthPost(t, e, "/oauth/token", vaultForm(delegation, v.api.Identifier), v.svc, v.svcSecret); res.StatusCode != http.StatusOK {
				t.Fatalf("%s instance: %d %s", name, res.StatusCode, raw)
			}
		}
		res := alice.b.post(views.ConsentRevokePath(), url.Values{"_csrf": {alice.csrf}, "project": {v.project.ID}, "api": {v.api.ID}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", res.StatusCode)
		}
		for name, e := range map[string]*env{"first": v.e, "second": twin} {
			res, _, raw := oauthPost(t, e, "/oauth/token", vaultForm(delegation, v.api.Identifier), v.svc, v.svcSecret)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(raw, `"invalid_grant"`) {
				t.Errorf("%s instance after the withdrawal: %d %s", name, res.StatusCode, raw)
			}
		}
	})
}

// TestReadmeVault runs the README's credentials-vault example exactly as shown, with
// bash and curl, as the service exchanging Alice's delegation.
func TestReadmeVault(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the README's example needs it)", tool)
		}
	}
	v := newVaultApp(t)
	if v.api.Identifier != "orders-api" {
		t.Fatalf("the README names the API orders-api; the fixture's is %q", v.api.Identifier)
	}
	delegation, sub := v.delegate(t, signedInMember(t, v.e, "alice@example.com"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", readmeBlock(t, "vault-example"))
	cmd.Env = append(os.Environ(), "GATEHOUSE_URL="+v.e.portal.URL, "CLIENT_ID="+v.svc, "CLIENT_SECRET="+v.svcSecret, "DELEGATION_ID="+delegation)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	var body map[string]any
	if err := json.Unmarshal(out, &body); err != nil {
		t.Fatalf("the example printed %s: %v", out, err)
	}
	at, _ := body["access_token"].(string)
	p, err := occVerifier(t, v.e, v.api.Identifier).Verify(context.Background(), at)
	if _, refresh := body["refresh_token"]; err != nil || refresh || p.Subject != sub || len(p.Actors) == 0 || p.Actors[0].Subject != v.svc {
		t.Errorf("the example's answer %s: %+v %v, want Alice's token acted on by the service, no refresh token", out, p, err)
	}
}

// TestVaultAPI: /api/v1 sets the vault and the credentials grants, answers match the
// OpenAPI document, another team's project is refused naming the field, and each change
// is audited.
func TestVaultAPI(t *testing.T) {
	v := newVaultApp(t)
	e, dev := v.e, v.dev
	c := &apiClient{t: t, e: e, doc: loadOpenAPI(t, e)}
	c.token = createPATViaPage(t, dev, url.Values{"name": {"vault"}, "scope": {"write"}, "expires_in_days": {"30"}})
	base := "/projects/" + v.project.ID

	if got := c.call("PUT", base+"/vault", map[string]any{"enabled": false}, nil).want(t, http.StatusOK).json(t); got["enabled"] != false {
		t.Errorf("vault off: %v", got)
	}
	c.call("PUT", base+"/vault", map[string]any{}, nil).want(t, http.StatusUnprocessableEntity)
	c.call("PUT", base+"/vault", map[string]any{"enabled": true}, nil).want(t, http.StatusOK)

	list := c.call("GET", base+"/credential-grants", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["service_id"] != v.svc || list[0].(map[string]any)["resource"] != v.api.Identifier {
		t.Fatalf("credential grants %v", list)
	}
	id := list[0].(map[string]any)["id"].(string)
	// Widened to orders:write: the same grant.
	g := c.call("POST", base+"/credential-grants", map[string]any{"service_id": v.svc, "api_id": v.api.ID, "scopes": []string{"orders:read", "orders:write"}}, nil).
		want(t, http.StatusCreated).json(t)
	if g["id"] != id || len(g["scopes"].([]any)) != 2 {
		t.Errorf("saved again: %v", g)
	}
	bob := signedInMember(t, e, "bob@example.com")
	r := c.call("POST", base+"/credential-grants", map[string]any{"service_id": firstProject(t, e, bob).ID, "api_id": v.api.ID, "scopes": []string{"orders:read"}}, nil).
		want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), "service_id") {
		t.Errorf("another team's project: %s, want a problem naming service_id", r.body)
	}
	c.call("POST", base+"/credential-grants/"+id+"/revoke", nil, nil).want(t, http.StatusNoContent)
	c.call("POST", base+"/credential-grants/"+id+"/revoke", nil, nil).want(t, http.StatusNotFound)

	events, _, err := e.store.AuditLog(context.Background(), dev.actor, v.project.TeamID, models.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		if strings.HasPrefix(ev.Action, "credentials.") || ev.Action == "project.vault" {
			got = append(got, ev.Action)
		}
	}
	// Newest first: the page's vault and grant (newVaultApp), then the API's calls.
	if want := "credentials.revoke credentials.update project.vault project.vault credentials.grant project.vault"; strings.Join(got, " ") != want {
		t.Errorf("audited %v, want %s", got, want)
	}
}
