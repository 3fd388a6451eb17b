package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Role is a member's role in a team.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
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

// createPersonalTeam gives a new user a team of their own, which they own.
func (s *Store) createPersonalTeam(tx *gorm.DB, u *User, now time.Time) error {
	t := Team{ID: newID("team"), Name: truncate(u.DisplayName(), 60) + "'s team", Personal: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&t).Error; err != nil {
		return err
	}
	return tx.Create(&TeamMember{TeamID: t.ID, UserID: u.ID, Role: RoleOwner, CreatedAt: now}).Error
}

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
