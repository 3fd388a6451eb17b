package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// User is a person who signs in. Identity is the pair (Issuer, Subject) from the ID
// token; the email is only a label and never merges accounts.
type User struct {
	ID          string `gorm:"primaryKey"`
	Issuer      string
	Subject     string
	Email       string
	Name        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time
	// Kind is UserKindPerson, or UserKindService for a service account's row.
	Kind string `gorm:"default:person"`
}

// IsService reports whether u is a service account rather than a person.
func (u *User) IsService() bool { return u != nil && u.Kind == UserKindService }

// Identity is what a verified ID token says about the person signing in.
type Identity struct {
	Issuer  string
	Subject string
	// AuthTime, ACR and AMR are how the provider says the user authenticated (zero when
	// it does not say).
	AuthTime time.Time
	ACR      string
	AMR      []string
	Email    string
	Name     string
}

// maxClaimLen bounds the email and name we keep from an ID token.
const maxClaimLen = 200

// Normalize trims and bounds the identity's display fields.
func (id Identity) Normalize() Identity {
	id.Email = Truncate(strings.TrimSpace(id.Email), maxClaimLen)
	id.Name = Truncate(strings.TrimSpace(id.Name), maxClaimLen)
	if id.Name == "" {
		id.Name, _, _ = strings.Cut(id.Email, "@")
	}
	if id.Name == "" {
		id.Name = "Unnamed user"
	}
	return id
}

// Truncate cuts s to at most n runes.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// DisplayName is the user's name, or their email when they have none.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}
