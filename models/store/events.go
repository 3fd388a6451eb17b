package store

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// events fans committed events out to subscribers.
type events struct {
	mu   sync.RWMutex
	subs []func(models.Event)
}

// Subscribe registers fn to hear every committed event, in the order the events were
// committed on this instance. fn runs on the committing goroutine: it must be quick and
// must not call back into the store's writes.
func (s *Store) Subscribe(fn func(models.Event)) {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.subs = append(s.events.subs, fn)
}

func (e *events) publish(ev models.Event) {
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
func (s *Store) emit(tx *gorm.DB, ev models.Event) error {
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
	if err := tx.Create(&models.OutboxEvent{ID: ev.ID, Type: ev.Type, TeamID: ev.TeamID, ProjectID: ev.ProjectID,
		SubjectID: ev.SubjectID, Data: string(b), CreatedAt: ev.At}).Error; err != nil {
		return err
	}
	afterCommit(tx, func() { s.events.publish(ev) })
	return nil
}

// emitTo emits ev once for each distinct team of teams (a grant concerns the API's team
// and the project's), each with an id of its own.
func (s *Store) emitTo(tx *gorm.DB, ev models.Event, teams ...string) error {
	seen := map[string]bool{}
	for _, t := range teams {
		if seen[t] {
			continue
		}
		seen[t] = true
		e := ev
		e.TeamID = t
		if t != ev.TeamID && ev.TeamID != "" {
			e.ProjectID = "" // the other team's event names no project of its own
		}
		if err := s.emit(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Outbox reads committed events from the outbox table, for deliveries to the outside.
// It is the operator's and the delivery workers' view, not a team's: it takes no actor.
func (s *Store) Outbox(ctx context.Context, f models.OutboxFilter) ([]models.OutboxEvent, error) {
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
	var out []models.OutboxEvent
	return out, q.Limit(f.Limit).Find(&out).Error
}
