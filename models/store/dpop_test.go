package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// A DPoP proof's jti is accepted once across instances: two stores on one database
// racing the same proof, one wins and the other is told it is a replay.
func TestDPoPProofSingleUseAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		other := storetest.SameDatabase(t, s)
		exp := time.Now().Add(time.Minute)
		for round := range 20 {
			jti := models.RandomToken(8)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, st := range []*store.Store{s, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = st.UseDPoPProof(ctx, "jkt-a", jti, exp)
				}()
			}
			wg.Wait()
			var oe *models.OAuthError
			ok, replay := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.As(err, &oe) && oe.Code == models.ErrCodeInvalidDPoPProof:
					replay++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 || replay != 1 {
				t.Fatalf("round %d: %d accepted, %d replays; want exactly one of each", round, ok, replay)
			}
			// The same jti under another key is another proof.
			if err := other.UseDPoPProof(ctx, "jkt-b", jti, exp); err != nil {
				t.Fatalf("same jti, other key: %v", err)
			}
		}
	})
}

// Pruning forgets proofs whose window has passed, and only those.
func TestPruneUsedDPoPProofs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		s.SetClock(func() time.Time { return now })
		if err := s.UseDPoPProof(ctx, "k", "old", now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.UseDPoPProof(ctx, "k", "fresh", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.PruneUsedDPoPProofs(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.UseDPoPProof(ctx, "k", "old", now.Add(time.Minute)); err != nil {
			t.Errorf("a pruned proof's jti is still remembered: %v", err)
		}
		if err := s.UseDPoPProof(ctx, "k", "fresh", now.Add(time.Minute)); err == nil {
			t.Error("a proof still in its window was pruned")
		}
	})
}

// Many requests with one proof at once on one instance (on SQLite they share a group
// commit): exactly one is accepted.
func TestDPoPProofSingleUseConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		exp := time.Now().Add(time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Every other goroutine also records a proof of its own, so batches mix.
				if i%2 == 0 {
					if err := s.UseDPoPProof(ctx, "k", models.RandomToken(8), exp); err != nil {
						t.Error(err)
					}
				}
				errs[i] = s.UseDPoPProof(ctx, "k", "same", exp)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var oe *models.OAuthError
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidDPoPProof:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d accepted, want exactly 1", ok)
		}
	})
}
