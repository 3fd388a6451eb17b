package models

import (
	"time"
)

// DefaultInvitationTTL is how long an invitation link works unless chosen otherwise.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Invitation states, as the invitation page shows them.
const (
	InviteOpen     = "open"
	InviteAccepted = "accepted"
	InviteExpired  = "expired"
	InviteRevoked  = "revoked"
	// InviteWithdrawn is shown for an invitation whose author can no longer grant its
	// role (removed from the team, left it, demoted, or deleted): it cannot be accepted.
	InviteWithdrawn = "withdrawn"
)

// Errors of accepting an invitation.
var (
	ErrInvitationUsed    = gone("this invitation has already been used")
	ErrInvitationExpired = gone("this invitation has expired")
	ErrInvitationRevoked = gone("this invitation was revoked")
	ErrAlreadyMember     = conflict("you are already a member of this team")
	// ErrInvitationWithdrawn refuses an invitation whose author has lost the right to
	// grant its role since making it; accepting it revokes it.
	ErrInvitationWithdrawn = gone("the person who invited you can no longer add members with this role; ask a team admin for a new invitation")
)

// Invitation is a single-use, expiring link that adds whoever opens it (once signed in)
// to a team with a role. Only the token's SHA-256 is stored.
type Invitation struct {
	ID         string `gorm:"primaryKey"`
	TeamID     string
	TokenHash  string
	Role       Role
	CreatedBy  *string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	AcceptedBy *string
	RevokedAt  *time.Time
}

// State is the invitation's state at now.
func (i *Invitation) State(now time.Time) string {
	switch {
	case i.AcceptedAt != nil:
		return InviteAccepted
	case i.RevokedAt != nil:
		return InviteRevoked
	case !now.Before(i.ExpiresAt):
		return InviteExpired
	}
	return InviteOpen
}

// InvitationInfo is an invitation with its team's name and inviter's label.
type InvitationInfo struct {
	Invitation
	TeamName       string
	CreatedByLabel string
	// CreatedByName is the inviter's name, "" when they have none (or no longer exist).
	// Filled by InvitationByToken only.
	CreatedByName string
	// InviterRole is the inviter's current role in the team, "" when they are no longer
	// a member (or no longer exist).
	InviterRole Role
}

// InviterCanGrant reports whether the inviter may, today, grant the invitation's role.
func (i *InvitationInfo) InviterCanGrant() bool {
	return i.CreatedBy != nil && i.InviterRole.CanGrant(i.Role)
}

// PageState is the state the invitation page shows at now: State, except that an open
// or revoked invitation whose author can no longer grant its role is InviteWithdrawn,
// so the invitee learns why it does not work (accepting it would be refused).
func (i *InvitationInfo) PageState(now time.Time) string {
	st := i.State(now)
	if (st == InviteOpen || st == InviteRevoked) && !i.InviterCanGrant() {
		return InviteWithdrawn
	}
	return st
}
