package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

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

// NewKey generates a signing key for alg in state, sealing its private half under mk.
func NewKey(mk *models.MasterKeys, alg, state string, now, activates time.Time) (*models.SigningKey, error) {
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
	k := &models.SigningKey{KID: pub.KeyID, Alg: alg, State: state, PublicJWK: string(pubJSON),
		PrivateEnc: mk.Seal(privJSON, []byte(pub.KeyID)), CreatedAt: now, ActivatesAt: activates}
	if state == models.KeyActive {
		k.ActivatedAt = &now
	}
	return k, nil
}
