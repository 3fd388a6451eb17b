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
