package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Each credential says when it was last used — a secret and a client key at the token
// endpoint, an API key at introspection — or highlights that it never was. The times
// are written in batches (FlushLastUsed, a background job), never per request.
func TestLastUsed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := newPKClient(t, e, "last-used@example.com")
	k, token, err := e.store.CreateAPIKey(ctx, c.owner.actor, c.project.ID, apiKeyInput(c.oauthClient), "")
	if err != nil {
		t.Fatal(err)
	}
	state := func() map[string]string {
		t.Helper()
		creds := doc(t, c.owner.b.get("/projects/"+c.project.ID+"/credentials"))
		keys := doc(t, c.owner.b.get("/projects/"+c.project.ID+"/keys"))
		out := map[string]string{}
		for id, d := range map[string]*goquery.Document{"secret-last-used": creds, "client-key-last-used": creds, "key-last-used": keys} {
			s := d.Find(`[data-testid="` + id + `"]`)
			if s.Length() != 1 {
				t.Fatalf("%s: %d on the page, want 1", id, s.Length())
			}
			if s.AttrOr("data-never", "") == "true" {
				out[id] = "never"
			} else {
				out[id] = s.Find("time").AttrOr("datetime", "")
			}
		}
		return out
	}
	for id, got := range state() {
		if got != "never" {
			t.Errorf("%s before any use: %q, want never", id, got)
		}
	}

	if res, _, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, c.project.ID, c.secret); res.StatusCode != http.StatusOK {
		t.Fatalf("token with the secret: %d %s", res.StatusCode, raw)
	}
	e.advance(time.Minute)
	if res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), url.Values{"grant_type": {"client_credentials"}}), "", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("token with the client key: %d %s", res.StatusCode, raw)
	}
	e.advance(time.Minute)
	if res, body, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {token}}, c.project.ID, c.secret); res.StatusCode != http.StatusOK || body["active"] != true {
		t.Fatalf("introspect the key %s: %d %s", k.ID, res.StatusCode, raw)
	}
	// Nothing is written before the flush.
	if got := state()["key-last-used"]; got != "never" {
		t.Errorf("the key's last use was written per request: %q", got)
	}
	if err := e.store.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	start := e.clock().Add(-2 * time.Minute)
	got := state()
	for id, want := range map[string]time.Time{
		"secret-last-used":     start.Add(2 * time.Minute), // introspection authenticated with the secret too
		"client-key-last-used": start.Add(time.Minute),
		"key-last-used":        start.Add(2 * time.Minute),
	} {
		if got[id] != want.UTC().Format(time.RFC3339) {
			t.Errorf("%s: %q, want %s", id, got[id], want.UTC().Format(time.RFC3339))
		}
	}
	// An older time never moves a newer one back.
	e.advance(-10 * time.Minute)
	if res, _, _ := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, c.project.ID, c.secret); res.StatusCode != http.StatusOK {
		t.Fatal("token with the secret after the clock went back")
	}
	if err := e.store.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	if again := state()["secret-last-used"]; again != got["secret-last-used"] {
		t.Errorf("the secret's last use moved back: %q, was %q", again, got["secret-last-used"])
	}
}
