package store

import (
	"cmp"
	"context"
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// errServiceOwner refuses making a service account an owner: owners are people.
var errServiceOwner = &models.ValidationError{Fields: map[string]string{"role": "a service account can be admin, developer or viewer, not owner"}}

// CreateServiceAccount adds a machine member to the team with a role the actor may
// grant (never owner). It gets a users row of kind service, so the one permission check
// decides for it; it cannot sign in, and starts with no credential.
func (s *Store) CreateServiceAccount(ctx context.Context, actor models.Actor, teamID string, in models.ServiceAccountInput, idempotencyKey string) (*models.ServiceAccount, error) {
	now := s.now()
	sa := &models.ServiceAccount{ID: newID("sa"), TeamID: teamID, CreatedBy: optional(actor.UserID()), CreatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		mine, err := authorize(tx, actor, teamID, models.ActServiceAccountManage)
		if err != nil {
			return err
		}
		var v models.ValidationError
		sa.Name = cleanName(&v, "name", in.Name, 60)
		sa.Description = cleanText(&v, "description", in.Description, 300)
		switch {
		case in.Role == models.RoleOwner:
			v.Add("role", errServiceOwner.Fields["role"])
		case !in.Role.Valid() || !mine.CanGrant(in.Role):
			v.Add("role", "choose a role you may grant")
		}
		if err := v.AsError(); err != nil {
			return err
		}
		if err := s.lockTeam(tx, teamID); err != nil {
			return err
		}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, sa.ID); err != nil {
			return err // a repeat: the first request's account, not a name clash with it
		}
		var n int64
		if err := tx.Model(&models.ServiceAccount{}).Where("team_id = ? AND name = ?", teamID, sa.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &models.ValidationError{Fields: map[string]string{"name": "is taken by another service account of this team"}}
		}
		u := &models.User{ID: sa.ID, Issuer: models.ServiceAccountIssuer, Subject: sa.ID, Name: sa.Name, Kind: models.UserKindService,
			CreatedAt: now, UpdatedAt: now, LastLoginAt: now}
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		if err := tx.Create(sa).Error; err != nil {
			return err
		}
		if err := tx.Create(&models.TeamMember{TeamID: teamID, UserID: sa.ID, Role: in.Role, CreatedAt: now}).Error; err != nil {
			return err
		}
		details := map[string]any{"role": in.Role}
		if err := s.audit(tx, actor, event{team: teamID, action: "service_account.create", targetType: "service_account",
			targetID: sa.ID, target: sa.Name, details: details}); err != nil {
			return err
		}
		return s.emit(tx, models.Event{Type: models.EventMemberAdded, TeamID: teamID, SubjectID: sa.ID,
			Data: map[string]any{"user_id": sa.ID, "service_account": sa.Name, "role": in.Role}})
	})
	if err != nil {
		return nil, err
	}
	return sa, nil
}

// ServiceAccounts lists the team's service accounts with their roles, by name.
func (s *Store) ServiceAccounts(ctx context.Context, actor models.Actor, teamID string) ([]models.ServiceAccountInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActTeamView); err != nil {
		return nil, err
	}
	return serviceAccounts(db, teamID, "")
}

// serviceAccounts reads a team's service accounts (one of them when id is set).
func serviceAccounts(db *gorm.DB, teamID, id string) ([]models.ServiceAccountInfo, error) {
	q := db.Table("service_accounts AS sa").
		Select("sa.*, m.role, COALESCE(NULLIF(c.email, ''), c.name, '') AS created_by_label").
		Joins("JOIN team_members m ON m.team_id = sa.team_id AND m.user_id = sa.id").
		Joins("LEFT JOIN users c ON c.id = sa.created_by").
		Where("sa.team_id = ?", teamID)
	if id != "" {
		q = q.Where("sa.id = ?", id)
	}
	var out []models.ServiceAccountInfo
	err := q.Order("sa.name, sa.id").Scan(&out).Error
	return out, err
}

