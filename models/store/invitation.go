package store

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
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

// CreateInvitation creates an invitation to the team with role and returns it with the
// token for the link, shown once. Admins invite up to admin; owners may invite owners.
func (s *Store) CreateInvitation(ctx context.Context, actor models.Actor, teamID string, role models.Role, ttl time.Duration, idempotencyKey string) (*models.Invitation, string, error) {
	var v models.ValidationError
	if !role.Valid() {
		v.Add("role", "choose a role")
	}
	if ttl < time.Hour || ttl > 30*24*time.Hour {
		v.Add("expires_in", "choose one of the offered lifetimes")
	}
	token := models.RandomToken(32)
	now := s.now()
	inv := &models.Invitation{ID: newID("inv"), TeamID: teamID, TokenHash: models.SHA256Hex(token), Role: role,
		CreatedBy: optional(actor.UserID()), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActMemberInvite)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may invite
			return err
		}
		if !mine.CanGrant(role) {
			return models.ErrForbidden
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
func (s *Store) PendingInvitations(ctx context.Context, actor models.Actor, teamID string) ([]models.InvitationInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActMemberInvite); err != nil {
		return nil, err
	}
	var out []models.InvitationInfo
	err := db.Table("invitations AS i").
		Select("i.*, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label, COALESCE(m.role, '') AS inviter_role").
		Joins("LEFT JOIN users u ON u.id = i.created_by").
		Joins("LEFT JOIN team_members m ON m.team_id = i.team_id AND m.user_id = i.created_by").
		Where("i.team_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?", teamID, s.now()).
		Order("i.created_at DESC").Scan(&out).Error
	return out, err
}

// RevokeInvitation makes an open invitation unusable.
func (s *Store) RevokeInvitation(ctx context.Context, actor models.Actor, teamID, invitationID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActMemberInvite)
		if err != nil {
			return err
		}
		var inv models.Invitation
		if err := tx.Where("id = ? AND team_id = ?", invitationID, teamID).Take(&inv).Error; err != nil {
			return notFound(err)
		}
		if !mine.CanGrant(inv.Role) {
			return models.ErrForbidden
		}
		if inv.State(s.now()) != models.InviteOpen {
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
func (s *Store) InvitationByToken(ctx context.Context, token string) (*models.InvitationInfo, error) {
	if token == "" || len(token) > 128 {
		return nil, models.ErrNotFound
	}
	var out models.InvitationInfo
	err := s.db.WithContext(ctx).Table("invitations AS i").
		Select("i.*, t.name AS team_name, COALESCE(NULLIF(u.email, ''), u.name, '') AS created_by_label, COALESCE(u.name, '') AS created_by_name, "+
			"COALESCE(m.role, '') AS inviter_role").
		Joins("JOIN teams t ON t.id = i.team_id").
		Joins("LEFT JOIN users u ON u.id = i.created_by").
		Joins("LEFT JOIN team_members m ON m.team_id = i.team_id AND m.user_id = i.created_by").
		Where("i.token_hash = ?", models.SHA256Hex(token)).Take(&out).Error
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
func (s *Store) AcceptInvitation(ctx context.Context, actor models.Actor, token string) (*models.Invitation, error) {
	if actor.User == nil || actor.User.IsService() { // invitations are for people
		return nil, models.ErrForbidden
	}
	var inv models.Invitation
	withdrawn := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("token_hash = ?", models.SHA256Hex(token)).Take(&inv).Error; err != nil {
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
		case models.InviteAccepted:
			return models.ErrInvitationUsed
		case models.InviteRevoked:
			// Say why when its author has lost the right (it was revoked for that).
			if reason, err := inviterLacksAuthority(tx, &inv); err != nil {
				return err
			} else if reason != "" {
				return models.ErrInvitationWithdrawn
			}
			return models.ErrInvitationRevoked
		case models.InviteExpired:
			return models.ErrInvitationExpired
		}
		if reason, err := inviterLacksAuthority(tx, &inv); err != nil {
			return err
		} else if reason != "" {
			withdrawn = true
			// Recorded as the system's doing, from the request that found out.
			sys := models.Actor{IP: actor.IP, UserAgent: actor.UserAgent}
			return s.revokeInvitation(tx, sys, &inv, map[string]any{"reason": reason, "attempted_by": actor.Label()})
		}
		if _, err := member(tx, inv.TeamID, actor.User.ID); err == nil {
			return models.ErrAlreadyMember
		}
		res := tx.Model(&models.Invitation{}).Where("id = ? AND accepted_at IS NULL AND revoked_at IS NULL", inv.ID).
			Updates(map[string]any{"accepted_at": now, "accepted_by": actor.User.ID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.ErrInvitationUsed
		}
		if err := tx.Create(&models.TeamMember{TeamID: inv.TeamID, UserID: actor.User.ID, Role: inv.Role, CreatedAt: now}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return models.ErrAlreadyMember
			}
			return err
		}
		if err := s.audit(tx, actor, event{team: inv.TeamID, action: "member.join", targetType: "user", targetID: actor.User.ID,
			target: actor.Label(), details: map[string]any{"role": inv.Role, "invitation": inv.ID}}); err != nil {
			return err
		}
		return s.emit(tx, models.Event{Type: models.EventMemberAdded, TeamID: inv.TeamID, SubjectID: actor.User.ID,
			Data: map[string]any{"user_id": actor.User.ID, "email": actor.User.Email, "role": inv.Role}})
	})
	if err != nil {
		return nil, err
	}
	if withdrawn {
		return nil, models.ErrInvitationWithdrawn
	}
	return &inv, nil
}

// inviterLacksAuthority returns why the invitation's author may no longer grant its
// role in its team, or "" when they still may.
func inviterLacksAuthority(tx *gorm.DB, inv *models.Invitation) (string, error) {
	if inv.CreatedBy == nil {
		return revokeInviterGone, nil
	}
	m, err := member(tx, inv.TeamID, *inv.CreatedBy)
	if errors.Is(err, models.ErrNotFound) {
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
func (s *Store) revokeInvitation(tx *gorm.DB, actor models.Actor, inv *models.Invitation, details map[string]any) error {
	res := tx.Model(&models.Invitation{}).Where("id = ? AND accepted_at IS NULL AND revoked_at IS NULL", inv.ID).
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
func (s *Store) revokeInvitationsBeyond(tx *gorm.DB, actor models.Actor, teamID, userID string, role models.Role, reason string) error {
	var open []models.Invitation
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
