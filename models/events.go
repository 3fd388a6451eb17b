package models

import (
	"time"
)

// Event types. An event has one writer — the store method that makes the change — and
// any number of subscribers.
const (
	// EventAPIKeyCreated: an API key was issued. Data: api_id (the API it was issued
	// for), audiences (the identifiers of the APIs in its aud).
	EventAPIKeyCreated = "api_key.created"
	// EventAPIKeyRevoked: an API key's status bit was set. Data: status_list, idx,
	// audiences (the identifiers of the APIs in its aud), via.
	EventAPIKeyRevoked = "api_key.revoked"
)

// Revocation channels: how a key came to be revoked (Event.Via, the metrics label).
const (
	ViaPage          = "page"           // a member revoked it on the project page
	ViaPaste         = "paste"          // a member pasted the leaked value
	ViaLeakReport    = "leak_report"    // a secret scanner reported it leaked (team policy revoke)
	ViaOAuthRevoke   = "oauth_revoke"   // its project revoked it at /oauth/revoke (RFC 7009)
	ViaAccessChange  = "access_change"  // a grant it relied on was narrowed or removed
	ViaProjectDelete = "project_delete" // its project was deleted
)

// Event is a change the domain announces, after it committed. The same event is
// appended to the outbox table in the change's transaction.
type Event struct {
	ID        string
	Type      string
	TeamID    string
	ProjectID string
	// SubjectID is the changed object (an API key's id).
	SubjectID string
	// Via says how it happened (for revocations, one of the Via… values).
	Via  string
	Data map[string]any
	At   time.Time
}

// OutboxEvent is an Event as the outbox table keeps it.
type OutboxEvent struct {
	ID        string `gorm:"primaryKey"`
	Type      string
	TeamID    string
	ProjectID string
	SubjectID string
	Data      string
	CreatedAt time.Time
}

// OutboxFilter selects outbox events: those of a type (all when empty) after the event
// with id After (from the start when empty), oldest first, at most Limit (100 when 0).
type OutboxFilter struct {
	Type  string
	After string
	Limit int
}
