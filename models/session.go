package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// Session is a server-side browser session. The browser holds only a random id; the
// database holds its SHA-256, so a copy of the table cannot be replayed as cookies.
type Session struct {
	IDHash     string `gorm:"primaryKey"`
	UserID     *string
	Data       string
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionPolicy bounds how long sessions live.
type SessionPolicy struct {
	// Idle ends a session that has not been used for this long.
	Idle time.Duration
	// Absolute ends a signed-in session this long after sign-in, however active.
	Absolute time.Duration
	// PreLogin is the lifetime of an anonymous session that only carries a sign-in attempt.
	PreLogin time.Duration
	// TouchEvery limits last-seen writes to one per interval per session.
	TouchEvery time.Duration
}

// DefaultSessionPolicy is used when the configuration says nothing else.
var DefaultSessionPolicy = SessionPolicy{
	Idle: 12 * time.Hour, Absolute: 7 * 24 * time.Hour, PreLogin: 15 * time.Minute, TouchEvery: time.Minute,
}

// SessionValues is what a session carries besides its owner.
type SessionValues map[string]string

// NewSessionID returns a fresh random session id (256 bits, base64url).
func NewSessionID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// LoadSession returns the live session with this id and touches its last-seen time
// (at most once per policy.TouchEvery). A missing, idle-expired or absolutely expired
// session is ErrNotFound, and an expired one is deleted.
func (s *Store) LoadSession(ctx context.Context, id string, p SessionPolicy) (*Session, SessionValues, error) {
	if id == "" {
		return nil, nil, ErrNotFound
	}
	var sess Session
	db := s.db.WithContext(ctx)
	if err := db.Where("id_hash = ?", sha256Hex(id)).Take(&sess).Error; err != nil {
		return nil, nil, notFound(err)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= p.Idle {
		db.Where("id_hash = ?", sess.IDHash).Delete(&Session{})
		return nil, nil, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) >= p.TouchEvery {
		// Recording activity is best effort: a page that only reads is served even when
		// the database cannot take the write (a full disk); the idle timeout then counts
		// from the last recorded use.
		if err := db.Model(&Session{}).Where("id_hash = ?", sess.IDHash).Update("last_seen_at", now).Error; err == nil {
			sess.LastSeenAt = now
		} else if !StorageFull(err) {
			return nil, nil, err
		}
	}
	vals := SessionValues{}
	if err := json.Unmarshal([]byte(sess.Data), &vals); err != nil {
		return nil, nil, errors.New("session data is corrupt")
	}
	return &sess, vals, nil
}

// CreateSession stores a new session. Its expiry is PreLogin for an anonymous session
// and Absolute for a signed-in one.
func (s *Store) CreateSession(ctx context.Context, id, userID string, vals SessionValues, ip, userAgent string, p SessionPolicy) error {
	data, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	now := s.now()
	expires := now.Add(p.PreLogin)
	if userID != "" {
		expires = now.Add(p.Absolute)
	}
	return s.db.WithContext(ctx).Create(&Session{
		IDHash: sha256Hex(id), UserID: optional(userID), Data: string(data), IP: truncate(ip, 64),
		UserAgent: truncate(userAgent, 300), CreatedAt: now, LastSeenAt: now, ExpiresAt: expires,
	}).Error
}

// UpdateSession writes an existing session's values. A session that was ended meanwhile
// (signed out elsewhere) is ErrNotFound and stays ended. The owner never changes here:
// signing in rotates to a new session instead.
func (s *Store) UpdateSession(ctx context.Context, id string, vals SessionValues) error {
	data, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&Session{}).Where("id_hash = ?", sha256Hex(id)).Update("data", string(data))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
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
	return s.db.WithContext(ctx).Where("id_hash = ?", sha256Hex(id)).Delete(&Session{}).Error
}

// DeleteUserSessions ends every session of the user ("sign out everywhere") and returns
// how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{})
	return res.RowsAffected, res.Error
}

// UserSessions lists the user's live sessions, most recently used first.
func (s *Store) UserSessions(ctx context.Context, userID string, p SessionPolicy) ([]Session, error) {
	now := s.now()
	var out []Session
	err := s.db.WithContext(ctx).
		Where("user_id = ? AND expires_at > ? AND last_seen_at > ?", userID, now, now.Add(-p.Idle)).
		Order("last_seen_at DESC").Find(&out).Error
	return out, err
}

// IsSession reports whether the session record belongs to the session id.
func (sess *Session) IsSession(id string) bool { return sess.IDHash == sha256Hex(id) }

// PruneSessions deletes expired and idle sessions and returns how many went.
func (s *Store) PruneSessions(ctx context.Context, p SessionPolicy) (int64, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-p.Idle)).Delete(&Session{})
	return res.RowsAffected, res.Error
}
