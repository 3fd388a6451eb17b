package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// regCall sends a request to a registration endpoint with bearer token (none when "")
// and a body of contentType (none when body is nil), and decodes the JSON answer.
func regCall(t *testing.T, e *env, method, target, token, contentType string, body []byte) (*http.Response, map[string]any, string) {
	t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = e.portal.URL + target
	}
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw := readBody(res)
	var out map[string]any
	_ = json.Unmarshal([]byte(raw), &out)
	return res, out, raw
}

// wantRegError checks a registration endpoint's exact error: {error, error_description},
// no-store, and for 401 a Bearer challenge (RFC 6750 §3) instead of the token
// endpoint's Basic one.
func wantRegError(t *testing.T, res *http.Response, raw string, status int, code string) {
	t.Helper()
	if status != http.StatusUnauthorized {
		wantOAuthError(t, res, raw, status, code)
		return
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || res.StatusCode != status || body.Error != code || body.Description == "" {
		t.Errorf("got %d %s (%v), want %d with error %s", res.StatusCode, raw, err, status, code)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", res.Header.Get("Cache-Control"))
	}
	if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), `Bearer realm="gatehouse"`) {
		t.Errorf("401 with WWW-Authenticate %q, want a Bearer challenge", res.Header.Get("WWW-Authenticate"))
	}
}

// register posts client metadata to /oauth/register.
func register(t *testing.T, e *env, token, metadata string) (*http.Response, map[string]any, string) {
	t.Helper()
	return regCall(t, e, http.MethodPost, "/oauth/register", token, "application/json", []byte(metadata))
}

// regTeam is a team that allows registration, with an initial access token.
type regTeam struct {
	owner *member
	team  string
	token string
}

