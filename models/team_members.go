package models

import (
	"time"
)

// ErrLastOwner refuses a change that would leave a team without an owner.
var ErrLastOwner = conflict("a team must keep at least one owner")

// ErrPersonalTeam refuses deleting a user's personal team.
var ErrPersonalTeam = conflict("a personal team cannot be deleted")

// TeamView is a team as one member sees it.
type TeamView struct {
	Team
	MyRole Role
}

// Member is a team member with the user's name and email.
type Member struct {
	UserID string
	Name   string
	Email  string
	// Kind is UserKindService for a service account.
	Kind     string
	Role     Role
	JoinedAt time.Time
}

// IsService reports whether the member is a service account.
func (m Member) IsService() bool { return m.Kind == UserKindService }
