package models

import (
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Action is something a member may do to a team or its projects.
type Action string

// The actions of the permission matrix.
const (
	ActTeamView      Action = "team.view"
	ActTeamRename    Action = "team.rename"
	ActTeamDelete    Action = "team.delete"
	ActMemberInvite  Action = "member.invite"
	ActMemberManage  Action = "member.manage"
	ActAuditView     Action = "audit.view"
	ActProjectView   Action = "project.view"
	ActProjectCreate Action = "project.create"
	ActProjectUpdate Action = "project.update"
	ActProjectDelete Action = "project.delete"
	ActSecretManage  Action = "secret.manage"
	ActKeyManage     Action = "key.manage"
	// ActAPIView sees the team's APIs, the grants on them and the access requests.
	ActAPIView Action = "api.view"
	// ActAPIManage registers, changes and deletes the team's APIs, grants access to them
	// and decides access requests.
	ActAPIManage Action = "api.manage"
	// ActAccessRequest asks, for one of the team's projects, for access to an API (and
	// withdraws such a request).
	ActAccessRequest Action = "access.request"
)

// Matrix is the permission matrix: the least role that may take each action. It is the
// only place permissions are decided (the README's table is generated from the same
// facts and a test checks every cell).
var Matrix = map[Action]Role{
	ActTeamView:      RoleViewer,
	ActProjectView:   RoleViewer,
	ActKeyManage:     RoleDeveloper,
	ActAPIView:       RoleViewer,
	ActAccessRequest: RoleDeveloper,
	ActAPIManage:     RoleAdmin,
	ActMemberInvite:  RoleAdmin,
	ActMemberManage:  RoleAdmin,
	ActAuditView:     RoleAdmin,
	ActTeamRename:    RoleAdmin,
	ActProjectCreate: RoleAdmin,
	ActProjectUpdate: RoleAdmin,
	ActProjectDelete: RoleAdmin,
	ActSecretManage:  RoleAdmin,
	ActTeamDelete:    RoleOwner,
}

// Roles lists the roles from most to least powerful.
var Roles = []Role{RoleOwner, RoleAdmin, RoleDeveloper, RoleViewer}

// rank orders roles; higher is more powerful.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleDeveloper:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Can reports whether a member with role r may take action a.
func (r Role) Can(a Action) bool {
	least, ok := Matrix[a]
	return ok && r.Valid() && r.rank() >= least.rank()
}

// CanGrant reports whether a member with role r may give someone role target (by
// invitation or role change): owners grant any role, admins up to admin.
func (r Role) CanGrant(target Role) bool {
	if !r.Can(ActMemberManage) || !target.Valid() {
		return false
	}
	return r == RoleOwner || target.rank() <= r.rank()
}

// CanManage reports whether a member with role r may change or remove a member whose
// role is target: owners manage everyone, admins everyone but owners.
func (r Role) CanManage(target Role) bool {
	if !r.Can(ActMemberManage) {
		return false
	}
	return r == RoleOwner || target != RoleOwner
}

// Grantable lists the roles r may grant, most powerful first.
func (r Role) Grantable() []Role {
	var out []Role
	for _, g := range Roles {
		if r.CanGrant(g) {
			out = append(out, g)
		}
	}
	return out
}

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
