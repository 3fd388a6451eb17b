package authz

import "strings"

// Capabilities are the controls a member with some role is shown on a team's pages.
// They are what Can answers; the store decides again on every change.
type Capabilities struct {
	ViewTeam, RenameTeam, DeleteTeam    bool
	InviteMembers, ManageMembers        bool
	ViewAudit                           bool
	CreateProjects, EditProjects        bool
	DeleteProjects, ManageSecrets       bool
	ManageKeys, ManageWebhooks          bool
	ManageServiceAccounts               bool
	ViewAPIs, ManageAPIs, RequestAccess bool
	MakeOwners                          bool
	GrantableRoles                      []Role
}

// CapabilitiesOf is what a member with role r may do.
func CapabilitiesOf(r Role) Capabilities {
	return Capabilities{
		ViewTeam: r.Can(TeamView), RenameTeam: r.Can(TeamRename), DeleteTeam: r.Can(TeamDelete),
		InviteMembers: r.Can(MemberInvite), ManageMembers: r.Can(MemberManage), ViewAudit: r.Can(AuditView),
		CreateProjects: r.Can(ProjectCreate), EditProjects: r.Can(ProjectUpdate), DeleteProjects: r.Can(ProjectDelete),
		ManageSecrets: r.Can(SecretManage), ManageKeys: r.Can(KeyManage), ManageWebhooks: r.Can(WebhookManage),
		ManageServiceAccounts: r.Can(ServiceAccountManage),
		ViewAPIs:              r.Can(APIView), ManageAPIs: r.Can(APIManage), RequestAccess: r.Can(AccessRequest),
		MakeOwners: r.CanGrant(Owner), GrantableRoles: r.Grantable(),
	}
}

// row is one line of the documented permission table: what it allows, in words, and
// the actions it stands for (all of which have the same least role), or a rule on roles.
type row struct {
	words   string
	actions []Action
	// rule decides the row when it is not an action of the matrix.
	rule func(Role) bool
}

// table is the permission table as the README shows it. Every action is on one row.
var table = []row{
	{words: "see the team, its members and projects, and the projects' client ids", actions: []Action{TeamView, ProjectView}},
	{words: "see the team's APIs, the grants on them and their access requests", actions: []Action{APIView}},
	{words: "create and revoke API keys", actions: []Action{KeyManage}},
	{words: "request access to an API for one of the team's projects; withdraw the request", actions: []Action{AccessRequest}},
	{words: "create, edit and delete projects; manage client secrets", actions: []Action{ProjectCreate, ProjectUpdate, ProjectDelete, SecretManage}},
	{words: "register, edit and delete APIs and their scopes; grant the team's projects access; approve, narrow, deny and revoke access", actions: []Action{APIManage}},
	{words: "manage the team's webhooks: add, edit, disable, rotate and delete endpoints; send test events; redeliver", actions: []Action{WebhookManage}},
	{words: "create and delete service accounts; manage their keys, trusted workload issuers and secrets", actions: []Action{ServiceAccountManage}},
	{words: "choose the team's dynamic client registration policy; create and revoke initial access tokens", actions: []Action{RegistrationManage}},
	{words: "invite members, change roles, remove members (up to admin)", actions: []Action{MemberInvite, MemberManage}},
	{words: "read the audit log, rename the team, choose its leak policy", actions: []Action{AuditView, TeamRename}},
	{words: "make owners, change or remove owners", rule: func(r Role) bool { return r.CanGrant(Owner) && r.CanManage(Owner) }},
	{words: "delete the team", actions: []Action{TeamDelete}},
}

// allows reports whether role r may do everything the row stands for.
func (w row) allows(r Role) bool {
	if w.rule != nil {
		return w.rule(r)
	}
	for _, a := range w.actions {
		if !r.Can(a) {
			return false
		}
	}
	return true
}

// Table is the permission table in Markdown, one column per role: the README's
// "Permission matrix" section holds exactly this (a test compares them).
func Table() string {
	var b strings.Builder
	b.WriteString("| action |")
	for _, r := range Roles() {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range Roles() {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, w := range table {
		b.WriteString("| " + w.words + " |")
		for _, r := range Roles() {
			if w.allows(r) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
