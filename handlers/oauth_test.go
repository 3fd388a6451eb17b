package handlers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// oauthClient is a project with a live client secret, holding one grant: on its team's
// API "orders-api" (or orders-api-2… when another client of the same portal has that
// one) with orders:read and orders:write.
type oauthClient struct {
	project *models.Project
	secret  string
	owner   *member
	api     *models.API
}

// newOAuthClient signs a user in and prepares their first project as an OAuth client.
func newOAuthClient(t testing.TB, e *env, email string) *oauthClient {
	t.Helper()
	ctx := context.Background()
	m := signedInMember(t, e, email)
	projects, err := e.store.ProjectsOf(ctx, m.actor)
	if err != nil {
		t.Fatalf("ProjectsOf: %v", err)
	}
	p := projects[0].Project
	api := onlyAPI(t, e, m, &p, "orders-api", "orders:read", "orders:write")
	_, secret, err := e.store.CreateClientSecret(ctx, m.actor, p.ID, "ci", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.store.ProjectFor(ctx, m.actor, p.ID)
	if err != nil {
		t.Fatalf("ProjectFor: %v", err)
	}
	return &oauthClient{project: &pv.Project, secret: secret, owner: m, api: api}
}

// oauthPost posts a form to an OAuth endpoint with optional Basic credentials.
func oauthPost(t *testing.T, e *env, path string, form url.Values, basicID, basicSecret string) (*http.Response, map[string]any, string) {
	t.Helper()
	return oauthPostFrom(t, e, "", path, form, basicID, basicSecret)
}

// oauthPostFrom is oauthPost with an X-Forwarded-For header (none when xff is "") and
// a DPoP header per proof.
func oauthPostFrom(t *testing.T, e *env, xff, path string, form url.Values, basicID, basicSecret string, proofs ...string) (*http.Response, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.portal.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	if basicID != "" || basicSecret != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(basicID+":"+basicSecret)))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw := readBody(res)
	var body map[string]any
	_ = json.Unmarshal([]byte(raw), &body)
	return res, body, raw
}

