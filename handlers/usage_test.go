package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// TestUsageCountsPerAPI drives the OAuth endpoints and checks the daily usage: a token
// counts for its project and for the API it is for; an API key an API introspects
// counts a verification for the key's project and API, whichever team's project asks;
// inactive answers and access tokens count nothing.
func TestUsageCountsPerAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := newOAuthClient(t, e, "usage-owner@example.com")   // runs the orders API
	client := newOAuthClient(t, e, "usage-client@example.com") // a project of another team, with an API of its own
	stranger := newOAuthClient(t, e, "usage-stranger@example.com")
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

	token := func(resource string) string {
		t.Helper()
		res, body, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {resource}},
			client.project.ID, client.secret)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("token for %s: %d %s", resource, res.StatusCode, raw)
		}
		return body["access_token"].(string)
	}
	at := token(owner.api.Identifier)
	token(owner.api.Identifier)
	token(client.api.Identifier)

	_, key, err := e.store.CreateAPIKey(ctx, client.owner.actor, client.project.ID, models.APIKeyInput{Name: "k", API: owner.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(who *oauthClient, cred string, active bool) {
		t.Helper()
		res, body, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {cred}}, who.project.ID, who.secret)
		if res.StatusCode != http.StatusOK || body["active"] != active {
			t.Fatalf("introspect: %d %s, want active %v", res.StatusCode, raw, active)
		}
	}
	introspect(owner, key, true)                     // the API's team checks a key for its API
	introspect(owner, key, true)                     // twice
	introspect(client, key, true)                    // the key's own project checks it
	introspect(stranger, key, false)                 // inactive: not a verification
	introspect(owner, key[:len(key)-3]+"AAA", false) // tampered: nothing
	introspect(owner, at, true)                      // an access token: not an API key verification

	u := store.NewUsage(e.store)
	check := func(name string) {
		t.Helper()
		for _, tc := range []struct {
			what  string
			scope models.UsageScope
			want  models.UsageDay
		}{
			{"client project", models.ProjectUsageScope(client.project.ID), models.UsageDay{Tokens: 3, KeysCreated: 1, Verifications: 3}},
			{"owner's API", models.APIUsageScope(owner.api.ID), models.UsageDay{Tokens: 2, KeysCreated: 1, Verifications: 3}},
			{"client's API", models.APIUsageScope(client.api.ID), models.UsageDay{Tokens: 1}},
			{"owner project", models.ProjectUsageScope(owner.project.ID), models.UsageDay{}},
			{"stranger's API", models.APIUsageScope(stranger.api.ID), models.UsageDay{}},
		} {
			days, err := u.Series(ctx, tc.scope, 7)
			if err != nil {
				t.Fatalf("Series: %v", err)
			}
			got := days[len(days)-1]
			tc.want.Day = got.Day
			if got != tc.want {
				t.Errorf("%s, %s today: %+v, want %+v", name, tc.what, got, tc.want)
			}
		}
	}
	check("pending")
	if err := u.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	check("flushed")
}
