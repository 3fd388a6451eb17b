package store

import (
	"cmp"
	"context"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// CreateTeam creates a team owned by the actor.
func (s *Store) CreateTeam(ctx context.Context, actor models.Actor, name, idempotencyKey string) (*models.Team, error) {
	var v models.ValidationError
	name = cleanName(&v, "name", name, 60)
	if err := v.AsError(); err != nil {
		return nil, err
	}
	if actor.User == nil || actor.User.IsService() { // a service account belongs to its one team
		return nil, models.ErrForbidden
	}
	now := s.now()
	t := models.Team{ID: newID("team"), Name: name, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, t.ID); err != nil {
			return err
		}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		if err := tx.Create(&models.TeamMember{TeamID: t.ID, UserID: actor.User.ID, Role: models.RoleOwner, CreatedAt: now}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: t.ID, action: "team.create", targetType: "team", targetID: t.ID, target: t.Name})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// TeamFor returns the team and the actor's role in it; ErrNotFound for non-members.
func (s *Store) TeamFor(ctx context.Context, actor models.Actor, teamID string) (*models.TeamView, error) {
	db := s.db.WithContext(ctx)
	role, err := authorize(db, actor, teamID, models.ActTeamView)
	if err != nil {
		return nil, err
	}
	var t models.Team
	if err := db.Where("id = ?", teamID).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &models.TeamView{Team: t, MyRole: role}, nil
}

// Members lists the team's members, owners first, then by name.
func (s *Store) Members(ctx context.Context, actor models.Actor, teamID string) ([]models.Member, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActTeamView); err != nil {
		return nil, err
	}
	var out []models.Member
	err := memberQuery(db).
		Where("m.team_id = ?", teamID).
		Order("CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'developer' THEN 2 ELSE 3 END, u.name, u.id").
		Scan(&out).Error
	return out, err
}

// RenameTeam changes the team's name.
func (s *Store) RenameTeam(ctx context.Context, actor models.Actor, teamID, name string) error {
	var v models.ValidationError
	name = cleanName(&v, "name", name, 60)
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActTeamRename); err != nil {
			return err
		}
		if err := v.AsError(); err != nil { // only once the actor may rename the team
			return err
		}
		var t models.Team
		if err := tx.Where("id = ?", teamID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		if t.Name == name {
			return nil
		}
		if err := tx.Model(&t).Updates(map[string]any{"name": name, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "team.rename", targetType: "team", targetID: teamID, target: name,
			details: map[string]any{"from": t.Name, "to": name}})
	})
}

// DeleteTeam deletes the team with its projects, members and invitations. Only an owner
// may, and never a personal team.
func (s *Store) DeleteTeam(ctx context.Context, actor models.Actor, teamID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActTeamDelete); err != nil {
			return err
		}
		var t models.Team
		if err := tx.Where("id = ?", teamID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		if t.Personal {
			return models.ErrPersonalTeam
		}
		if err := s.beforeTeamDelete(tx, actor, teamID); err != nil {
			return err
		}
		if err := tx.Delete(&t).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "team.delete", targetType: "team", targetID: teamID, target: t.Name})
	})
}

// beforeTeamDelete runs what must happen to a team's credentials before the rows go
// (API keys are revoked in their status lists by the API-key store).
func (s *Store) beforeTeamDelete(tx *gorm.DB, actor models.Actor, teamID string) error {
	// Its APIs go first: every grant on them, in any team, ends and its keys are revoked.
	var apis []models.API
	if err := tx.Where("team_id = ?", teamID).Find(&apis).Error; err != nil {
		return err
	}
	for i := range apis {
		if _, err := s.deleteAPI(tx, actor, &apis[i]); err != nil {
			return err
		}
	}
	var projects []models.Project
	if err := tx.Where("team_id = ?", teamID).Find(&projects).Error; err != nil {
		return err
	}
	for i := range projects {
		if err := s.beforeProjectDelete(tx, actor, &projects[i]); err != nil {
			return err
		}
	}
	return s.deleteTeamServiceAccounts(tx, teamID)
}

