package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// errStale stands for a precondition that fails (an If-Match naming an older version).
var errStale = errors.New("stale")

// TestPreconditions: each ...If method calls its precondition only once the actor is
// authorized, with the object as it stands in the transaction, and changes nothing when
// the precondition fails.
func TestPreconditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		team := w.team.ID
		calls := 0
		fail := func(seen func()) func() error {
			return func() error { calls++; seen(); return errStale }
		}

		t.Run("Members", func(t *testing.T) {
			calls = 0
			var got models.Member
			err := s.ChangeRoleIf(ctx, w.admin, team, w.developer.User.ID, models.RoleViewer, func(m *models.Member) error {
				return fail(func() { got = *m })()
			})
			if !errors.Is(err, errStale) || got.UserID != w.developer.User.ID || got.Role != models.RoleDeveloper || got.Email == "" {
				t.Errorf("ChangeRoleIf = %v, saw %+v", err, got)
			}
			if err := s.RemoveMemberIf(ctx, w.admin, team, w.developer.User.ID, func(*models.Member) error { return fail(func() {})() }); !errors.Is(err, errStale) {
				t.Errorf("RemoveMemberIf = %v", err)
			}
			ms, err := s.Members(ctx, w.owner, team)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.UserID == w.developer.User.ID && m.Role != models.RoleDeveloper {
					t.Errorf("a failed precondition changed the role to %s", m.Role)
				}
			}
			if len(ms) != 4 {
				t.Errorf("%d members after a failed removal, want 4", len(ms))
			}
			// Refused or unknown: the precondition is never asked.
			if err := s.ChangeRoleIf(ctx, w.viewer, team, w.developer.User.ID, models.RoleViewer, func(*models.Member) error { return fail(func() {})() }); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("a viewer's ChangeRoleIf = %v, want ErrForbidden", err)
			}
			if err := s.RemoveMemberIf(ctx, w.outsider, team, w.developer.User.ID, func(*models.Member) error { return fail(func() {})() }); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("an outsider's RemoveMemberIf = %v, want ErrNotFound", err)
			}
			if err := s.RemoveMemberIf(ctx, w.admin, team, "usr_nobody", func(*models.Member) error { return fail(func() {})() }); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("RemoveMemberIf of no member = %v, want ErrNotFound", err)
			}
			if calls != 2 {
				t.Errorf("the precondition ran %d times, want 2 (only for the authorized actor's existing member)", calls)
			}
		})

		api, err := s.CreateAPI(ctx, w.admin, team, models.APIInput{Name: "Ledger", Identifier: "https://ledger.preconditions.example",
			AcceptsAPIKeys: true, Scopes: []models.ScopeInput{{Name: "read"}, {Name: "write"}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CreateProject(ctx, w.admin, team, "Client", "", "")
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := s.GrantAccess(ctx, w.admin, api.ID, p.ID, []string{"read", "write"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("APIs", func(t *testing.T) {
			calls = 0
			var scopes int
			seeAPI := func(v *models.APIView) error { return fail(func() { scopes = len(v.Scopes) })() }
			in := models.APIInput{Name: "Renamed", Identifier: api.Identifier, AcceptsAPIKeys: true}
			if err := s.UpdateAPIIf(ctx, w.admin, api.ID, in, seeAPI); !errors.Is(err, errStale) || scopes != 2 {
				t.Errorf("UpdateAPIIf = %v, saw %d scopes", err, scopes)
			}
			if _, err := s.RemoveScopeIf(ctx, w.admin, api.ID, "write", seeAPI); !errors.Is(err, errStale) {
				t.Errorf("RemoveScopeIf = %v", err)
			}
			if _, err := s.DeleteAPIIf(ctx, w.admin, api.ID, seeAPI); !errors.Is(err, errStale) {
				t.Errorf("DeleteAPIIf = %v", err)
			}
			if _, err := s.DeleteAPIIf(ctx, w.developer, api.ID, seeAPI); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("a developer's DeleteAPIIf = %v, want ErrForbidden", err)
			}
			v, err := s.APIFor(ctx, w.admin, api.ID)
			if err != nil || v.Name != "Ledger" || len(v.Scopes) != 2 {
				t.Errorf("after failed preconditions the API is %+v (%v)", v, err)
			}
			if calls != 3 {
				t.Errorf("the precondition ran %d times, want 3", calls)
			}
		})

		t.Run("Grants", func(t *testing.T) {
			var seen models.GrantInfo
			_, err := s.UpdateGrantIf(ctx, w.admin, api.ID, g.ID, []string{"read"}, func(gi *models.GrantInfo) error {
				return fail(func() { seen = *gi })()
			})
			if !errors.Is(err, errStale) || seen.ProjectName != "Client" || seen.Scopes != "read write" {
				t.Errorf("UpdateGrantIf = %v, saw %+v", err, seen)
			}
			gi, err := s.GrantFor(ctx, w.viewer, api.ID, g.ID)
			if err != nil || gi.Scopes != "read write" {
				t.Errorf("GrantFor after a failed precondition = %+v, %v", gi, err)
			}
			if _, err := s.GrantFor(ctx, w.outsider, api.ID, g.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("an outsider's GrantFor = %v, want ErrNotFound", err)
			}
		})

		t.Run("ClientKeys", func(t *testing.T) {
			k, err := s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "svc", Material: pubPEM(t, &mustP256(t).PublicKey)}, "")
			if err != nil {
				t.Fatal(err)
			}
			var seen models.ClientKeyInfo
			err = s.RemoveClientKeyIf(ctx, w.admin, p.ID, k.ID, func(ki *models.ClientKeyInfo) error { return fail(func() { seen = *ki })() })
			if !errors.Is(err, errStale) || seen.ID != k.ID || seen.CreatedByLabel == "" {
				t.Errorf("RemoveClientKeyIf = %v, saw %+v", err, seen)
			}
			if keys, err := s.ClientKeys(ctx, w.admin, p.ID); err != nil || len(keys) != 1 {
				t.Errorf("after a failed precondition: %d keys, %v", len(keys), err)
			}
		})
	})
}

