package api

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Representations of a team's members and invitations.

func memberOf(m models.Member) memberJSON {
	kind := "person"
	if m.IsService() {
		kind = "service_account"
	}
	return memberJSON{UserID: m.UserID, Name: m.Name, Email: m.Email, Role: string(m.Role), JoinedAt: m.JoinedAt.UTC(), Kind: kind}
}

type invitationJSON struct {
	ID        string    `json:"id"`
	TeamID    string    `json:"team_id"`
	Role      string    `json:"role"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func invitationOf(i *models.Invitation, createdBy string) invitationJSON {
	return invitationJSON{ID: i.ID, TeamID: i.TeamID, Role: string(i.Role), CreatedBy: createdBy,
		CreatedAt: i.CreatedAt.UTC(), ExpiresAt: i.ExpiresAt.UTC()}
}

type invitationCreatedJSON struct {
	invitationJSON
	// Link is the invitation link, in this response only.
	Link string `json:"link"`
}

// lifetime turns a body's days into a duration; a number out of any sensible range
// becomes models.InvalidLifetime, which the store refuses once it has authorized the
// caller.
func lifetime(days int) time.Duration {
	if days < 0 || days > 100*366 {
		return models.InvalidLifetime
	}
	return time.Duration(days) * 24 * time.Hour
}
