package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"gorm.io/gorm"
)

// SigningKeys lists the ring: active, next, then retired keys, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]models.SigningKeyInfo, error) {
	var out []models.SigningKeyInfo
	err := s.db.WithContext(ctx).Table("signing_keys AS k").
		Select("k.*, (SELECT COUNT(*) FROM api_keys a WHERE a.kid = k.kid AND a.revoked_at IS NULL AND a.expires_at > ?) AS live_credentials", s.now()).
		Order("CASE k.state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, k.created_at DESC").
		Scan(&out).Error
	return out, err
}

// MaintainSigningKeys moves the ring along its lifecycle at time now:
//   - no key at all (first start): create an active key at once (nobody can hold a
//     stale JWKS of a portal that never published one);
//   - the active key is due (Period) within Lead, or has the wrong algorithm, and there
//     is no next key: create a next key that activates Lead from now;
//   - a next key whose activation time has come: it becomes active, the active key
//     becomes retired;
//   - retired keys with no live API key left and past Linger: removed.
//
// force starts a rotation now (a next key) whatever the schedule. Two instances doing
// this at once cannot produce two active or two next keys: unique indexes refuse the
// second, which gets ErrRotationConflict.
func (s *Store) MaintainSigningKeys(ctx context.Context, mk *models.MasterKeys, p models.RotationPolicy, force bool) (models.RotationResult, error) {
	return s.MaintainSigningKeysAs(ctx, models.Actor{}, mk, p, force)
}

// MaintainSigningKeysAs is MaintainSigningKeys on behalf of actor (an operator who
// pressed "Rotate now"; the zero Actor is the portal's own schedule). Every change to
// the ring is written to the portal's audit log (events of no team) in the same
// transaction.
func (s *Store) MaintainSigningKeysAs(ctx context.Context, actor models.Actor, mk *models.MasterKeys, p models.RotationPolicy, force bool) (models.RotationResult, error) {
	var res models.RotationResult
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.maintainRing(tx, mk, p, force, now, &res); err != nil {
			return err
		}
		for _, c := range []struct {
			action string
			kids   []string
		}{{"signing_key.publish", res.Created}, {"signing_key.activate", res.Promoted}, {"signing_key.remove", res.Removed}} {
			for _, kid := range c.kids {
				if err := s.audit(tx, actor, event{action: c.action, targetType: "signing_key", targetID: kid, target: kid,
					details: map[string]any{"forced": force}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return models.RotationResult{}, models.ErrRotationConflict
	}
	return res, err
}

// maintainRing is MaintainSigningKeys's work inside its transaction.
func (s *Store) maintainRing(tx *gorm.DB, mk *models.MasterKeys, p models.RotationPolicy, force bool, now time.Time, res *models.RotationResult) error {
	var keys []models.SigningKey
	if err := tx.Find(&keys).Error; err != nil {
		return err
	}
	var active, next *models.SigningKey
	for i := range keys {
		switch keys[i].State {
		case models.KeyActive:
			active = &keys[i]
		case models.KeyNext:
			next = &keys[i]
		}
	}
	if active == nil && next == nil {
		k, err := signing.NewKey(mk, p.Alg, models.KeyActive, now, now)
		if err != nil {
			return err
		}
		res.Created = append(res.Created, k.KID)
		return tx.Create(k).Error
	}
	if active != nil && next == nil {
		due := active.ActivatedAt.Add(p.Period)
		if force || active.Alg != p.Alg || !now.Before(due.Add(-p.Lead)) {
			activates := now.Add(p.Lead)
			if !force && active.Alg == p.Alg && due.After(activates) {
				activates = due
			}
			k, err := signing.NewKey(mk, p.Alg, models.KeyNext, now, activates)
			if err != nil {
				return err
			}
			if err := tx.Create(k).Error; err != nil {
				return err
			}
			res.Created = append(res.Created, k.KID)
			next = k
		}
	}
	if next != nil && !now.Before(next.ActivatesAt) {
		if active != nil {
			r := tx.Model(&models.SigningKey{}).Where("kid = ? AND state = ?", active.KID, models.KeyActive).
				Updates(map[string]any{"state": models.KeyRetired, "retired_at": now})
			if r.Error != nil {
				return r.Error
			}
			if r.RowsAffected != 1 {
				return models.ErrRotationConflict
			}
		}
		r := tx.Model(&models.SigningKey{}).Where("kid = ? AND state = ?", next.KID, models.KeyNext).
			Updates(map[string]any{"state": models.KeyActive, "activated_at": now})
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected != 1 {
			return models.ErrRotationConflict
		}
		res.Promoted = append(res.Promoted, next.KID)
	}
	for _, k := range keys {
		if k.State != models.KeyRetired || k.RetiredAt == nil || now.Before(k.RetiredAt.Add(p.Linger)) {
			continue
		}
		var live int64
		if err := tx.Model(&models.APIKey{}).Where("kid = ? AND revoked_at IS NULL AND expires_at > ?", k.KID, now).Count(&live).Error; err != nil {
			return err
		}
		if live == 0 {
			if err := tx.Delete(&models.SigningKey{}, "kid = ?", k.KID).Error; err != nil {
				return err
			}
			res.Removed = append(res.Removed, k.KID)
		}
	}
	return nil
}

// RewrapSigningKeys re-encrypts every private key sealed under an older master key
// with the first one, and returns how many it re-encrypted.
func (s *Store) RewrapSigningKeys(ctx context.Context, mk *models.MasterKeys) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var keys []models.SigningKey
		if err := tx.Find(&keys).Error; err != nil {
			return err
		}
		for _, k := range keys {
			if !mk.Stale(k.PrivateEnc) {
				continue
			}
			plain, err := mk.Open(k.PrivateEnc, []byte(k.KID))
			if err != nil {
				return fmt.Errorf("signing key %s: %w", k.KID, err)
			}
			if err := tx.Model(&models.SigningKey{}).Where("kid = ?", k.KID).Update("private_enc", mk.Seal(plain, []byte(k.KID))).Error; err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