func newRegTeam(t *testing.T, e *env, email, policy string) regTeam {
	t.Helper()
	ctx := context.Background()
	owner := signedInMember(t, e, email)
	team, err := e.store.CreateTeam(ctx, owner.actor, "Agents "+email, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetRegistrationPolicy(ctx, owner.actor, team.ID, policy); err != nil {
		t.Fatal(err)
	}
	_, tok, err := e.store.CreateInitialAccessToken(ctx, owner.actor, team.ID, models.InitialAccessTokenInput{Label: "mcp", TTL: 30 * 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	return regTeam{owner: owner, team: team.ID, token: tok}
}

func TestRegistrationMetadataAdvertised(t *testing.T) {
	e := newEnv(t)
	res, body, raw := regCall(t, e, http.MethodGet, "/.well-known/oauth-authorization-server", "", "", nil)
	if res.StatusCode != http.StatusOK || body["registration_endpoint"] != e.portal.URL+"/oauth/register" {
		t.Errorf("metadata: %d %s, want registration_endpoint %s/oauth/register", res.StatusCode, raw, e.portal.URL)
	}
}

func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t)
	rt := newRegTeam(t, e, "owner@refuse.example", models.RegistrationToken)
	md := `{"grant_types":["client_credentials"]}`
	before := auditCount(t, e, rt.owner.actor, rt.team)

	// No token, no open registration: 401 with a bare Bearer challenge (RFC 6750 §3.1).
	res, _, raw := register(t, e, "", md)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
	if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="gatehouse"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// A wrong token: the challenge carries the error.
	res, _, raw = register(t, e, models.NewInitialAccessToken(), md)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
	if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="gatehouse", error="invalid_token", error_description="`) {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// Basic credentials are no initial access token.
	req, _ := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/register", strings.NewReader(md))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("prj_x", rt.token)
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wantRegError(t, hres, readBody(hres), http.StatusUnauthorized, "invalid_token")
	hres.Body.Close()

	// JSON only, bounded.
	res, _, raw = regCall(t, e, http.MethodPost, "/oauth/register", rt.token, "application/x-www-form-urlencoded", []byte("grant_types=client_credentials"))
	wantOAuthError(t, res, raw, http.StatusUnsupportedMediaType, "invalid_request")
	big := `{"client_name":"x","contacts":["` + strings.Repeat("a", 70<<10) + `"]}`
	res, _, raw = register(t, e, rt.token, big)
	wantOAuthError(t, res, raw, http.StatusRequestEntityTooLarge, "invalid_client_metadata")

	// Bad metadata: 400 with RFC 7591 §3.2.2's codes and a sentence.
	for metadata, code := range map[string]string{
		`{"grant_types":["implicit"]}`: "invalid_client_metadata",
		`{"grant_types":["password"]}`: "invalid_client_metadata",
		`{"redirect_uris":["https://app.example/cb"],"response_types":["code token"]}`:      "invalid_client_metadata",
		`{"redirect_uris":["http://app.example/cb"]}`:                                       "invalid_redirect_uri",
		`{"redirect_uris":["https://app.example/*"]}`:                                       "invalid_redirect_uri",
		`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`:        "invalid_client_metadata",
		`{"grant_types":["client_credentials"],"jwks_uri":"https://keys.example/jwks"}`:     "invalid_client_metadata",
		`{"grant_types":["client_credentials"],"logo_uri":"javascript:alert(1)"}`:           "invalid_client_metadata",
		`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"self_signed"}`: "invalid_client_metadata",
		`not json`: "invalid_client_metadata",
	} {
		res, body, raw := register(t, e, rt.token, metadata)
		wantOAuthError(t, res, raw, http.StatusBadRequest, code)
		if d, _ := body["error_description"].(string); !strings.HasSuffix(d, ".") {
			t.Errorf("%s: description %q is not a sentence", metadata, d)
		}
	}
	if after := auditCount(t, e, rt.owner.actor, rt.team); after != before {
		t.Errorf("refused registrations wrote %d audit events", after-before)
	}
}

func TestRegisterEachAuthMethod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rt := newRegTeam(t, e, "owner@register.example", models.RegistrationToken)
	// An API of another team, and one of the client's own team, which its owners grant.
	other := newRegTeam(t, e, "apis@register.example", models.RegistrationOff)
	foreign := registerAPI(t, e, other.owner.actor, other.team, "https://billing.example.com", "billing:read")
	api := registerAPI(t, e, rt.owner.actor, rt.team, "https://orders.example.com", "orders:read")

	t.Run("client_secret_basic", func(t *testing.T) {
		res, body, raw := register(t, e, rt.token, `{"client_name":"Nightly export","grant_types":["client_credentials"],"scope":"orders:read",
			"contacts":["ops@example.com"],"software_id":"ignored"}`)
		if res.StatusCode != http.StatusCreated || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("register: %d %s (Cache-Control %q)", res.StatusCode, raw, res.Header.Get("Cache-Control"))
		}
		id, _ := body["client_id"].(string)
		secret, _ := body["client_secret"].(string)
		if !strings.HasPrefix(id, "prj_") || !strings.HasPrefix(secret, "ghcs_") || body["client_secret_expires_at"] != float64(0) ||
			body["registration_client_uri"] != e.portal.URL+"/oauth/register/"+id || body["token_endpoint_auth_method"] != "client_secret_basic" ||
			body["scope"] != "orders:read" || body["client_id_issued_at"] == nil {
			t.Fatalf("answer: %s", raw)
		}
		if rat, _ := body["registration_access_token"].(string); !strings.HasPrefix(rat, "ghrat_") {
			t.Fatalf("registration_access_token %q", rat)
		}
		// A project with no grant: no token for any API until a grant exists.
		form := url.Values{"grant_type": {"client_credentials"}}
		tres, _, traw := oauthPost(t, e, "/oauth/token", form, id, secret)
		wantOAuthError(t, tres, traw, http.StatusBadRequest, "invalid_target")
		for _, a := range []*models.API{foreign, api} {
			form.Set("resource", a.Identifier)
			tres, _, traw = oauthPost(t, e, "/oauth/token", form, id, secret)
			wantOAuthError(t, tres, traw, http.StatusBadRequest, "invalid_target")
		}
		grantAPI(t, e, rt.owner.actor, api, id, "orders:read")
		tres, tbody, traw := oauthPost(t, e, "/oauth/token", form, id, secret)
		if tres.StatusCode != http.StatusOK || tbody["access_token"] == nil {
			t.Errorf("token once granted: %d %s", tres.StatusCode, traw)
		}
		// The project page says how it came.
		page := doc(t, rt.owner.b.get(views.ProjectPath(id)))
		if badge := page.Find(`[data-testid="project-registered"]`); badge.Length() != 1 || !strings.Contains(badge.AttrOr("title", ""), `"mcp"`) {
			t.Errorf("the project page's registration badge: %d, title %q", badge.Length(), badge.AttrOr("title", ""))
		}
	})
	t.Run("client_secret_post", func(t *testing.T) {
		res, body, raw := register(t, e, rt.token, `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_post"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("register: %d %s", res.StatusCode, raw)
		}
		id, secret := body["client_id"].(string), body["client_secret"].(string)
		grantAPI(t, e, rt.owner.actor, api, id, "orders:read")
		tres, _, traw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
			"client_secret": {secret}}, "", "")
		if tres.StatusCode != http.StatusOK {
			t.Errorf("token with client_secret_post: %d %s", tres.StatusCode, traw)
		}
	})
	t.Run("private_key_jwt", func(t *testing.T) {
		key := newP256(t)
		jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "agent-1", Use: "sig"}}})
		res, body, raw := register(t, e, rt.token, `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":`+string(jwks)+`}`)
		if res.StatusCode != http.StatusCreated || body["client_secret"] != nil {
			t.Fatalf("register: %d %s", res.StatusCode, raw)
		}
		id := body["client_id"].(string)
		c := &pkClient{oauthClient: &oauthClient{project: &models.Project{ID: id}}, e: e, key: key, kid: "agent-1"}
		tres, _, traw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), url.Values{"grant_type": {"client_credentials"}}), "", "")
		wantOAuthError(t, tres, traw, http.StatusBadRequest, "invalid_target") // authenticated, but no grant
		grantAPI(t, e, rt.owner.actor, api, id, "orders:read")
		tres, _, traw = oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), url.Values{"grant_type": {"client_credentials"}}), "", "")
		if tres.StatusCode != http.StatusOK {
			t.Errorf("token with the registered key: %d %s", tres.StatusCode, traw)
		}
	})
	t.Run("none", func(t *testing.T) {
		res, body, raw := register(t, e, rt.token, `{"client_name":"Desktop agent","redirect_uris":["http://127.0.0.1:33418/callback"],
			"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none"}`)
		if res.StatusCode != http.StatusCreated || body["client_secret"] != nil || body["token_endpoint_auth_method"] != "none" {
			t.Fatalf("register: %d %s", res.StatusCode, raw)
		}
		p, err := e.store.PublicClient(ctx, body["client_id"].(string))
		if err != nil || !p.AllowsGrant(models.GrantAuthorizationCode) {
			t.Errorf("public client: %+v (%v)", p, err)
		}
		// Its page speaks of the code flow with PKCE, not of creating a secret.
		page := doc(t, rt.owner.b.get(views.ProjectPath(p.ID)))
		if page.Find(`[data-testid="public-client-note"]`).Length() != 1 || page.Find(`[data-testid="authorize-url"]`).Length() != 1 ||
			!strings.Contains(page.Find(`[data-testid="getting-started"]`).Text(), "PKCE") ||
			strings.Contains(page.Find(`[data-testid="getting-started"]`).Text(), "Create a client secret") ||
			page.Find(`[data-testid="getting-started-redirects"]`).Text() != "1 redirect URI registered" {
			t.Errorf("a public client's overview: note %d, getting started %q", page.Find(`[data-testid="public-client-note"]`).Length(),
				strings.Join(strings.Fields(page.Find(`[data-testid="getting-started"]`).Text()), " "))
		}
		creds := doc(t, rt.owner.b.get(views.ProjectTabPath(p.ID, views.ProjectTabCredentials)))
		if creds.Find(`[data-testid="public-client-secrets-note"]`).Length() != 1 {
			t.Error("a public client's credentials page does not say it needs no secret")
		}
		// A confidential client's page says none of it.
		confidential, err := e.store.CreateProject(ctx, rt.owner.actor, rt.team, "Backend", "", "")
		if err != nil {
			t.Fatal(err)
		}
		conf := doc(t, rt.owner.b.get(views.ProjectPath(confidential.ID)))
		if conf.Find(`[data-testid="public-client-note"]`).Length() != 0 || conf.Find(`[data-testid="authorize-url"]`).Length() != 0 ||
			!strings.Contains(conf.Find(`[data-testid="getting-started"]`).Text(), "Create a client secret") {
			t.Error("a confidential client's overview speaks of a public client")
		}
	})
}