// TestIdempotencyKeyFingerprint: a key claimed by a fingerprinted request answers a
// repeat with the same fingerprint as a duplicate, and refuses another fingerprint; a
// request without one (a page's form) is never refused for it.
func TestIdempotencyKeyFingerprint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := newWorld(t, s)
		first := models.WithRequestFingerprint(context.Background(), "fp-1")
		p, err := s.CreateProject(first, w.admin, w.team.ID, "Once", "", "key-1")
		if err != nil {
			t.Fatal(err)
		}
		var dup *models.DuplicateRequestError
		if _, err := s.CreateProject(first, w.admin, w.team.ID, "Once", "", "key-1"); !errors.As(err, &dup) || dup.Result != p.ID {
			t.Errorf("same fingerprint: %v, want a duplicate of %s", err, p.ID)
		}
		other := models.WithRequestFingerprint(context.Background(), "fp-2")
		if _, err := s.CreateProject(other, w.admin, w.team.ID, "Twice", "", "key-1"); !errors.Is(err, models.ErrIdempotencyKeyReused) {
			t.Errorf("another fingerprint: %v, want ErrIdempotencyKeyReused", err)
		}
		if _, err := s.CreateProject(context.Background(), w.admin, w.team.ID, "Form", "", "key-1"); !errors.As(err, &dup) {
			t.Errorf("no fingerprint: %v, want a duplicate", err)
		}
		// Keys are the user's own: another user's same key is a new request.
		if _, err := s.CreateProject(other, w.owner, w.team.ID, "Owner's", "", "key-1"); err != nil {
			t.Errorf("another user's key: %v", err)
		}
	})
}

// mustP256 is a fresh P-256 key.
func mustP256(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPreconditionUnderConcurrency: two changes made against one version of an API, the
// second started while the first is between its precondition and its write: the first
// wins and the second's precondition sees the first's change (the row is locked from the
// check on PostgreSQL; SQLite writes one transaction at a time).
func TestPreconditionUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		in := models.APIInput{Name: "Ledger", Identifier: "https://ledger.concurrent.example", AcceptsAPIKeys: true}
		api, err := s.CreateAPI(ctx, w.admin, w.team.ID, in, "")
		if err != nil {
			t.Fatal(err)
		}
		unchanged := func(v *models.APIView) error {
			if v.Name != "Ledger" {
				return errStale
			}
			return nil
		}
		checked, release := make(chan struct{}), make(chan struct{})
		first, second := make(chan error, 1), make(chan error, 1)
		go func() {
			a := in
			a.Name = "First"
			first <- s.UpdateAPIIf(ctx, w.admin, api.ID, a, func(v *models.APIView) error {
				err := unchanged(v)
				close(checked)
				<-release
				return err
			})
		}()
		<-checked
		secondChecked := make(chan struct{})
		go func() {
			b := in
			b.Name = "Second"
			second <- s.UpdateAPIIf(ctx, w.owner, api.ID, b, func(v *models.APIView) error {
				close(secondChecked)
				return unchanged(v)
			})
		}()
		if s.Dialect() == store.Postgres {
			if err := waitForRowLockWaiter(s, secondChecked); err != nil {
				t.Error(err) // and let the first change finish
			}
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatalf("first change: %v", err)
		}
		if err := <-second; !errors.Is(err, errStale) {
			t.Errorf("second change against the same version: %v, want the precondition to fail", err)
		}
		if v, err := s.APIFor(ctx, w.admin, api.ID); err != nil || v.Name != "First" {
			t.Errorf("the API is named %q (%v), want First", v.Name, err)
		}
	})
}

// waitForRowLockWaiter returns once a transaction of s's schema waits for a row lock
// (PostgreSQL queues a row's waiters on a tuple lock), or an error if checked is closed
// first: the second change ran its precondition while the first held the row.
func waitForRowLockWaiter(s *store.Store, checked <-chan struct{}) error {
	db, err := s.SQLDB()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-checked:
			return errors.New("the second change checked its precondition while the first held the version it checked")
		default:
		}
		var waiters int
		err := db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.locktype = 'tuple' AND n.nspname = current_schema()`).Scan(&waiters)
		if err != nil {
			return err
		}
		if waiters > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the second change never waited for the first's row lock")
		}
	}
}
