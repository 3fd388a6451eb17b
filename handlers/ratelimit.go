package handlers

import (
	"sync"
	"time"
)

// failureLimiter counts failed client authentications per key ("client:…", "ip:…") in
// fixed windows. Once a key reaches its limit, every attempt — right or wrong — is
// refused until the window ends, so guessing cannot go on.
type failureLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	start    time.Time
	failures int
}

func newFailureLimiter(window time.Duration, now func() time.Time) *failureLimiter {
	return &failureLimiter{window: window, now: now, buckets: map[string]*bucket{}}
}

// blocked reports whether key has used up limit in the current window, and for how long.
func (l *failureLimiter) blocked(key string, limit int) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil || now.Sub(b.start) >= l.window || b.failures < limit {
		return false, 0
	}
	return true, b.start.Add(l.window).Sub(now)
}

// fail records a failure for key.
func (l *failureLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > l.window {
		for k, b := range l.buckets {
			if now.Sub(b.start) >= l.window {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil || now.Sub(b.start) >= l.window {
		b = &bucket{start: now}
		l.buckets[key] = b
	}
	b.failures++
}
