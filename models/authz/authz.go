// Package authz decides who may do what in a team: the roles, the actions and the one
// permission matrix between them. It knows nothing of the database — the store reads a
// member's role and asks Can — nor of HTTP; views ask Capabilities which controls to
// show, and the README's table is checked against Table.
package authz

// Role is a member's role in a team.
type Role string

// The roles, from most to least powerful.
const (
	Owner     Role = "owner"
	Admin     Role = "admin"
	Developer Role = "developer"
	Viewer    Role = "viewer"
)

// Action is something a member may do to a team or its projects.
type Action string

// The actions of the permission matrix.
const (
	TeamView      Action = "team.view"
	TeamRename    Action = "team.rename"
	TeamDelete    Action = "team.delete"
	MemberInvite  Action = "member.invite"
	MemberManage  Action = "member.manage"
	AuditView     Action = "audit.view"
	ProjectView   Action = "project.view"
	ProjectCreate Action = "project.create"
	ProjectUpdate Action = "project.update"
	ProjectDelete Action = "project.delete"
	SecretManage  Action = "secret.manage"
	KeyManage     Action = "key.manage"
	// APIView sees the team's APIs, the grants on them and the access requests.
	APIView Action = "api.view"
	// APIManage registers, changes and deletes the team's APIs, grants access to them
	// and decides access requests.
	APIManage Action = "api.manage"
	// AccessRequest asks, for one of the team's projects, for access to an API (and
	// withdraws such a request).
	AccessRequest Action = "access.request"
	// WebhookManage adds, disables, rotates and deletes the team's webhook endpoints,
	// sends test events and redelivers; every member sees them and their delivery log.
	WebhookManage Action = "webhook.manage"
	// ServiceAccountManage creates and deletes the team's service accounts and manages
	// how they authenticate (keys, trusted workload issuers, secrets); every member sees
	// them.
	ServiceAccountManage Action = "service_account.manage"
	// RegistrationManage chooses the team's dynamic client registration policy and
	// creates and revokes its initial access tokens.
	RegistrationManage Action = "registration.manage"
)

// matrix is the permission matrix: the least role that may take each action. It is the
// only place permissions are decided.
var matrix = map[Action]Role{
	TeamView:             Viewer,
	ProjectView:          Viewer,
	KeyManage:            Developer,
	APIView:              Viewer,
	AccessRequest:        Developer,
	APIManage:            Admin,
	MemberInvite:         Admin,
	MemberManage:         Admin,
	AuditView:            Admin,
	TeamRename:           Admin,
	ProjectCreate:        Admin,
	ProjectUpdate:        Admin,
	ProjectDelete:        Admin,
	SecretManage:         Admin,
	WebhookManage:        Admin,
	ServiceAccountManage: Admin,
	RegistrationManage:   Admin,
	TeamDelete:           Owner,
}

// Roles lists the roles from most to least powerful.
func Roles() []Role { return []Role{Owner, Admin, Developer, Viewer} }

// Actions lists every action of the matrix, in the order Table shows them.
func Actions() []Action {
	var out []Action
	for _, row := range table {
		out = append(out, row.actions...)
	}
	return out
}

// Least is the least role that may take action a (false for an unknown action).
func Least(a Action) (Role, bool) {
	r, ok := matrix[a]
	return r, ok
}

// rank orders roles; higher is more powerful.
func (r Role) rank() int {
	switch r {
	case Owner:
		return 4
	case Admin:
		return 3
	case Developer:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Can reports whether a member with role r may take action a.
func (r Role) Can(a Action) bool {
	least, ok := matrix[a]
	return ok && r.Valid() && r.rank() >= least.rank()
}

// CanGrant reports whether a member with role r may give someone role target (by
// invitation or role change): owners grant any role, admins up to admin.
func (r Role) CanGrant(target Role) bool {
	if !r.Can(MemberManage) || !target.Valid() {
		return false
	}
	return r == Owner || target.rank() <= r.rank()
}

// CanManage reports whether a member with role r may change or remove a member whose
// role is target: owners manage everyone, admins everyone but owners.
func (r Role) CanManage(target Role) bool {
	if !r.Can(MemberManage) {
		return false
	}
	return r == Owner || target != Owner
}

// Grantable lists the roles r may grant, most powerful first.
func (r Role) Grantable() []Role {
	var out []Role
	for _, g := range Roles() {
		if r.CanGrant(g) {
			out = append(out, g)
		}
	}
	return out
}

// reads are the actions that only read: a read-only personal access token may take
// these and no other.
var reads = map[Action]bool{TeamView: true, ProjectView: true, APIView: true, AuditView: true}

// Reads reports whether a only reads (changes nothing).
func (a Action) Reads() bool { return reads[a] }
