package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := models.Identity{Issuer: "https://idp.example", Subject: "alice-1", Email: "alice@example.com", Name: "Alice"}

		t.Run("SignUpCreatesUserAndPersonalTeam", func(t *testing.T) {
			u, created, err := s.SignIn(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !created {
				t.Errorf("created = false, want true on first sign-in")
			}
			if got, want := u.Email, "alice@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
			teams, err := s.TeamsOf(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(teams) != 1 {
				t.Fatalf("got %d teams, want 1 personal team", len(teams))
			}
			if tm := teams[0]; !tm.Team.Personal || tm.Role != models.RoleOwner || tm.Members != 1 {
				t.Errorf("team = %+v, want a personal team owned by the user with 1 member", tm)
			}
			if got, want := teams[0].Team.Name, "Alice's team"; got != want {
				t.Errorf("team name = %q, want %q", got, want)
			}
		})

		t.Run("SecondSignInRefreshesClaims", func(t *testing.T) {
			first, _, err := s.SignIn(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			changed := id
			changed.Email, changed.Name = "alice@new.example", "Alice Liddell"
			u, created, err := s.SignIn(ctx, changed)
			if err != nil {
				t.Fatal(err)
			}
			if created {
				t.Errorf("created = true on a returning user")
			}
			if u.ID != first.ID {
				t.Errorf("id = %s, want the same user %s", u.ID, first.ID)
			}
			got, err := s.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "alice@new.example" || got.Name != "Alice Liddell" {
				t.Errorf("stored email/name = %q/%q, want refreshed values", got.Email, got.Name)
			}
			teams, err := s.TeamsOf(ctx, u.ID)
			if err != nil {
				t.Fatalf("TeamsOf: %v", err)
			}
			if len(teams) != 1 {
				t.Errorf("got %d teams after a second sign-in, want still 1", len(teams))
			}
		})

		t.Run("SameEmailNewSubjectIsAnotherUser", func(t *testing.T) {
			a, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp.example", Subject: "s-1", Email: "bob@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			b, created, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp.example", Subject: "s-2", Email: "bob@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if !created || a.ID == b.ID {
				t.Errorf("same email with a new subject merged into %s (created=%v); want a separate account", a.ID, created)
			}
			c, created, err := s.SignIn(ctx, models.Identity{Issuer: "https://other.example", Subject: "s-1", Email: "bob@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if !created || c.ID == a.ID {
				t.Errorf("same subject at another issuer merged; want a separate account")
			}
		})

		t.Run("ErrMissingSubject", func(t *testing.T) {
			if _, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp.example"}); err == nil {
				t.Error("sign-in without a subject succeeded")
			}
		})

		t.Run("ConcurrentFirstSignInMakesOneUser", func(t *testing.T) {
			same := models.Identity{Issuer: "https://idp.example", Subject: "racer", Email: "racer@example.com"}
			var wg sync.WaitGroup
			ids := make([]string, 8)
			errs := make([]error, 8)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					u, _, err := s.SignIn(ctx, same)
					errs[i] = err
					if err == nil {
						ids[i] = u.ID
					}
				}()
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil {
					t.Fatalf("sign-in %d: %v", i, errs[i])
				}
				if ids[i] != ids[0] {
					t.Fatalf("concurrent sign-ins made users %s and %s", ids[0], ids[i])
				}
			}
			teams, err := s.TeamsOf(ctx, ids[0])
			if err != nil {
				t.Fatalf("TeamsOf: %v", err)
			}
			if len(teams) != 1 {
				t.Errorf("got %d personal teams, want 1", len(teams))
			}
		})

		t.Run("UnknownUserIsNotFound", func(t *testing.T) {
			if _, err := s.UserByID(ctx, "usr_nope"); err != models.ErrNotFound {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	})
}
