package store

import (
	"context"
	"encoding/json"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models"
)

// LoadSession returns the live session with this id and touches its last-seen time
// (at most once per policy.TouchEvery). A missing, idle-expired or absolutely expired
// session is ErrNotFound, and an expired one is deleted.
func (s *Store) LoadSession(ctx context.Context, id string, p models.SessionPolicy) (*models.Session, models.SessionValues, error) {
	if id == "" {
		return nil, nil, models.ErrNotFound
	}
	var sess models.Session
	db := s.db.WithContext(ctx)
	if err := db.Where("id_hash = ?", models.SHA256Hex(id)).Take(&sess).Error; err != nil {
		return nil, nil, notFound(err)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= p.Idle {
		db.Where("id_hash = ?", sess.IDHash).Delete(&models.Session{})
		return nil, nil, models.ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) >= p.TouchEvery {
		// Recording activity is best effort: a page that only reads is served even when
		// the database cannot take the write (a full disk); the idle timeout then counts
		// from the last recorded use.
		if err := db.Model(&models.Session{}).Where("id_hash = ?", sess.IDHash).Update("last_seen_at", now).Error; err == nil {
			sess.LastSeenAt = now
		} else if !StorageFull(err) {
			return nil, nil, err
		}
	}
	vals := models.SessionValues{}
	if err := json.Unmarshal([]byte(sess.Data), &vals); err != nil {
		return nil, nil, errors.New("session data is corrupt")
	}
	return &sess, vals, nil
}

// CreateSession stores a new session. Its expiry is PreLogin for an anonymous session
// and Absolute for a signed-in one.
func (s *Store) CreateSession(ctx context.Context, id, userID string, vals models.SessionValues, ip, userAgent string, p models.SessionPolicy) error {
	data, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	now := s.now()
	expires := now.Add(p.PreLogin)
	if userID != "" {
		expires = now.Add(p.Absolute)
	}
	return s.db.WithContext(ctx).Create(&models.Session{
		IDHash: models.SHA256Hex(id), UserID: optional(userID), Data: string(data), IP: models.Truncate(ip, 64),
		UserAgent: models.Truncate(userAgent, 300), CreatedAt: now, LastSeenAt: now, ExpiresAt: expires,
	}).Error
}

// UpdateSession writes an existing session's values. A session that was ended meanwhile
// (signed out elsewhere) is ErrNotFound and stays ended. The owner never changes here:
// signing in rotates to a new session instead.
func (s *Store) UpdateSession(ctx context.Context, id string, vals models.SessionValues) error {
	data, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&models.Session{}).Where("id_hash = ?", models.SHA256Hex(id)).Update("data", string(data))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return nil
}

// UpdateSessionMerged writes an existing session's values as merge makes them from the
// values stored now, in one transaction that holds the session's row: two requests of
// one session that change the same value (two tabs each keeping an authorization
// request) both count, whichever saves last. A session ended meanwhile is ErrNotFound.
func (s *Store) UpdateSessionMerged(ctx context.Context, id string, merge func(stored models.SessionValues) models.SessionValues) error {
	return s.transact(ctx, func(tx *gorm.DB) error {
		q := tx.Where("id_hash = ?", models.SHA256Hex(id))
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"}) // SQLite: the transaction holds the write lock
		}
		var sess models.Session
		if err := q.Take(&sess).Error; err != nil {
			return notFound(err)
		}
		stored := models.SessionValues{}
		if err := json.Unmarshal([]byte(sess.Data), &stored); err != nil {
			return errors.New("session data is corrupt")
		}
		data, err := json.Marshal(merge(stored))
		if err != nil {
			return err
		}
		return tx.Model(&models.Session{}).Where("id_hash = ?", sess.IDHash).Update("data", string(data)).Error
	}, false)
}

// optional maps "" to NULL.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id_hash = ?", models.SHA256Hex(id)).Delete(&models.Session{}).Error
}

// DeleteUserSessions ends every session of the user ("sign out everywhere") and returns
// how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&models.Session{})
	return res.RowsAffected, res.Error
}

// UserSessions lists the user's live sessions, most recently used first.
func (s *Store) UserSessions(ctx context.Context, userID string, p models.SessionPolicy) ([]models.Session, error) {
	now := s.now()
	var out []models.Session
	err := s.db.WithContext(ctx).
		Where("user_id = ? AND expires_at > ? AND last_seen_at > ?", userID, now, now.Add(-p.Idle)).
		Order("last_seen_at DESC").Find(&out).Error
	return out, err
}

// PruneSessions deletes expired and idle sessions and returns how many went.
func (s *Store) PruneSessions(ctx context.Context, p models.SessionPolicy) (int64, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-p.Idle)).Delete(&models.Session{})
	return res.RowsAffected, res.Error
}
