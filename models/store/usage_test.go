package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// usageStart is when the usage tests begin: noon UTC, 10 March 2026.
var usageStart = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// usageFixture is a team with two projects: p holds grants on orders and billing, q on
// shipping; the store's clock starts at usageStart.
type usageFixture struct {
	s                         *store.Store
	u                         *store.Usage
	clock                     *ckClock
	w                         *world
	p, q                      *models.Project
	orders, billing, shipping *models.API
}

func newUsageFixture(t *testing.T, s *store.Store) *usageFixture {
	t.Helper()
	f := &usageFixture{s: s, u: store.NewUsage(s), clock: &ckClock{t: usageStart}}
	s.SetClock(f.clock.Now)
	storetest.Signer(t, s)
	f.w = newWorld(t, s)
	ctx := context.Background()
	var err error
	if f.p, err = s.CreateProject(ctx, f.w.owner, f.w.team.ID, "Orders", "", ""); err != nil {
		t.Fatal(err)
	}
	if f.q, err = s.CreateProject(ctx, f.w.owner, f.w.team.ID, "Shipping", "", ""); err != nil {
		t.Fatal(err)
	}
	f.orders = grantedAPI(t, s, f.w.owner, f.p, "orders-api", "orders:read")
	f.billing = grantedAPI(t, s, f.w.owner, f.p, "billing-api", "billing:read")
	f.shipping = grantedAPI(t, s, f.w.owner, f.q, "shipping-api", "shipping:read")
	return f
}

// series is Usage.Series, failing the test on an error.
func (f *usageFixture) series(t *testing.T, scope models.UsageScope, days int) []models.UsageDay {
	t.Helper()
	out, err := f.u.Series(context.Background(), scope, days)
	if err != nil {
		t.Fatalf("Series(%+v, %d): %v", scope, days, err)
	}
	if len(out) != days {
		t.Fatalf("Series(%+v, %d): %d days, want %d", scope, days, len(out), days)
	}
	return out
}

// flush is Usage.Flush, failing the test on an error.
func (f *usageFixture) flush(t *testing.T) {
	t.Helper()
	if err := f.u.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// createKey issues a one-day key for project p on api.
func (f *usageFixture) createKey(t *testing.T, p *models.Project, api *models.API) *models.APIKey {
	t.Helper()
	k, _, err := f.s.CreateAPIKey(context.Background(), f.w.owner, p.ID, models.APIKeyInput{Name: "k", API: api.ID, TTL: 24 * time.Hour}, "")
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	return k
}

// day is one day's four counts, for comparing.
type day struct{ tokens, keys, revocations, verifications int64 }

func (d day) String() string {
	return fmt.Sprintf("tokens %d, keys %d, revocations %d, verifications %d", d.tokens, d.keys, d.revocations, d.verifications)
}

func counts(d models.UsageDay) day {
	return day{d.Tokens, d.KeysCreated, d.Revocations, d.Verifications}
}

// wantDays checks the last len(want) days of got, oldest first.
func wantDays(t *testing.T, what string, got []models.UsageDay, want ...day) {
	t.Helper()
	tail := got[len(got)-len(want):]
	for i, w := range want {
		if g := counts(tail[i]); g != w {
			t.Errorf("%s on %s: got %v, want %v", what, tail[i].Day.Format(time.DateOnly), g, w)
		}
	}
}

// TestUsageCounts checks that every kind of count lands on its project, on each API of
// the credential and on its UTC day, before the flush (pending) and after it.
func TestUsageCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newUsageFixture(t, s)

		// Day 1: p creates a key for orders and revokes it; an API checks it twice; p
		// gets a token for orders and billing, one whose aud names orders twice (in two
		// spellings), and one for an API that no longer exists.
		k := f.createKey(t, f.p, f.orders)
		f.u.Verification(f.p.ID, []string{f.orders.Identifier})
		f.u.Verification(f.p.ID, []string{f.orders.Identifier})
		if err := s.RevokeAPIKey(ctx, f.w.owner, f.p.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		f.u.Token(f.p.ID, []string{f.orders.Identifier, f.billing.Identifier})
		f.u.Token(f.p.ID, []string{f.orders.Identifier, strings.ToUpper(f.orders.Identifier)})
		f.u.Token(f.p.ID, []string{"deleted-api"})
		// q gets a token for shipping.
		f.u.Token(f.q.ID, []string{f.shipping.Identifier})
		// Just before midnight, then just after it: day 2.
		f.clock.Advance(12*time.Hour - time.Second)
		f.u.Token(f.p.ID, []string{f.billing.Identifier})
		f.clock.Advance(time.Second)
		f.u.Token(f.p.ID, []string{f.orders.Identifier})
		f.createKey(t, f.q, f.shipping)

		check := func(t *testing.T) {
			wantDays(t, "project p", f.series(t, models.ProjectUsageScope(f.p.ID), 7), day{4, 1, 1, 2}, day{1, 0, 0, 0})
			wantDays(t, "project q", f.series(t, models.ProjectUsageScope(f.q.ID), 7), day{1, 0, 0, 0}, day{0, 1, 0, 0})
			wantDays(t, "orders", f.series(t, models.APIUsageScope(f.orders.ID), 7), day{2, 1, 1, 2}, day{1, 0, 0, 0})
			wantDays(t, "billing", f.series(t, models.APIUsageScope(f.billing.ID), 7), day{2, 0, 0, 0}, day{0, 0, 0, 0})
			wantDays(t, "shipping", f.series(t, models.APIUsageScope(f.shipping.ID), 7), day{1, 0, 0, 0}, day{0, 1, 0, 0})
			got, err := f.u.UsageFor(ctx, f.p.ID)
			if err != nil {
				t.Fatalf("UsageFor: %v", err)
			}
			if want := (models.ProjectUsage{TokensToday: 1, TokensWeek: 5, RevocationsToday: 0, RevocationsWeek: 1}); got != want {
				t.Errorf("UsageFor = %+v, want %+v", got, want)
			}
		}
		t.Run("Pending", check)
		f.flush(t)
		t.Run("Flushed", check)
		f.flush(t) // nothing pending: nothing added twice
		t.Run("FlushedAgain", check)

		// Pending and flushed counts of the same day add up.
		f.u.Token(f.p.ID, []string{f.orders.Identifier})
		wantDays(t, "orders, flushed and pending", f.series(t, models.APIUsageScope(f.orders.ID), 2), day{2, 1, 1, 2}, day{2, 0, 0, 0})
		f.flush(t)
		wantDays(t, "orders, both flushed", f.series(t, models.APIUsageScope(f.orders.ID), 2), day{2, 1, 1, 2}, day{2, 0, 0, 0})

		// Unknown project or API: zeros, not an error.
		for _, scope := range []models.UsageScope{models.ProjectUsageScope("prj_nope"), models.APIUsageScope("api_nope")} {
			for _, d := range f.series(t, scope, 30) {
				if counts(d) != (day{}) {
					t.Errorf("%+v on %s: %v, want zeros", scope, d.Day.Format(time.DateOnly), counts(d))
				}
			}
		}
	})
}

