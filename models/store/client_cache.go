package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// clientCacheSize bounds the cache (a full cache is emptied, then refills).
const clientCacheSize = 10000

// clientCache holds recently authenticated clients by their secret's SHA-256.
//
// What is cached can never outlive a change made while the database is up: every
// change to a team, project, secret, grant or API writes an audit event in its
// transaction, and the cache is emptied when the newest audit event changes — at once
// on the instance that made the change (after its commit), within the poll interval
// (a second) on every other instance. An entry read before such a change but stored
// after it carries the older generation and is never served.
type clientCache struct {
	mu      sync.Mutex
	entries map[string]*cachedClient
	// gen moves whenever the cache is emptied; an entry is served only at its own gen.
	gen atomic.Int64
	// lastEvent is the newest audit event id seen by the poll.
	lastEvent string
	// hits, outageHits and misses are counters for metrics.
	hits, outageHits, misses atomic.Int64
	// dbDown is set while the poll cannot reach the database.
	dbDown atomic.Bool
}

// cachedClient is one authenticated client secret.
type cachedClient struct {
	project   models.Project
	clientID  string
	expiresAt *time.Time // the secret's expiry
	readAt    time.Time  // when the database confirmed it
	gen       int64
}

// get returns the cached project for (hash, clientID), valid at now, or nil.
func (c *clientCache) get(hash, clientID string, now time.Time) *models.Project {
	c.mu.Lock()
	e := c.entries[hash]
	c.mu.Unlock()
	if e == nil || e.gen != c.gen.Load() || now.Sub(e.readAt) >= models.ClientCacheTTL ||
		(e.expiresAt != nil && !now.Before(*e.expiresAt)) ||
		subtle.ConstantTimeCompare([]byte(e.clientID), []byte(clientID)) != 1 {
		return nil
	}
	p := e.project
	p.Grants = append([]models.IssuableGrant(nil), e.project.Grants...)
	return &p
}

// put stores an authenticated client read from the database at gen.
func (c *clientCache) put(hash string, p *models.Project, expiresAt *time.Time, now time.Time, gen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= clientCacheSize {
		c.entries = map[string]*cachedClient{}
	}
	c.entries[hash] = &cachedClient{project: *p, clientID: p.ID, expiresAt: expiresAt, readAt: now, gen: gen}
}

// clear empties the cache and moves the generation.
func (c *clientCache) clear() {
	c.mu.Lock()
	c.entries = nil
	c.gen.Add(1)
	c.mu.Unlock()
}

// ClientCacheStats returns the counters since the start.
func (s *Store) ClientCacheStats() models.ClientCacheStats {
	c := &s.clients
	return models.ClientCacheStats{Hits: c.hits.Load(), OutageHits: c.outageHits.Load(), Misses: c.misses.Load()}
}

// RefreshCaches picks up changes other instances made: when the newest audit event
// differs from the one seen last, the client cache is emptied. Run it every second.
func (s *Store) RefreshCaches(ctx context.Context) error {
	var newest string
	c := &s.clients
	if err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), '') FROM audit_events").Scan(&newest).Error; err != nil {
		c.dbDown.Store(true)
		return err
	}
	c.dbDown.Store(false)
	c.mu.Lock()
	changed := newest != c.lastEvent
	c.lastEvent = newest
	c.mu.Unlock()
	if changed {
		c.clear()
	}
	return nil
}

// unavailable wraps a database error met while answering a client: ErrUnavailable,
// unless the caller's own context ended.
func unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: %v", models.ErrUnavailable, err)
}
