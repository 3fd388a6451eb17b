package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MasterKeys encrypts data at rest (the signing keys' private halves) with AES-256-GCM.
// The first key encrypts; every key decrypts, so the master key rotates: configure
// "new,old", start once (everything is re-encrypted under new), then drop old.
type MasterKeys struct {
	ids   [][4]byte
	aeads []cipher.AEAD
	// derive is the first key's HMAC root for DeriveKey.
	derive []byte
}

// sealedPrefix versions the ciphertext format: "v1." + base64url(keyID ‖ nonce ‖ sealed).
const sealedPrefix = "v1."

// ErrNoMasterKey means no configured master key can decrypt a value.
var ErrNoMasterKey = errors.New("no configured master key decrypts this value (was GATEHOUSE_MASTER_KEY changed without keeping the old key?)")

// NewMasterKeys builds the keyring from 32-byte keys, newest first.
func NewMasterKeys(keys [][]byte) (*MasterKeys, error) {
	if len(keys) == 0 {
		return nil, errors.New("at least one master key is needed")
	}
	m := &MasterKeys{}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("master key %d is %d bytes, want 32", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(append([]byte("gatehouse master key id\x00"), k...))
		m.ids = append(m.ids, [4]byte(sum[:4]))
		m.aeads = append(m.aeads, aead)
		if i == 0 {
			mac := hmac.New(sha256.New, k)
			mac.Write([]byte("gatehouse derived keys"))
			m.derive = mac.Sum(nil)
		}
	}
	return m, nil
}

// DeriveKey is a 32-byte key for one purpose (label), derived from the first master key:
// the same on every instance configured with the same master key, and useless for
// anything else.
func (m *MasterKeys) DeriveKey(label string) []byte {
	mac := hmac.New(sha256.New, m.derive)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

// Seal encrypts plaintext under the first key, bound to aad (e.g. the signing key's
// kid), so a ciphertext cannot be moved to another row.
func (m *MasterKeys) Seal(plaintext, aad []byte) string {
	aead := m.aeads[0]
	out := make([]byte, 4+aead.NonceSize(), 4+aead.NonceSize()+len(plaintext)+aead.Overhead())
	copy(out, m.ids[0][:])
	if _, err := rand.Read(out[4:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	out = aead.Seal(out, out[4:4+aead.NonceSize()], plaintext, aad)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value sealed under any configured key.
func (m *MasterKeys) Open(sealed string, aad []byte) ([]byte, error) {
	i, raw, err := m.find(sealed)
	if err != nil {
		return nil, err
	}
	aead := m.aeads[i]
	nonce, body := raw[4:4+aead.NonceSize()], raw[4+aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, body, aad)
	if err != nil {
		return nil, errors.New("master key: ciphertext failed authentication")
	}
	return plain, nil
}

// Stale reports whether sealed was encrypted under a key other than the first.
func (m *MasterKeys) Stale(sealed string) bool {
	i, _, err := m.find(sealed)
	return err == nil && i != 0
}

// find decodes sealed and picks the key it names.
func (m *MasterKeys) find(sealed string) (int, []byte, error) {
	if !strings.HasPrefix(sealed, sealedPrefix) {
		return 0, nil, errors.New("master key: unknown ciphertext format")
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed[len(sealedPrefix):])
	if err != nil || len(raw) < 4+12+16 {
		return 0, nil, errors.New("master key: malformed ciphertext")
	}
	for i, id := range m.ids {
		if [4]byte(raw[:4]) == id {
			return i, raw, nil
		}
	}
	return 0, nil, ErrNoMasterKey
}
