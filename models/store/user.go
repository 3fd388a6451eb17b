package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// SignIn records a successful sign-in: it finds the user by (issuer, subject) and
// refreshes their email and name, or signs them up — a new user with a personal team
// they own — in one transaction. created reports a sign-up.
func (s *Store) SignIn(ctx context.Context, id models.Identity) (user *models.User, created bool, err error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, false, errors.New("identity needs an issuer and a subject")
	}
	id = id.Normalize()
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
func (s *Store) signIn(ctx context.Context, id models.Identity) (*models.User, bool, error) {
	now := s.now()
	var (
		u       models.User
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
		u = models.User{
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
func (s *Store) UserByID(ctx context.Context, id string) (*models.User, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserByIdentity returns the user with this (issuer, subject), or ErrNotFound.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (*models.User, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Where("issuer = ? AND subject = ?", issuer, subject).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}
