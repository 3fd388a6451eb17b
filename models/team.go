package models

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models/authz"
)

// Role is a member's role in a team; models/authz decides what each may do.
type Role = authz.Role

// The roles, from most to least powerful.
const (
	RoleOwner     = authz.Owner
	RoleAdmin     = authz.Admin
	RoleDeveloper = authz.Developer
	RoleViewer    = authz.Viewer
)

// Team owns projects; its members share them according to their roles.
type Team struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	Personal  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember is one user's membership of a team.
type TeamMember struct {
	TeamID    string `gorm:"primaryKey"`
	UserID    string `gorm:"primaryKey"`
	Role      Role
	CreatedAt time.Time
}

// Membership is a team seen by one of its members.
type Membership struct {
	Team     Team
	Role     Role
	JoinedAt time.Time
	Members  int
}

// createPersonalTeam gives a new user a team of their own, which they own, holding a
// first project so that the portal is useful from the first page.
func (s *Store) createPersonalTeam(tx *gorm.DB, u *User, now time.Time) error {
	t := Team{ID: newID("team"), Name: truncate(u.DisplayName(), 50) + "'s team", Personal: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&t).Error; err != nil {
		return err
	}
	if err := tx.Create(&TeamMember{TeamID: t.ID, UserID: u.ID, Role: RoleOwner, CreatedAt: now}).Error; err != nil {
		return err
	}
	actor := Actor{User: u}
	if err := s.audit(tx, actor, event{team: t.ID, action: "team.create", targetType: "team", targetID: t.ID, target: t.Name}); err != nil {
		return err
	}
	p, err := s.createProject(tx, actor, t.ID, FirstProjectName,
		"A project to try Gatehouse with: create an API key or a client secret and call an API with it.", "")
	if err != nil {
		return err
	}
	// An API of the user's own, granted to the first project, so that a fresh account
	// gets working credentials with any OAuth library at once.
	identifier := "first-api-" + randomToken(5)
	key, _ := IdentifierKey(identifier)
	api := &API{ID: newID("api"), TeamID: t.ID, Name: FirstAPIName, Identifier: identifier, IdentifierKey: key,
		Description:    "An API to try Gatehouse with. Point an API of yours at this identifier, or register your real one.",
		AcceptsAPIKeys: true, AcceptsAccessTokens: true, CreatedBy: optional(u.ID), CreatedAt: now, UpdatedAt: now}
	if err := s.createAPI(tx, actor, api, []ScopeInput{{Name: "read", Description: "Read data"}, {Name: "write", Description: "Change data"}}); err != nil {
		return err
	}
	_, _, err = s.putGrant(tx, actor, api, p, []string{"read", "write"}, nil, "")
	return err
}

// FirstAPIName is the name of the API every new user finds in their personal team.
const FirstAPIName = "My first API"

// FirstProjectName is the name of the project every new user finds in their personal team.
const FirstProjectName = "My first project"

// TeamsOf lists the teams the user belongs to, personal team first, then by name.
func (s *Store) TeamsOf(ctx context.Context, userID string) ([]Membership, error) {
	type row struct {
		Team
		Role     Role
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
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{Team: r.Team, Role: r.Role, JoinedAt: r.JoinedAt, Members: r.Members}
	}
	return out, nil
}
