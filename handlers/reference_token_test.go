package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
)

// referenceSettings posts a project's settings form with an access token format.
func referenceSettings(t *testing.T, m *member, p *models.Project, format string, grantTypes ...string) *http.Response {
	t.Helper()
	return m.b.post("/projects/"+p.ID+"/settings", url.Values{"_csrf": {m.csrf}, "name": {p.Name}, "token_ttl_minutes": {"15"},
		"grant_types": grantTypes, "access_token_format": {format}}, nil)
}

// introspectAs posts /oauth/introspect as a client with an Accept header.
func introspectAs(t *testing.T, e *env, id, secret, token, accept string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestReferenceTokensEndpoints is the phantom-token flow through the real endpoints:
// the app (a project of the orders API's team) switches to reference tokens on its
// settings page; client credentials, the authorization code and the refresh grant then
// give it ghat_ tokens; A (the orders API's resource server) introspects them (plain and RFC 9701)
// and exchanges them for the JWT, which verify accepts; another team's project learns
// nothing; once the app revokes a reference token, introspection and exchange say so.
func TestReferenceTokensEndpoints(t *testing.T) {
	x := newExchangeChain(t)
	e, app := x.a.e, x.a.project
	ctx := context.Background()
	orders := x.a.api.Identifier

	// A format the portal does not know is refused and changes nothing.
	res := referenceSettings(t, x.a.dev, app, "opaque", models.GrantClientCredentials, models.GrantAuthorizationCode)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("format opaque: %d, want 422", res.StatusCode)
	}
	if p, err := e.store.AuthorizationClient(ctx, app.ID); err != nil || p.AccessTokenFormat != models.AccessTokenFormatJWT {
		t.Fatalf("after a refused change: %q %v", p.AccessTokenFormat, err)
	}
	if res := referenceSettings(t, x.a.dev, app, "reference", models.GrantClientCredentials, models.GrantAuthorizationCode); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", res.StatusCode, readBody(res))
	}
	page := readBody(x.a.dev.b.get("/projects/" + app.ID + "/settings"))
	if !strings.Contains(page, `data-testid="settings-format-reference"`) || !strings.Contains(page, `value="reference" checked`) {
		t.Error("the settings page does not show the reference format chosen")
	}

	// Client credentials: a reference token, not a JWT.
	res, body, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {orders}}, app.ID, x.a.secret)
	ref, _ := body["access_token"].(string)
	if res.StatusCode != http.StatusOK || !models.WellFormedReferenceToken(ref) || body["expires_in"] != float64(900) {
		t.Fatalf("client credentials for a reference project: %d %s", res.StatusCode, raw)
	}
	// The authorization code: Alice's token is a reference token too.
	cfg := x.a.config(acRedirect, "orders:read")
	verifier := oauth2.GenerateVerifier()
	b := e.browser()
	b.mustSignIn("alice@example.com")
	// Alice consented already (newExchangeChain): the app is sent straight back.
	q := x.a.callback(t, mustGet(t, b, x.a.authURL(cfg, "st2", verifier)), acRedirect, "st2")
	userTok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	userRef := userTok.AccessToken
	if !models.WellFormedReferenceToken(userRef) {
		t.Fatalf("authorization code for a reference project gave %q", userRef)
	}

	// With offline_access, the refresh grant's access tokens are reference tokens too.
	offlineCfg := x.a.config(acRedirect, "orders:read", "offline_access")
	offline := x.a.authorizeOffline(t, b, offlineCfg)
	if !models.WellFormedReferenceToken(offline.AccessToken) || !strings.HasPrefix(offline.RefreshToken, models.RefreshTokenPrefix) {
		t.Fatalf("offline access for a reference project: access %q, refresh %q", offline.AccessToken, offline.RefreshToken)
	}
	refreshed, err := refreshWith(offlineCfg, offline.RefreshToken)
	if err != nil || !models.WellFormedReferenceToken(refreshed.AccessToken) || refreshed.AccessToken == offline.AccessToken {
		t.Fatalf("refresh grant for a reference project: %v %v", refreshed, err)
	}

	// Introspection by A, of the orders API's team: active, Alice's claims.
	res, raw = introspectAs(t, e, x.projA, x.secretA, userRef, "")
	var in map[string]any
	if err := json.Unmarshal([]byte(raw), &in); err != nil || res.StatusCode != http.StatusOK || in["active"] != true ||
		in["sub"] != x.userSub || in["client_id"] != app.ID || in["credential_type"] != "reference_token" || in["aud"] == nil {
		t.Fatalf("introspection by A: %d %s", res.StatusCode, raw)
	}
	// RFC 9701: the same answer as a JWT signed by the portal, for A.
	res, raw = introspectAs(t, e, x.projA, x.secretA, userRef, "application/json;q=0.5, application/token-introspection+jwt")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/token-introspection+jwt" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("introspection as a JWT: %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	var signed struct {
		jwt.Claims
		TokenIntrospection map[string]any `json:"token_introspection"`
	}
	if typ := verifyWithPortalJWKS(t, e, raw, &signed); typ != "token-introspection+jwt" {
		t.Errorf("typ %q", typ)
	}
	if signed.Issuer != e.portal.URL || len(signed.Audience) != 1 || signed.Audience[0] != x.projA || signed.IssuedAt == nil ||
		signed.TokenIntrospection["sub"] != x.userSub || signed.TokenIntrospection["active"] != true {
		t.Errorf("signed introspection: %+v", signed)
	}
	// Another team's project: exactly inactive, signed or not.
	if res, raw := introspectAs(t, e, x.projB, x.secretB, userRef, ""); res.StatusCode != http.StatusOK || raw != `{"active":false}`+"\n" {
		t.Errorf("introspection by another team: %d %q", res.StatusCode, raw)
	}

	// The gateway path: A exchanges the reference token for the JWT; verify accepts it.
	asJWT := exchangeForm(userRef, "", "requested_token_type", models.TokenTypeJWT)
	asJWT.Del("resource")
	res, body, raw = oauthPost(t, e, "/oauth/token", asJWT, x.projA, x.secretA)
	if res.StatusCode != http.StatusOK || body["issued_token_type"] != models.TokenTypeJWT {
		t.Fatalf("exchange for the JWT: %d %s", res.StatusCode, raw)
	}
	p, err := occVerifier(t, e, orders).Verify(ctx, body["access_token"].(string))
	if err != nil || p.Subject != x.userSub || p.ClientID != app.ID || len(p.Actors) != 0 {
		t.Fatalf("orders verifies %+v %v: want Alice's token issued to the app", p, err)
	}
	// A reference project asking for the JWT still gets the JWT.
	pa, err := e.store.AuthorizationClient(ctx, x.projA)
	if err != nil {
		t.Fatal(err)
	}
	if res := referenceSettings(t, x.a.dev, pa, "reference", models.GrantTokenExchange); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("A's settings: %d", res.StatusCode)
	}
	if res, body, raw := oauthPost(t, e, "/oauth/token", asJWT, x.projA, x.secretA); res.StatusCode != http.StatusOK ||
		strings.HasPrefix(body["access_token"].(string), "ghat_") {
		t.Errorf("a reference gateway's exchange for the JWT: %d %s", res.StatusCode, raw)
	}
	// …while its exchange for billing (a token it will send out) is a reference token.
	if res, body, raw := oauthPost(t, e, "/oauth/token", exchangeForm(userRef, x.billing.Identifier), x.projA, x.secretA); res.StatusCode != http.StatusOK ||
		!models.WellFormedReferenceToken(body["access_token"].(string)) || body["issued_token_type"] != models.TokenTypeAccessToken {
		t.Errorf("a reference project's exchange for billing: %d %s", res.StatusCode, raw)
	}
	// Another team's project may not have the JWT.
	res, _, raw = oauthPost(t, e, "/oauth/token", asJWT, x.projB, x.secretB)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidGrant)

	// Revocation: B's attempt is answered 200 and changes nothing; the app's ends it.
	for _, who := range []struct{ id, secret string }{{x.projB, x.secretB}, {app.ID, x.a.secret}} {
		if res, _, raw := oauthPost(t, e, "/oauth/revoke", url.Values{"token": {userRef}}, who.id, who.secret); res.StatusCode != http.StatusOK {
			t.Fatalf("revoke by %s: %d %s", who.id, res.StatusCode, raw)
		}
		_, raw := introspectAs(t, e, x.projA, x.secretA, userRef, "")
		if active := !strings.Contains(raw, `"active":false`); active != (who.id == x.projB) {
			t.Errorf("after revocation by %s: %s", who.id, raw)
		}
	}
	res, _, raw = oauthPost(t, e, "/oauth/token", asJWT, x.projA, x.secretA)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidGrant)
	// The other reference token is untouched.
	if _, raw := introspectAs(t, e, x.projA, x.secretA, ref, ""); !strings.Contains(raw, `"active":true`) {
		t.Errorf("the client-credentials reference token after revoking Alice's: %s", raw)
	}

	// The management API reads and changes the format.
	oc := &apiClient{t: t, e: e, doc: loadOpenAPI(t, e), token: createPATViaPage(t, x.a.dev, url.Values{"name": {"ops"}, "scope": {"write"}, "expires_in_days": {"7"}})}
	g := oc.call("GET", "/projects/"+app.ID, nil, nil).want(t, http.StatusOK)
	if g.json(t)["access_token_format"] != "reference" {
		t.Errorf("GET project: %v", g.json(t))
	}
	oc.call("PATCH", "/projects/"+app.ID, map[string]any{"access_token_format": ""}, ifMatch(g.etag(t))).want(t, http.StatusUnprocessableEntity)
	u := oc.call("PATCH", "/projects/"+app.ID, map[string]any{"access_token_format": "jwt"}, ifMatch(g.etag(t))).want(t, http.StatusOK)
	if u.json(t)["access_token_format"] != "jwt" {
		t.Errorf("after PATCH: %v", u.json(t))
	}
	res, body, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {orders}}, app.ID, x.a.secret)
	if tok, _ := body["access_token"].(string); res.StatusCode != http.StatusOK || strings.Count(tok, ".") != 2 {
		t.Errorf("client credentials after switching back to JWT: %d %s", res.StatusCode, raw)
	}
	events, _, err := e.store.AuditEvents(ctx, x.a.dev.actor, app.TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var audited int
	for _, ev := range events {
		if ev.Action == "project.update" && strings.Contains(ev.Details, "access_token_format") {
			audited++
		}
	}
	if audited < 2 {
		t.Errorf("project.update events naming access_token_format: %d, want 2 (page and API)", audited)
	}
}

