package models

import (
	"time"
)

// ClientSecret is the metadata of a project's client secret. The secret itself is shown
// once and stored only as its SHA-256 (right for 256 random bits; no password hashing).
// A project may have several live secrets, so a secret rotates without downtime.
type ClientSecret struct {
	ID        string `gorm:"primaryKey"`
	ProjectID string
	Name      string
	Hash      string
	Hint      string
	CreatedBy *string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
	// LastUsedAt is when it last authenticated its client; nil: never.
	LastUsedAt *time.Time
}

// Status is "active", "expired" or "revoked" at time now.
func (c *ClientSecret) Status(now time.Time) string {
	switch {
	case c.RevokedAt != nil:
		return "revoked"
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return "expired"
	}
	return "active"
}

// ClientSecretInfo is a secret's metadata with its creator's label.
type ClientSecretInfo struct {
	ClientSecret
	CreatedByLabel string
}
