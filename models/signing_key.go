package models

import (
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
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

// PrivateKey unseals the key's private half.
func (k *SigningKey) PrivateKey(mk *MasterKeys) (crypto.Signer, error) {
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

// PublicKey parses the key's public JWK.
func (k *SigningKey) PublicKey() (jose.JSONWebKey, error) {
	var jwk jose.JSONWebKey
	err := json.Unmarshal([]byte(k.PublicJWK), &jwk)
	return jwk, err
}

// SigningKeyInfo is a signing key with how many live API keys it signed.
type SigningKeyInfo struct {
	SigningKey
	LiveCredentials int64
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