// wantOAuthError checks an exact RFC 6749 §5.2 error response.
func wantOAuthError(t *testing.T, res *http.Response, raw string, status int, code string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", res.StatusCode, status, raw)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %s is not exactly {error, error_description}: %v", raw, err)
	}
	if body.Error != code || body.Description == "" {
		t.Errorf("error = %q (%q), want %q with a description", body.Error, body.Description, code)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("error response Cache-Control = %q, want no-store", res.Header.Get("Cache-Control"))
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("401 without a Basic WWW-Authenticate challenge")
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "client@example.com")
	id := cl.project.ID
	grant := url.Values{"grant_type": {"client_credentials"}}

	t.Run("ClientSecretBasic", func(t *testing.T) {
		res, body, raw := oauthPost(t, e, "/oauth/token", grant, id, cl.secret)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, raw)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
			t.Errorf("Cache-Control %q Pragma %q, want no-store / no-cache", res.Header.Get("Cache-Control"), res.Header.Get("Pragma"))
		}
		if body["token_type"] != "Bearer" || body["expires_in"] != float64(900) || body["scope"] != "orders:read orders:write" {
			t.Errorf("body = %v", body)
		}
		if _, ok := body["refresh_token"]; ok {
			t.Error("a refresh_token was issued")
		}
		var claims models.AccessTokenClaims
		verifyOverHTTP(t, e.browser(), body["access_token"].(string), models.TypAccessToken, &claims)
		if claims.Subject != id || claims.ClientID != id || claims.Issuer != e.portal.URL || len(claims.Audience) != 1 ||
			claims.Audience[0] != cl.api.Identifier || claims.Team != cl.project.TeamID {
			t.Errorf("claims = %+v", claims)
		}
	})

	t.Run("ClientSecretPost", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {cl.secret}, "scope": {"orders:read"},
			"resource": {cl.api.Identifier}}
		res, body, raw := oauthPost(t, e, "/oauth/token", form, "", "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, raw)
		}
		var claims models.AccessTokenClaims
		verifyOverHTTP(t, e.browser(), body["access_token"].(string), models.TypAccessToken, &claims)
		if claims.Scope != "orders:read" || len(claims.Audience) != 1 || claims.Audience[0] != cl.api.Identifier {
			t.Errorf("scope %q aud %v, want orders:read and [%s]", claims.Scope, claims.Audience, cl.api.Identifier)
		}
	})

	t.Run("BasicCredentialsAreFormURLEncoded", func(t *testing.T) {
		// RFC 6749 §2.3.1: encode before base64. "prj_" encoded as "prj%5F" must still work.
		res, _, raw := oauthPost(t, e, "/oauth/token", grant, strings.Replace(id, "_", "%5F", 1), url.QueryEscape(cl.secret))
		if res.StatusCode != http.StatusOK {
			t.Errorf("percent-encoded Basic credentials: %d %s", res.StatusCode, raw)
		}
		res, _, raw = oauthPost(t, e, "/oauth/token", grant, id, cl.secret+"%zz")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("WrongSecretAndUnknownClientLookAlike", func(t *testing.T) {
		other := models.NewClientSecret()
		r1, _, raw1 := oauthPost(t, e, "/oauth/token", grant, id, other)
		r2, _, raw2 := oauthPost(t, e, "/oauth/token", grant, "prj_aaaaaaaaaaaaaaaaaaaaaaaaaa", cl.secret)
		last := "x" // a different last character, whatever the secret ends with
		if strings.HasSuffix(cl.secret, last) {
			last = "y"
		}
		r3, _, raw3 := oauthPost(t, e, "/oauth/token", grant, id, cl.secret[:len(cl.secret)-1]+last)
		wantOAuthError(t, r1, raw1, http.StatusUnauthorized, "invalid_client")
		wantOAuthError(t, r2, raw2, http.StatusUnauthorized, "invalid_client")
		wantOAuthError(t, r3, raw3, http.StatusUnauthorized, "invalid_client")
		if raw1 != raw2 || raw2 != raw3 {
			t.Errorf("bodies differ:\n%s\n%s\n%s", raw1, raw2, raw3)
		}
	})

	t.Run("RequestShape", func(t *testing.T) {
		both := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {cl.secret}}
		res, _, raw := oauthPost(t, e, "/oauth/token", both, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")

		req, _ := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/token?client_id="+id+"&client_secret="+cl.secret, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		qres, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wantOAuthError(t, qres, readBody(qres), http.StatusBadRequest, "invalid_request")

		gres, err := http.Get(e.portal.URL + "/oauth/token?grant_type=client_credentials")
		if err != nil {
			t.Fatal(err)
		}
		if gres.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /oauth/token = %d, want 405", gres.StatusCode)
		}

		jreq, _ := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		jreq.Header.Set("Content-Type", "application/json")
		jres, _ := http.DefaultClient.Do(jreq)
		wantOAuthError(t, jres, readBody(jres), http.StatusBadRequest, "invalid_request")

		res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")

		res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{}, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")

		res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"password"}}, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "unsupported_grant_type")

		res, _, raw = oauthPost(t, e, "/oauth/token", grant, "", "")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("ScopeAndTarget", func(t *testing.T) {
		res, _, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read admin"}}, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_scope")
		res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {"payments-api"}}, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_target")
	})

	t.Run("GrantNotAllowed", func(t *testing.T) {
		ctx := context.Background()
		p := cl.project
		if err := e.store.UpdateProject(ctx, cl.owner.actor, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: 15}); err != nil {
			t.Fatal(err)
		}
		res, _, raw := oauthPost(t, e, "/oauth/token", grant, id, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "unauthorized_client")
		if err := e.store.UpdateProject(ctx, cl.owner.actor, p.ID, models.ProjectSettings{Name: p.Name,
			TokenTTLMinutes: 15, GrantTypes: []string{models.GrantClientCredentials}}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSecretRotationAndDeletion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "rotate@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}
	next, newSecret, err := e.store.CreateClientSecret(ctx, cl.owner.actor, cl.project.ID, "next", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cl.secret, newSecret} {
		if res, _, raw := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, s); res.StatusCode != http.StatusOK {
			t.Errorf("during rotation a live secret failed: %d %s", res.StatusCode, raw)
		}
	}
	secrets, err := e.store.ClientSecrets(ctx, cl.owner.actor, cl.project.ID)
	if err != nil {
		t.Fatalf("ClientSecrets: %v", err)
	}
	for _, s := range secrets {
		if s.ID != next.ID {
			if err := e.store.RevokeClientSecret(ctx, cl.owner.actor, cl.project.ID, s.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, _, raw := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, cl.secret)
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	if res, _, _ := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, newSecret); res.StatusCode != http.StatusOK {
		t.Error("the new secret stopped working when the old one was revoked")
	}
	// Expiry.
	_, short, err := e.store.CreateClientSecret(ctx, cl.owner.actor, cl.project.ID, "short", 24*time.Hour, "")
	if err != nil {
		t.Fatalf("CreateClientSecret: %v", err)
	}
	e.advance(25 * time.Hour)
	res, _, raw = oauthPost(t, e, "/oauth/token", grant, cl.project.ID, short)
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	// A deleted project's secrets stop working.
	if err := e.store.DeleteProject(ctx, cl.owner.actor, cl.project.ID); err != nil {
		t.Fatal(err)
	}
	res, _, raw = oauthPost(t, e, "/oauth/token", grant, cl.project.ID, newSecret)
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
}

func TestIntrospection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newOAuthClient(t, e, "intro-a@example.com")
	// A second project in A's team, and a project of another team.
	sibling, err := e.store.CreateProject(ctx, a.owner.actor, a.project.TeamID, "Sibling", "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, siblingSecret, err := e.store.CreateClientSecret(ctx, a.owner.actor, sibling.ID, "s", 0, "")
	if err != nil {
		t.Fatalf("CreateClientSecret: %v", err)
	}
	other := newOAuthClient(t, e, "intro-b@example.com")

	_, tokBody, _ := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, a.project.ID, a.secret)
	at := tokBody["access_token"].(string)
	key, apiKey, err := e.store.CreateAPIKey(ctx, a.owner.actor, a.project.ID, models.APIKeyInput{Name: "k", Scopes: []string{"orders:read"},
		API: a.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(id, secret, token string) (int, string, map[string]any) {
		res, body, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {token}}, id, secret)
		return res.StatusCode, raw, body
	}

	for name, tc := range map[string]struct{ id, secret, token, kind string }{
		"OwnAccessToken":    {a.project.ID, a.secret, at, "access_token"},
		"OwnAPIKey":         {a.project.ID, a.secret, apiKey, "api_key"},
		"SameTeamOtherProj": {sibling.ID, siblingSecret, apiKey, "api_key"},
		"SameTeamAccessTok": {sibling.ID, siblingSecret, at, "access_token"},
	} {
		status, raw, body := introspect(tc.id, tc.secret, tc.token)
		if status != http.StatusOK || body["active"] != true || body["credential_type"] != tc.kind || body["client_id"] != a.project.ID ||
			body["sub"] != a.project.ID || body["exp"] == nil || body["iat"] == nil || body["token_type"] != "Bearer" {
			t.Errorf("%s: %d %s", name, status, raw)
		}
	}
	for name, token := range map[string]string{
		"Garbage": "garbage", "Tampered": apiKey[:len(apiKey)-3] + "AAA", "ClientSecret": a.secret,
	} {
		if status, raw, _ := introspect(a.project.ID, a.secret, token); status != http.StatusOK || raw != `{"active":false}`+"\n" {
			t.Errorf("%s: %d %q, want exactly {\"active\":false}", name, status, raw)
		}
	}
	// Another team's caller learns nothing.
	for _, token := range []string{at, apiKey} {
		if _, raw, _ := introspect(other.project.ID, other.secret, token); raw != `{"active":false}`+"\n" {
			t.Errorf("other team: %q, want inactive", raw)
		}
	}
	// Unauthenticated: 401.
	res, _, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {at}}, "", "")
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	// Revoked and expired: inactive.
	if err := e.store.RevokeAPIKey(ctx, a.owner.actor, a.project.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, raw, _ := introspect(a.project.ID, a.secret, apiKey); raw != `{"active":false}`+"\n" {
		t.Errorf("revoked key: %q", raw)
	}
	e.advance(16 * time.Minute)
	if _, raw, _ := introspect(a.project.ID, a.secret, at); raw != `{"active":false}`+"\n" {
		t.Errorf("expired access token: %q", raw)
	}
}

func TestRevocationEndpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newOAuthClient(t, e, "rev-a@example.com")
	b := newOAuthClient(t, e, "rev-b@example.com")
	key, apiKey, err := e.store.CreateAPIKey(ctx, a.owner.actor, a.project.ID, models.APIKeyInput{Name: "k", API: a.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ id, secret, token string }{
		"Unknown":         {a.project.ID, a.secret, "not-a-token"},
		"OtherProjectKey": {b.project.ID, b.secret, apiKey},
	} {
		res, _, raw := oauthPost(t, e, "/oauth/revoke", url.Values{"token": {tc.token}}, tc.id, tc.secret)
		if res.StatusCode != http.StatusOK || raw != "" {
			t.Errorf("%s: %d %q, want 200 and no body", name, res.StatusCode, raw)
		}
	}
	keys, err := e.store.APIKeys(ctx, a.owner.actor, a.project.ID)
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if keys[0].RevokedAt != nil {
		t.Fatal("project B revoked project A's key")
	}
	res, _, raw := oauthPost(t, e, "/oauth/revoke", url.Values{"token": {apiKey}, "token_type_hint": {"access_token"}}, a.project.ID, a.secret)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("own key: %d %s", res.StatusCode, raw)
	}
	keys, err = e.store.APIKeys(ctx, a.owner.actor, a.project.ID)
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if keys[0].RevokedAt == nil || keys[0].ID != key.ID {
		t.Error("the project's own key was not revoked")
	}
	res, _, raw = oauthPost(t, e, "/oauth/revoke", url.Values{"token": {apiKey}}, "", "")
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")

	// Usage counts show on the project page without a write per token.
	for i := 0; i < 3; i++ {
		oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, a.project.ID, a.secret)
	}
	d := doc(t, a.owner.b.get("/projects/"+a.project.ID))
	if got := d.Find(`[data-testid="usage-tokens-today"]`).Text(); got != "3" {
		t.Errorf("tokens today = %q, want 3", got)
	}
	if got := d.Find(`[data-testid="usage-revocations-week"]`).Text(); got != "1" {
		t.Errorf("revocations this week = %q, want 1", got)
	}
}

// benchClient is newOAuthClient for benchmarks.
func benchClient(b *testing.B, e *env) *oauthClient { return newOAuthClient(b, e, "bench@example.com") }

// apiKeyInput asks for a one-hour key for the client's API.
func apiKeyInput(c *oauthClient) models.APIKeyInput {
	return models.APIKeyInput{Name: "bench", API: c.api.ID, TTL: time.Hour}
}
