package models

import (
	"slices"
	"strings"
	"time"
)

// Access-token formats a project may be issued (Project.AccessTokenFormat).
const (
	// AccessTokenFormatJWT: the RFC 9068 JWT itself, which an API verifies offline.
	AccessTokenFormatJWT = "jwt"
	// AccessTokenFormatReference: an opaque reference token ("phantom token") that
	// stands for the JWT; a gateway inside the trust boundary exchanges or introspects
	// it, and passes the JWT to the services behind it.
	AccessTokenFormatReference = "reference"
)

// AccessTokenFormats are the formats a project may choose.
var AccessTokenFormats = []string{AccessTokenFormatJWT, AccessTokenFormatReference}

// ValidAccessTokenFormat reports whether f is a known format.
func ValidAccessTokenFormat(f string) bool { return slices.Contains(AccessTokenFormats, f) }

// ReferenceTokenPrefix marks Gatehouse reference access tokens.
const ReferenceTokenPrefix = "ghat_"

// ReferenceTokenLen is the length of a whole reference token.
const ReferenceTokenLen = len(ReferenceTokenPrefix) + secretBodyLen + secretCRCLen

// NewReferenceToken returns a fresh reference token: prefix, 256 random bits and a
// checksum, like a client secret.
func NewReferenceToken() string { return newChecksummed(ReferenceTokenPrefix) }

// LooksLikeReferenceToken reports whether s carries the reference-token prefix (it may
// still be malformed).
func LooksLikeReferenceToken(s string) bool { return strings.HasPrefix(s, ReferenceTokenPrefix) }

// WellFormedReferenceToken checks prefix, length, alphabet and checksum, so a mistyped
// or truncated token is refused without a database lookup.
func WellFormedReferenceToken(s string) bool {
	return wellFormed(s, ReferenceTokenPrefix, ReferenceTokenLen)
}

// ReferenceToken is a stored reference access token: the SHA-256 of its value, the
// project it was issued to, and the claims of the JWT it stands for (JSON), never the
// token or a signed JWT.
type ReferenceToken struct {
	Hash      string `gorm:"primaryKey"`
	ProjectID string
	Claims    string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}