// ServiceAccountFor returns one of the team's service accounts with its credentials
// (secrets as metadata only), newest first; ErrNotFound outside the team.
func (s *Store) ServiceAccountFor(ctx context.Context, actor models.Actor, teamID, id string) (*models.ServiceAccountInfo, []models.ServiceAccountCredential, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActTeamView); err != nil {
		return nil, nil, err
	}
	list, err := serviceAccounts(db, teamID, id)
	if err != nil {
		return nil, nil, err
	}
	if len(list) == 0 {
		return nil, nil, models.ErrNotFound
	}
	var creds []models.ServiceAccountCredential
	if err := db.Where("service_account_id = ?", id).Order("created_at DESC, id").Find(&creds).Error; err != nil {
		return nil, nil, err
	}
	return &list[0], creds, nil
}

// serviceAccountIn loads a service account of the team for a change the actor's role
// allows (it must also manage the account's role), or ErrNotFound/ErrForbidden.
func serviceAccountIn(tx *gorm.DB, actor models.Actor, teamID, id string) (*models.ServiceAccount, error) {
	mine, err := authorize(tx, actor, teamID, models.ActServiceAccountManage)
	if err != nil {
		return nil, err
	}
	var sa models.ServiceAccount
	if err := tx.Where("id = ? AND team_id = ?", id, teamID).Take(&sa).Error; err != nil {
		return nil, notFound(err)
	}
	m, err := member(tx, teamID, id)
	if err != nil {
		return nil, err
	}
	if !mine.CanManage(m.Role) {
		return nil, models.ErrForbidden
	}
	return &sa, nil
}

// DeleteServiceAccount removes a service account and every credential it has; tokens it
// holds stop working at once, since the permission check finds no member. pre, if set,
// sees the account as it stands, once the actor may delete it, and can refuse (If-Match).
func (s *Store) DeleteServiceAccount(ctx context.Context, actor models.Actor, teamID, id string, pre func(*models.ServiceAccountInfo) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		sa, err := serviceAccountIn(tx, actor, teamID, id)
		if err != nil {
			return err
		}
		if pre != nil {
			list, err := serviceAccounts(tx, teamID, id)
			if err != nil || len(list) == 0 {
				return cmp.Or(err, error(models.ErrNotFound))
			}
			if err := pre(&list[0]); err != nil {
				return err
			}
		}
		return s.deleteServiceAccount(tx, actor, sa, "deleted")
	})
}

// deleteServiceAccount deletes the account's users row (cascading to its membership, the
// account and its credentials), audited, with a member.removed event.
func (s *Store) deleteServiceAccount(tx *gorm.DB, actor models.Actor, sa *models.ServiceAccount, how string) error {
	m, err := member(tx, sa.TeamID, sa.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	role := models.Role("")
	if m != nil {
		role = m.Role
	}
	if err := tx.Where("id = ? AND kind = ?", sa.ID, models.UserKindService).Delete(&models.User{}).Error; err != nil {
		return err
	}
	if err := s.audit(tx, actor, event{team: sa.TeamID, action: "service_account.delete", targetType: "service_account",
		targetID: sa.ID, target: sa.Name, details: map[string]any{"role": role}}); err != nil {
		return err
	}
	return s.emit(tx, models.Event{Type: models.EventMemberRemoved, TeamID: sa.TeamID, SubjectID: sa.ID,
		Data: map[string]any{"user_id": sa.ID, "service_account": sa.Name, "role": role, "how": how}})
}

// deleteTeamServiceAccounts removes a team's service accounts before the team goes (their
// users rows would otherwise outlive it).
func (s *Store) deleteTeamServiceAccounts(tx *gorm.DB, teamID string) error {
	return tx.Where("kind = ? AND id IN (?)", models.UserKindService,
		tx.Model(&models.ServiceAccount{}).Select("id").Where("team_id = ?", teamID)).Delete(&models.User{}).Error
}
