package models

import (
	"time"

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
	ID       string `gorm:"primaryKey"`
	Name     string
	Personal bool
	// LeakPolicy is what a secret scanner's report of one of the team's credentials
	// does: LeakPolicyRevoke (the default) or LeakPolicyNotify.
	LeakPolicy string `gorm:"default:revoke"`
	// RegistrationPolicy says whether software may register OAuth clients in the team
	// (RegistrationOff, the default, RegistrationToken or RegistrationOpen).
	RegistrationPolicy string `gorm:"default:off"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
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

// FirstAPIName is the name of the API every new user finds in their personal team.
const FirstAPIName = "My first API"

// FirstProjectName is the name of the project every new user finds in their personal team.
const FirstProjectName = "My first project"
