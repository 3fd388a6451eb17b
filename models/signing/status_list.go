package signing

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// statusListEntry is a signed status list token kept in memory.
type statusListEntry struct {
	id      string
	version int64
	bits    []byte
	token   []byte
	etag    string
	built   time.Time
	// read is when bits were last read from the database; between reads they follow
	// the change log (ApplyStatusChanges) and this instance's own revocations.
	read time.Time
	// stale: the bits changed in memory (or the ring did): re-sign them, a cost of one
	// list. dirty: the bits may lack a change (a gap in the change log, a version that
	// moved without one): read the list from the database again.
	stale, dirty bool
	// retryAt: while the database cannot be read, the list is re-signed from memory and
	// the database is tried again only from then on.
	retryAt time.Time
}

// statusListRetry is how long an instance serves a list from memory before it tries
// the database again, while the database is down.
const statusListRetry = 2 * time.Second

// statusListReadTimeout bounds reading a list from the database: past it, the list in
// memory is re-signed and served.
const statusListReadTimeout = 2 * time.Second

// statusListCache holds the signed lists; a mutex also makes rebuilding single-flight.
type statusListCache struct {
	mu      sync.Mutex
	entries map[string]*statusListEntry
}

func (c *statusListCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		e.stale = true
	}
}

// MarkRevoked records, after a revocation on this instance committed, the key's bit in the
// list in memory and marks the list for re-signing: the list served (or re-signed
// during a database outage) never lacks a revocation this instance made.
func (s *Signer) MarkRevoked(listID string, idx int) {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	if e, ok := s.lists.entries[listID]; ok {
		if idx >= 0 && idx/8 < len(e.bits) {
			e.bits[idx/8] |= 1 << (idx % 8)
		}
		e.stale, e.retryAt = true, time.Time{}
	}
}

// refreshListVersions marks lists whose version moved (revocations made by any
// instance) for re-signing.
func (s *Signer) refreshListVersions(ctx context.Context) error {
	versions, err := s.ring.StatusListVersions(ctx)
	if err != nil {
		return err
	}
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	for id, v := range versions {
		if e, ok := s.lists.entries[id]; ok && e.version < v {
			e.dirty = true // a revocation the change log has not shown (yet): read it
		}
	}
	return nil
}

// StatusListURI is where the status list with this id is published.
func (s *Signer) StatusListURI(id string) string { return s.cfg.Issuer + "/statuslists/" + id }

// StatusListToken returns the signed status list token for id and its ETag, from memory
// while it is fresh: re-read and re-signed after a revocation, a ring change, or half
// its ttl. When the database cannot be read, a list this instance holds is re-signed
// from its bits in memory and served — through any outage — since offline verifiers
// depend on it; the database is tried again every few seconds.
func (s *Signer) StatusListToken(ctx context.Context, id string) ([]byte, string, error) {
	now := s.now()
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	e, ok := s.lists.entries[id]
	if ok && !e.stale && !e.dirty && now.Sub(e.built) < s.cfg.StatusListTTL/2 {
		return e.token, e.etag, nil
	}
	if ok && !e.dirty && now.Sub(e.read) < statusListReread {
		// The bits in memory are current (the change log keeps them so): re-sign them.
		if err := s.resign(e, now); err != nil {
			return nil, "", err
		}
		e.stale = false
		return e.token, e.etag, nil
	}
	if ok && now.Before(e.retryAt) {
		if now.Sub(e.built) >= s.cfg.StatusListTTL/2 {
			if err := s.resign(e, now); err != nil {
				return nil, "", err
			}
		}
		return e.token, e.etag, nil
	}
	readCtx, cancel := context.WithTimeout(ctx, statusListReadTimeout)
	fresh, err := s.buildStatusList(readCtx, id, now)
	cancel()
	switch {
	case err == nil:
		s.lists.entries[id] = fresh
		return fresh.token, fresh.etag, nil
	case errors.Is(err, models.ErrNotFound) || !ok:
		return nil, "", err
	}
	s.cfg.Logger.Warn("status list: the database cannot be read; serving the list from memory", "list", id, "error", err.Error())
	s.outages.Add(1)
	e.retryAt = now.Add(statusListRetry)
	if err := s.resign(e, now); err != nil {
		return nil, "", err
	}
	return e.token, e.etag, nil
}

// resign signs e's bits again at now (a fresh iat and exp), keeping its version.
func (s *Signer) resign(e *statusListEntry, now time.Time) error {
	fresh, err := s.signList(e.id, e.version, e.bits, now)
	if err != nil {
		return err
	}
	e.token, e.etag, e.built = fresh.token, fresh.etag, now
	s.resigns.Add(1)
	return nil
}

// StatusListMaxAge is the age of the oldest signed status list this instance holds.
func (s *Signer) StatusListMaxAge() time.Duration {
	now := s.now()
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	var oldest time.Duration
	for _, e := range s.lists.entries {
		oldest = max(oldest, now.Sub(e.built))
	}
	return oldest
}

// StatusListOutages counts the times a status list was served from memory because the
// database could not be read.
func (s *Signer) StatusListOutages() int64 { return s.outages.Load() }

// Revoked reads a credential's bit from the list this instance publishes (the same
// freshness as GET /statuslists/{id}: re-read after a local revocation at once, after
// another instance's within a poll interval).
func (s *Signer) Revoked(ctx context.Context, listID string, idx int) (bool, error) {
	if _, _, err := s.StatusListToken(ctx, listID); err != nil {
		return false, err
	}
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	e := s.lists.entries[listID]
	if e == nil || idx < 0 || idx/8 >= len(e.bits) {
		return true, nil // unknown: fail closed
	}
	return e.bits[idx/8]&(1<<(idx%8)) != 0, nil
}

// statusListClaims is the payload of a status list token.
type statusListClaims struct {
	jwt.Claims
	TTL        int64          `json:"ttl"`
	StatusList statusListBits `json:"status_list"`
}

type statusListBits struct {
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

// buildStatusList signs the current state of a list.
func (s *Signer) buildStatusList(ctx context.Context, id string, now time.Time) (*statusListEntry, error) {
	size, version, revoked, err := s.ring.StatusListState(ctx, id)
	if err != nil {
		return nil, err
	}
	bits := make([]byte, (size+7)/8)
	for _, i := range revoked {
		if i >= 0 && i < size {
			bits[i/8] |= 1 << (i % 8) // the draft's order: index 0 is the least significant bit of byte 0
		}
	}
	e, err := s.signList(id, version, bits, now)
	if err == nil {
		e.read = now
		s.rebuilds.Add(1)
	}
	return e, err
}

// signList signs a list's bits as a status list token issued at now.
func (s *Signer) signList(id string, version int64, bits []byte, now time.Time) (*statusListEntry, error) {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	_, _ = zw.Write(bits)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	claims := statusListClaims{
		Claims: jwt.Claims{Issuer: s.cfg.Issuer, Subject: s.StatusListURI(id), IssuedAt: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(s.cfg.StatusListValidity))},
		TTL:        int64(s.cfg.StatusListTTL / time.Second),
		StatusList: statusListBits{Bits: 1, Lst: base64.RawURLEncoding.EncodeToString(buf.Bytes())},
	}
	tok, _, err := s.Sign(models.TypStatusList, claims)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(tok))
	return &statusListEntry{id: id, version: version, bits: bits, token: []byte(tok),
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, built: now}, nil
}
