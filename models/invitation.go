package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
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

// Reasons recorded in the details of an automatic invitation.revoke audit event.
const (
	revokeInviterRemoved = "inviter removed"
	revokeInviterLeft    = "inviter left"
	revokeInviterDemoted = "inviter demoted"
	revokeInviterGone    = "inviter deleted"
	revokeNotMember      = "inviter no longer a member"
	revokeCannotGrant    = "inviter can no longer grant this role"
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

// CreateInvitation creates an invitation to the team with role and returns it with the
// token for the link, shown once. Admins invite up to admin; owners may invite owners.
func (s *Store) CreateInvitation(ctx context.Context, actor Actor, teamID string, role Role, ttl time.Duration, idempotencyKey string) (*Invitation, string, error) {
	var v ValidationError
	if !role.Valid() {
		v.add("role", "choose a role")
	}
	if ttl < time.Hour || ttl > 30*24*time.Hour {
		v.add("expires_in", "choose one of the offered lifetimes")
	}
	token := randomToken(32)
	now := s.now()
	inv := &Invitation{ID: newID("inv"), TeamID: teamID, TokenHash: sha256Hex(token), Role: role,
		CreatedBy: optional(actor.id()), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, ActMemberInvite)
		if err != nil {
			return err
		}
		if err := v.err(); err != nil { // only once the actor may invite
			return err
		}
		if !mine.CanGrant(role) {
			return ErrForbidden
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, inv.ID); err != nil {
			return err
		}
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "invitation.create", targetType: "invitation", targetID: inv.ID,
			target: string(role), details: map[string]any{"role": role, "expires_at": inv.ExpiresAt.Format(time.RFC3339)}})
	})
	if err != nil {
		return nil, "", err
	}
	return inv, token, nil
}

// PendingInvitations lists the team's open invitations, newest first.
func (s *Store) PendingInvitations(ctx context.Context, actor Actor, teamID string) ([]InvitationInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, ActMemberInvite); err != nil {
		return nil, err
	}
	var out []InvitationInfo
	err := db.Table("invitations AS i").
		Select("i.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label, COALESCE(m.role, '') AS inviter_role").
		Joins("LEFT JOIN users u ON u.id = i.created_by").
		Joins("LEFT JOIN team_members m ON m.team_id = i.team_id AND m.user_id = i.created_by").
		Where("i.team_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?", teamID, s.now()).
		Order("i.created_at DESC").Scan(&out).Error
	return out, err
}

// RevokeInvitation makes an open invitation unusable.
func (s *Store) RevokeInvitation(ctx context.Context, actor Actor, teamID, invitationID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, ActMemberInvite)
		if err != nil {
			return err
		}
		var inv Invitation
		if err := tx.Where("id = ? AND team_id = ?", invitationID, teamID).Take(&inv).Error; err != nil {
			return notFound(err)
		}
		if !mine.CanGrant(inv.Role) {
			return ErrForbidden
		}
		if inv.State(s.now()) != InviteOpen {
			return nil
		}
		if err := tx.Model(&inv).Update("revoked_at", s.now()).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "invitation.revoke", targetType: "invitation", targetID: inv.ID,
			target: string(inv.Role)})
	})
}

// InvitationByToken looks an invitation up by the token in its link. It reveals only
// the team's name, the role and the inviter, to whoever holds the link.
func (s *Store) InvitationByToken(ctx context.Context, token string) (*InvitationInfo, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNotFound
	}
	var out InvitationInfo
	err := s.db.WithContext(ctx).Table("invitations AS i").
		Select("i.*, t.name AS team_name, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label, COALESCE(m.role, '') AS inviter_role").
		Joins("JOIN teams t ON t.id = i.team_id").
		Joins("LEFT JOIN users u ON u.id = i.created_by").
		Joins("LEFT JOIN team_members m ON m.team_id = i.team_id AND m.user_id = i.created_by").
		Where("i.token_hash = ?", sha256Hex(token)).Take(&out).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &out, nil
}

