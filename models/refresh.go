package models

import (
	"slices"
	"time"
)

// GrantRefreshToken is RFC 6749 §6: an app exchanges a refresh token for a new access
// token (and, rotated, a new refresh token) for the same user.
const GrantRefreshToken = "refresh_token"

// The refresh-token policies a project may have: never issue them, issue them when the
// user allowed offline_access (the default), or with every user's tokens.
const (
	RefreshOff           = "off"
	RefreshOfflineAccess = "offline_access"
	RefreshAlways        = "always"
)

// RefreshPolicies are the policies in the order the settings list them.
var RefreshPolicies = []string{RefreshOfflineAccess, RefreshAlways, RefreshOff}

// Refresh-token lifetimes: a token unused for the idle lifetime expires; a family ends at
// its absolute lifetime, however often it is used.
const (
	DefaultRefreshIdleTTL     = 14 * 24 * time.Hour
	DefaultRefreshAbsoluteTTL = 90 * 24 * time.Hour
	MaxRefreshAbsoluteTTL     = 365 * 24 * time.Hour
)

// RefreshGrace is how long after a refresh token was rotated a second use of it is taken
// for the loser of a race between two copies of the same app (two tabs refreshing at
// once): refused with invalid_grant, but the family stays valid. Later, a rotated token
// presented again is reuse: the whole family is revoked.
const RefreshGrace = 10 * time.Second

// RefreshTokenPrefix starts every refresh token.
const RefreshTokenPrefix = "ghr_"

// Why a refresh family was revoked (revoked_reason, and the audit details).
const (
	RefreshRevokedReuse   = "reuse_detected"
	RefreshRevokedClient  = "client_revoked"
	RefreshRevokedConsent = "consent_withdrawn"
	RefreshRevokedAdmin   = "admin_revoked"
	RefreshRevokedReplay  = "code_replayed"
)

// RefreshPolicy is a project's refresh-token settings.
type RefreshPolicy struct {
	// Issue is one of RefreshPolicies.
	Issue string
	// IdleDays and AbsoluteDays are the lifetimes in days.
	IdleDays, AbsoluteDays int
}

// ValidRefreshPolicy reports whether name is one of RefreshPolicies.
func ValidRefreshPolicy(name string) bool { return slices.Contains(RefreshPolicies, name) }

// RefreshPolicyOf is the project's refresh-token settings.
func (p *Project) RefreshPolicyOf() RefreshPolicy {
	return RefreshPolicy{Issue: p.RefreshTokens, IdleDays: p.RefreshIdleTTL / 86400, AbsoluteDays: p.RefreshAbsoluteTTL / 86400}
}

// RefreshToken is a refresh token as stored: only its SHA-256. Every row of a family
// carries what the family's tokens stand for.
type RefreshToken struct {
	Hash      string `gorm:"primaryKey"`
	FamilyID  string
	ProjectID string
	UserID    string
	// APIID is nil for a family of the user's identity alone.
	APIID           *string `gorm:"column:api_id"`
	Scopes          string
	IdentityScopes  string
	AuthTime        time.Time
	ACR             string
	AMR             string
	CodeHash        string
	FamilyCreatedAt time.Time
	CreatedAt       time.Time
	LastUsedAt      *time.Time
	ExpiresAt       time.Time
	FamilyExpiresAt time.Time
	UsedAt          *time.Time
	RevokedAt       *time.Time
	RevokedReason   string
	// Vault marks a family kept in the credentials vault: its token was never handed out.
	Vault bool
}

// RefreshFamily is a user's active refresh family as the project's admins see it.
type RefreshFamily struct {
	FamilyID  string
	UserID    string
	UserName  string
	UserEmail string
	// APIName is "" for the user's identity alone.
	APIName        string
	Scopes         string
	IdentityScopes string
	CreatedAt      time.Time `gorm:"column:family_created_at"`
	LastUsedAt     *time.Time
	ExpiresAt      time.Time
}
