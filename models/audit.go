package models

import (
	"time"
)

// AuditEvent is one append-only record of a change: who, what, which target, when,
// from where. It never holds a secret.
type AuditEvent struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	ProjectID   string
	ActorID     string
	ActorLabel  string
	Action      string
	TargetType  string
	TargetID    string
	TargetLabel string
	Details     string
	IP          string
	UserAgent   string
	CreatedAt   time.Time
}

// AuditPageSize is how many events one page of the audit log holds.
const AuditPageSize = 50
