package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// pushedRows counts the stored pushed authorization requests.
func pushedRows(t *testing.T, s *store.Store) int {
	t.Helper()
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pushed_authorizations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A pushed request is kept under a request_uri whose random part is stored only as its
// SHA-256; it is taken once, by its own client, within 60 seconds; expired ones are
// pruned with the authorization codes.
func TestPushedAuthorization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		other, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Other app", "", "")
		if err != nil {
			t.Fatal(err)
		}
		const params = "client_id=x&scope=orders%3Aread"
		push := func(t *testing.T) string {
			t.Helper()
			uri, err := s.PushAuthorization(ctx, f.p.ID, params)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || len(uri) < len(models.RequestURIPrefix)+40 {
				t.Fatalf("request_uri %q: want the RFC 9126 prefix and a long random part", uri)
			}
			return uri
		}

		t.Run("OK", func(t *testing.T) {
			uri := push(t)
			db, err := s.SQLDB()
			if err != nil {
				t.Fatal(err)
			}
			random := strings.TrimPrefix(uri, models.RequestURIPrefix)
			var hash string
			if err := db.QueryRow(`SELECT hash FROM pushed_authorizations WHERE project_id = $1`, f.p.ID).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if hash != models.SHA256Hex(random) {
				t.Errorf("stored %q, want the SHA-256 of the random part", hash)
			}
			got, err := s.TakePushedAuthorization(ctx, f.p.ID, uri)
			if err != nil || got != params {
				t.Fatalf("take: %q %v, want %q", got, err, params)
			}
			if _, err := s.TakePushedAuthorization(ctx, f.p.ID, uri); !errors.Is(err, store.ErrPushedAuthorizationUnusable) {
				t.Errorf("second take: %v, want ErrPushedAuthorizationUnusable", err)
			}
			if n := pushedRows(t, s); n != 0 {
				t.Errorf("%d rows left after use, want 0", n)
			}
		})
		t.Run("AnotherClient", func(t *testing.T) {
			uri := push(t)
			if _, err := s.TakePushedAuthorization(ctx, other.ID, uri); !errors.Is(err, store.ErrPushedAuthorizationUnusable) {
				t.Errorf("another client: %v, want ErrPushedAuthorizationUnusable", err)
			}
			// Left as it was: its own client still uses it.
			if got, err := s.TakePushedAuthorization(ctx, f.p.ID, uri); err != nil || got != params {
				t.Errorf("own client after another's try: %q %v", got, err)
			}
		})
		t.Run("Malformed", func(t *testing.T) {
			for _, uri := range []string{"", models.RequestURIPrefix, "urn:example:x", strings.Repeat("a", 300),
				models.RequestURIPrefix + strings.Repeat("a", 200)} {
				if _, err := s.TakePushedAuthorization(ctx, f.p.ID, uri); !errors.Is(err, store.ErrPushedAuthorizationUnusable) {
					t.Errorf("%q: %v, want ErrPushedAuthorizationUnusable", uri, err)
				}
			}
		})
		t.Run("ConcurrentUses", func(t *testing.T) {
			uri := push(t)
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.TakePushedAuthorization(ctx, f.p.ID, uri)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			won := 0
			for err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrPushedAuthorizationUnusable):
					t.Errorf("concurrent use: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d of %d concurrent uses succeeded, want exactly 1", won, n)
			}
		})
		t.Run("Expired", func(t *testing.T) {
			uri := push(t)
			f.clock.Advance(models.PushedAuthorizationTTL)
			if _, err := s.TakePushedAuthorization(ctx, f.p.ID, uri); !errors.Is(err, store.ErrPushedAuthorizationUnusable) {
				t.Errorf("after 60 s: %v, want ErrPushedAuthorizationUnusable", err)
			}
		})
		t.Run("Pruned", func(t *testing.T) {
			push(t)
			f.clock.Advance(30 * time.Second)
			fresh := push(t)
			f.clock.Advance(45 * time.Second) // the first expired, the second has 15 s left
			if err := s.PruneAuthorizationCodes(ctx); err != nil {
				t.Fatal(err)
			}
			if n := pushedRows(t, s); n != 1 {
				t.Errorf("%d rows after pruning, want 1 (the unexpired one)", n)
			}
			if _, err := s.TakePushedAuthorization(ctx, f.p.ID, fresh); err != nil {
				t.Errorf("the unexpired one after pruning: %v", err)
			}
		})
	})
}

// The project's "require pushed authorization requests" setting is saved, audited and
// read with the client.
func TestRequirePushedAuthorizationSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		on := true
		if err := s.UpdateProject(ctx, f.w.admin, f.p.ID, models.ProjectSettings{Name: f.p.Name, TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode}, RequirePushedAuthorization: &on}); err != nil {
			t.Fatal(err)
		}
		p, err := s.AuthorizationClient(ctx, f.p.ID)
		if err != nil || !p.RequirePushedAuthorization || !p.PublicClient {
			t.Fatalf("client: %+v %v, want it to require PAR (and still be public)", p, err)
		}
		events, _, err := s.AuditLog(ctx, f.w.admin, f.w.team.ID, models.AuditFilter{Action: "project.update"})
		if err != nil || len(events) == 0 || !strings.Contains(events[0].Details, `"require_pushed_authorization":true`) {
			t.Errorf("audit: %v %v, want require_pushed_authorization in the newest project.update", events, err)
		}
	})
}
