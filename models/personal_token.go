package models

import (
	"errors"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/authz"
)

// PersonalTokenPrefix marks Gatehouse personal access tokens (PATs), so secret scanners
// and people tell one from a client secret ("ghcs_") in a log or a repository.
const PersonalTokenPrefix = "ghpat_"

// PersonalTokenLen is the length of a whole personal access token: the prefix, 256
// random bits in base62 (43 characters) and a base62 CRC32 (6 characters).
const PersonalTokenLen = len(PersonalTokenPrefix) + secretBodyLen + secretCRCLen

// ErrMalformedPersonalToken means a string is not a well-formed personal access token;
// it is refused before any database lookup.
var ErrMalformedPersonalToken = errors.New("malformed personal access token")

// PersonalTokenLifetimes are the expiries a personal access token may be given, in
// days. There is no "never".
var PersonalTokenLifetimes = []int{7, 30, 90, 365}

// The scopes of a personal access token.
const (
	// PersonalTokenRead allows reading only (GET): the team, project and API views and,
	// for owners and admins, the audit log.
	PersonalTokenRead = "read"
	// PersonalTokenWrite allows whatever the user's role allows.
	PersonalTokenWrite = "write"
)

// NewPersonalToken returns a fresh personal access token: prefix, 256 random bits and
// a checksum.
func NewPersonalToken() string { return newChecksummed(PersonalTokenPrefix) }

// CheckPersonalTokenFormat verifies prefix, length, alphabet and checksum, so a
// mistyped, truncated or made-up token fails without touching the database.
func CheckPersonalTokenFormat(s string) error {
	if !wellFormed(s, PersonalTokenPrefix, PersonalTokenLen) {
		return ErrMalformedPersonalToken
	}
	return nil
}

// PersonalToken is the metadata of a user's personal access token, with which software
// calls /api/v1 as that user. The token itself is shown once and stored only as its
// SHA-256. It carries at most the user's authority, read again on every request: its
// scope may narrow it (read only, one team), never widen it.
type PersonalToken struct {
	ID     string `gorm:"primaryKey"`
	UserID string
	Name   string
	Hash   string
	Hint   string
	// Scope is PersonalTokenRead or PersonalTokenWrite.
	Scope string
	// TeamID limits the token to one team; nil: every team of the user.
	TeamID     *string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Status is "active", "expired" or "revoked" at now.
func (t *PersonalToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Limits is what the token narrows its user's authority to.
func (t *PersonalToken) Limits() *TokenLimits {
	l := &TokenLimits{TokenID: t.ID, TokenName: t.Name, ReadOnly: t.Scope != PersonalTokenWrite}
	if t.TeamID != nil {
		l.TeamID = *t.TeamID
	}
	return l
}

// PersonalTokenInfo is a token as its owner's account page lists it.
type PersonalTokenInfo struct {
	PersonalToken
	TeamName string
}

// PersonalTokenInput is what a user asks for.
type PersonalTokenInput struct {
	Name string
	// Scope is PersonalTokenRead or PersonalTokenWrite.
	Scope string
	// TeamID limits the token to one of the user's teams; "" for all of them.
	TeamID string
	// TTL is one of PersonalTokenLifetimes, in days.
	TTL time.Duration
}

// TokenLimits narrow what an Actor may do below its role: the store's one authorize
// applies them, so every way in (a page, /api/v1) gets the same answer.
type TokenLimits struct {
	TokenID, TokenName string
	// ReadOnly allows only the actions that read (authz.Action.Reads).
	ReadOnly bool
	// TeamID, when set, is the only team the actor acts in: every other team is
	// answered as one it is not a member of (404).
	TeamID string
}

// Allows reports whether the limits let the actor take action a in team teamID; the
// role is decided separately. ok false with visible true means forbidden (403); visible
// false means the team is outside the limits (404).
func (l *TokenLimits) Allows(teamID string, a authz.Action) (visible, ok bool) {
	if l == nil {
		return true, true
	}
	if l.TeamID != "" && l.TeamID != teamID {
		return false, false
	}
	if l.ReadOnly && !a.Reads() {
		return true, false
	}
	return true, true
}

// ErrReadOnlyToken refuses a change asked for with a read-only personal access token.
var ErrReadOnlyToken = &Error{Code: CodeForbidden, Message: "this personal access token is read-only"}

// ErrInvalidPersonalToken answers a personal access token that is missing, malformed,
// unknown, expired or revoked: one answer, so a caller learns nothing of which.
var ErrInvalidPersonalToken = &Error{Code: CodeUnauthenticated, Message: "the personal access token is missing, invalid, expired or revoked"}

// TableName names the table.
func (PersonalToken) TableName() string { return "personal_access_tokens" }
