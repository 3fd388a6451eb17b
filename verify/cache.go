package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// cached is what a verified credential leaves behind: enough to re-accept it without a
// signature check while still checking its expiry, key, status and the allow-lists on
// every call. It is never modified after it is stored.
type cached struct {
	p         *Principal
	exp       time.Time
	kid       string
	statusURI string
	statusIdx int
	kind      Kind
	// project and team are the sub and team claims, for the allow-lists: copies, so
	// that a caller changing its Principal cannot change what is checked.
	project, team string
	// jkt is the cnf.jkt the token is bound to ("" for an unbound token).
	jkt string
	// x5t is the decoded cnf.x5t#S256 when certBound (RFC 8705).
	x5t       [32]byte
	certBound bool
}

// clockNode is a cache entry with its "recently used" bit.
type clockNode struct {
	key [32]byte
	val cached
	ref atomic.Bool
}

// shard is one lock's worth of the cache. Lookups take the read lock only and mark the
// entry used; eviction (CLOCK, an approximation of LRU) happens under the write lock
// when a full shard takes a new entry.
type shard struct {
	mu   sync.RWMutex
	m    map[[32]byte]*clockNode
	ring []*clockNode
	hand int
	cap  int
	// hits counts cache hits here rather than in one shared counter that every core
	// would write.
	hits atomic.Int64
	_    [64]byte // keep neighbouring shards off this cache line
}

// tokenCache is a sharded CLOCK cache keyed by the SHA-256 of the token: bounded
// memory, and parallel lookups never wait for each other.
type tokenCache struct {
	shards []shard
}

const cacheShards = 32

func newTokenCache(size int) *tokenCache {
	if size < cacheShards {
		size = cacheShards
	}
	c := &tokenCache{shards: make([]shard, cacheShards)}
	for i := range c.shards {
		c.shards[i] = shard{m: make(map[[32]byte]*clockNode), cap: size / cacheShards}
	}
	return c
}

// cacheKey hashes a token for the cache.
func cacheKey(token string) [32]byte { return sha256.Sum256(bytesOf(token)) }

// bytesOf views s as bytes without copying; only for functions that read and do not
// keep their argument (hashing, signature checks).
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (c *tokenCache) shard(k *[32]byte) *shard {
	return &c.shards[binary.LittleEndian.Uint32(k[:4])%cacheShards]
}

// get returns the entry and marks it recently used.
func (c *tokenCache) get(k [32]byte) (cached, bool) {
	s := c.shard(&k)
	s.mu.RLock()
	n, ok := s.m[k]
	s.mu.RUnlock()
	if !ok {
		return cached{}, false
	}
	if !n.ref.Load() { // write only when it changes: no cache-line ping-pong on hot keys
		n.ref.Store(true)
	}
	s.hits.Add(1)
	return n.val, true
}

// hits sums the shards' hit counts.
func (c *tokenCache) hits() int64 {
	var n int64
	for i := range c.shards {
		n += c.shards[i].hits.Load()
	}
	return n
}

// put adds an entry, evicting one that was not used since the hand last passed it.
func (c *tokenCache) put(k [32]byte, v cached) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := &clockNode{key: k, val: v}
	if old, ok := s.m[k]; ok {
		for i, r := range s.ring {
			if r == old {
				s.ring[i] = n
				break
			}
		}
		s.m[k] = n
		return
	}
	if len(s.ring) < s.cap {
		s.ring = append(s.ring, n)
		s.m[k] = n
		return
	}
	for s.ring[s.hand].ref.Load() {
		s.ring[s.hand].ref.Store(false)
		s.hand = (s.hand + 1) % len(s.ring)
	}
	delete(s.m, s.ring[s.hand].key)
	s.ring[s.hand] = n
	s.m[k] = n
	s.hand = (s.hand + 1) % len(s.ring)
}

// remove drops an entry (a credential that failed its re-check).
func (c *tokenCache) remove(k [32]byte) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.m[k]
	if !ok {
		return
	}
	delete(s.m, k)
	for i, r := range s.ring {
		if r == old {
			last := len(s.ring) - 1
			s.ring[i] = s.ring[last]
			s.ring = s.ring[:last]
			if s.hand >= len(s.ring) {
				s.hand = 0
			}
			break
		}
	}
}

// len counts the entries (tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
