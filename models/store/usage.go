package store

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Usage counts issued tokens and revocations per project in memory and adds them to the
// database in batches (Flush, which the process runs every 10 s and once more after the
// last request), so the token endpoint never writes per token.
type Usage struct {
	store   *Store
	mu      sync.Mutex
	pending map[usageKey]*models.UsageCount
}

type usageKey struct{ project, day string }

// usageOnce holds a store's one usage counter.
type usageOnce struct {
	once sync.Once
	u    *Usage
}

// NewUsage returns the store's usage counter (one per store, however often it is
// asked for). It counts every API key revocation the store commits, whichever way it
// came (the page, a pasted value, /oauth/revoke, an access change, a deleted project),
// by subscribing to EventAPIKeyRevoked; issued tokens are counted by Token.
func NewUsage(s *Store) *Usage {
	s.usage.once.Do(func() {
		u := &Usage{store: s, pending: map[usageKey]*models.UsageCount{}}
		s.Subscribe(func(ev models.Event) {
			if ev.Type == models.EventAPIKeyRevoked && ev.ProjectID != "" {
				u.add(ev.ProjectID, 0, 1)
			}
		})
		s.usage.u = u
	})
	return s.usage.u
}

func (u *Usage) add(project string, tokens, revocations int64) {
	day := u.store.now().Format(time.DateOnly)
	u.mu.Lock()
	defer u.mu.Unlock()
	k := usageKey{project, day}
	c := u.pending[k]
	if c == nil {
		c = &models.UsageCount{ProjectID: project, Day: day}
		u.pending[k] = c
	}
	c.Tokens += tokens
	c.Revocations += revocations
}

// Token counts an issued access token.
func (u *Usage) Token(project string) { u.add(project, 1, 0) }

// Flush adds the pending counts to the database in one transaction. On failure they are
// put back, so nothing is lost or counted twice.
func (u *Usage) Flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[usageKey]*models.UsageCount{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := make([]models.UsageCount, 0, len(batch))
	for _, c := range batch {
		rows = append(rows, *c)
	}
	err := u.store.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "project_id"}, {Name: "day"}},
			DoUpdates: clause.Assignments(map[string]any{
				"tokens":      gorm.Expr("usage_counts.tokens + excluded.tokens"),
				"revocations": gorm.Expr("usage_counts.revocations + excluded.revocations"),
			}),
		}).Create(&rows).Error
	})
	if err != nil {
		for _, c := range rows {
			u.restore(c)
		}
	}
	return err
}

// restore puts a batch row back after a failed flush.
func (u *Usage) restore(c models.UsageCount) {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := usageKey{c.ProjectID, c.Day}
	if p := u.pending[k]; p != nil {
		p.Tokens += c.Tokens
		p.Revocations += c.Revocations
		return
	}
	cp := c
	u.pending[k] = &cp
}

// UsageFor sums a project's counts for today and the last 7 days (today included),
// from the database plus what is still pending in memory.
func (u *Usage) UsageFor(ctx context.Context, project string) (models.ProjectUsage, error) {
	now := u.store.now()
	today := now.Format(time.DateOnly)
	from := now.AddDate(0, 0, -6).Format(time.DateOnly)
	var rows []models.UsageCount
	if err := u.store.db.WithContext(ctx).Where("project_id = ? AND day >= ?", project, from).Find(&rows).Error; err != nil {
		return models.ProjectUsage{}, err
	}
	u.mu.Lock()
	for k, c := range u.pending {
		if k.project == project && k.day >= from {
			rows = append(rows, *c)
		}
	}
	u.mu.Unlock()
	var out models.ProjectUsage
	for _, r := range rows {
		out.TokensWeek += r.Tokens
		out.RevocationsWeek += r.Revocations
		if r.Day == today {
			out.TokensToday += r.Tokens
			out.RevocationsToday += r.Revocations
		}
	}
	return out, nil
}
