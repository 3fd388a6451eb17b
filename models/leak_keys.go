package models

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// ErrScannerKeys means a secret scanner's key document cannot be used: not JSON of
// the expected shape, or without a single usable key.
var ErrScannerKeys = errors.New("unusable secret-scanning key set")

// maxScannerKeys bounds how many keys of a scanner's document are read.
const maxScannerKeys = 50

// ParseScannerKeys reads the public keys a secret scanner signs its reports with, in
// the format of GitHub's https://api.github.com/meta/public_keys/secret_scanning:
// {"public_keys": [{"key_identifier": "…", "key": "-----BEGIN PUBLIC KEY-----…",
// "is_current": true}]}. Each key is an ECDSA P-256 public key (PKIX, PEM); the
// returned keys carry their identifier as KeyID and ES256 as algorithm. Keys that are
// not current are kept (a report signed just before a rotation still verifies); keys
// of another type or curve, or without an identifier, are skipped.
func ParseScannerKeys(body []byte) ([]jose.JSONWebKey, error) {
	var doc struct {
		PublicKeys []struct {
			KeyIdentifier string `json:"key_identifier"`
			Key           string `json:"key"`
		} `json:"public_keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, ErrScannerKeys
	}
	var keys []jose.JSONWebKey
	for _, k := range doc.PublicKeys {
		if len(keys) == maxScannerKeys {
			break
		}
		block, _ := pem.Decode([]byte(k.Key))
		if block == nil || block.Type != "PUBLIC KEY" || k.KeyIdentifier == "" || len(k.KeyIdentifier) > 200 {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if ec, ok := pub.(*ecdsa.PublicKey); err == nil && ok && ec.Curve == elliptic.P256() {
			keys = append(keys, jose.JSONWebKey{Key: ec, KeyID: k.KeyIdentifier, Algorithm: string(jose.ES256), Use: "sig"})
		}
	}
	if len(keys) == 0 {
		return nil, ErrScannerKeys
	}
	return keys, nil
}
