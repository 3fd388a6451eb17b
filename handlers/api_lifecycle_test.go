package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// postForm posts a form as m (with its CSRF token) and returns the response.
func (m *member) postForm(path string, form url.Values) *http.Response {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", m.csrf)
	return m.b.post(path, form, nil)
}

// TestAPIAccessLifecycleOverHTTP runs the whole life of cross-team access through the
// pages' forms: register, request, approve fewer scopes, token, key, narrow (the key is
// revoked and listed), revoke (no more tokens); the requester cannot decide; both audit
// logs hold every step.
func TestAPIAccessLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := signedInMember(t, e, "alice-api@example.com")
	bob := newOAuthClient(t, e, "bob-api@example.com")
	aliceTeam := mustTeamOf(t, e, alice)

	// Alice registers a listed API.
	res := alice.postForm("/apis", url.Values{"team_id": {aliceTeam}, "name": {"Payments"}, "identifier": {"https://payments.example.com/"},
		"scopes": {"pay:read Read payments\npay:write Make payments"}, "accepts_api_keys": {"1"}, "accepts_access_tokens": {"1"},
		"listed": {"1"}, "max_token_ttl_minutes": {"5"}, "max_key_ttl_days": {"0"}, "form_token": {models.NewIdempotencyKey()}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/apis/api_") {
		t.Fatalf("register: %d %s", res.StatusCode, readBody(res))
	}
	apiPath := res.Header.Get("Location")
	apiID := strings.TrimPrefix(apiPath, "/apis/")
	const identifier = "https://payments.example.com" // registered without the trailing slash

	// Bob sees it in the catalog and asks for both scopes.
	if body := readBody(bob.owner.b.get("/apis")); !strings.Contains(body, identifier) {
		t.Fatal("the listed API is not in Bob's catalog")
	}
	res = bob.owner.postForm(apiPath+"/requests", url.Values{"project": {bob.project.ID}, "scopes": {"pay:read", "pay:write"},
		"reason": {"refunds"}, "form_token": {models.NewIdempotencyKey()}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d %s", res.StatusCode, readBody(res))
	}
	reqs, err := e.store.APIRequests(ctx, alice.actor, apiID)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	reqPath := apiPath + "/requests/" + reqs[0].ID
	// Bob cannot approve his own request: the API is not his team's.
	if res := bob.owner.postForm(reqPath+"/approve", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("requester approves: %d, want 404", res.StatusCode)
	}
	// Alice approves pay:read only.
	if res := alice.postForm(reqPath+"/approve", url.Values{"scopes": {"pay:read"}, "note": {"read first"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", res.StatusCode, readBody(res))
	}
	// Bob's token for the API, in another spelling: only pay:read, capped at 5 minutes.
	_, body, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {"HTTPS://Payments.example.com/"}},
		bob.project.ID, bob.secret)
	if body["scope"] != "pay:read" || body["expires_in"] != float64(300) {
		t.Fatalf("token: %s, want pay:read for 300 s", raw)
	}
	v := occVerifier(t, e, identifier)
	if p, err := v.Verify(ctx, body["access_token"].(string)); err != nil || p.Project != bob.project.ID || p.API != identifier {
		t.Errorf("the API verifies the token: %+v %v", p, err)
	}
	// Bob's key for it, through the key form.
	res = bob.owner.postForm("/projects/"+bob.project.ID+"/keys", url.Values{"name": {"refunds"}, "api": {apiID}, "scopes": {"pay:read"},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create key: %d", res.StatusCode)
	}
	key := strings.TrimSpace(doc(t, res).Find(`[data-testid="secret"]`).Text())

	// Alice narrows the grant to nothing: the answer lists the revoked key.
	grants, err := e.store.APIGrants(ctx, alice.actor, apiID)
	if err != nil || len(grants) != 1 {
		t.Fatalf("grants: %v %v", grants, err)
	}
	res = alice.postForm(apiPath+"/grants/"+grants[0].ID, url.Values{})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("narrow: %d", res.StatusCode)
	}
	listed := doc(t, res).Find(`[data-testid="revoked-key"]`)
	if listed.Length() != 1 || !strings.Contains(listed.Text(), bob.project.Name) {
		t.Errorf("revoked keys listed after narrowing: %d %q", listed.Length(), listed.Text())
	}
	if _, err := v.Verify(ctx, key); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("the API with the narrowed-away key: %v, want ErrRevoked", err)
	}
	// Alice revokes the grant: no token any more.
	if res := alice.postForm(apiPath+"/grants/"+grants[0].ID+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {identifier}}, bob.project.ID, bob.secret)
	wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_target")

	// Both audit logs.
	for _, who := range []struct {
		m    models.Actor
		team string
	}{{alice.actor, aliceTeam}, {bob.owner.actor, bob.project.TeamID}} {
		events, _, err := e.store.AuditEvents(ctx, who.m, who.team, 1)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ev := range events {
			seen[ev.Action] = true
		}
		for _, want := range []string{"access.request", "access.approve", "grant.create", "grant.update", "grant.revoke"} {
			if !seen[want] {
				t.Errorf("team %s audit log lacks %s", who.team, want)
			}
		}
	}
}

// mustTeamOf is the member's personal team.
func mustTeamOf(t *testing.T, e *env, m *member) string {
	t.Helper()
	teams, err := e.store.TeamsOf(context.Background(), m.actor.User.ID)
	if err != nil || len(teams) == 0 {
		t.Fatalf("teams: %v %v", teams, err)
	}
	return teams[0].Team.ID
}
