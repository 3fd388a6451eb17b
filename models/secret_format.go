package models

import (
	"crypto/rand"
	"errors"
	"hash/crc32"
	"math/big"
	"strings"
)

// ClientSecretPrefix marks Gatehouse client secrets, so secret scanners and people
// recognise one in a log or a repository.
const ClientSecretPrefix = "ghcs_"

// Lengths of a client secret's parts: 256 random bits in base62, then a CRC32 in base62.
const (
	secretBodyLen = 43
	secretCRCLen  = 6
	// ClientSecretLen is the length of a whole client secret.
	ClientSecretLen = len(ClientSecretPrefix) + secretBodyLen + secretCRCLen
)

// ErrMalformedSecret means a string is not a well-formed client secret (wrong prefix,
// length, alphabet or checksum); it is rejected before any database lookup.
var ErrMalformedSecret = errors.New("malformed client secret")

// base62 returns n in base62 ("0-9a-zA-Z"), left-padded with '0' to width.
func base62(n *big.Int, width int) string {
	s := n.Text(62)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// NewClientSecret returns a fresh client secret: prefix, 256 random bits and a checksum.
func NewClientSecret() string { return newChecksummed(ClientSecretPrefix) }

// newChecksummed is prefix, 256 random bits in base62 and the checksum of both: the
// format of client secrets and personal access tokens.
func newChecksummed(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	body := prefix + base62(new(big.Int).SetBytes(b), secretBodyLen)
	return body + secretChecksum(body)
}

// wellFormed says whether s is a newChecksummed value with prefix, of length n: prefix,
// length, alphabet and checksum, so a mistyped or truncated value fails without a
// database lookup.
func wellFormed(s, prefix string, n int) bool {
	if len(s) != n || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	cut := len(s) - secretCRCLen
	return secretChecksum(s[:cut]) == s[cut:]
}

// secretChecksum is the base62 CRC32 of prefix+body.
func secretChecksum(s string) string {
	return base62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(s)))), secretCRCLen)
}

// CheckClientSecretFormat verifies prefix, length, alphabet and checksum, so a
// mistyped or truncated secret fails without touching the database.
func CheckClientSecretFormat(s string) error {
	if !wellFormed(s, ClientSecretPrefix, ClientSecretLen) {
		return ErrMalformedSecret
	}
	return nil
}