// ChangeRole gives a member another role. Owners may change anyone; admins may change
// non-owners to roles up to admin; nobody changes their own role (so a developer cannot
// promote itself and the last owner cannot demote itself). The member's open
// invitations that the new role can no longer grant are revoked with it.
func (s *Store) ChangeRole(ctx context.Context, actor models.Actor, teamID, userID string, role models.Role) error {
	return s.ChangeRoleIf(ctx, actor, teamID, userID, role, nil)
}

// ChangeRoleIf is ChangeRole with a precondition on the member as they stand, checked
// in the changing transaction once the actor is authorized and before the role is
// validated (an API's If-Match).
func (s *Store) ChangeRoleIf(ctx context.Context, actor models.Actor, teamID, userID string, role models.Role, pre func(*models.Member) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActMemberManage)
		if err != nil {
			return err
		}
		// Locked before the precondition reads the member, so that two changes made
		// against one version cannot both pass it.
		if err := s.lockTeam(tx, teamID); err != nil {
			return err
		}
		if err := checkMember(tx, teamID, userID, pre); err != nil {
			return err
		}
		if !role.Valid() { // only once the actor may change roles
			return &models.ValidationError{Fields: map[string]string{"role": "is not a role"}}
		}
		target, err := member(tx, teamID, userID)
		if err != nil {
			return err
		}
		if userID == actor.UserID() || !mine.CanManage(target.Role) || !mine.CanGrant(role) {
			return models.ErrForbidden
		}
		if target.Role == role {
			return nil
		}
		if role == models.RoleOwner {
			if svc, err := isServiceAccount(tx, userID); err != nil || svc {
				return cmp.Or(err, error(errServiceOwner))
			}
		}
		if target.Role == models.RoleOwner {
			if err := ensureAnotherOwner(tx, teamID); err != nil {
				return err
			}
		}
		if err := tx.Model(&models.TeamMember{}).Where("team_id = ? AND user_id = ?", teamID, userID).Update("role", role).Error; err != nil {
			return err
		}
		if err := s.audit(tx, actor, event{team: teamID, action: "member.role_change", targetType: "user", targetID: userID,
			target: userLabel(tx, userID), details: map[string]any{"from": target.Role, "to": role}}); err != nil {
			return err
		}
		if err := s.revokeInvitationsBeyond(tx, actor, teamID, userID, role, revokeInviterDemoted); err != nil {
			return err
		}
		return s.withdrawRequestsBeyond(tx, actor, teamID, userID, role, "requester demoted")
	})
}

// RemoveMember removes someone else from the team and revokes the open invitations
// they made to it.
func (s *Store) RemoveMember(ctx context.Context, actor models.Actor, teamID, userID string) error {
	return s.RemoveMemberIf(ctx, actor, teamID, userID, nil)
}

