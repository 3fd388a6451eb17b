package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestColdStartWriters restarts the portal on the same SQLite database again and again
// and, the moment it is ready, sends 32 key creations at once: every one must succeed
// (no "database is locked", no 500), however the fresh process's connections and
// statement caches happen to be. GATEHOUSE_COLDSTART_ROUNDS sets the number of
// restarts (default 50).
func TestColdStartWriters(t *testing.T) {
	t.Parallel()
	rounds := 50
	if v := os.Getenv("GATEHOUSE_COLDSTART_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GATEHOUSE_COLDSTART_ROUNDS=%q: want a positive number", v)
		}
		rounds = n
	}
	const writers = 32
	p := startPortal(t)
	u := stressSignIn(t, p, "coldstart@example.com", "Cold Start")
	var latencies []time.Duration
	failures := 0
	for round := 1; round <= rounds; round++ {
		if err := p.Stop(syscall.SIGTERM); err != nil {
			t.Fatalf("round %d: stopping the portal: %v", round, err)
		}
		stressExpectNoLocked(t, p.Log())
		expectNoServerErrors(t, p)
		p = stressRelaunch(t, p.DBPath)
		u.base = p.URL // the session cookie is host-bound, not port-bound: still signed in

		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var (
			wg     sync.WaitGroup
			gate   = make(chan struct{})
			mu     sync.Mutex
			errs   []string
			timing []time.Duration
		)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				start := time.Now()
				_, status, err := u.createKey(ctx, fmt.Sprintf("r%d-w%d", round, i))
				mu.Lock()
				defer mu.Unlock()
				timing = append(timing, time.Since(start))
				if err != nil || status != http.StatusOK {
					errs = append(errs, fmt.Sprintf("status %d: %v", status, err))
				}
			}()
		}
		close(gate)
		wg.Wait()
		cancel()
		latencies = append(latencies, timing...)
		if len(errs) > 0 {
			failures += len(errs)
			t.Errorf("round %d: %d of %d creations failed right after the start: %q", round, len(errs), writers, errs)
		}
	}
	slices.Sort(latencies)
	t.Logf("%d restarts × %d simultaneous key creations: %d failures; latency p50 %s, p99 %s, max %s", rounds, writers, failures,
		latencies[len(latencies)/2].Round(time.Millisecond), latencies[len(latencies)*99/100].Round(time.Millisecond),
		latencies[len(latencies)-1].Round(time.Millisecond))
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stopping the portal: %v", err)
	}
	stressExpectNoLocked(t, p.Log())
	expectNoServerErrors(t, p)
}
