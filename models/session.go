package models

import (
	"crypto/rand"
	"encoding/base64"
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

// IsSession reports whether the session record belongs to the session id.
func (sess *Session) IsSession(id string) bool { return sess.IDHash == SHA256Hex(id) }
