package store

import (
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// authorize is the one permission check. It reads the actor's role in the team from
// the database (never from the session) and answers ErrNotFound when the actor is not
// a member — exactly as if the team did not exist — and ErrForbidden when the role
// does not allow the action.
func authorize(tx *gorm.DB, actor models.Actor, teamID string, a models.Action) (models.Role, error) {
	// Only members act in a team: a client, an operator as such or the portal itself is
	// answered as a stranger. (Service accounts will be members too.)
	if actor.Kind() != models.PrincipalUser {
		return "", models.ErrNotFound
	}
	// A personal access token narrows the user's authority (one team, read only); the
	// role below still decides, so a token never grants more than its user has today.
	visible, ok := actor.Limits.Allows(teamID, a)
	if !visible {
		return "", models.ErrNotFound
	}
	var m models.TeamMember
	err := tx.Where("team_id = ? AND user_id = ?", teamID, actor.User.ID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", models.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if !m.Role.Can(a) {
		return m.Role, models.ErrForbidden
	}
	if !ok {
		return m.Role, models.ErrReadOnlyToken
	}
	return m.Role, nil
}

// lockTeam serializes changes to one team's membership: on PostgreSQL it takes a row
// lock on the team; SQLite write transactions are serialized already.
func (s *Store) lockTeam(tx *gorm.DB, teamID string) error {
	q := tx.Model(&models.Team{}).Select("id").Where("id = ?", teamID)
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var t models.Team
	return notFound(q.Take(&t).Error)
}
