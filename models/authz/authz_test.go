package authz_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models/authz"
)

func TestPermissionMatrix(t *testing.T) {
	// Every cell, spelled out: owner, admin, developer, viewer.
	want := map[authz.Action][4]bool{
		authz.TeamView:             {true, true, true, true},
		authz.ProjectView:          {true, true, true, true},
		authz.KeyManage:            {true, true, true, false},
		authz.APIView:              {true, true, true, true},
		authz.AccessRequest:        {true, true, true, false},
		authz.APIManage:            {true, true, false, false},
		authz.MemberInvite:         {true, true, false, false},
		authz.MemberManage:         {true, true, false, false},
		authz.AuditView:            {true, true, false, false},
		authz.TeamRename:           {true, true, false, false},
		authz.ProjectCreate:        {true, true, false, false},
		authz.ProjectUpdate:        {true, true, false, false},
		authz.ProjectDelete:        {true, true, false, false},
		authz.SecretManage:         {true, true, false, false},
		authz.WebhookManage:        {true, true, false, false},
		authz.ServiceAccountManage: {true, true, false, false},
		authz.RegistrationManage:   {true, true, false, false},
		authz.TeamDelete:           {true, false, false, false},
	}
	if len(want) != len(authz.Actions()) {
		t.Fatalf("matrix has %d actions, the test knows %d", len(authz.Actions()), len(want))
	}
	for action, cells := range want {
		for i, role := range authz.Roles() {
			if got := role.Can(action); got != cells[i] {
				t.Errorf("%s can %s = %v, want %v", role, action, got, cells[i])
			}
		}
		if authz.Role("superuser").Can(action) || authz.Role("").Can(action) {
			t.Errorf("an unknown role can %s", action)
		}
	}
	grants := map[authz.Role][]authz.Role{
		authz.Owner: {authz.Owner, authz.Admin, authz.Developer, authz.Viewer},
		authz.Admin: {authz.Admin, authz.Developer, authz.Viewer},
	}
	for _, r := range authz.Roles() {
		if got, want := fmt.Sprint(r.Grantable()), fmt.Sprint(grants[r]); got != want {
			t.Errorf("%s may grant %s, want %s", r, got, want)
		}
	}
}

// The README's permission table is exactly what the matrix decides.
func TestREADMEPermissionTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i := strings.Index(readme, "### Permission matrix")
	if i < 0 {
		t.Fatal("README has no Permission matrix section")
	}
	section := readme[i:]
	start := strings.Index(section, "| action |")
	if start < 0 {
		t.Fatal("the Permission matrix section has no table")
	}
	end := strings.Index(section[start:], "\n\n")
	if end < 0 {
		t.Fatal("the table does not end")
	}
	if got, want := section[start:start+end+1], authz.Table(); got != want {
		t.Errorf("README permission table:\n%s\nwant (authz.Table()):\n%s", got, want)
	}
}

// Every action of the matrix is on one row of the documented table, once.
func TestTableCoversEveryAction(t *testing.T) {
	seen := map[authz.Action]int{}
	for _, a := range authz.Actions() {
		seen[a]++
		if _, ok := authz.Least(a); !ok {
			t.Errorf("the table shows %s, which the matrix does not know", a)
		}
	}
	for a, n := range seen {
		if n != 1 {
			t.Errorf("%s is on %d rows", a, n)
		}
	}
	if len(seen) != 18 {
		t.Errorf("the table shows %d actions, want the matrix's 18", len(seen))
	}
}

// Capabilities say what Can says.
func TestCapabilities(t *testing.T) {
	for _, r := range authz.Roles() {
		c := authz.CapabilitiesOf(r)
		for a, got := range map[authz.Action]bool{authz.TeamDelete: c.DeleteTeam, authz.KeyManage: c.ManageKeys,
			authz.APIManage: c.ManageAPIs, authz.AuditView: c.ViewAudit, authz.AccessRequest: c.RequestAccess, authz.WebhookManage: c.ManageWebhooks} {
			if got != r.Can(a) {
				t.Errorf("%s: capability for %s = %v, Can = %v", r, a, got, r.Can(a))
			}
		}
		if c.MakeOwners != (r == authz.Owner) {
			t.Errorf("%s may make owners: %v", r, c.MakeOwners)
		}
	}
	if c := authz.CapabilitiesOf(authz.Role("superuser")); c.ViewTeam || c.ManageKeys || len(c.GrantableRoles) != 0 {
		t.Errorf("an unknown role has capabilities: %+v", c)
	}
}
