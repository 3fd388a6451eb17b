package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// twoTeams is an API owned by team A (world w) and a project of team B (the outsider's
// personal team) that will ask for access to it.
type twoTeams struct {
	w   *world
	api *models.API
	b   *models.Project // team B's project
	own *models.Project // a project of team A
}

func newTwoTeams(t *testing.T, s *store.Store) *twoTeams {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t, s)
	api, err := s.CreateAPI(ctx, w.admin, w.team.ID, models.APIInput{Name: "Orders", Identifier: "https://orders.example.com",
		AcceptsAPIKeys: true, AcceptsAccessTokens: true, Listed: true,
		Scopes: []models.ScopeInput{{Name: "orders:read"}, {Name: "orders:write"}, {Name: "admin"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateProject(ctx, w.outsider, w.outsiderTeam, "B client", "", "")
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.CreateProject(ctx, w.admin, w.team.ID, "Own", "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &twoTeams{w: w, api: api, b: b, own: own}
}

// authenticated loads a project with its grants as client authentication does.
func authenticated(t *testing.T, s *store.Store, actor models.Actor, p *models.Project) *models.Project {
	t.Helper()
	_, secret, err := s.CreateClientSecret(context.Background(), actor, p.ID, "s", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.AuthenticateClient(context.Background(), p.ID, secret)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAccessRequestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		x := newTwoTeams(t, s)
		w := x.w

		// Before any decision, team B gets nothing for the API, by any spelling.
		pb := authenticated(t, s, w.outsider, x.b)
		for _, res := range [][]string{{"https://orders.example.com"}, {"HTTPS://ORDERS.EXAMPLE.COM/"}, {"https://orders.example.com:443"}} {
			if _, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "", res); !isOAuth(err, models.ErrCodeInvalidTarget) {
				t.Errorf("token for %v before access: %v, want invalid_target", res, err)
			}
		}

		// B asks for read and write.
		req, err := s.RequestAccess(ctx, w.outsider, x.api.ID, x.b.ID, []string{"orders:read", "orders:write"}, "We sync orders.", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestAccess(ctx, w.outsider, x.api.ID, x.b.ID, []string{"orders:read"}, "again", ""); err == nil {
			t.Error("a second pending request for the same project and API was accepted")
		}
		// The requester cannot decide it: not in the API's team.
		if _, _, err := s.DecideRequest(ctx, w.outsider, x.api.ID, req.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("requester approves: %v, want ErrNotFound", err)
		}
		// A developer of the API's team cannot either.
		if _, _, err := s.DecideRequest(ctx, w.developer, x.api.ID, req.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer approves: %v, want ErrForbidden", err)
		}
		// Nor can anyone through another API's path.
		other, err := s.CreateAPI(ctx, w.outsider, x.b.TeamID, models.APIInput{Name: "Mine", Identifier: "mine-api", AcceptsAPIKeys: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.outsider, other.ID, req.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deciding through another API: %v, want ErrNotFound", err)
		}
		// The API's admin approves read only; asking for more than requested is refused.
		var ve *models.ValidationError
		if _, _, err := s.DecideRequest(ctx, w.admin, x.api.ID, req.ID, models.Decision{Approve: true, Scopes: []string{"admin"}}); !errors.As(err, &ve) {
			t.Errorf("approving a scope not asked for: %v, want a validation error", err)
		}
		if _, _, err := s.DecideRequest(ctx, w.admin, x.api.ID, req.ID, models.Decision{Approve: true, Scopes: []string{"orders:read"}, Note: "read only"}); err != nil {
			t.Fatal(err)
		}
		pb = authenticated(t, s, w.outsider, x.b)
		tok, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "", []string{"HTTPS://Orders.Example.com/"})
		if err != nil || tok.Scope != "orders:read" || !slices.Equal(tok.Audiences, []string{"https://orders.example.com"}) {
			t.Fatalf("token after approval: %+v %v, want orders:read for the exact identifier", tok, err)
		}
		if _, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "orders:write", nil); !isOAuth(err, models.ErrCodeInvalidScope) {
			t.Errorf("scope beyond the grant: %v, want invalid_scope", err)
		}
		// B makes a key; narrowing to nothing revokes it; revoking the grant stops issuance.
		key, _, err := s.CreateAPIKey(ctx, w.outsider, x.b.ID, models.APIKeyInput{Name: "sync", API: x.api.ID, Scopes: []string{"orders:read"}, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		grants, err := s.APIGrants(ctx, w.admin, x.api.ID)
		if err != nil || len(grants) != 1 {
			t.Fatalf("grants: %v %v", grants, err)
		}
		revoked, err := s.UpdateGrant(ctx, w.admin, x.api.ID, grants[0].ID, []string{})
		if err != nil || len(revoked) != 1 || revoked[0].ID != key.ID || !strings.Contains(revoked[0].RevokedReason, "narrowed") {
			t.Fatalf("narrowing revoked %+v, %v; want the key, with the reason", revoked, err)
		}
		if _, err := s.RevokeGrant(ctx, w.admin, x.api.ID, grants[0].ID); err != nil {
			t.Fatal(err)
		}
		pb = authenticated(t, s, w.outsider, x.b)
		if _, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "", nil); !isOAuth(err, models.ErrCodeInvalidTarget) {
			t.Errorf("token after the grant was revoked: %v, want invalid_target", err)
		}
		// Both teams' audit logs hold request, approval, changes.
		for _, tc := range []struct {
			actor models.Actor
			team  string
		}{{w.owner, w.team.ID}, {w.outsider, x.b.TeamID}} {
			events, _, err := s.AuditEvents(ctx, tc.actor, tc.team, 1)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, ev := range events {
				actions = append(actions, ev.Action)
			}
			for _, want := range []string{"access.request", "access.approve", "grant.create", "grant.update", "grant.revoke"} {
				if !slices.Contains(actions, want) {
					t.Errorf("team %s audit log lacks %s: %v", tc.team, want, actions)
				}
			}
		}
		// A denied request grants nothing.
		req2, err := s.RequestAccess(ctx, w.outsider, x.api.ID, x.b.ID, []string{"admin"}, "please", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.owner, x.api.ID, req2.ID, models.Decision{Note: "no"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.owner, x.api.ID, req2.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrRequestDecided) {
			t.Errorf("approving a denied request: %v, want ErrRequestDecided", err)
		}
		if g, err := s.ProjectGrants(ctx, w.outsider, x.b.ID); err != nil {
			t.Fatalf("ProjectGrants: %v", err)
		} else if len(g) != 0 {
			t.Errorf("grants after a denial: %+v", g)
		}
	})
}

// isOAuth reports whether err is an OAuth error with code.
func isOAuth(err error, code string) bool {
	var oe *models.OAuthError
	return errors.As(err, &oe) && oe.Code == code
}

// An access request stops working when its author loses the right to make it.
func TestAccessRequestOutlivesNoAuthority(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		x := newTwoTeams(t, s)
		w := x.w
		// A developer of team B (a new team with the outsider as owner) asks.
		teamB, err := s.CreateTeam(ctx, w.outsider, "B", "")
		if err != nil {
			t.Fatal(err)
		}
		pb, err := s.CreateProject(ctx, w.outsider, teamB.ID, "B app", "", "")
		if err != nil {
			t.Fatal(err)
		}
		dev := newUser(t, s, "bdev")
		join(t, s, w.outsider, teamB.ID, dev, models.RoleDeveloper)
		req, err := s.RequestAccess(ctx, dev, x.api.ID, pb.ID, []string{"orders:read"}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		// Demoted to viewer: the pending request is withdrawn at once.
		if err := s.ChangeRole(ctx, w.outsider, teamB.ID, dev.User.ID, models.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.admin, x.api.ID, req.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrRequestDecided) {
			t.Errorf("approving a request whose author was demoted: %v, want ErrRequestDecided (withdrawn)", err)
		}
		// Checked at approval too: a request whose author left the team in a way that
		// did not withdraw it (membership deleted directly) is withdrawn, not approved.
		if err := s.ChangeRole(ctx, w.outsider, teamB.ID, dev.User.ID, models.RoleDeveloper); err != nil {
			t.Fatal(err)
		}
		req2, err := s.RequestAccess(ctx, dev, x.api.ID, pb.ID, []string{"orders:read"}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		q := "DELETE FROM team_members WHERE team_id = ? AND user_id = ?"
		if s.Dialect() == store.Postgres {
			q = "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2"
		}
		if _, err := db.Exec(q, teamB.ID, dev.User.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.admin, x.api.ID, req2.ID, models.Decision{Approve: true}); !errors.Is(err, models.ErrRequestWithdrawn) {
			t.Errorf("approving a request whose author is gone: %v, want ErrRequestWithdrawn", err)
		}
		if g, err := s.ProjectGrants(ctx, w.outsider, pb.ID); err != nil {
			t.Fatalf("ProjectGrants: %v", err)
		} else if len(g) != 0 {
			t.Errorf("grants after a withdrawn approval: %+v", g)
		}
	})
}

// Deleting an API, or its team, revokes every key for it in every team.
func TestDeletingAnAPIRevokesItsKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		x := newTwoTeams(t, s)
		w := x.w
		req, err := s.RequestAccess(ctx, w.outsider, x.api.ID, x.b.ID, []string{"orders:read"}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.admin, x.api.ID, req.ID, models.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		keyB, _, err := s.CreateAPIKey(ctx, w.outsider, x.b.ID, models.APIKeyInput{Name: "b", API: x.api.ID, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := s.DeleteAPI(ctx, w.owner, x.api.ID)
		if err != nil || len(revoked) != 1 || revoked[0].ID != keyB.ID {
			t.Fatalf("DeleteAPI revoked %+v, %v; want team B's key", revoked, err)
		}
		keys, err := s.APIKeys(ctx, w.outsider, x.b.ID)
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		if keys[0].RevokedAt == nil || keys[0].RevokedReason == "" {
			t.Errorf("team B's key after the API was deleted: %+v", keys[0])
		}

		// Team deletion takes its APIs, and revokes other teams' keys for them.
		teamC, err := s.CreateTeam(ctx, w.owner, "C", "")
		if err != nil {
			t.Fatal(err)
		}
		apiC, err := s.CreateAPI(ctx, w.owner, teamC.ID, models.APIInput{Name: "C", Identifier: "c-api", AcceptsAPIKeys: true, Listed: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		req, err = s.RequestAccess(ctx, w.outsider, apiC.ID, x.b.ID, nil, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideRequest(ctx, w.owner, apiC.ID, req.ID, models.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		keyC, _, err := s.CreateAPIKey(ctx, w.outsider, x.b.ID, models.APIKeyInput{Name: "c", API: apiC.ID, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTeam(ctx, w.owner, teamC.ID); err != nil {
			t.Fatal(err)
		}
		keys, err = s.APIKeys(ctx, w.outsider, x.b.ID)
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		for _, k := range keys {
			if k.ID == keyC.ID && k.RevokedAt == nil {
				t.Error("a key for a deleted team's API is still live")
			}
		}
		// The identifier is free again.
		if _, err := s.CreateAPI(ctx, w.outsider, x.b.TeamID, models.APIInput{Name: "C again", Identifier: "c-api", AcceptsAPIKeys: true}, ""); err != nil {
			t.Errorf("re-registering a deleted API's identifier: %v", err)
		}
	})
}

// Property: for random sequences of grant, narrow, widen, revoke, scope removal, API
// deletion and issuance, nothing issued carries an audience or scope its project's grant
// does not allow at the time, and every live key stays within the grants.
func TestNothingIssuedBeyondTheGrant(t *testing.T) {
	s := storetest.SQLite(t)
	storetest.Signer(t, s)
	ctx := context.Background()
	w := newWorld(t, s)
	scopes := []string{"a", "b", "c", "d"}
	type apiState struct {
		api    *models.API
		scopes []string
	}
	var apis []*apiState
	for i := 0; i < 3; i++ {
		in := models.APIInput{Name: fmt.Sprint("API ", i), Identifier: fmt.Sprintf("https://api%d.example.com", i), AcceptsAPIKeys: true, AcceptsAccessTokens: true}
		for _, sc := range scopes {
			in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc})
		}
		api, err := s.CreateAPI(ctx, w.admin, w.team.ID, in, "")
		if err != nil {
			t.Fatal(err)
		}
		apis = append(apis, &apiState{api: api, scopes: append([]string{}, scopes...)})
	}
	var projects []*models.Project
	for i := 0; i < 2; i++ {
		p, err := s.CreateProject(ctx, w.admin, w.team.ID, fmt.Sprint("P", i), "", "")
		if err != nil {
			t.Fatal(err)
		}
		projects = append(projects, p)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	subset := func(from []string) []string {
		out := []string{}
		for _, x := range from {
			if rng.IntN(2) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	// want is the model: project → API identifier key → granted scopes.
	want := map[string]map[string][]string{}
	for _, p := range projects {
		want[p.ID] = map[string][]string{}
	}
	check := func(step int, op string) {
		t.Helper()
		for _, p := range projects {
			// Every live key is within the model.
			keys, err := s.APIKeys(ctx, w.admin, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if k.Status(s.Now()) != "active" {
					continue
				}
				key, err := models.IdentifierKey(k.Audiences)
				if err != nil {
					t.Fatalf("IdentifierKey: %v", err)
				}
				granted, ok := want[p.ID][key]
				if !ok {
					t.Fatalf("step %d (%s): live key %s of %s for %s, which the project holds no grant for", step, op, k.ID, p.Name, k.Audiences)
				}
				for _, sc := range strings.Fields(k.Scopes) {
					if !slices.Contains(granted, sc) {
						t.Fatalf("step %d (%s): live key %s carries %s beyond the grant %v", step, op, k.ID, sc, granted)
					}
				}
			}
		}
	}
	for step := 0; step < 400; step++ {
		p := projects[rng.IntN(len(projects))]
		st := apis[rng.IntN(len(apis))]
		key := st.api.IdentifierKey
		op := ""
		switch n := rng.IntN(10); {
		case st.api == nil:
			continue
		case n < 2:
			op = "grant"
			sc := subset(st.scopes)
			if _, _, err := s.GrantAccess(ctx, w.admin, st.api.ID, p.ID, sc); err != nil {
				t.Fatalf("step %d grant: %v", step, err)
			}
			slices.Sort(sc)
			want[p.ID][key] = sc
		case n < 4:
			op = "narrow/widen"
			grants, err := s.ProjectGrants(ctx, w.admin, p.ID)
			if err != nil {
				t.Fatalf("ProjectGrants: %v", err)
			}
			for _, g := range grants {
				if g.APIID == st.api.ID {
					sc := subset(st.scopes)
					if _, err := s.UpdateGrant(ctx, w.admin, st.api.ID, g.ID, sc); err != nil {
						t.Fatalf("step %d update: %v", step, err)
					}
					want[p.ID][key] = sc
				}
			}
		case n < 5:
			op = "revoke"
			grants, err := s.ProjectGrants(ctx, w.admin, p.ID)
			if err != nil {
				t.Fatalf("ProjectGrants: %v", err)
			}
			for _, g := range grants {
				if g.APIID == st.api.ID {
					if _, err := s.RevokeGrant(ctx, w.admin, st.api.ID, g.ID); err != nil {
						t.Fatalf("step %d revoke: %v", step, err)
					}
					delete(want[p.ID], key)
				}
			}
		case n < 6 && len(st.scopes) > 1:
			op = "remove scope"
			gone := st.scopes[rng.IntN(len(st.scopes))]
			if _, err := s.RemoveScope(ctx, w.admin, st.api.ID, gone); err != nil {
				t.Fatalf("step %d remove scope: %v", step, err)
			}
			st.scopes = slices.DeleteFunc(st.scopes, func(x string) bool { return x == gone })
			for _, m := range want {
				if g, ok := m[key]; ok {
					m[key] = slices.DeleteFunc(g, func(x string) bool { return x == gone })
				}
			}
		case n < 8:
			op = "key"
			ask := subset(scopes)
			_, _, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: st.api.ID, Scopes: ask, TTL: time.Hour}, "")
			granted, ok := want[p.ID][key]
			allowed := ok
			for _, sc := range ask {
				allowed = allowed && slices.Contains(granted, sc)
			}
			if allowed != (err == nil) {
				t.Fatalf("step %d key for %s with %v (grant %v, %v): err %v", step, st.api.Identifier, ask, granted, ok, err)
			}
		default:
			op = "token"
			pa := authenticated(t, s, w.admin, p)
			ask := strings.Join(subset(scopes), " ")
			tok, err := s.IssueAccessToken(ctx, pa, models.GrantClientCredentials, ask, []string{st.api.Identifier})
			granted, ok := want[p.ID][key]
			if err == nil {
				if !ok || !slices.Equal(tok.Audiences, []string{st.api.Identifier}) {
					t.Fatalf("step %d: token for %v without a grant (%v)", step, tok.Audiences, ok)
				}
				for _, sc := range strings.Fields(tok.Scope) {
					if !slices.Contains(granted, sc) {
						t.Fatalf("step %d: token scope %s beyond the grant %v", step, sc, granted)
					}
				}
			} else if ok && ask == "" {
				t.Fatalf("step %d: a granted project got no token: %v", step, err)
			}
		}
		check(step, op)
	}
}
