package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// Only a listed API that accepts access tokens, under an https identifier given exactly,
// has public protected resource metadata.
func TestPublishedResource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		create := func(identifier string, listed, tokens bool) *models.API {
			t.Helper()
			api, err := s.CreateAPI(ctx, w.admin, w.team.ID, models.APIInput{Name: "API " + identifier, Identifier: identifier,
				AcceptsAPIKeys: true, AcceptsAccessTokens: tokens, Listed: listed,
				Scopes: []models.ScopeInput{{Name: "b:write"}, {Name: "a:read"}}}, "")
			if err != nil {
				t.Fatalf("create %s: %v", identifier, err)
			}
			return api
		}
		pub := create("https://pub.example.com/v1", true, true)
		create("https://hidden.example.com/v1", false, true)
		create("https://keys.example.com/v1", true, false)
		create("urn:example:pub", true, true)

		got, err := s.PublishedResource(ctx, pub.Identifier)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != pub.ID || !slices.Equal(got.ScopeNames(), []string{"a:read", "b:write"}) {
			t.Errorf("PublishedResource: %s with scopes %v, want %s with a:read b:write", got.ID, got.ScopeNames(), pub.ID)
		}
		for _, id := range []string{"https://hidden.example.com/v1", "https://keys.example.com/v1", "urn:example:pub",
			"https://PUB.example.com/v1", "https://pub.example.com/v1/", "https://nope.example.com", ""} {
			if _, err := s.PublishedResource(ctx, id); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("PublishedResource(%q): %v, want ErrNotFound", id, err)
			}
		}
		// Unlisting it takes the document down.
		in := models.APIInput{Name: pub.Name, Identifier: pub.Identifier, AcceptsAPIKeys: true, AcceptsAccessTokens: true}
		if err := s.UpdateAPI(ctx, w.admin, pub.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishedResource(ctx, pub.Identifier); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after unlisting: %v, want ErrNotFound", err)
		}
	})
}
