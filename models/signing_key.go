package models

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"gorm.io/gorm"
)

// Signing-key states: a key is published as "next" before it signs, signs while
// "active", and stays published as "retired" until everything it signed is gone.
const (
	KeyNext    = "next"
	KeyActive  = "active"
	KeyRetired = "retired"
)

// SigningAlgs are the algorithms the portal signs with.
var SigningAlgs = []string{"ES256", "EdDSA", "RS256"}

// ErrRotationConflict means another instance rotated the keys at the same moment; the
// ring is consistent and the caller may retry.
var ErrRotationConflict = conflict("another signing-key rotation happened at the same time; try again")

// SigningKey is one of the portal's keys. Its kid is the RFC 7638 thumbprint of the
// public key; the private key is sealed under the master key with the kid as AAD.
type SigningKey struct {
	KID         string `gorm:"primaryKey;column:kid"`
	Alg         string
	State       string
	PublicJWK   string `gorm:"column:public_jwk"`
	PrivateEnc  string
	CreatedAt   time.Time
	ActivatesAt time.Time
	ActivatedAt *time.Time
	RetiredAt   *time.Time
}

// generateKey makes a key pair for alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
}

// newSigningKey generates a key for alg in state, sealing its private half.
func newSigningKey(mk *MasterKeys, alg, state string, now, activates time.Time) (*SigningKey, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	pubJSON, err := pub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	privJSON, err := jose.JSONWebKey{Key: priv, KeyID: pub.KeyID, Algorithm: alg}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	k := &SigningKey{KID: pub.KeyID, Alg: alg, State: state, PublicJWK: string(pubJSON),
		PrivateEnc: mk.Seal(privJSON, []byte(pub.KeyID)), CreatedAt: now, ActivatesAt: activates}
	if state == KeyActive {
		k.ActivatedAt = &now
	}
	return k, nil
}

// privateKey unseals the key's private half.
func (k *SigningKey) privateKey(mk *MasterKeys) (crypto.Signer, error) {
	raw, err := mk.Open(k.PrivateEnc, []byte(k.KID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(raw, &jwk); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	s, ok := jwk.Key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a private key", k.KID)
	}
	return s, nil
}

// publicKey parses the key's public JWK.
func (k *SigningKey) publicKey() (jose.JSONWebKey, error) {
	var jwk jose.JSONWebKey
	err := json.Unmarshal([]byte(k.PublicJWK), &jwk)
	return jwk, err
}

// SigningKeyInfo is a signing key with how many live API keys it signed.
type SigningKeyInfo struct {
	SigningKey
	LiveCredentials int64
}

// SigningKeys lists the ring: active, next, then retired keys, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKeyInfo, error) {
	var out []SigningKeyInfo
	err := s.db.WithContext(ctx).Table("signing_keys AS k").
		Select("k.*, (SELECT COUNT(*) FROM api_keys a WHERE a.kid = k.kid AND a.revoked_at IS NULL AND a.expires_at > ?) AS live_credentials", s.now()).
		Order("CASE k.state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, k.created_at DESC").
		Scan(&out).Error
	return out, err
}

// RotationPolicy says when keys rotate.
type RotationPolicy struct {
	// Alg is the algorithm new keys get; a change rotates the ring to it.
	Alg string
	// Period is how long a key signs before the next one takes over.
	Period time.Duration
	// Lead is how long a new key is published before it signs: at least one JWKS cache
	// lifetime, so every verifier has it before it sees a token signed with it.
	Lead time.Duration
	// Linger is how long a retired key stays published after it stopped signing, at
	// least the longest access-token lifetime (access tokens are not stored).
	Linger time.Duration
}

// RotationResult says what MaintainSigningKeys did.
type RotationResult struct {
	Created, Promoted, Removed []string
}

// Changed reports whether the ring changed.
func (r RotationResult) Changed() bool {
	return len(r.Created)+len(r.Promoted)+len(r.Removed) > 0
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
func (s *Store) MaintainSigningKeys(ctx context.Context, mk *MasterKeys, p RotationPolicy, force bool) (RotationResult, error) {
	return s.MaintainSigningKeysAs(ctx, Actor{}, mk, p, force)
}

// MaintainSigningKeysAs is MaintainSigningKeys on behalf of actor (an operator who
// pressed "Rotate now"; the zero Actor is the portal's own schedule). Every change to
// the ring is written to the portal's audit log (events of no team) in the same
// transaction.
func (s *Store) MaintainSigningKeysAs(ctx context.Context, actor Actor, mk *MasterKeys, p RotationPolicy, force bool) (RotationResult, error) {
	var res RotationResult
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
		return RotationResult{}, ErrRotationConflict
	}
	return res, err
}

// maintainRing is MaintainSigningKeys's work inside its transaction.
func (s *Store) maintainRing(tx *gorm.DB, mk *MasterKeys, p RotationPolicy, force bool, now time.Time, res *RotationResult) error {
	var keys []SigningKey
	if err := tx.Find(&keys).Error; err != nil {
		return err
	}
	var active, next *SigningKey
	for i := range keys {
		switch keys[i].State {
		case KeyActive:
			active = &keys[i]
		case KeyNext:
			next = &keys[i]
		}
	}
	if active == nil && next == nil {
		k, err := newSigningKey(mk, p.Alg, KeyActive, now, now)
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
			k, err := newSigningKey(mk, p.Alg, KeyNext, now, activates)
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
			r := tx.Model(&SigningKey{}).Where("kid = ? AND state = ?", active.KID, KeyActive).
				Updates(map[string]any{"state": KeyRetired, "retired_at": now})
			if r.Error != nil {
				return r.Error
			}
			if r.RowsAffected != 1 {
				return ErrRotationConflict
			}
		}
		r := tx.Model(&SigningKey{}).Where("kid = ? AND state = ?", next.KID, KeyNext).
			Updates(map[string]any{"state": KeyActive, "activated_at": now})
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected != 1 {
			return ErrRotationConflict
		}
		res.Promoted = append(res.Promoted, next.KID)
	}
	for _, k := range keys {
		if k.State != KeyRetired || k.RetiredAt == nil || now.Before(k.RetiredAt.Add(p.Linger)) {
			continue
		}
		var live int64
		if err := tx.Model(&APIKey{}).Where("kid = ? AND revoked_at IS NULL AND expires_at > ?", k.KID, now).Count(&live).Error; err != nil {
			return err
		}
		if live == 0 {
			if err := tx.Delete(&SigningKey{}, "kid = ?", k.KID).Error; err != nil {
				return err
			}
			res.Removed = append(res.Removed, k.KID)
		}
	}
	return nil
}

// RewrapSigningKeys re-encrypts every private key sealed under an older master key
// with the first one, and returns how many it re-encrypted.
func (s *Store) RewrapSigningKeys(ctx context.Context, mk *MasterKeys) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var keys []SigningKey
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
			if err := tx.Model(&SigningKey{}).Where("kid = ?", k.KID).Update("private_enc", mk.Seal(plain, []byte(k.KID))).Error; err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
