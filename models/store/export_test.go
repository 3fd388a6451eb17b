package store

import "time"

// SetClock replaces the clock a JWKSFetcher reads, so that tests in package store_test
// can step past the refetch throttle and cache lifetimes instead of sleeping through them.
// Set it before the fetcher is used.
func (f *JWKSFetcher) SetClock(now func() time.Time) { f.now = now }

// SetPruneBatch sets how many rows one pruning transaction deletes, and restores it
// when the test ends.
func SetPruneBatch(tb interface{ Cleanup(func()) }, n int) {
	old := pruneBatch
	pruneBatch = n
	tb.Cleanup(func() { pruneBatch = old })
}

// ReferenceTokenRows counts the stored reference tokens (pruning tests).
func (s *Store) ReferenceTokenRows() (n int64, err error) {
	return n, s.db.Table("reference_tokens").Count(&n).Error
}
