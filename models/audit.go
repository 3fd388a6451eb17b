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

// AuditExportLimit is the most events one export holds.
const AuditExportLimit = 10000

// AuditFilter selects a team's audit events. Empty fields select everything.
type AuditFilter struct {
	// Actor matches the actor's label (an email, a name, "client prj_…"), case-insensitively,
	// as a substring.
	Actor string
	// Action matches the action exactly ("key.revoke"), or every action under a prefix
	// ending in "." ("key.").
	Action string
	// ProjectID keeps the events of one project.
	ProjectID string
	// From and To bound the events' time: From included, To excluded.
	From, To time.Time
	// Offset and Limit page through the events, newest first (Limit 0: AuditPageSize).
	Offset, Limit int
	// After, when set, keeps only the events listed after this one (newest first):
	// a page boundary that inserts do not move.
	After *AuditCursor
}

// AuditCursor names an event by its place in the log's order (time, then id).
type AuditCursor struct {
	At time.Time
	ID string
}
