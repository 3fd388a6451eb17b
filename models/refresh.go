package models

import (
	"slices"
	"strings"
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

// RefreshTokenPrefix starts every refresh token: the prefix and 32 random bytes in
// lower-case base32 (RandomToken).
const RefreshTokenPrefix = "ghr_"

// refreshTokenLen is the length of a whole refresh token.
var refreshTokenLen = len(RefreshTokenPrefix) + len(RandomToken(32))

// NewRefreshToken returns a fresh refresh token.
func NewRefreshToken() string { return RefreshTokenPrefix + RandomToken(32) }

// WellFormedRefreshToken reports whether t could be a refresh token (prefix, length,
// alphabet), before any lookup.
func WellFormedRefreshToken(t string) bool {
	if len(t) != refreshTokenLen || !strings.HasPrefix(t, RefreshTokenPrefix) {
		return false
	}
	for _, c := range t[len(RefreshTokenPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Why a refresh family was revoked (revoked_reason, and the audit details).
const (
	RefreshRevokedReuse   = "reuse_detected"
	RefreshRevokedClient  = "client_revoked"
	RefreshRevokedConsent = "consent_withdrawn"
	RefreshRevokedAdmin   = "admin_revoked"
	RefreshRevokedReplay  = "code_replayed"
	RefreshRevokedLeak    = "leak_reported"
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
	// CertThumbprint is the x5t#S256 of the client certificate the family is bound to
	// (RFC 8705 §3): a refresh must present the same certificate. "": unbound.
	CertThumbprint string `gorm:"column:cert_thumbprint"`
	// DPoPJKT binds a public client's family to the DPoP key that obtained it (RFC 9449
	// §5): a refresh needs a proof by that key. "" when unbound.
	DPoPJKT string `gorm:"column:dpop_jkt"`
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
	// Vault marks a family kept in the credentials vault: services use it, the app
	// never held its token.
	Vault bool
}
