package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// The attack found from outside: a user of another team names team A's API as an
// audience, by any spelling and through any door, to mint credentials for it. None works.
func TestNoCredentialsForAnotherTeamsAPI(t *testing.T) {
	e := newEnv(t, behindProxy)
	ctx := context.Background()
	alice := newOAuthClient(t, e, "alice-owner@example.com") // owns the orders API
	mallory := newPKClient(t, e, "mallory@example.com")      // another team, secrets and private_key_jwt
	victim := alice.api.Identifier
	if victim != "orders-api" {
		t.Fatalf("the victim API is %q, want orders-api", victim)
	}
	v := occVerifier(t, e, victim)

	spellings := []string{victim, "ORDERS-API", "Orders-Api", " orders-api", "orders-api ", "orders%2Dapi"}
	cc := func(extra url.Values) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}}
		for k, vs := range extra {
			f[k] = vs
		}
		return f
	}
	var attempts []struct {
		name string
		form url.Values
		auth func(url.Values) (*http.Response, map[string]any, string)
	}
	basic := func(f url.Values) (*http.Response, map[string]any, string) {
		return oauthPost(t, e, "/oauth/token", f, mallory.project.ID, mallory.secret)
	}
	assertion := func(f url.Values) (*http.Response, map[string]any, string) {
		return oauthPost(t, e, "/oauth/token", mallory.clientAuth(mallory.assertion(t, nil), f), "", "")
	}
	bearer := func(f url.Values) (*http.Response, map[string]any, string) {
		g := url.Values{"grant_type": {models.GrantJWTBearer}, "assertion": {mallory.assertion(t, nil)}}
		for k, vs := range f {
			if k != "grant_type" {
				g[k] = vs
			}
		}
		return oauthPost(t, e, "/oauth/token", g, "", "")
	}
	for _, sp := range spellings {
		for _, door := range []struct {
			name string
			auth func(url.Values) (*http.Response, map[string]any, string)
		}{{"secret", basic}, {"private_key_jwt", assertion}, {"jwt-bearer", bearer}} {
			attempts = append(attempts,
				struct {
					name string
					form url.Values
					auth func(url.Values) (*http.Response, map[string]any, string)
				}{door.name + " resource=" + sp, cc(url.Values{"resource": {sp}}), door.auth},
				struct {
					name string
					form url.Values
					auth func(url.Values) (*http.Response, map[string]any, string)
				}{door.name + " audience=" + sp, cc(url.Values{"audience": {sp}}), door.auth},
				struct {
					name string
					form url.Values
					auth func(url.Values) (*http.Response, map[string]any, string)
				}{door.name + " repeated resource " + sp, cc(url.Values{"resource": {mallory.api.Identifier, sp}}), door.auth},
			)
		}
	}
	for _, a := range attempts {
		res, body, raw := a.auth(a.form)
		if res.StatusCode == http.StatusOK {
			tok, _ := body["access_token"].(string)
			if _, err := v.Verify(ctx, tok); err == nil {
				t.Errorf("%s: the victim API accepts the token: %s", a.name, raw)
			} else {
				t.Errorf("%s: a token was issued (%s), want invalid_target", a.name, raw)
			}
			continue
		}
		if !strings.Contains(raw, "invalid_target") && !strings.Contains(raw, "invalid_request") {
			t.Errorf("%s: %d %s, want invalid_target (or invalid_request for a malformed form)", a.name, res.StatusCode, raw)
		}
	}
	// Mallory's own token is for her API only, and the victim rejects it.
	res, body, raw := basic(cc(nil))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mallory's own token: %d %s", res.StatusCode, raw)
	}
	if _, err := v.Verify(ctx, body["access_token"].(string)); !errors.Is(err, verify.ErrAudience) {
		t.Errorf("the victim API with mallory's own token: %v, want ErrAudience", err)
	}

	// API keys: the key form cannot name the victim's API (not granted, whatever is posted).
	_, alicesAPI := alice.api.ID, alice.api
	form := url.Values{"_csrf": {mallory.owner.csrf}, "name": {"steal"}, "api": {alicesAPI.ID}, "expires_in_days": {"30"},
		"form_token": {models.NewIdempotencyKey()}, "audiences": {victim}}
	res = mallory.owner.b.post("/projects/"+mallory.project.ID+"/keys", form, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("key for another team's API: %d, want 422", res.StatusCode)
	}
	if keys, err := e.store.APIKeys(ctx, mallory.owner.actor, mallory.project.ID); err != nil {
		t.Fatalf("APIKeys: %v", err)
	} else if len(keys) != 0 {
		t.Errorf("a key was issued: %+v", keys)
	}

	// Registering the API again in another spelling is refused.
	for _, sp := range []string{"ORDERS-API", "Orders-API"} {
		res := mallory.owner.b.post("/apis", url.Values{"_csrf": {mallory.owner.csrf}, "team_id": {mallory.project.TeamID}, "name": {"Squat"},
			"identifier": {sp}, "accepts_api_keys": {"1"}, "form_token": {models.NewIdempotencyKey()}}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, res).Find(`[data-testid="field-error"]`).Text(), "already registered") {
			t.Errorf("registering %q: %d, want 422 'already registered'", sp, res.StatusCode)
		}
	}

	// Asking for access is the only way in — and only the API's team decides.
	apiPage := "/apis/" + alicesAPI.ID
	res = mallory.owner.b.get(apiPage)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("an unlisted API of another team: %d, want 404", res.StatusCode)
	}
}

// An API's team introspects what its API receives, whoever's project it was issued to;
// other teams learn nothing.
func TestAPIOwnerIntrospects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := newOAuthClient(t, e, "introspect-owner@example.com")
	client := newOAuthClient(t, e, "introspect-client@example.com")
	stranger := newOAuthClient(t, e, "introspect-stranger@example.com")
	// Client's project asks for and gets access to the owner's API.
	listed := models.APIInput{Name: "Orders", Identifier: owner.api.Identifier, AcceptsAPIKeys: true, AcceptsAccessTokens: true, Listed: true,
		Scopes: []models.ScopeInput{{Name: "orders:read"}, {Name: "orders:write"}}}
	if err := e.store.UpdateAPI(ctx, owner.owner.actor, owner.api.ID, listed); err != nil {
		t.Fatal(err)
	}
	req, err := e.store.RequestAccess(ctx, client.owner.actor, owner.api.ID, client.project.ID, []string{"orders:read"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.DecideRequest(ctx, owner.owner.actor, owner.api.ID, req.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	_, key, err := e.store.CreateAPIKey(ctx, client.owner.actor, client.project.ID, models.APIKeyInput{Name: "k", API: owner.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, tok, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {owner.api.Identifier}},
		client.project.ID, client.secret)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("client's token for the owner's API: %d %s", res.StatusCode, raw)
	}
	for _, cred := range []string{key, tok["access_token"].(string)} {
		_, body, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {cred}}, owner.project.ID, owner.secret)
		if body["active"] != true || body["sub"] != client.project.ID || body["team"] != client.project.TeamID {
			t.Errorf("the API's team introspects a credential for its API: %s, want active", raw)
		}
		_, _, raw = oauthPost(t, e, "/oauth/introspect", url.Values{"token": {cred}}, stranger.project.ID, stranger.secret)
		if raw != `{"active":false}`+"\n" {
			t.Errorf("a stranger introspects: %s, want inactive", raw)
		}
	}
}
