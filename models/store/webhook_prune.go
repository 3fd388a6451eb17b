package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models"
)

// jobClaim is a periodic job's next due time, shared by every instance.
type jobClaim struct {
	Name   string `gorm:"primaryKey"`
	NextAt time.Time
}

func (jobClaim) TableName() string { return "job_claims" }

// claimJob reports whether this instance should run the job called name now: true for
// the one instance that moves its next due time from the past to now+period, false
// for every other until then.
func (s *Store) claimJob(ctx context.Context, name string, period time.Duration) (bool, error) {
	now := s.now()
	won := false
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&jobClaim{Name: name, NextAt: now}).Error; err != nil {
			return err
		}
		res := tx.Model(&jobClaim{}).Where("name = ? AND next_at <= ?", name, now).Update("next_at", now.Add(period))
		won = res.RowsAffected == 1
		return res.Error
	}, false)
	return won, err
}

// Pruning rules.
const (
	// WebhookPruneEvery is how often, across all instances, old rows are pruned.
	WebhookPruneEvery = time.Hour
)

// pruneBatch is how many rows one delete transaction removes, so that a large backlog
// never holds the write lock for long (a variable for tests).
var pruneBatch = 500

// WebhookPruned counts what PruneWebhooks deleted.
type WebhookPruned struct {
	Deliveries, Events int64
	// Skipped is true when another instance pruned within WebhookPruneEvery.
	Skipped bool
}

// PruneWebhooks deletes, older than retention, the deliveries that are over (delivered,
// or failed for good) and the outbox events already fanned out to webhooks; pending
// deliveries and events not yet dispatched stay, however old. It runs on one instance
// per WebhookPruneEvery (the others return Skipped), deleting pruneBatch rows per
// transaction until nothing old is left or ctx ends.
func (s *Store) PruneWebhooks(ctx context.Context, retention time.Duration) (WebhookPruned, error) {
	var out WebhookPruned
	if ok, err := s.claimJob(ctx, "webhooks.prune", WebhookPruneEvery); err != nil || !ok {
		out.Skipped = err == nil
		return out, err
	}
	cutoff := s.now().Add(-retention)
	var err error
	out.Deliveries, err = s.pruneBatches(ctx, "webhook_deliveries", "status IN ? AND created_at < ?",
		[]string{models.DeliveryDelivered, models.DeliveryFailed}, cutoff)
	if err != nil {
		return out, err
	}
	out.Events, err = s.pruneBatches(ctx, "outbox_events", "webhooks_done AND created_at < ?", cutoff)
	return out, err
}

// pruneBatches deletes the rows of table matching where, pruneBatch per transaction,
// oldest first, and returns how many it deleted.
func (s *Store) pruneBatches(ctx context.Context, table, where string, args ...any) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		var n int64
		err := s.transact(ctx, func(tx *gorm.DB) error {
			sub := tx.Table(table).Select("id").Where(where, args...).Order("created_at").Limit(pruneBatch)
			res := tx.Exec("DELETE FROM "+table+" WHERE id IN (?)", sub)
			n = res.RowsAffected
			return res.Error
		}, false)
		total += n
		if err != nil || n < int64(pruneBatch) {
			return total, err
		}
	}
	return total, ctx.Err()
}
