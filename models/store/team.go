package store

import (
	"context"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// createPersonalTeam gives a new user a team of their own, which they own, holding a
// first project so that the portal is useful from the first page.
func (s *Store) createPersonalTeam(tx *gorm.DB, u *models.User, now time.Time) error {
	t := models.Team{ID: newID("team"), Name: models.Truncate(u.DisplayName(), 50) + "'s team", Personal: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&t).Error; err != nil {
		return err
	}
	if err := tx.Create(&models.TeamMember{TeamID: t.ID, UserID: u.ID, Role: models.RoleOwner, CreatedAt: now}).Error; err != nil {
		return err
	}
	actor := models.Actor{User: u}
	if err := s.audit(tx, actor, event{team: t.ID, action: "team.create", targetType: "team", targetID: t.ID, target: t.Name}); err != nil {
		return err
	}
	p, err := s.createProject(tx, actor, t.ID, models.FirstProjectName,
		"A project to try Gatehouse with: create an API key or a client secret and call an API with it.", "")
	if err != nil {
		return err
	}
	// An API of the user's own, granted to the first project, so that a fresh account
	// gets working credentials with any OAuth library at once.
	identifier := "first-api-" + models.RandomToken(5)
	key, _ := models.IdentifierKey(identifier)
	api := &models.API{ID: newID("api"), TeamID: t.ID, Name: models.FirstAPIName, Identifier: identifier, IdentifierKey: key,
		Description:    "An API to try Gatehouse with. Point an API of yours at this identifier, or register your real one.",
		AcceptsAPIKeys: true, AcceptsAccessTokens: true, CreatedBy: optional(u.ID), CreatedAt: now, UpdatedAt: now}
	if err := s.createAPI(tx, actor, api, []models.ScopeInput{{Name: "read", Description: "Read data"}, {Name: "write", Description: "Change data"}}); err != nil {
		return err
	}
	_, _, err = s.putGrant(tx, actor, api, p, []string{"read", "write"}, nil, "")
	return err
}

// TeamsOf lists the teams the user belongs to, personal team first, then by name.
func (s *Store) TeamsOf(ctx context.Context, userID string) ([]models.Membership, error) {
	type row struct {
		models.Team
		Role     models.Role
		JoinedAt time.Time
		Members  int
	}
	var rows []row
	err := s.db.WithContext(ctx).
		Table("team_members AS m").
		Select("t.*, m.role AS role, m.created_at AS joined_at, "+
			"(SELECT COUNT(*) FROM team_members c WHERE c.team_id = t.id) AS members").
		Joins("JOIN teams t ON t.id = m.team_id").
		Where("m.user_id = ?", userID).
		Order("t.personal DESC, t.name ASC, t.id ASC").
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]models.Membership, len(rows))
	for i, r := range rows {
		out[i] = models.Membership{Team: r.Team, Role: r.Role, JoinedAt: r.JoinedAt, Members: r.Members}
	}
	return out, nil
}
