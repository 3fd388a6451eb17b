package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// saTeam is a team with an owner, an admin, a developer, and a stranger outside it.
type saTeam struct {
	team                                models.Team
	owner, admin, developer, stranger models.Actor
}

func newSATeam(t *testing.T, s *store.Store) saTeam {
	t.Helper()
	ctx := context.Background()
	owner, _ := signUp(t, s, "Olive Owner")
	team, err := s.CreateTeam(ctx, owner, "Platform "+uuid.NewString()[:8], "")
	if err != nil {
		t.Fatal(err)
	}
	out := saTeam{team: *team, owner: owner}
	out.stranger, _ = signUp(t, s, "Sam Stranger")
	for _, m := range []struct {
		who  *models.Actor
		role models.Role
	}{{&out.admin, models.RoleAdmin}, {&out.developer, models.RoleDeveloper}} {
		*m.who, _ = signUp(t, s, string(m.role))
		addMember(t, s, owner, team.ID, *m.who, m.role)
	}
	return out
}

// addMember invites who to the team with role and accepts.
func addMember(t *testing.T, s *store.Store, owner models.Actor, teamID string, who models.Actor, role models.Role) {
	t.Helper()
	ctx := context.Background()
	_, link, err := s.CreateInvitation(ctx, owner, teamID, role, 24*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptInvitation(ctx, who, link); err != nil {
		t.Fatal(err)
	}
}

func createSA(t *testing.T, s *store.Store, actor models.Actor, teamID, name string, role models.Role) *models.ServiceAccount {
	t.Helper()
	sa, err := s.CreateServiceAccount(context.Background(), actor, teamID, models.ServiceAccountInput{Name: name, Role: role}, "")
	if err != nil {
		t.Fatalf("CreateServiceAccount %s: %v", name, err)
	}
	return sa
}

func TestServiceAccountLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.SignerFor(t, s, ckIssuer)
		h := newSATeam(t, s)

		// Who may create one, and with which role: authorization before validation.
		for _, tc := range []struct {
			who  models.Actor
			role models.Role
			name string
			want error
		}{
			{h.stranger, models.RoleViewer, "x", models.ErrNotFound},
			{h.developer, models.RoleViewer, "", models.ErrForbidden}, // an invalid name, but refused first
			{h.owner, models.RoleOwner, "ci", nil},                    // validation: never owner
			{h.admin, "root", "ci", nil},
		} {
			_, err := s.CreateServiceAccount(ctx, tc.who, h.team.ID, models.ServiceAccountInput{Name: tc.name, Role: tc.role}, "")
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("create by %s as %s: %v, want %v", tc.who.Label(), tc.role, err, tc.want)
			}
			if tc.want == nil {
				if _, ok := validationField(err, "role"); !ok {
					t.Errorf("create as %q: %v, want a role validation error", tc.role, err)
				}
			}
		}
		sa := createSA(t, s, h.admin, h.team.ID, "deployer", models.RoleAdmin)
		if !models.HasPrefixID(sa.ID, "sa") {
			t.Fatalf("id %q, want sa_…", sa.ID)
		}
		if _, err := s.CreateServiceAccount(ctx, h.owner, h.team.ID, models.ServiceAccountInput{Name: "deployer", Role: models.RoleViewer}, ""); err == nil {
			t.Error("a second service account named deployer in the same team was created")
		}

		// Listed beside people, as a member with its role.
		members, err := s.Members(ctx, h.developer, h.team.ID)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, m := range members {
			if m.UserID == sa.ID {
				found = m.IsService() && m.Role == models.RoleAdmin && m.Name == "deployer"
			}
		}
		if !found {
			t.Errorf("members %+v do not list the service account as an admin service member", members)
		}
		if _, _, err := s.ServiceAccountFor(ctx, h.stranger, h.team.ID, sa.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a stranger reads the service account: %v", err)
		}

		// A fallback secret authenticates it; a token for the management API follows.
		_, secret, err := s.CreateServiceAccountSecret(ctx, h.admin, h.team.ID, sa.ID, "ci", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == store.SQLite && strings.Contains(storetest.Dump(t, s), secret) {
			t.Fatal("the service account's secret is stored in the clear")
		}
		got, err := s.AuthenticateServiceAccount(ctx, sa.ID, secret)
		if err != nil || got.ID != sa.ID {
			t.Fatalf("AuthenticateServiceAccount: %v %v", got, err)
		}
		other := createSA(t, s, h.owner, h.team.ID, "reader", models.RoleViewer)
		if _, err := s.AuthenticateServiceAccount(ctx, other.ID, secret); err == nil {
			t.Error("another service account authenticated with this one's secret")
		}
		if _, err := s.IssueServiceAccountToken(ctx, got, "", []string{"https://orders.example"}); err == nil {
			t.Error("a service account got a token for an API other than the management API")
		}
		if _, err := s.IssueServiceAccountToken(ctx, got, "orders:read", nil); err == nil {
			t.Error("a service account got a token with scopes")
		}
		tok, err := s.IssueServiceAccountToken(ctx, got, "", []string{s.ManagementAudience()})
		if err != nil {
			t.Fatal(err)
		}
		claims := decodeClaims(t, tok.Token)
		if claims["sub"] != sa.ID || claims["client_id"] != sa.ID || claims["sub_type"] != models.SubjectServiceAccount ||
			claims["team"] != h.team.ID || claims["aud"] != ckIssuer+"/api/v1" {
			t.Errorf("claims %v", claims)
		}
		if tok.ExpiresIn != int64(models.ServiceAccountTokenTTL/time.Second) {
			t.Errorf("expires_in %d", tok.ExpiresIn)
		}

		// The token makes the account an actor the one permission check decides for.
		actor, err := s.AuthenticateServiceAccountToken(ctx, tok.Token)
		if err != nil || !actor.User.IsService() {
			t.Fatalf("AuthenticateServiceAccountToken: %+v %v", actor, err)
		}
		p, err := s.CreateProject(ctx, actor, h.team.ID, "made by a machine", "", "")
		if err != nil {
			t.Fatalf("an admin service account creates a project: %v", err)
		}
		events, _, err := s.AuditLog(ctx, h.owner, h.team.ID, models.AuditFilter{Action: "project.create"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || events[0].TargetID != p.ID || events[0].ActorLabel != "service account deployer" {
			t.Errorf("audit %+v, want project.create by service account deployer", events)
		}
		elsewhere, err := s.CreateTeam(ctx, h.owner, "Elsewhere", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TeamFor(ctx, actor, elsewhere.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the service account reads another team: %v", err)
		}
		if _, _, err := s.CreatePersonalToken(ctx, actor, models.PersonalTokenInput{Name: "x", Scope: models.PersonalTokenWrite, TTL: 7 * 24 * time.Hour}, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a service account created a personal access token: %v", err)
		}

		// Demoted, it may read but no longer create; made owner, refused.
		if err := s.ChangeRole(ctx, h.owner, h.team.ID, sa.ID, models.RoleOwner); err == nil {
			t.Error("a service account was made owner")
		}
		if err := s.ChangeRole(ctx, h.owner, h.team.ID, sa.ID, models.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateProject(ctx, actor, h.team.ID, "again", "", ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a viewer service account created a project: %v", err)
		}

		// A project's token is never a service account's, and the management API's
		// identifier is not for an API to take.
		if _, err := s.CreateAPI(ctx, h.owner, h.team.ID, models.APIInput{Name: "Squatter", Identifier: ckIssuer + "/api/v1",
			AcceptsAccessTokens: true}, ""); err == nil {
			t.Error("an API took the management API's identifier")
		}

		// Revoking the secret stops it; deleting the account stops its tokens at once.
		_, creds, err := s.ServiceAccountFor(ctx, h.developer, h.team.ID, sa.ID)
		if err != nil || len(creds) != 1 || creds[0].Kind != models.CredentialSecret || creds[0].Hint == "" {
			t.Fatalf("credentials %+v %v", creds, err)
		}
		if err := s.RemoveServiceAccountCredential(ctx, h.admin, h.team.ID, sa.ID, creds[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateServiceAccount(ctx, sa.ID, secret); err == nil {
			t.Error("a revoked secret still authenticates")
		}
		if err := s.DeleteServiceAccount(ctx, h.developer, h.team.ID, sa.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a developer deleted a service account: %v", err)
		}
		if err := s.DeleteServiceAccount(ctx, h.admin, h.team.ID, sa.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateServiceAccountToken(ctx, tok.Token); models.ErrorCode(err) != models.CodeUnauthenticated {
			t.Errorf("a deleted service account's token: %v", err)
		}
		// Removing one from the members list deletes it too.
		if err := s.RemoveMember(ctx, h.owner, h.team.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if accounts, err := s.ServiceAccounts(ctx, h.owner, h.team.ID); err != nil || len(accounts) != 0 {
			t.Errorf("service accounts after removal: %+v %v", accounts, err)
		}
	})
}

// decodeClaims reads a JWT's claims without verifying it.
func decodeClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
