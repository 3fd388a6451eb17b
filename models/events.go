package models

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Event types. An event has one writer — the store method that makes the change — and
// any number of subscribers.
const (
	// EventAPIKeyRevoked: an API key's status bit was set. Data: status_list, idx, via.
	EventAPIKeyRevoked = "api_key.revoked"
)

// Revocation channels: how a key came to be revoked (Event.Via, the metrics label).
const (
	ViaPage          = "page"           // a member revoked it on the project page
	ViaPaste         = "paste"          // a member pasted the leaked value
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

// events fans committed events out to subscribers.
type events struct {
	mu   sync.RWMutex
	subs []func(Event)
}

// Subscribe registers fn to hear every committed event, in the order the events were
// committed on this instance. fn runs on the committing goroutine: it must be quick and
// must not call back into the store's writes.
func (s *Store) Subscribe(fn func(Event)) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.subs = append(s.events.subs, fn)
}

func (e *events) publish(ev Event) {
	e.mu.RLock()
	subs := e.subs
	e.mu.RUnlock()
	for _, fn := range subs {
		fn(ev)
	}
}

// txEffectsKey carries a transaction's after-commit effects in its context.
type txEffectsKey struct{}

// txEffects are what a transaction does once it has committed: publish its events,
// update this instance's caches. Nothing runs if it rolls back.
type txEffects struct{ fns []func() }

// afterCommit schedules fn to run once tx has committed (at once when tx is not one of
// the store's transactions, which does not happen outside tests).
func afterCommit(tx *gorm.DB, fn func()) {
	if fx, ok := tx.Statement.Context.Value(txEffectsKey{}).(*txEffects); ok {
		fx.fns = append(fx.fns, fn)
		return
	}
	fn()
}

// emit appends ev to the outbox inside tx and publishes it once tx commits.
func (s *Store) emit(tx *gorm.DB, ev Event) error {
	ev.ID = uuid.Must(uuid.NewV7()).String()
	ev.At = s.now()
	data := map[string]any{}
	for k, v := range ev.Data {
		data[k] = v
	}
	if ev.Via != "" {
		data["via"] = ev.Via
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := tx.Create(&OutboxEvent{ID: ev.ID, Type: ev.Type, TeamID: ev.TeamID, ProjectID: ev.ProjectID,
		SubjectID: ev.SubjectID, Data: string(b), CreatedAt: ev.At}).Error; err != nil {
		return err
	}
	afterCommit(tx, func() { s.events.publish(ev) })
	return nil
}

// OutboxFilter selects outbox events: those of a type (all when empty) after the event
// with id After (from the start when empty), oldest first, at most Limit (100 when 0).
type OutboxFilter struct {
	Type  string
	After string
	Limit int
}

// Outbox reads committed events from the outbox table, for deliveries to the outside.
// It is the operator's and the delivery workers' view, not a team's: it takes no actor.
func (s *Store) Outbox(ctx context.Context, f OutboxFilter) ([]OutboxEvent, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := s.db.WithContext(ctx).Order("id")
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.After != "" {
		q = q.Where("id > ?", f.After)
	}
	var out []OutboxEvent
	return out, q.Limit(f.Limit).Find(&out).Error
}
