package store

import (
	"errors"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The fingerprint of the request that claimed an idempotency key is kept as a second
// record beside the key's, named by the key's hash and the fingerprint: a repeat whose
// fingerprint names no record is a different request under a used key.

// fingerprintHash names the record of a key (by its hash) claimed by a request with
// fingerprint fp.
func fingerprintHash(keyHash, fp string) string {
	return models.SHA256Hex(keyHash + "\x00request\x00" + fp)
}

// recordFingerprint keeps the fingerprint of the request that claims the key, if the
// request has one.
func (s *Store) recordFingerprint(tx *gorm.DB, actor models.Actor, keyHash, result string) error {
	fp := models.RequestFingerprint(tx.Statement.Context)
	if fp == "" {
		return nil
	}
	return tx.Create(&models.IdempotencyRecord{TokenHash: fingerprintHash(keyHash, fp), UserID: actor.UserID(), Result: result, CreatedAt: s.now()}).Error
}

// sameRequest fails with ErrIdempotencyKeyReused when the repeat of a claimed key
// carries a fingerprint the claiming request did not.
func sameRequest(tx *gorm.DB, keyHash string) error {
	fp := models.RequestFingerprint(tx.Statement.Context)
	if fp == "" {
		return nil
	}
	var rec models.IdempotencyRecord
	err := tx.Where("token_hash = ?", fingerprintHash(keyHash, fp)).Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrIdempotencyKeyReused
	}
	return err
}
