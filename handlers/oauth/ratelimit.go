package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/store"
)

// failureLimiter refuses client authentication for keys ("client:…", "ip:…") that
// failed too often in the current window. Failures are counted in the database, so all
// instances share one count; the answer "blocked until …" is kept in memory, so a
// request that does not fail costs no database work.
type failureLimiter struct {
	store  *store.Store
	window time.Duration

	mu      sync.Mutex
	blocked map[string]time.Time // key → end of its blocked window
}

func newFailureLimiter(store *store.Store, window time.Duration) *failureLimiter {
	return &failureLimiter{store: store, window: window, blocked: map[string]time.Time{}}
}

// wait reports how long key stays blocked (0 when it is not).
func (l *failureLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.blocked[key]
	if !ok {
		return 0
	}
	left := until.Sub(l.store.Now())
	if left <= 0 {
		delete(l.blocked, key)
		return 0
	}
	return left
}

// fail counts a failure for key; at limit the key is blocked until its window ends.
func (l *failureLimiter) fail(ctx context.Context, key string, limit int) error {
	n, start, err := l.store.RecordAuthFailure(ctx, key, l.window)
	if err != nil {
		return err
	}
	if n >= limit {
		l.mu.Lock()
		l.blocked[key] = start.Add(l.window)
		l.mu.Unlock()
	}
	return nil
}

// prune forgets blocks that have ended and old database counts.
func (l *failureLimiter) prune(ctx context.Context) error {
	now := l.store.Now()
	l.mu.Lock()
	for k, until := range l.blocked {
		if !now.Before(until) {
			delete(l.blocked, k)
		}
	}
	l.mu.Unlock()
	return l.store.PruneAuthFailures(ctx, l.window)
}