// AcceptInvitation adds the actor to the invitation's team with its role, once: the
// invitation is marked used in the same transaction, conditionally, so two concurrent
// acceptances cannot both succeed.
//
// Authority is checked when it is used: the inviter must still be a member of the team
// whose current role may grant the invitation's role. If not, the invitation is revoked
// (with an audit event), nobody joins, and the error is ErrInvitationWithdrawn. The
// team's row is locked first, so the check and the membership changes that revoke
// invitations (ChangeRole, RemoveMember, LeaveTeam) cannot interleave. A team deleted
// meanwhile took its invitations with it: ErrNotFound.
func (s *Store) AcceptInvitation(ctx context.Context, actor Actor, token string) (*Invitation, error) {
	if actor.User == nil {
		return nil, ErrForbidden
	}
	var inv Invitation
	withdrawn := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("token_hash = ?", sha256Hex(token)).Take(&inv).Error; err != nil {
			return notFound(err)
		}
		if err := s.lockTeam(tx, inv.TeamID); err != nil {
			return err
		}
		// Read it again under the lock: a concurrent change may have revoked it.
		if err := tx.Where("id = ?", inv.ID).Take(&inv).Error; err != nil {
			return notFound(err)
		}
		now := s.now()
		switch inv.State(now) {
		case InviteAccepted:
			return ErrInvitationUsed
		case InviteRevoked:
			// Say why when its author has lost the right (it was revoked for that).
			if reason, err := inviterLacksAuthority(tx, &inv); err != nil {
				return err
			} else if reason != "" {
				return ErrInvitationWithdrawn
			}
			return ErrInvitationRevoked
		case InviteExpired:
			return ErrInvitationExpired
		}
		if reason, err := inviterLacksAuthority(tx, &inv); err != nil {
			return err
		} else if reason != "" {
			withdrawn = true
			// Recorded as the system's doing, from the request that found out.
			sys := Actor{IP: actor.IP, UserAgent: actor.UserAgent}
			return s.revokeInvitation(tx, sys, &inv, map[string]any{"reason": reason, "attempted_by": actor.label()})
		}
		if _, err := member(tx, inv.TeamID, actor.User.ID); err == nil {
			return ErrAlreadyMember
		}
		res := tx.Model(&Invitation{}).Where("id = ? AND accepted_at IS NULL AND revoked_at IS NULL", inv.ID).
			Updates(map[string]any{"accepted_at": now, "accepted_by": actor.User.ID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrInvitationUsed
		}
		if err := tx.Create(&TeamMember{TeamID: inv.TeamID, UserID: actor.User.ID, Role: inv.Role, CreatedAt: now}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadyMember
			}
			return err
		}
		return s.audit(tx, actor, event{team: inv.TeamID, action: "member.join", targetType: "user", targetID: actor.User.ID,
			target: actor.label(), details: map[string]any{"role": inv.Role, "invitation": inv.ID}})
	})
	if err != nil {
		return nil, err
	}
	if withdrawn {
		return nil, ErrInvitationWithdrawn
	}
	return &inv, nil
}

// inviterLacksAuthority returns why the invitation's author may no longer grant its
// role in its team, or "" when they still may.
func inviterLacksAuthority(tx *gorm.DB, inv *Invitation) (string, error) {
	if inv.CreatedBy == nil {
		return revokeInviterGone, nil
	}
	m, err := member(tx, inv.TeamID, *inv.CreatedBy)
	if errors.Is(err, ErrNotFound) {
		return revokeNotMember, nil
	}
	if err != nil {
		return "", err
	}
	if !m.Role.CanGrant(inv.Role) {
		return revokeCannotGrant, nil
	}
	return "", nil
}

// revokeInvitation marks an open invitation revoked, conditionally, and records an
// invitation.revoke event with details when it did.
func (s *Store) revokeInvitation(tx *gorm.DB, actor Actor, inv *Invitation, details map[string]any) error {
	res := tx.Model(&Invitation{}).Where("id = ? AND accepted_at IS NULL AND revoked_at IS NULL", inv.ID).
		Update("revoked_at", s.now())
	if res.Error != nil || res.RowsAffected != 1 {
		return res.Error
	}
	return s.audit(tx, actor, event{team: inv.TeamID, action: "invitation.revoke", targetType: "invitation", targetID: inv.ID,
		target: string(inv.Role), details: details})
}

// revokeInvitationsBeyond revokes, in the caller's transaction, the open invitations
// userID made to the team that role can no longer grant ("" for someone no longer in
// the team: all of them), each with an invitation.revoke event giving reason.
func (s *Store) revokeInvitationsBeyond(tx *gorm.DB, actor Actor, teamID, userID string, role Role, reason string) error {
	var open []Invitation
	err := tx.Where("team_id = ? AND created_by = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
		teamID, userID, s.now()).Order("created_at, id").Find(&open).Error
	if err != nil {
		return err
	}
	for i := range open {
		if role.CanGrant(open[i].Role) {
			continue
		}
		if err := s.revokeInvitation(tx, actor, &open[i], map[string]any{"reason": reason, "inviter": userLabel(tx, userID)}); err != nil {
			return err
		}
	}
	return nil
}
