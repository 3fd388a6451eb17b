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

// clock is a settable time source for Store.Now.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestSessions(t *testing.T) {
	policy := models.SessionPolicy{Idle: time.Hour, Absolute: 24 * time.Hour, PreLogin: 10 * time.Minute, TouchEvery: time.Minute}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		s.SetClock(clk.Now)
		u, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "u1", Email: "u1@example.com"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("RoundTrip", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, u.ID, models.SessionValues{"csrf": "tok"}, "127.0.0.1", "test-agent", policy); err != nil {
				t.Fatal(err)
			}
			rec, vals, err := s.LoadSession(ctx, id, policy)
			if err != nil {
				t.Fatal(err)
			}
			if rec.UserID == nil || *rec.UserID != u.ID || vals["csrf"] != "tok" {
				t.Errorf("loaded %+v %v, want user %s and csrf=tok", rec, vals, u.ID)
			}
			if rec.IDHash == id {
				t.Errorf("the database holds the raw session id; want only its hash")
			}
			if err := s.UpdateSession(ctx, id, models.SessionValues{"csrf": "new"}); err != nil {
				t.Fatal(err)
			}
			if _, vals, err := s.LoadSession(ctx, id, policy); err != nil {
				t.Fatalf("LoadSession: %v", err)
			} else if vals["csrf"] != "new" {
				t.Errorf("csrf after update = %q, want new", vals["csrf"])
			}
		})

		t.Run("IdleTimeout", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, u.ID, nil, "", "", policy); err != nil {
				t.Fatal(err)
			}
			clk.Advance(59 * time.Minute)
			if _, _, err := s.LoadSession(ctx, id, policy); err != nil {
				t.Fatalf("session used within the idle window: %v", err)
			}
			clk.Advance(59 * time.Minute) // used 59 min ago: still alive, last use was touched
			if _, _, err := s.LoadSession(ctx, id, policy); err != nil {
				t.Fatalf("active session ended early: %v", err)
			}
			clk.Advance(time.Hour)
			if _, _, err := s.LoadSession(ctx, id, policy); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("idle session: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("AbsoluteTimeout", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, u.ID, nil, "", "", policy); err != nil {
				t.Fatal(err)
			}
			var elapsed time.Duration
			for elapsed < 2*policy.Absolute { // active every 50 minutes, never idle
				clk.Advance(50 * time.Minute)
				elapsed += 50 * time.Minute
				if _, _, err := s.LoadSession(ctx, id, policy); err != nil {
					if elapsed < policy.Absolute {
						t.Fatalf("session ended after %v, before its absolute timeout: %v", elapsed, err)
					}
					return
				}
			}
			t.Errorf("session outlived its absolute timeout of %v", policy.Absolute)
		})

		t.Run("PreLoginSessionIsShortLived", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, "", models.SessionValues{"oidc_state": "x"}, "", "", policy); err != nil {
				t.Fatal(err)
			}
			clk.Advance(policy.PreLogin)
			if _, _, err := s.LoadSession(ctx, id, policy); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("pre-login session after %v: err = %v, want ErrNotFound", policy.PreLogin, err)
			}
		})

		t.Run("EndedSessionIsNotRevivedByUpdate", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, u.ID, nil, "", "", policy); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteSession(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateSession(ctx, id, models.SessionValues{"a": "b"}); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("update of an ended session: err = %v, want ErrNotFound", err)
			}
			if _, _, err := s.LoadSession(ctx, id, policy); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ended session loads again: %v", err)
			}
		})

		t.Run("SignOutEverywhere", func(t *testing.T) {
			other, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "u2"})
			if err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			ids := []string{models.NewSessionID(), models.NewSessionID(), models.NewSessionID()}
			for _, id := range ids {
				if err := s.CreateSession(ctx, id, u.ID, nil, "", "", policy); err != nil {
					t.Fatal(err)
				}
			}
			keep := models.NewSessionID()
			if err := s.CreateSession(ctx, keep, other.ID, nil, "", "", policy); err != nil {
				t.Fatal(err)
			}
			listed, err := s.UserSessions(ctx, u.ID, policy)
			if err != nil {
				t.Fatal(err)
			}
			if len(listed) < 3 {
				t.Errorf("listed %d sessions, want at least 3", len(listed))
			}
			n, err := s.DeleteUserSessions(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n < 3 {
				t.Errorf("deleted %d sessions, want at least 3", n)
			}
			for _, id := range ids {
				if _, _, err := s.LoadSession(ctx, id, policy); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("session survived sign-out everywhere: %v", err)
				}
			}
			if _, _, err := s.LoadSession(ctx, keep, policy); err != nil {
				t.Errorf("another user's session ended too: %v", err)
			}
		})

		t.Run("Prune", func(t *testing.T) {
			id := models.NewSessionID()
			if err := s.CreateSession(ctx, id, "", nil, "", "", policy); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * policy.Idle)
			n, err := s.PruneSessions(ctx, policy)
			if err != nil {
				t.Fatal(err)
			}
			if n < 1 {
				t.Errorf("pruned %d sessions, want at least the expired one", n)
			}
		})
	})
}