func TestOpenRegistration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rt := newRegTeam(t, e, "owner@open.example", models.RegistrationToken)
	md := `{"grant_types":["client_credentials"]}`
	e.h.Cfg.OpenRegistrationsPerIP = 3

	// The team alone cannot open itself: the operator names no team.
	if err := e.store.SetRegistrationPolicy(ctx, rt.owner.actor, rt.team, models.RegistrationOpen); err != nil {
		t.Fatal(err)
	}
	res, _, raw := register(t, e, "", md)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
	// The operator names it, but the team says token only.
	e.h.Cfg.OpenRegistrationTeam = rt.team
	if err := e.store.SetRegistrationPolicy(ctx, rt.owner.actor, rt.team, models.RegistrationToken); err != nil {
		t.Fatal(err)
	}
	res, _, raw = register(t, e, "", md)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
	// Both agree.
	if err := e.store.SetRegistrationPolicy(ctx, rt.owner.actor, rt.team, models.RegistrationOpen); err != nil {
		t.Fatal(err)
	}
	res, body, raw := register(t, e, "", md)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("open registration: %d %s", res.StatusCode, raw)
	}
	if _, err := e.store.ProjectFor(ctx, rt.owner.actor, body["client_id"].(string)); err != nil {
		t.Errorf("the open registration's project is not in the team: %v", err)
	}
	// Rate limited per source address: the third attempt in the minute was the last.
	if res, _, raw = register(t, e, "", `{"grant_types":["implicit"]}`); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("third open attempt: %d %s", res.StatusCode, raw)
	}
	res, _, raw = register(t, e, "", md)
	wantOAuthError(t, res, raw, http.StatusTooManyRequests, "temporarily_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// A token still registers: the limit is on anonymous registrations.
	if res, _, raw = register(t, e, rt.token, md); res.StatusCode != http.StatusCreated {
		t.Errorf("registration with a token after the open limit: %d %s", res.StatusCode, raw)
	}
	// Policy off: tokens stop working too.
	if err := e.store.SetRegistrationPolicy(ctx, rt.owner.actor, rt.team, models.RegistrationOff); err != nil {
		t.Fatal(err)
	}
	res, _, raw = register(t, e, rt.token, md)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
}

