package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
)

// fixture is one team with a member of every role, a project with a secret, a pending
// invitation and an extra developer to act on — and the same for another team that
// none of them belongs to.
type fixture struct {
	team, project, secret, invitation, extra string
	key, keyToken                            string
	clientKey                                string
	api, grant, request, asker               string
	name                                     string
	webhook, delivery                        string
	// serviceAccount (a developer) and its secret, for the service-account routes;
	// saTokens are management API tokens of the team's service accounts, by role.
	serviceAccount, saCredential string
	saTokens                     map[models.Role]string
	// initialToken is an initial access token of the team (dynamic registration).
	initialToken string
}

// member is a signed-in browser and its store identity.
type member struct {
	b     *browser
	actor models.Actor
	csrf  string
	pat   string // a personal access token for /api/v1, made on first use
}

// signedInMember signs a user in through the provider and looks them up in the store.
func signedInMember(t testing.TB, e *env, email string) *member {
	t.Helper()
	b := e.browser()
	b.mustSignIn(email)
	u, err := e.store.UserByIdentity(context.Background(), e.issuer, devoidc.Subject(email))
	if err != nil {
		t.Fatal(err)
	}
	return &member{b: b, actor: models.Actor{User: u}, csrf: b.csrf()}
}

// newFixture builds a team owned by owner, with members in the given roles.
func newFixture(t *testing.T, e *env, owner *member, members map[models.Role]*member, name string) fixture {
	t.Helper()
	ctx, s := context.Background(), e.store
	team, err := s.CreateTeam(ctx, owner.actor, name, "")
	if err != nil {
		t.Fatal(err)
	}
	add := func(m models.Actor, r models.Role) {
		_, tok, err := s.CreateInvitation(ctx, owner.actor, team.ID, r, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvitation(ctx, m, tok); err != nil {
			t.Fatal(err)
		}
	}
	for r, m := range members {
		add(m.actor, r)
	}
	extra, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://other-idp", Subject: name + "-extra-" + models.NewIdempotencyKey(), Email: "extra@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	add(models.Actor{User: extra}, models.RoleDeveloper)
	p, err := s.CreateProject(ctx, owner.actor, team.ID, name+" project", "", "")
	if err != nil {
		t.Fatal(err)
	}
	sec, _, err := s.CreateClientSecret(ctx, owner.actor, p.ID, "ci", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := s.CreateInvitation(ctx, owner.actor, team.ID, models.RoleViewer, 24*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	api := registerAPI(t, e, owner.actor, team.ID, "api-"+strings.ToLower(name)+"-"+models.NewIdempotencyKey()[:10], "read", "write")
	grantAPI(t, e, owner.actor, api, p.ID, "read")
	grants, err := s.ProjectGrants(ctx, owner.actor, p.ID)
	if err != nil || len(grants) != 1 {
		t.Fatalf("fixture grants: %v %v", grants, err)
	}
	// A second project of the team asks for access (pending).
	asker, err := s.CreateProject(ctx, owner.actor, team.ID, name+" asker", "", "")
	if err != nil {
		t.Fatal(err)
	}
	req, err := s.RequestAccess(ctx, owner.actor, api.ID, asker.ID, []string{"write"}, "to write", "")
	if err != nil {
		t.Fatal(err)
	}
	key, keyToken, err := s.CreateAPIKey(ctx, owner.actor, p.ID, models.APIKeyInput{Name: "k", API: api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	ck, err := s.AddClientKey(ctx, owner.actor, p.ID, models.ClientKeyInput{Name: "svc", Material: publicPEM(t, &newP256(t).PublicKey)}, "")
	if err != nil {
		t.Fatal(err)
	}
	hook, _, err := s.CreateWebhookEndpoint(ctx, owner.actor, team.ID, models.WebhookEndpointInput{URL: "https://203.0.113.10/hook",
		Events: []string{models.EventAPIKeyCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendTestWebhook(ctx, owner.actor, team.ID, hook.ID); err != nil {
		t.Fatal(err)
	}
	deliveries, err := s.WebhookDeliveries(ctx, owner.actor, team.ID, hook.ID, 1)
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("fixture delivery: %v %v", deliveries, err)
	}
	saTokens := map[models.Role]string{}
	var svc, svcSecret string
	for _, r := range []models.Role{models.RoleAdmin, models.RoleDeveloper, models.RoleViewer} {
		sa, err := s.CreateServiceAccount(ctx, owner.actor, team.ID, models.ServiceAccountInput{Name: "svc-" + string(r), Role: r}, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.IssueServiceAccountToken(ctx, sa, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		saTokens[r] = tok.Token
		if r == models.RoleDeveloper {
			cred, _, err := s.CreateServiceAccountSecret(ctx, owner.actor, team.ID, sa.ID, "ci", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			svc, svcSecret = sa.ID, cred.ID
		}
	}
	iat, _, err := s.CreateInitialAccessToken(ctx, owner.actor, team.ID, models.InitialAccessTokenInput{Label: "mcp", TTL: 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{initialToken: iat.ID, serviceAccount: svc, saCredential: svcSecret, saTokens: saTokens, webhook: hook.ID, delivery: deliveries[0].ID, team: team.ID, project: p.ID, secret: sec.ID, invitation: inv.ID, extra: extra.ID, key: key.ID, keyToken: keyToken,
		clientKey: ck.ID, api: api.ID, grant: grants[0].ID, request: req.ID, asker: asker.ID, name: name}
}

// auditCount counts a team's audit events straight from the store (as its owner).
func auditCount(t *testing.T, e *env, owner models.Actor, team string) int {
	t.Helper()
	n := 0
	for page := 1; ; page++ {
		ev, more, err := e.store.AuditEvents(context.Background(), owner, team, page)
		if err != nil {
			return -1 // the team is gone
		}
		n += len(ev)
		if !more {
			return n
		}
	}
}

type route struct {
	method, path string
	form         url.Values
	least        models.Role // least role that may; "" = any member
}

func routes(f fixture) []route {
	return []route{
		{"GET", "/teams/" + f.team, nil, models.RoleViewer},
		{"GET", "/teams/" + f.team + "/audit", nil, models.RoleAdmin},
		{"POST", "/teams/" + f.team + "/rename", url.Values{"name": {"Renamed"}}, models.RoleAdmin},
		{"POST", "/teams/" + f.team + "/delete", url.Values{"confirm_name": {f.name}}, models.RoleOwner},
		{"POST", "/teams/" + f.team + "/leave", nil, models.RoleViewer},
		{"POST", "/teams/" + f.team + "/members/" + f.extra + "/role", url.Values{"role": {"viewer"}}, models.RoleAdmin},
		{"POST", "/teams/" + f.team + "/members/" + f.extra + "/remove", nil, models.RoleAdmin},
		{"POST", "/teams/" + f.team + "/invitations", url.Values{"role": {"viewer"}, "expires_in_days": {"7"}}, models.RoleAdmin},
		{"POST", "/teams/" + f.team + "/invitations/" + f.invitation + "/revoke", nil, models.RoleAdmin},
		{"POST", "/projects", url.Values{"team_id": {f.team}, "name": {"New"}}, models.RoleAdmin},
		{"GET", "/projects/" + f.project, nil, models.RoleViewer},
		{"POST", "/projects/" + f.project + "/settings", url.Values{"name": {"P"}, "audiences": {"api"}, "token_ttl_minutes": {"10"}}, models.RoleAdmin},
		{"POST", "/projects/" + f.project + "/delete", url.Values{"confirm_name": {f.name + " project"}}, models.RoleAdmin},
		{"POST", "/projects/" + f.project + "/secrets", url.Values{"name": {"new"}, "expires_in_days": {"30"}}, models.RoleAdmin},
		{"POST", "/projects/" + f.project + "/secrets/" + f.secret + "/revoke", nil, models.RoleAdmin},
		{"POST", "/projects/" + f.project + "/keys", url.Values{"name": {"k"}, "api": {f.api}, "expires_in_days": {"30"}}, models.RoleDeveloper},
		{"POST", "/projects/" + f.project + "/keys/" + f.key + "/revoke", nil, models.RoleDeveloper},
		{"POST", "/projects/" + f.project + "/keys/revoke-by-value", url.Values{"key": {f.keyToken}}, models.RoleDeveloper},
	}
}

func (m *member) send(r route) *http.Response {
	if r.method == http.MethodGet {
		return m.b.get(r.path)
	}
	form := url.Values{}
	for k, v := range r.form {
		form[k] = v
	}
	form.Set("_csrf", m.csrf)
	return m.b.post(r.path, form, nil)
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "owner@example.com")
	byRole := map[models.Role]*member{
		models.RoleAdmin:     signedInMember(t, e, "admin@example.com"),
		models.RoleDeveloper: signedInMember(t, e, "developer@example.com"),
		models.RoleViewer:    signedInMember(t, e, "viewer@example.com"),
	}
	outsider := signedInMember(t, e, "outsider@example.com")
	anonymous := &member{b: e.browser()}

	actors := []struct {
		name string
		role models.Role // role in the team; "" = not a member
		m    *member
	}{
		{"anonymous", "", anonymous}, {"outsider", "", outsider},
		{"viewer", models.RoleViewer, byRole[models.RoleViewer]}, {"developer", models.RoleDeveloper, byRole[models.RoleDeveloper]},
		{"admin", models.RoleAdmin, byRole[models.RoleAdmin]}, {"owner", models.RoleOwner, owner},
	}
	for i, r := range routes(fixture{team: "T", project: "P", secret: "S", invitation: "I", extra: "X", key: "K", name: "N"}) {
		for _, a := range actors {
			for _, other := range []bool{false, true} {
				name := r.method + " " + r.path + "/" + a.name
				if other {
					name += "/other-team"
				}
				t.Run(name, func(t *testing.T) {
					own := newFixture(t, e, owner, byRole, "Own")
					foreign := newFixture(t, e, outsider, nil, "Foreign")
					target := own
					if other {
						target = foreign
					}
					rt := routes(target)[i]
					beforeOwn, beforeForeign := auditCount(t, e, owner.actor, own.team), auditCount(t, e, outsider.actor, foreign.team)

					res := a.m.send(rt)
					body := readBody(res)

					var allowed bool
					switch {
					case a.m == anonymous:
						want := http.StatusSeeOther
						if rt.method == http.MethodPost {
							want = http.StatusForbidden // no session, no CSRF token
						}
						if res.StatusCode != want {
							t.Fatalf("status = %d, want %d", res.StatusCode, want)
						}
					case a.m == outsider && !other, other && a.m != outsider:
						if res.StatusCode != http.StatusNotFound {
							t.Fatalf("status = %d, want 404 for a team the actor is not in", res.StatusCode)
						}
						if strings.Contains(body, target.name+" project") {
							t.Error("the 404 page shows the other team's data")
						}
					case a.m == outsider && other:
						// The outsider owns the foreign team: not part of this matrix cell.
						t.Skip("outsider is the other team's owner")
					case a.role.Can(actionFor(rt.least)) || rt.least == "":
						allowed = true
						if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
							t.Fatalf("status = %d, want 200 or 303 for %s", res.StatusCode, a.role)
						}
					default:
						if res.StatusCode != http.StatusForbidden {
							t.Fatalf("status = %d, want 403 for %s (least role %s)", res.StatusCode, a.role, rt.least)
						}
					}
					if !allowed {
						if got := auditCount(t, e, owner.actor, own.team); got != beforeOwn {
							t.Errorf("a refused request changed the team (audit %d → %d)", beforeOwn, got)
						}
						if got := auditCount(t, e, outsider.actor, foreign.team); got != beforeForeign {
							t.Errorf("a refused request changed the other team (audit %d → %d)", beforeForeign, got)
						}
					}
				})
			}
		}
	}
}

// actionFor maps a least role to an action that exactly that role unlocks.
func actionFor(least models.Role) models.Action {
	switch least {
	case models.RoleOwner:
		return models.ActTeamDelete
	case models.RoleAdmin:
		return models.ActMemberManage
	case models.RoleDeveloper:
		return models.ActKeyManage
	}
	return models.ActTeamView
}

func TestNestedIDsMustMatch(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "nest-owner@example.com")
	a := newFixture(t, e, owner, nil, "A")
	b := newFixture(t, e, owner, nil, "B")
	for _, path := range []string{
		"/projects/" + a.project + "/secrets/" + b.secret + "/revoke",
		"/teams/" + a.team + "/invitations/" + b.invitation + "/revoke",
	} {
		res := owner.b.post(path, url.Values{"_csrf": {owner.csrf}}, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, res.StatusCode)
		}
	}
	list, err := e.store.ClientSecrets(context.Background(), owner.actor, b.project)
	if err != nil {
		t.Fatalf("ClientSecrets: %v", err)
	}
	if list[0].RevokedAt != nil {
		t.Error("B's secret was revoked through A's path")
	}
}
