package store

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// lastUsed buffers when credentials were last used, keyed by table and row, and writes
// them in batches (FlushLastUsed, run by a job like the usage counts): the token
// endpoint never writes per request.
type lastUsed struct {
	mu      sync.Mutex
	pending map[lastUsedKey]time.Time
}

type lastUsedKey struct {
	table  string // client_secrets, client_keys or api_keys
	column string // what identifies the row: hash (secrets) or id
	value  string
}

// markUsed records that the row was used at.
func (s *Store) markUsed(table, column, value string, at time.Time) {
	s.used.mu.Lock()
	defer s.used.mu.Unlock()
	if s.used.pending == nil {
		s.used.pending = map[lastUsedKey]time.Time{}
	}
	k := lastUsedKey{table, column, value}
	if at.After(s.used.pending[k]) {
		s.used.pending[k] = at
	}
}

// FlushLastUsed writes the buffered times in one transaction; a time never moves a
// row's last use backwards. On failure the batch is put back.
func (s *Store) FlushLastUsed(ctx context.Context) error {
	s.used.mu.Lock()
	batch := s.used.pending
	s.used.pending = nil
	s.used.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		for k, at := range batch {
			if err := tx.Table(k.table).Where(k.column+" = ? AND (last_used_at IS NULL OR last_used_at < ?)", k.value, at).
				Update("last_used_at", at).Error; err != nil {
				return err
			}
		}
		return nil
	}, false) // which credential was used changes no client: the cache stays
	if err != nil {
		for k, at := range batch {
			s.markUsed(k.table, k.column, k.value, at)
		}
	}
	return err
}