// verifyWithPortalJWKS verifies a compact JWS against the portal's JWKS and returns its typ.
func verifyWithPortalJWKS(t *testing.T, e *env, tok string, out any) string {
	t.Helper()
	res, err := http.Get(e.portal.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(readBody(res)), &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", parsed.Headers[0].KeyID)
	}
	if err := parsed.Claims(keys[0].Key, out); err != nil {
		t.Fatal(err)
	}
	typ, _ := parsed.Headers[0].ExtraHeaders[jose.HeaderType].(string)
	return typ
}

// TestReferenceTokensJWTBearer: the JWT bearer grant (RFC 7523) of a reference project
// answers a reference token, which its own project can introspect.
func TestReferenceTokensJWTBearer(t *testing.T) {
	e := newEnv(t)
	c := newPKClient(t, e, "bearer@example.com")
	p := c.project
	if err := e.store.UpdateProject(context.Background(), c.owner.actor, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantJWTBearer}, AccessTokenFormat: models.AccessTokenFormatReference}); err != nil {
		t.Fatal(err)
	}
	res, body, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {models.GrantJWTBearer}, "assertion": {c.assertion(t, nil)}}, "", "")
	ref, _ := body["access_token"].(string)
	if res.StatusCode != http.StatusOK || !models.WellFormedReferenceToken(ref) {
		t.Fatalf("JWT bearer for a reference project: %d %s", res.StatusCode, raw)
	}
	if _, raw := introspectAs(t, e, p.ID, c.secret, ref, ""); !strings.Contains(raw, `"active":true`) || !strings.Contains(raw, `"client_id":"`+p.ID+`"`) {
		t.Errorf("introspection of the JWT bearer grant's reference token: %s", raw)
	}
}
