package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestRecordAuthFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.RecordAuthFailure(ctx, "client:prj_x", time.Minute); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		n, start, err := s.RecordAuthFailure(ctx, "client:prj_x", time.Minute)
		if err != nil || n != 21 || !start.Equal(now) {
			t.Fatalf("after 21 concurrent failures: n=%d start=%v err=%v; want 21 in the window starting %v", n, start, err, now)
		}
		if n, _, err := s.RecordAuthFailure(ctx, "ip:192.0.2.1", time.Minute); err != nil {
			t.Fatalf("RecordAuthFailure: %v", err)
		} else if n != 1 {
			t.Errorf("another key starts at %d, want 1", n)
		}
		now = now.Add(time.Minute)
		if n, start, err := s.RecordAuthFailure(ctx, "client:prj_x", time.Minute); err != nil {
			t.Fatalf("RecordAuthFailure: %v", err)
		} else if n != 1 || !start.Equal(now) {
			t.Errorf("after the window: n=%d start=%v, want a new window at 1", n, start)
		}
	})
}
