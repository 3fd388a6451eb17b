package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// lowerBase32 is RFC 4648 base32 in lower case without padding: ids stay URL- and
// double-click-friendly.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RandomToken returns n random bytes in lower-case base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return lowerBase32.EncodeToString(b)
}

// SHA256Hex returns the hex SHA-256 of s, the form in which high-entropy secrets
// (session ids, invitation tokens, client secrets) are stored.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// HasPrefixID reports whether id looks like one of ours with the given prefix.
func HasPrefixID(id, prefix string) bool {
	return strings.HasPrefix(id, prefix+"_") && len(id) == len(prefix)+1+26
}
