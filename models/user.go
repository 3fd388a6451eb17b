package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
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
}

// Identity is what a verified ID token says about the person signing in.
type Identity struct {
	Issuer  string
	Subject string
	Email   string
	Name    string
}

// maxClaimLen bounds the email and name we keep from an ID token.
const maxClaimLen = 200

// normalize trims and bounds the identity's display fields.
func (id Identity) normalize() Identity {
	id.Email = truncate(strings.TrimSpace(id.Email), maxClaimLen)
	id.Name = truncate(strings.TrimSpace(id.Name), maxClaimLen)
	if id.Name == "" {
		id.Name, _, _ = strings.Cut(id.Email, "@")
	}
	if id.Name == "" {
		id.Name = "Unnamed user"
	}
	return id
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
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

// SignIn records a successful sign-in: it finds the user by (issuer, subject) and
// refreshes their email and name, or signs them up — a new user with a personal team
// they own — in one transaction. created reports a sign-up.
func (s *Store) SignIn(ctx context.Context, id Identity) (user *User, created bool, err error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, false, errors.New("identity needs an issuer and a subject")
	}
	id = id.normalize()
	for attempt := 0; attempt < 2; attempt++ {
		user, created, err = s.signIn(ctx, id)
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
		// A concurrent first sign-in of the same identity won; the second pass finds it.
	}
	return user, created, err
}

// signIn is one attempt of SignIn.
func (s *Store) signIn(ctx context.Context, id Identity) (*User, bool, error) {
	now := s.now()
	var (
		u       User
		created bool
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Where("issuer = ? AND subject = ?", id.Issuer, id.Subject).Take(&u).Error
		switch {
		case err == nil:
			return tx.Model(&u).Updates(map[string]any{
				"email": id.Email, "name": id.Name, "last_login_at": now, "updated_at": now,
			}).Error
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		created = true
		u = User{
			ID: newID("usr"), Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Name: id.Name,
			CreatedAt: now, UpdatedAt: now, LastLoginAt: now,
		}
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return s.createPersonalTeam(tx, &u, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("sign in: %w", err)
	}
	return &u, created, nil
}

// UserByID returns the user with this id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserByIdentity returns the user with this (issuer, subject), or ErrNotFound.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("issuer = ? AND subject = ?", issuer, subject).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}
