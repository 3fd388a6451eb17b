package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// ErrPushedAuthorizationUnusable is the one answer for a request_uri that is unknown,
// another client's, already used or expired: the authorization endpoint shows an error
// page and sends the browser nowhere.
var ErrPushedAuthorizationUnusable = errors.New("the pushed authorization request is unknown, expired or already used")

// PushAuthorization keeps a validated authorization request of project projectID
// (params, form-encoded) for PushedAuthorizationTTL and returns its request_uri. Only
// the SHA-256 of the request_uri's random part is stored.
func (s *Store) PushAuthorization(ctx context.Context, projectID, params string) (string, error) {
	random := models.RandomToken(32)
	now := s.now()
	row := models.PushedAuthorization{Hash: models.SHA256Hex(random), ProjectID: projectID, Params: params,
		CreatedAt: now, ExpiresAt: now.Add(models.PushedAuthorizationTTL)}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return "", unavailable(ctx, err)
	}
	return models.RequestURIPrefix + random, nil
}

// TakePushedAuthorization returns the parameters of the pushed request named by
// requestURI for the client clientID and forgets it: a request_uri is used once. One
// that is unknown, another client's (left as it is), already used or expired is
// ErrPushedAuthorizationUnusable.
func (s *Store) TakePushedAuthorization(ctx context.Context, clientID, requestURI string) (string, error) {
	random, ok := strings.CutPrefix(requestURI, models.RequestURIPrefix)
	if !ok || random == "" || len(random) > 128 {
		return "", ErrPushedAuthorizationUnusable
	}
	hash := models.SHA256Hex(random)
	var row models.PushedAuthorization
	var found bool
	err := s.transact(ctx, func(tx *gorm.DB) error {
		found = false
		err := tx.Where("hash = ?", hash).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(row.ProjectID), []byte(clientID)) != 1 {
			return nil
		}
		// Deleting it is what uses it: of two concurrent uses, one deletes the row.
		res := tx.Where("hash = ?", hash).Delete(&models.PushedAuthorization{})
		if res.Error != nil {
			return res.Error
		}
		found = res.RowsAffected == 1
		return nil
	}, false)
	if err != nil {
		return "", unavailable(ctx, err)
	}
	if !found || !s.now().Before(row.ExpiresAt) {
		return "", ErrPushedAuthorizationUnusable
	}
	return row.Params, nil
}

// prunePushedAuthorizations forgets pushed requests that expired.
func (s *Store) prunePushedAuthorizations(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&models.PushedAuthorization{}).Error
}