func TestRegistrationManagement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rt := newRegTeam(t, e, "owner@manage.example", models.RegistrationToken)
	reg := func(name string) (id, rat, uri string) {
		t.Helper()
		res, body, raw := register(t, e, rt.token, `{"client_name":"`+name+`","redirect_uris":["https://app.example/cb"],
			"grant_types":["authorization_code","client_credentials"]}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("register: %d %s", res.StatusCode, raw)
		}
		return body["client_id"].(string), body["registration_access_token"].(string), body["registration_client_uri"].(string)
	}
	aID, aTok, aURI := reg("A")
	bID, bTok, bURI := reg("B")

	res, body, raw := regCall(t, e, http.MethodGet, aURI, aTok, "", nil)
	if res.StatusCode != http.StatusOK || body["client_id"] != aID || body["client_name"] != "A" || body["client_secret"] != nil ||
		body["registration_access_token"] != nil || body["registration_client_uri"] != aURI || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("read: %d %s", res.StatusCode, raw)
	}
	// Hostile: no token, another client's, a made-up one; a project made in the portal.
	portal, err := e.store.CreateProject(ctx, rt.owner.actor, rt.team, "Portal made", "", "")
	if err != nil {
		t.Fatal(err)
	}
	update := []byte(`{"client_id":"` + aID + `","client_name":"pwned","grant_types":["client_credentials"]}`)
	for desc, c := range map[string][2]string{
		"no token": {aURI, ""}, "B's token": {aURI, bTok}, "a made-up token": {aURI, models.NewRegistrationAccessToken()},
		"a portal project": {e.portal.URL + "/oauth/register/" + portal.ID, aTok},
	} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			res, _, raw := regCall(t, e, m, c[0], c[1], "application/json", update)
			wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
			if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", m, desc, res.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if p, err := e.store.ProjectFor(ctx, rt.owner.actor, aID); err != nil || p.Name != "A" {
		t.Fatalf("hostile calls changed A: %+v (%v)", p, err)
	}
	if _, err := e.store.ProjectFor(ctx, rt.owner.actor, portal.ID); err != nil {
		t.Fatalf("hostile calls deleted the portal project: %v", err)
	}

	// Update: full replacement, same validation.
	res, _, raw = regCall(t, e, http.MethodPut, aURI, aTok, "application/json", []byte(`{"client_id":"`+aID+`","redirect_uris":["http://evil.example/cb"]}`))
	wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_redirect_uri")
	res, body, raw = regCall(t, e, http.MethodPut, aURI, aTok, "application/json",
		[]byte(`{"client_id":"`+aID+`","client_name":"A v2","redirect_uris":["https://app.example/v2"],"grant_types":["authorization_code"]}`))
	if res.StatusCode != http.StatusOK || body["client_name"] != "A v2" {
		t.Fatalf("update: %d %s", res.StatusCode, raw)
	}
	p, err := e.store.ProjectFor(ctx, rt.owner.actor, aID)
	if err != nil || p.Name != "A v2" || p.RedirectURIs != "https://app.example/v2" || p.AllowsGrant(models.GrantClientCredentials) {
		t.Errorf("project after update: %+v (%v)", p, err)
	}

	// Delete: 204, the project goes, the token is useless after.
	res, _, raw = regCall(t, e, http.MethodDelete, aURI, aTok, "", nil)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, raw)
	}
	if _, err := e.store.ProjectFor(ctx, rt.owner.actor, aID); err == nil {
		t.Error("the project survived its deletion")
	}
	res, _, raw = regCall(t, e, http.MethodGet, aURI, aTok, "", nil)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")

	// Deleting B in the portal makes its token useless.
	if err := e.store.DeleteProject(ctx, rt.owner.actor, bID); err != nil {
		t.Fatal(err)
	}
	res, _, raw = regCall(t, e, http.MethodGet, bURI, bTok, "", nil)
	wantRegError(t, res, raw, http.StatusUnauthorized, "invalid_token")
}

// The team's Settings tab: owners and admins choose the registration policy, create an
// initial access token (shown once), see it listed with its uses and last use, and
// revoke it after confirming; developers see none of it.
func TestRegistrationSettingsPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "reg-owner@example.com")
	tm, err := e.store.CreateTeam(ctx, owner.actor, "Agents", "")
	if err != nil {
		t.Fatal(err)
	}
	team := tm.ID
	dev := signedInMember(t, e, "reg-dev@example.com")
	_, inv, err := e.store.CreateInvitation(ctx, owner.actor, team, models.RoleDeveloper, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AcceptInvitation(ctx, dev.actor, inv); err != nil {
		t.Fatal(err)
	}
	settingsPath := views.TeamTabPath(team, views.TeamTabSettings)

	page := doc(t, owner.b.get(settingsPath))
	if _, ok := page.Find(`[data-testid="registration-policy-off"]`).Attr("checked"); !ok {
		t.Error("off is not the chosen policy of a new team")
	}
	if got := page.Find(`[data-testid="registration-endpoint"]`).Text(); got != e.portal.URL+"/oauth/register" {
		t.Errorf("endpoint shown: %q", got)
	}
	if page.Find(`[data-testid="registration-tokens-empty"]`).Length() != 1 {
		t.Error("no empty state for tokens")
	}
	if n := doc(t, dev.b.get(settingsPath)).Find(`[data-testid="registration"]`).Length(); n != 0 {
		t.Error("a developer sees the registration section")
	}

	// The policy, refused and saved.
	res := owner.b.post(views.TeamRegistrationPolicyPath(team), url.Values{"_csrf": {owner.csrf}, "registration_policy": {"anyone"}}, nil)
	if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "off, token or open") {
		t.Errorf("policy anyone: %d", res.StatusCode)
	}
	res = owner.b.post(views.TeamRegistrationPolicyPath(team), url.Values{"_csrf": {owner.csrf}, "registration_policy": {"token"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set token: %d %s", res.StatusCode, readBody(res))
	}
	page = doc(t, owner.b.get(settingsPath))
	if _, ok := page.Find(`[data-testid="registration-policy-token"]`).Attr("checked"); !ok {
		t.Error("token is not shown as chosen")
	}
	if note := page.Find(`[data-testid="registration-open-note"]`).Text(); !strings.Contains(note, "does not send") {
		t.Errorf("open note without an operator's team: %q", note)
	}

	// A token: a bad limit is refused with the form kept, then created and shown once.
	form := url.Values{"_csrf": {owner.csrf}, "label": {"Claude <b>desktop</b>"}, "expires_in_days": {"30"}, "max_uses": {"many"},
		"form_token": {models.NewIdempotencyKey()}}
	res = owner.b.post(views.TeamRegistrationTokensPath(team), form, nil)
	refused := doc(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity || refused.Find(`[data-testid="registration-token-label-input"]`).AttrOr("value", "") != "Claude <b>desktop</b>" ||
		!strings.Contains(refused.Find(`[data-testid="registration"] [data-testid="field-error"]`).Text(), "no limit") {
		t.Errorf("bad max_uses: %d", res.StatusCode)
	}
	form.Set("max_uses", "2")
	res = owner.b.post(views.TeamRegistrationTokensPath(team), form, nil)
	shown := doc(t, res)
	tok := strings.TrimSpace(shown.Find(`[data-testid="secret"]`).Text())
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(tok, "ghiat_") || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("create: %d, token %q, Cache-Control %q", res.StatusCode, tok, res.Header.Get("Cache-Control"))
	}
	if strings.TrimSpace(shown.Find(`[data-testid="new-registration-token-uses"]`).Text()) != "at most 2" {
		t.Errorf("the new token's limit: %q", shown.Find(`[data-testid="new-registration-token-uses"]`).Text())
	}
	rres, _, raw := register(t, e, tok, `{"grant_types":["client_credentials"]}`)
	if rres.StatusCode != http.StatusCreated {
		t.Fatalf("register with the new token: %d %s", rres.StatusCode, raw)
	}

	raw = readBody(owner.b.get(settingsPath))
	if strings.Contains(raw, tok) || strings.Contains(raw, "<b>desktop") {
		t.Error("the settings page shows the token again, or the label unescaped")
	}
	page = doc(t, owner.b.get(settingsPath))
	row := page.Find(`[data-testid="registration-token-row"]`)
	if row.Length() != 1 || row.AttrOr("data-status", "") != "active" ||
		strings.TrimSpace(row.Find(`[data-testid="registration-token-uses"]`).Text()) != "1 of 2" ||
		row.Find(`[data-testid="registration-token-last-used"]`).AttrOr("data-never", "") == "true" ||
		strings.TrimSpace(row.Find(`[data-testid="registration-token-hint"]`).Text()) != "ghiat_…"+tok[len(tok)-4:] {
		t.Fatalf("token row: %s", func() string { h, _ := row.Html(); return h }())
	}
	if q := row.Find(`[data-testid="confirm-question"]`).Text(); !strings.Contains(q, "clients it registered stay") {
		t.Errorf("revoke asks %q", q)
	}
	action := row.Find(`[data-testid="registration-token-revoke-form"]`).AttrOr("action", "")
	if res := dev.b.post(action, url.Values{"_csrf": {dev.csrf}}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer revokes: %d", res.StatusCode)
	}
	if res := owner.b.post(action, url.Values{"_csrf": {owner.csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if s := doc(t, owner.b.get(settingsPath)).Find(`[data-testid="registration-token-row"]`).AttrOr("data-status", ""); s != "revoked" {
		t.Errorf("status after revoke: %q", s)
	}
	rres, _, raw = register(t, e, tok, `{"grant_types":["client_credentials"]}`)
	wantRegError(t, rres, raw, http.StatusUnauthorized, "invalid_token")

	evs, _, err := e.store.AuditLog(ctx, owner.actor, team, models.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		if strings.Contains(ev.Details, tok) {
			t.Errorf("audit event %s holds the token", ev.Action)
		}
	}
	for _, want := range []string{"team.registration_policy", "initial_token.create", "client.register", "initial_token.revoke"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
}
