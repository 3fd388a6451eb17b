package models_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// pemOf is pub as a PEM PUBLIC KEY block.
func pemOf(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParseScannerKeys keeps the P-256 keys with an identifier, current or not, and skips
// keys of another curve or type, without an identifier or not PEM; a document with
// none left, or not JSON of the shape, is refused.
func TestParseScannerKeys(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	doc := map[string]any{"public_keys": []map[string]any{
		{"key_identifier": "old", "key": pemOf(t, &p256.PublicKey), "is_current": false},
		{"key_identifier": "p384", "key": pemOf(t, &p384.PublicKey), "is_current": true},
		{"key_identifier": "ed", "key": pemOf(t, edPub), "is_current": true},
		{"key_identifier": "", "key": pemOf(t, &p256.PublicKey), "is_current": true},
		{"key_identifier": "garbage", "key": "not pem", "is_current": true},
	}}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := models.ParseScannerKeys(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].KeyID != "old" || !keys[0].Key.(*ecdsa.PublicKey).Equal(&p256.PublicKey) {
		t.Errorf("keys %+v, want only the P-256 key old", keys)
	}
	for name, body := range map[string]string{"NotJSON": "x", "NoKeys": `{"public_keys":[]}`, "WrongShape": `{"public_keys":{}}`,
		"OnlyUnusable": `{"public_keys":[{"key_identifier":"a","key":"b"}]}`} {
		if _, err := models.ParseScannerKeys([]byte(body)); !errors.Is(err, models.ErrScannerKeys) {
			t.Errorf("%s: %v, want ErrScannerKeys", name, err)
		}
	}
}
