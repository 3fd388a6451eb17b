package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// Authenticated clients are then answered from memory; any change made through the
// store empties the cache at once, and another instance's change within one poll.
func TestClientCacheNeverOutlivesAChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		sec, secret, err := s.CreateClientSecret(ctx, w.owner, p.ID, "s", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		auth := func(st *store.Store) error { _, err := st.AuthenticateClient(ctx, p.ID, secret); return err }
		if err := auth(s); err != nil {
			t.Fatal(err)
		}
		before := s.ClientCacheStats()
		if err := auth(s); err != nil {
			t.Fatal(err)
		}
		if after := s.ClientCacheStats(); after.Hits != before.Hits+1 || after.Misses != before.Misses {
			t.Errorf("second authentication: stats %+v -> %+v, want a cache hit", before, after)
		}
		// Revoked on this instance: refused at once.
		if err := s.RevokeClientSecret(ctx, w.owner, p.ID, sec.ID); err != nil {
			t.Fatal(err)
		}
		if err := auth(s); err == nil {
			t.Error("a secret revoked on this instance still authenticates from the cache")
		}

		// Two instances on one database: a change on one reaches the other's cache with
		// its next poll.
		if s.Dialect() != store.Postgres {
			return
		}
		_, secret2, err := s.CreateClientSecret(ctx, w.owner, p.ID, "s2", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		other := storetest.SameDatabase(t, s)
		if err := other.RefreshCaches(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := other.AuthenticateClient(ctx, p.ID, secret2); err != nil {
			t.Fatal(err)
		}
		// Another instance takes the grant away: the poll empties this one's cache.
		grants, err := s.ProjectGrants(ctx, w.owner, p.ID)
		if err != nil {
			t.Fatalf("ProjectGrants: %v", err)
		}
		for _, g := range grants {
			if _, err := s.RevokeGrant(ctx, w.owner, g.APIID, g.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := other.RefreshCaches(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := other.AuthenticateClient(ctx, p.ID, secret2)
		if err != nil || len(got.Grants) != 0 {
			t.Errorf("after another instance revoked the grants and one poll: %+v %v, want no grants", got, err)
		}
	})
}

// Through a database outage, clients authenticated in the last ClientCacheTTL keep
// authenticating; others get ErrUnavailable, not invalid_client.
func TestClientCacheServesKnownClientsInAnOutage(t *testing.T) {
	s, outage := storetest.PostgresWithOutage(t)
	storetest.Signer(t, s)
	ctx := context.Background()
	now := time.Now().UTC()
	s.SetClock(func() time.Time { return now })
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	_, known, err := s.CreateClientSecret(ctx, w.owner, p.ID, "known", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	_, unknown, err := s.CreateClientSecret(ctx, w.owner, p.ID, "unknown", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateClient(ctx, p.ID, known); err != nil {
		t.Fatal(err)
	}
	outage.Down()
	if err := s.RefreshCaches(ctx); err == nil {
		t.Fatal("the poll reached the database through the outage")
	}
	now = now.Add(models.ClientCacheTTL - time.Second)
	got, err := s.AuthenticateClient(ctx, p.ID, known)
	if err != nil || len(got.Grants) != 2 {
		t.Fatalf("a known client in the outage: %+v %v", got, err)
	}
	if st := s.ClientCacheStats(); st.OutageHits == 0 {
		t.Errorf("stats %+v: no outage hit counted", st)
	}
	if _, err := s.AuthenticateClient(ctx, p.ID, unknown); !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("an unknown client in the outage: %v, want ErrUnavailable", err)
	}
	now = now.Add(2 * time.Second) // past the bound since the database last confirmed it
	if _, err := s.AuthenticateClient(ctx, p.ID, known); !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("a known client past ClientCacheTTL in the outage: %v, want ErrUnavailable", err)
	}
	outage.Up()
}
