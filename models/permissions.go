package models

import (
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models/authz"
)

// Action is something a member may do to a team or its projects (models/authz holds
// the matrix of who may).
type Action = authz.Action

// The actions of the permission matrix.
const (
	ActTeamView      = authz.TeamView
	ActTeamRename    = authz.TeamRename
	ActTeamDelete    = authz.TeamDelete
	ActMemberInvite  = authz.MemberInvite
	ActMemberManage  = authz.MemberManage
	ActAuditView     = authz.AuditView
	ActProjectView   = authz.ProjectView
	ActProjectCreate = authz.ProjectCreate
	ActProjectUpdate = authz.ProjectUpdate
	ActProjectDelete = authz.ProjectDelete
	ActSecretManage  = authz.SecretManage
	ActKeyManage     = authz.KeyManage
	ActAPIView       = authz.APIView
	ActAPIManage     = authz.APIManage
	ActAccessRequest = authz.AccessRequest
)

// authorize is the one permission check. It reads the actor's role in the team from
// the database (never from the session) and answers ErrNotFound when the actor is not
// a member — exactly as if the team did not exist — and ErrForbidden when the role
// does not allow the action.
func authorize(tx *gorm.DB, actor Actor, teamID string, a Action) (Role, error) {
	if actor.User == nil {
		return "", ErrNotFound
	}
	var m TeamMember
	err := tx.Where("team_id = ? AND user_id = ?", teamID, actor.User.ID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if !m.Role.Can(a) {
		return m.Role, ErrForbidden
	}
	return m.Role, nil
}

// lockTeam serializes changes to one team's membership: on PostgreSQL it takes a row
// lock on the team; SQLite write transactions are serialized already.
func (s *Store) lockTeam(tx *gorm.DB, teamID string) error {
	q := tx.Model(&Team{}).Select("id").Where("id = ?", teamID)
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var t Team
	return notFound(q.Take(&t).Error)
}
