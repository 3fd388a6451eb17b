package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
	"unsafe"
)

// cached is what a verified credential leaves behind: enough to re-accept it without a
// signature check while still checking its expiry, key and status on every call.
type cached struct {
	p         *Principal
	exp       time.Time
	kid       string
	statusURI string
	statusIdx int
	kind      Kind
}

// lruNode is an entry of a shard's doubly linked recency list.
type lruNode struct {
	key        [32]byte
	val        cached
	prev, next *lruNode
}

// shard is one lock's worth of the cache.
type shard struct {
	mu   sync.Mutex
	m    map[[32]byte]*lruNode
	head *lruNode // most recent
	tail *lruNode // least recent
	cap  int
}

// tokenCache is a sharded LRU keyed by the SHA-256 of the token: bounded memory, and a
// lock per shard so parallel requests rarely contend.
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
		c.shards[i] = shard{m: make(map[[32]byte]*lruNode), cap: size / cacheShards}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.m[k]
	if !ok {
		return cached{}, false
	}
	s.moveToFront(n)
	return n.val, true
}

// put adds an entry, evicting the least recently used one when the shard is full.
func (c *tokenCache) put(k [32]byte, v cached) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.m[k]; ok {
		n.val = v
		s.moveToFront(n)
		return
	}
	n := &lruNode{key: k, val: v}
	s.m[k] = n
	s.pushFront(n)
	if len(s.m) > s.cap {
		old := s.tail
		s.unlink(old)
		delete(s.m, old.key)
	}
}

// remove drops an entry (a credential that failed its re-check).
func (c *tokenCache) remove(k [32]byte) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.m[k]; ok {
		s.unlink(n)
		delete(s.m, k)
	}
}

// len counts the entries (tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.Lock()
		n += len(c.shards[i].m)
		c.shards[i].mu.Unlock()
	}
	return n
}

func (s *shard) pushFront(n *lruNode) {
	n.prev, n.next = nil, s.head
	if s.head != nil {
		s.head.prev = n
	}
	s.head = n
	if s.tail == nil {
		s.tail = n
	}
}

func (s *shard) unlink(n *lruNode) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		s.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		s.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (s *shard) moveToFront(n *lruNode) {
	if s.head == n {
		return
	}
	s.unlink(n)
	s.pushFront(n)
}
