package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestIdentifierKey(t *testing.T) {
	// Every spelling in a group folds to the group's first key.
	for _, group := range [][]string{
		{"orders-api", "Orders-API", "ORDERS-API", " orders-api "},
		{"https://orders.example.com", "https://orders.example.com/", "HTTPS://Orders.Example.COM", "https://orders.example.com:443",
			"https://orders.example.com:443/", "https://orders.example.com//"},
		{"https://api.example.com/orders", "https://api.example.com/orders/", "https://api.example.com/%6Frders", "https://API.example.com/Orders",
			"https://api.example.com/%6frders/"},
		{"http://orders.internal:8080/v1", "HTTP://ORDERS.INTERNAL:8080/v1/"},
		{"http://orders.internal", "http://orders.internal:80"},
		{"urn:acme:orders", "URN:ACME:Orders", "urn:acme:%6Frders"},
	} {
		want, err := models.IdentifierKey(group[0])
		if err != nil {
			t.Fatalf("IdentifierKey(%q): %v", group[0], err)
		}
		for _, spelling := range group[1:] {
			if got, err := models.IdentifierKey(spelling); err != nil || got != want {
				t.Errorf("IdentifierKey(%q) = %q, %v; want %q like %q", spelling, got, err, want, group[0])
			}
		}
	}
	// Different names stay different.
	distinct := []string{"orders", "orders-api", "orders_api", "https://orders.example.com", "http://orders.example.com",
		"https://orders.example.com:8443", "https://orders.example.com/v2", "urn:acme:orders", "orders.example.com"}
	seen := map[string]string{}
	for _, id := range distinct {
		k, err := models.IdentifierKey(id)
		if err != nil {
			t.Fatalf("IdentifierKey(%q): %v", id, err)
		}
		if prev, ok := seen[k]; ok {
			t.Errorf("%q and %q share the key %q", id, prev, k)
		}
		seen[k] = id
	}
	for _, bad := range []string{"", " ", "orders api", "ftp://orders.example.com", "https://user@orders.example.com", "https://orders.example.com?x=1",
		"https://orders.example.com#f", "javascript:alert(1)", "https://", "urn:", "urn:acme", "-orders", "orders\x00", "ördérs",
		"https://orders.example.com/\u00e9", strings.Repeat("a", 201)} {
		if _, err := models.CleanIdentifier(bad); err == nil {
			t.Errorf("CleanIdentifier(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{
		"https://Orders.Example.com:443/": "https://orders.example.com", "https://orders.example.com/v1/": "https://orders.example.com/v1",
		"Orders-API": "Orders-API", "urn:Acme:Orders": "urn:Acme:Orders", "HTTP://x.internal:80/a": "http://x.internal/a",
	} {
		if got, err := models.CleanIdentifier(in); err != nil || got != want {
			t.Errorf("CleanIdentifier(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzIdentifierKey(f *testing.F) {
	for _, s := range []string{"orders-api", "https://orders.example.com/", "urn:acme:orders", "HTTPS://A.B:443//%41", "x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean, err := models.CleanIdentifier(s)
		if err != nil {
			return
		}
		// What is registered folds like every spelling of it, and is stable.
		k1, err1 := models.IdentifierKey(s)
		k2, err2 := models.IdentifierKey(clean)
		if err1 != nil || err2 != nil || k1 != k2 {
			t.Fatalf("%q (clean %q): keys %q %v / %q %v", s, clean, k1, err1, k2, err2)
		}
		if again, err := models.CleanIdentifier(clean); err != nil || again != clean {
			t.Fatalf("CleanIdentifier not idempotent: %q -> %q -> %q (%v)", s, clean, again, err)
		}
		if strings.ContainsAny(clean, " \t\r\n") {
			t.Fatalf("identifier %q holds whitespace", clean)
		}
	})
}

func TestAPIsAreOwned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		in := models.APIInput{Name: "Orders", Identifier: "https://orders.example.com", AcceptsAPIKeys: true, AcceptsAccessTokens: true,
			Scopes: []models.ScopeInput{{Name: "orders:read", Description: "Read orders"}, {Name: "orders:write"}}}
		api, err := s.CreateAPI(ctx, w.admin, w.team.ID, in, "")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("IdentifierUniqueInEverySpelling", func(t *testing.T) {
			for _, spelling := range []string{"https://orders.example.com", "HTTPS://ORDERS.example.com/", "https://orders.example.com:443",
				"https://orders.example.com//"} {
				in := in
				in.Identifier = spelling
				var ve *models.ValidationError
				if _, err := s.CreateAPI(ctx, w.outsider, w.outsiderTeam, in, ""); !errors.As(err, &ve) || ve.Fields["identifier"] == "" {
					t.Errorf("another team registering %q: %v, want an identifier validation error", spelling, err)
				}
			}
		})

		t.Run("Roles", func(t *testing.T) {
			in2 := in
			in2.Identifier = "dev-api"
			if _, err := s.CreateAPI(ctx, w.developer, w.team.ID, in2, ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("developer registers an API: %v, want ErrForbidden", err)
			}
			if _, err := s.CreateAPI(ctx, w.outsider, w.team.ID, in2, ""); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider registers in the team: %v, want ErrNotFound", err)
			}
			if v, err := s.APIFor(ctx, w.viewer, api.ID); err != nil || v.Manages() || !v.Member() {
				t.Errorf("viewer sees the API: %+v %v, want visible, not managed", v, err)
			}
			if _, err := s.APIFor(ctx, w.outsider, api.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider sees an unlisted API: %v, want ErrNotFound", err)
			}
			if err := s.UpdateAPI(ctx, w.developer, api.ID, in); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("developer edits: %v, want ErrForbidden", err)
			}
			if _, err := s.DeleteAPI(ctx, w.outsider, api.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider deletes: %v, want ErrNotFound", err)
			}
		})

		t.Run("ListedInTheCatalog", func(t *testing.T) {
			listed := in
			listed.Listed = true
			if err := s.UpdateAPI(ctx, w.admin, api.ID, listed); err != nil {
				t.Fatal(err)
			}
			v, err := s.APIFor(ctx, w.outsider, api.ID)
			if err != nil || v.Member() || v.Manages() || len(v.Scopes) != 2 {
				t.Fatalf("outsider sees a listed API: %+v %v, want a visitor's view with its scopes", v, err)
			}
			cat, err := s.Catalog(ctx, w.outsider)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range cat {
				if c.ID == api.ID {
					found = true
					if c.Mine || c.PendingRequests != 0 {
						t.Errorf("catalog row for a visitor: %+v", c)
					}
				}
			}
			if !found {
				t.Error("a listed API is missing from another user's catalog")
			}
			if err := s.UpdateAPI(ctx, w.admin, api.ID, in); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("IdentifierLockedOnceGranted", func(t *testing.T) {
			p, err := s.CreateProject(ctx, w.admin, w.team.ID, "Client", "", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.GrantAccess(ctx, w.admin, api.ID, p.ID, []string{"orders:read"}); err != nil {
				t.Fatal(err)
			}
			moved := in
			moved.Identifier = "https://orders2.example.com"
			var ve *models.ValidationError
			if err := s.UpdateAPI(ctx, w.admin, api.ID, moved); !errors.As(err, &ve) || !strings.Contains(ve.Fields["identifier"], "cannot change") {
				t.Errorf("changing a granted API's identifier: %v, want refused", err)
			}
		})

		t.Run("InvalidDefinitionsChangeNothing", func(t *testing.T) {
			before, err := s.Catalog(ctx, w.admin)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			for name, bad := range map[string]models.APIInput{
				"NoKind":       {Name: "x", Identifier: "x-api"},
				"BadScope":     {Name: "x", Identifier: "x-api", AcceptsAPIKeys: true, Scopes: []models.ScopeInput{{Name: `a"b`}}},
				"DupScope":     {Name: "x", Identifier: "x-api", AcceptsAPIKeys: true, Scopes: []models.ScopeInput{{Name: "a"}, {Name: "a"}}},
				"BadDocs":      {Name: "x", Identifier: "x-api", AcceptsAPIKeys: true, DocsURL: "javascript:alert(1)"},
				"BadID":        {Name: "x", Identifier: "x api", AcceptsAPIKeys: true},
				"NoName":       {Identifier: "x-api", AcceptsAPIKeys: true},
				"HugeTokenTTL": {Name: "x", Identifier: "x-api", AcceptsAPIKeys: true, MaxTokenTTL: 25 * 60 * 60 * 1e9},
			} {
				var ve *models.ValidationError
				if _, err := s.CreateAPI(ctx, w.admin, w.team.ID, bad, ""); !errors.As(err, &ve) {
					t.Errorf("%s: %v, want a validation error", name, err)
				}
			}
			after, err := s.Catalog(ctx, w.admin)
			if err != nil {
				t.Fatalf("Catalog: %v", err)
			}
			if len(after) != len(before) {
				t.Errorf("refused definitions created APIs: %d -> %d", len(before), len(after))
			}
		})
	})
}
