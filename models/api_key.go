package models

import (
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// APIKey is the metadata of an issued API key. Its ID is the JWT's jti. The key itself
// is shown once and never stored; its SHA-256 is, for revoke-by-value and leak reports.
// The row outlives its project (ProjectID becomes NULL) so its status bit stays set.
type APIKey struct {
	ID           string `gorm:"primaryKey"`
	ProjectID    *string
	TeamID       string
	Name         string
	Scopes       string
	Audiences    string
	KID          string `gorm:"column:kid"`
	StatusListID string
	StatusIdx    int
	KeyHash      string
	CreatedBy    *string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	// LastUsedAt is when it was last seen in use (introspection), to the minute's batch;
	// nil: never.
	LastUsedAt *time.Time
	// RevokedReason says why the portal revoked it (a grant narrowed or revoked, its API
	// deleted); empty when a person revoked it.
	RevokedReason string
	// JKT is the RFC 7638 thumbprint of the public key the key is bound to (its cnf.jkt:
	// every use needs a DPoP proof by that key); "" for a bearer key. Set at creation,
	// never changed.
	JKT string `gorm:"column:jkt"`
}

// Status is "active", "expired" or "revoked" at now.
func (k *APIKey) Status(now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case !now.Before(k.ExpiresAt):
		return "expired"
	}
	return "active"
}

// APIKeyInfo is a key's metadata with its creator's label.
type APIKeyInfo struct {
	APIKey
	CreatedByLabel string
}

// APIKeyInput is what a developer asks for: a key for one API the project holds a grant
// for, with some of the granted scopes.
type APIKeyInput struct {
	Name string
	// API is the API's id.
	API    string
	Scopes []string
	TTL    time.Duration
	// PublicKey, when set, is the public key (JWK or PEM) the key is bound to: a proof of
	// possession of its private key must come with every use (models.PoPKeyThumbprint).
	PublicKey string
}

// StatusRef is the status claim of a credential: its index in a status list.
type StatusRef struct {
	StatusList struct {
		Idx int    `json:"idx"`
		URI string `json:"uri"`
	} `json:"status_list"`
}

// APIKeyClaims are the claims of an API key JWT (DESIGN.md §4). No personal data.
type APIKeyClaims struct {
	jwt.Claims
	Scope  string    `json:"scope,omitempty"`
	Team   string    `json:"team"`
	Status StatusRef `json:"status"`
	// Cnf binds a proof-of-possession key to its public key (RFC 9449 §6).
	Cnf *Confirmation `json:"cnf,omitempty"`
}

// ErrSigningUnavailable means the store has no signer configured.
var ErrSigningUnavailable = unavailableErr("signing is not configured")

// ErrNotThisProjectsKey means a pasted value is not a live-able key of this project:
// not a key this portal signed, or a real key of another project. The two get this one
// answer, so pasting cannot confirm that someone else's key is real; the audit log
// records which it was.
var ErrNotThisProjectsKey = invalid("key", "this is not a key of this project")