// TestUsageSeriesWindow checks the days a series covers: exactly days UTC days ending
// today by the store's clock, oldest first, zero-filled, and nothing outside them.
func TestUsageSeriesWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newUsageFixture(t, s)
		orders := []string{f.orders.Identifier}
		scope := models.ProjectUsageScope(f.p.ID)

		// Counts 31 days ago, 30 days ago (day one of a 30-day window), and today. The
		// older ones are flushed, today's stays pending.
		f.clock.Advance(-30 * 24 * time.Hour)
		f.u.Token(f.p.ID, orders)
		f.clock.Advance(24*time.Hour + 11*time.Hour + 59*time.Minute) // 23:59 on the first day of the window
		f.u.Token(f.p.ID, orders)
		f.u.Token(f.p.ID, orders)
		f.flush(t)
		f.clock.Advance(29*24*time.Hour - 11*time.Hour - 59*time.Minute) // back to usageStart
		f.u.Token(f.p.ID, orders)

		for _, tc := range []struct {
			days          int
			first         string
			sum, firstDay int64
		}{
			{30, "2026-02-09", 3, 2},
			{31, "2026-02-08", 4, 1},
			{7, "2026-03-04", 1, 0},
			{1, "2026-03-10", 1, 1},
		} {
			for _, sc := range []models.UsageScope{scope, models.APIUsageScope(f.orders.ID)} {
				got := f.series(t, sc, tc.days)
				var sum int64
				for i, d := range got {
					want := usageStart.AddDate(0, 0, i-tc.days+1).Truncate(24 * time.Hour)
					if !d.Day.Equal(want) || d.Day.Location() != time.UTC {
						t.Errorf("%d days, entry %d: day %v, want %v (UTC midnight)", tc.days, i, d.Day, want)
					}
					if d.KeysCreated != 0 || d.Revocations != 0 || d.Verifications != 0 {
						t.Errorf("%d days, %s: %v, want tokens only", tc.days, d.Day.Format(time.DateOnly), counts(d))
					}
					sum += d.Tokens
				}
				if first := got[0].Day.Format(time.DateOnly); first != tc.first || got[0].Tokens != tc.firstDay || sum != tc.sum {
					t.Errorf("%+v over %d days: starts %s with %d tokens, %d in all; want %s, %d, %d",
						sc, tc.days, first, got[0].Tokens, sum, tc.first, tc.firstDay, tc.sum)
				}
			}
		}

		// An idle day is a zero entry: the day before today had none.
		if d := f.series(t, scope, 2)[0]; counts(d) != (day{}) {
			t.Errorf("yesterday: %v, want zeros", counts(d))
		}

		for name, tc := range map[string]struct {
			scope models.UsageScope
			days  int
		}{
			"NoDays":        {scope, 0},
			"TooManyDays":   {scope, models.MaxUsageDays + 1},
			"NoScope":       {models.UsageScope{}, 7},
			"ProjectAndAPI": {models.UsageScope{ProjectID: f.p.ID, APIID: f.orders.ID}, 7},
		} {
			if got, err := f.u.Series(ctx, tc.scope, tc.days); err == nil {
				t.Errorf("%s: Series returned %d days and no error", name, len(got))
			}
		}
		if _, err := f.u.Series(ctx, scope, models.MaxUsageDays); err != nil {
			t.Errorf("Series over %d days: %v", models.MaxUsageDays, err)
		}
	})
}

