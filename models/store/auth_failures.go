package store

import (
	"context"
	"time"
)

// RecordAuthFailure counts a failed authentication for key in the current window of
// length window (a new window starts when the old one has ended) and returns the count
// so far and when the window started. One upsert, atomic on both databases.
func (s *Store) RecordAuthFailure(ctx context.Context, key string, window time.Duration) (int, time.Time, error) {
	now := s.now()
	var out struct {
		Failures    int
		WindowStart time.Time
	}
	err := s.db.WithContext(ctx).Raw(`INSERT INTO auth_failures (key, window_start, failures) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN auth_failures.window_start <= ? THEN 1 ELSE auth_failures.failures + 1 END,
			window_start = CASE WHEN auth_failures.window_start <= ? THEN excluded.window_start ELSE auth_failures.window_start END
		RETURNING failures, window_start`, key, now, now.Add(-window), now.Add(-window)).Scan(&out).Error
	return out.Failures, out.WindowStart, err
}

// PruneAuthFailures deletes counts whose window ended long ago.
func (s *Store) PruneAuthFailures(ctx context.Context, window time.Duration) error {
	return s.db.WithContext(ctx).Exec("DELETE FROM auth_failures WHERE window_start < ?", s.now().Add(-2*window)).Error
}
