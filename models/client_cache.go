package models

import (
	"time"
)

// ClientCacheTTL bounds how long a client authenticated from the database is then
// authenticated from memory: the token and introspection endpoints do no database read
// for it meanwhile, and it keeps getting tokens through a database outage for at most
// this long after its last database read.
const ClientCacheTTL = 5 * time.Minute

// ErrUnavailable means the database could not be reached to answer, and memory could
// not answer either: try again shortly.
var ErrUnavailable = unavailableErr("temporarily unavailable: the database cannot be reached")

// ClientCacheStats are the client cache's counters.
type ClientCacheStats struct {
	// Hits are authentications answered from memory, OutageHits those among them
	// answered while the database could not be reached, Misses those read from it.
	Hits, OutageHits, Misses int64
}