// TestUsageFlushFailure checks that a flush that fails — here after the projects' rows
// were written, on the APIs' table — leaves the database as it was and puts the counts
// back, so the next flush writes each count exactly once.
func TestUsageFlushFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newUsageFixture(t, s)
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		exec := func(q string) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		rows := func() (project, api int64) {
			t.Helper()
			if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(tokens), 0) FROM usage_counts`).Scan(&project); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(tokens), 0) FROM api_usage_counts`).Scan(&api); err != nil {
				t.Fatal(err)
			}
			return project, api
		}

		f.u.Token(f.p.ID, []string{f.orders.Identifier})
		f.flush(t)
		f.u.Token(f.p.ID, []string{f.orders.Identifier})
		f.u.Verification(f.p.ID, []string{f.orders.Identifier})

		exec(`ALTER TABLE api_usage_counts RENAME TO api_usage_counts_away`)
		if err := f.u.Flush(ctx); err == nil {
			t.Fatal("Flush without the api_usage_counts table succeeded")
		}
		exec(`ALTER TABLE api_usage_counts_away RENAME TO api_usage_counts`)
		if p, a := rows(); p != 1 || a != 1 {
			t.Errorf("after the failed flush the tables hold %d and %d tokens, want 1 and 1 (rolled back)", p, a)
		}
		// What failed is still counted (pending again), with what came in since.
		f.u.Token(f.p.ID, []string{f.orders.Identifier})
		want := day{3, 0, 0, 1}
		wantDays(t, "project, after the failure", f.series(t, models.ProjectUsageScope(f.p.ID), 1), want)
		wantDays(t, "orders, after the failure", f.series(t, models.APIUsageScope(f.orders.ID), 1), want)

		// A flush that cannot start (its context is done) puts everything back too.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := f.u.Flush(cancelled); !errors.Is(err, context.Canceled) {
			t.Errorf("Flush with a cancelled context: %v, want context.Canceled", err)
		}

		f.flush(t)
		if p, a := rows(); p != 3 || a != 3 {
			t.Errorf("after the retry the tables hold %d and %d tokens, want 3 and 3", p, a)
		}
		wantDays(t, "project, flushed", f.series(t, models.ProjectUsageScope(f.p.ID), 1), want)
		wantDays(t, "orders, flushed", f.series(t, models.APIUsageScope(f.orders.ID), 1), want)
	})
}

// TestUsageConcurrent counts from many goroutines while flushes run: every count lands
// once (run with -race).
func TestUsageConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newUsageFixture(t, s)
		const workers, each = 8, 200
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					f.u.Token(f.p.ID, []string{f.orders.Identifier, f.billing.Identifier})
				}
			})
		}
		done := make(chan struct{})
		flushErr := make(chan error, 1)
		go func() {
			defer close(flushErr)
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := f.u.Flush(ctx); err != nil {
					flushErr <- err
					return
				}
			}
		}()
		wg.Wait()
		close(done)
		if err := <-flushErr; err != nil {
			t.Fatalf("Flush: %v", err)
		}
		f.flush(t)
		for _, sc := range []models.UsageScope{models.ProjectUsageScope(f.p.ID), models.APIUsageScope(f.orders.ID), models.APIUsageScope(f.billing.ID)} {
			if got := f.series(t, sc, 1)[0].Tokens; got != workers*each {
				t.Errorf("%+v: %d tokens, want %d", sc, got, workers*each)
			}
		}
	})
}
