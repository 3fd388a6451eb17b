package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// statusChangeChannel is the PostgreSQL notification channel a revocation's commit
// signals on, so that every instance's feed reads the log at once instead of at its
// next poll.
const statusChangeChannel = "gatehouse_status_changes"

// statusChangeLock is the PostgreSQL advisory lock that orders change-log writers: ids
// are drawn and committed one transaction at a time, so a tail reading id > last never
// passes over a row that commits later with a smaller id.
const statusChangeLock = 0x6761746573746174 // "gatestat"

// logStatusChange appends to the change log, in tx, that idx of listID is now status at
// the list's version (read after bumpStatusLists moved it).
func (s *Store) logStatusChange(tx *gorm.DB, listID string, idx, status int) error {
	if s.dialect == Postgres {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", statusChangeLock).Error; err != nil {
			return err
		}
		// Delivered to the listeners when tx commits (and never if it rolls back).
		if err := tx.Exec("SELECT pg_notify(?, '')", statusChangeChannel).Error; err != nil {
			return err
		}
	}
	var version int64
	if err := tx.Model(&models.StatusList{}).Where("id = ?", listID).Pluck("version", &version).Error; err != nil {
		return err
	}
	return tx.Create(&models.StatusChange{StatusListID: listID, StatusIdx: idx, Status: status, Version: version, CreatedAt: s.now()}).Error
}

// StatusChangesAfter reads at most limit changes with an id above after, in id order
// (one indexed range read: the feed's tail polls it).
func (s *Store) StatusChangesAfter(ctx context.Context, after int64, limit int) ([]models.StatusChange, error) {
	var out []models.StatusChange
	err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// StatusChangeBounds reads the smallest and largest id kept (0, 0 when the log is
// empty): the feed replays from after first-1 and reports a reset below it.
func (s *Store) StatusChangeBounds(ctx context.Context) (first, last int64, err error) {
	var r struct{ First, Last *int64 }
	if err := s.db.WithContext(ctx).Model(&models.StatusChange{}).Select("MIN(id) AS first, MAX(id) AS last").Scan(&r).Error; err != nil {
		return 0, 0, err
	}
	if r.First == nil || r.Last == nil {
		return 0, 0, nil
	}
	return *r.First, *r.Last, nil
}

// PruneStatusChanges deletes changes older than retention, keeping the newest row (so
// the sequence never goes back), and returns how many it deleted.
func (s *Store) PruneStatusChanges(ctx context.Context, retention time.Duration) (int64, error) {
	_, last, err := s.StatusChangeBounds(ctx)
	if err != nil || last == 0 {
		return 0, err
	}
	res := s.db.WithContext(ctx).Where("created_at < ? AND id < ?", s.now().Add(-retention), last).Delete(&models.StatusChange{})
	return res.RowsAffected, res.Error
}

// ErrNoNotifications: the database cannot signal changes (SQLite); the log is polled.
var ErrNoNotifications = fmt.Errorf("the database does not notify changes: %w", errors.ErrUnsupported)

// ListenStatusChanges calls notify each time a revocation commits, on any instance
// (PostgreSQL LISTEN on one connection held for it), until ctx ends or the connection
// fails. On SQLite it returns ErrNoNotifications at once.
func (s *Store) ListenStatusChanges(ctx context.Context, notify func()) error {
	if s.dialect != Postgres {
		return ErrNoNotifications
	}
	db, err := s.db.DB()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: unexpected driver connection %T", dc)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+statusChangeChannel); err != nil {
			return err
		}
		notify() // what committed before the LISTEN
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			notify()
		}
	})
}