// RemoveMemberIf is RemoveMember with a precondition on the member, checked in the
// removing transaction once the actor is authorized (an API's If-Match).
func (s *Store) RemoveMemberIf(ctx context.Context, actor models.Actor, teamID, userID string, pre func(*models.Member) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActMemberManage)
		if err != nil {
			return err
		}
		if err := s.lockTeam(tx, teamID); err != nil {
			return err
		}
		if err := checkMember(tx, teamID, userID, pre); err != nil {
			return err
		}
		target, err := member(tx, teamID, userID)
		if err != nil {
			return err
		}
		if userID == actor.UserID() || !mine.CanManage(target.Role) {
			return models.ErrForbidden
		}
		if target.Role == models.RoleOwner {
			if err := ensureAnotherOwner(tx, teamID); err != nil {
				return err
			}
		}
		var sa models.ServiceAccount
		if err := tx.Where("id = ? AND team_id = ?", userID, teamID).Limit(1).Find(&sa).Error; err != nil {
			return err
		}
		if sa.ID != "" { // removing a service account from its team deletes it
			return s.deleteServiceAccount(tx, actor, &sa, "removed")
		}
		label := userLabel(tx, userID)
		if err := tx.Where("team_id = ? AND user_id = ?", teamID, userID).Delete(&models.TeamMember{}).Error; err != nil {
			return err
		}
		if err := s.audit(tx, actor, event{team: teamID, action: "member.remove", targetType: "user", targetID: userID, target: label,
			details: map[string]any{"role": target.Role}}); err != nil {
			return err
		}
		if err := s.emit(tx, models.Event{Type: models.EventMemberRemoved, TeamID: teamID, SubjectID: userID,
			Data: map[string]any{"user_id": userID, "email": label, "role": target.Role, "how": "removed"}}); err != nil {
			return err
		}
		if err := s.revokeInvitationsBeyond(tx, actor, teamID, userID, "", revokeInviterRemoved); err != nil {
			return err
		}
		return s.withdrawRequestsBeyond(tx, actor, teamID, userID, "", "requester removed from the team")
	})
}

// LeaveTeam removes the actor from the team, unless they are its last owner, and
// revokes the open invitations the actor made to it.
func (s *Store) LeaveTeam(ctx context.Context, actor models.Actor, teamID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActTeamView)
		if err != nil {
			return err
		}
		if actor.User.IsService() { // it is deleted, not left: see DeleteServiceAccount
			return models.ErrForbidden
		}
		if err := s.lockTeam(tx, teamID); err != nil {
			return err
		}
		if mine == models.RoleOwner {
			if err := ensureAnotherOwner(tx, teamID); err != nil {
				return err
			}
		}
		if err := tx.Where("team_id = ? AND user_id = ?", teamID, actor.UserID()).Delete(&models.TeamMember{}).Error; err != nil {
			return err
		}
		if err := s.audit(tx, actor, event{team: teamID, action: "member.leave", targetType: "user", targetID: actor.UserID(), target: actor.Label(),
			details: map[string]any{"role": mine}}); err != nil {
			return err
		}
		if err := s.emit(tx, models.Event{Type: models.EventMemberRemoved, TeamID: teamID, SubjectID: actor.UserID(),
			Data: map[string]any{"user_id": actor.UserID(), "email": actor.Label(), "role": mine, "how": "left"}}); err != nil {
			return err
		}
		if err := s.revokeInvitationsBeyond(tx, actor, teamID, actor.UserID(), "", revokeInviterLeft); err != nil {
			return err
		}
		return s.withdrawRequestsBeyond(tx, actor, teamID, actor.UserID(), "", "requester left the team")
	})
}

// member returns a membership row, or ErrNotFound.
func member(tx *gorm.DB, teamID, userID string) (*models.TeamMember, error) {
	var m models.TeamMember
	if err := tx.Where("team_id = ? AND user_id = ?", teamID, userID).Take(&m).Error; err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// ensureAnotherOwner fails with ErrLastOwner unless the team has two or more owners.
func ensureAnotherOwner(tx *gorm.DB, teamID string) error {
	var n int64
	if err := tx.Model(&models.TeamMember{}).Where("team_id = ? AND role = ?", teamID, models.RoleOwner).Count(&n).Error; err != nil {
		return err
	}
	if n < 2 {
		return models.ErrLastOwner
	}
	return nil
}

// isServiceAccount reports whether userID is a service account's users row.
func isServiceAccount(tx *gorm.DB, userID string) (bool, error) {
	var n int64
	err := tx.Model(&models.User{}).Where("id = ? AND kind = ?", userID, models.UserKindService).Count(&n).Error
	return n > 0, err
}

// userLabel names a user for the audit log.
func userLabel(tx *gorm.DB, userID string) string {
	var u models.User
	if err := tx.Where("id = ?", userID).Take(&u).Error; err != nil {
		return userID
	}
	if u.Email != "" {
		return u.Email
	}
	return u.DisplayName()
}
