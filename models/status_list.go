package models

import (
	"time"
)

// StatusListSize is how many credentials one status list holds (1 bit each: 16 KiB
// raw, a few hundred bytes compressed while most keys are valid).
const StatusListSize = 1 << 17

// StatusList is a bit array in which each API key owns one index (IETF OAuth Token
// Status List). Indexes are handed out in order and never reused. Version moves on
// every revocation so that every instance knows to re-sign the list.
type StatusList struct {
	ID        string `gorm:"primaryKey"`
	Size      int
	NextIdx   int
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusChange is one row of the revocation feed's change log: a status bit set in a
// list, written in the revocation's transaction. ID is the feed's seq; Version is the
// list's version after the change.
type StatusChange struct {
	ID           int64 `gorm:"primaryKey"`
	StatusListID string
	StatusIdx    int
	Status       int
	Version      int64
	CreatedAt    time.Time
}

// StatusRevoked is the only status a change sets (revocation is one-way).
const StatusRevoked = 1
