package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The portal serves RFC 9728 metadata for listed APIs that take access tokens, keyed by
// their exact identifier, for each API to serve at its own well-known URL.
func TestResourceMetadata(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "prm-owner@example.com")
	projects, err := e.store.ProjectsOf(ctx, owner.actor)
	if err != nil || len(projects) == 0 {
		t.Fatalf("ProjectsOf: got %d projects (err %v), want at least one", len(projects), err)
	}
	teamID := projects[0].Project.TeamID
	create := func(identifier string, listed, tokens bool, scopes ...string) *models.API {
		t.Helper()
		in := models.APIInput{Name: "Orders " + identifier, Identifier: identifier, DocsURL: "https://docs.example.com/orders",
			AcceptsAPIKeys: true, AcceptsAccessTokens: tokens, Listed: listed}
		for _, sc := range scopes {
			in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc, Description: "Scope " + sc})
		}
		api, err := e.store.CreateAPI(ctx, owner.actor, teamID, in, "")
		if err != nil {
			t.Fatalf("create API %s: %v", identifier, err)
		}
		return api
	}
	const listed = "https://orders.example.com/v1"
	create(listed, true, true, "orders:write", "orders:read")
	create("https://hidden.example.com/v1", false, true, "hidden:read")
	create("https://keys-only.example.com", true, false, "keys:read")
	create("urn:example:listed-urn", true, true, "urn:read")
	get := func(identifier string, hdr map[string]string) *http.Response {
		return e.browser().do(http.MethodGet, "/oauth/resource-metadata?resource="+url.QueryEscape(identifier), nil, hdr)
	}

	t.Run("Listed", func(t *testing.T) {
		res := get(listed, nil)
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200: %s", res.StatusCode, body)
		}
		if got := res.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q, want application/json", got)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=300" {
			t.Errorf("Cache-Control %q, want public, max-age=300", got)
		}
		if got, want := res.Header.Get("Link"), `<https://orders.example.com/.well-known/oauth-protected-resource/v1>; rel="canonical"`; got != want {
			t.Errorf("Link %q, want %q", got, want)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		want := map[string]any{
			"resource":                 listed,
			"authorization_servers":    []any{e.portal.URL},
			"scopes_supported":         []any{"orders:read", "orders:write"},
			"bearer_methods_supported": []any{"header"},
			"resource_name":            "Orders " + listed,
			"resource_documentation":   "https://docs.example.com/orders",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("document:\n got %v\nwant %v", got, want)
		}
		if _, ok := got["jwks_uri"]; ok {
			t.Error("jwks_uri is the resource's own key set, not the portal's: it must not be there")
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if res := get(listed, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match with the ETag: status %d, want 304", res.StatusCode)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		for name, identifier := range map[string]string{
			"unlisted":              "https://hidden.example.com/v1",
			"no access tokens":      "https://keys-only.example.com",
			"not an https URL":      "urn:example:listed-urn",
			"unknown":               "https://nowhere.example.com/v1",
			"another spelling":      "https://ORDERS.example.com/v1",
			"a trailing slash more": listed + "/",
			"none":                  "",
		} {
			res := get(identifier, nil)
			body := readBody(res)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s (%q): status %d, want 404: %s", name, identifier, res.StatusCode, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
				t.Errorf("%s: Content-Type %q, want JSON", name, ct)
			}
		}
	})
}
