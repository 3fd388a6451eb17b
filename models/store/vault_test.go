package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// vaultFixture is a codeFixture whose app runs the vault, with a service project of
// the same team allowed token exchange, and a user's delegation of orders:read and
// orders:write with offline access.
type vaultFixture struct {
	*codeFixture
	svc        *models.Project
	delegation string
}

func newVaultFixture(t *testing.T, s *store.Store) *vaultFixture {
	t.Helper()
	ctx := context.Background()
	f := &vaultFixture{codeFixture: newCodeFixture(t, s)}
	if err := s.SetProjectVault(ctx, f.w.admin, f.p.ID, ptr(true)); err != nil {
		t.Fatal(err)
	}
	f.svc = exchangeProject(t, s, f.w.admin, f.w.team.ID, "Nightly sync")
	tok := f.authorized(t, s, "orders:read orders:write offline_access")
	if tok.RefreshToken != "" {
		t.Fatalf("vault mode: the app received a refresh token")
	}
	if !models.HasPrefixID(tok.Delegation, "rtf") {
		t.Fatalf("vault mode: delegation %q, want a refresh family's id", tok.Delegation)
	}
	f.delegation = tok.Delegation
	return f
}

// exchangeProject creates a project of the team allowed token exchange, as the token
// endpoint authenticates it (with its grants).
func exchangeProject(t *testing.T, s *store.Store, admin models.Actor, teamID, name string) *models.Project {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreateProject(ctx, admin, teamID, name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	err = s.UpdateProject(ctx, admin, p.ID, models.ProjectSettings{Name: name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantTokenExchange}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = s.AuthorizationClient(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	return p
}

// grantService has the API's team grant the service scopes on the API (its own grant,
// which any token for the API needs) and returns it as the token endpoint sees it.
func (f *vaultFixture) grantService(t *testing.T, s *store.Store, scopes ...string) *models.Project {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.GrantAccess(ctx, f.w.admin, f.api.ID, f.svc.ID, scopes); err != nil {
		t.Fatal(err)
	}
	p, err := s.AuthorizationClient(ctx, f.svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *vaultFixture) exchange(s *store.Store, svc *models.Project, scope string, resources ...string) (*models.IssuedToken, error) {
	tok, _, err := s.ExchangeDelegation(context.Background(), svc, models.TokenExchange{SubjectToken: f.delegation, Scope: scope, Resources: resources})
	return tok, err
}

func TestVaultCredentialGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newVaultFixture(t, s)
		in := models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: f.api.ID, Scopes: []string{"orders:read"}}
		// Only the team's admins name services.
		for _, who := range []models.Actor{f.w.developer, f.w.viewer, f.w.outsider} {
			if _, err := s.SaveCredentialGrant(ctx, who, f.p.ID, in); !errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s: %v, want forbidden or not found", who.User.Name, err)
			}
		}
		// Another team's project, an API the app holds no grant for, a scope users may
		// not delegate: refused field by field.
		other, err := s.CreateProject(ctx, f.w.outsider, f.w.outsiderTeam, "Their job", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			in    models.CredentialGrantInput
			field string
		}{
			"OtherTeam":      {models.CredentialGrantInput{ServiceID: other.ID, APIID: f.api.ID, Scopes: []string{"orders:read"}}, "service_id"},
			"UnknownAPI":     {models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: "api_nope", Scopes: []string{"orders:read"}}, "api_id"},
			"NotDelegable":   {models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: f.api.ID, Scopes: []string{"admin"}}, "scopes"},
			"NoScopes":       {models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: f.api.ID}, "scopes"},
			"ServiceIsAUser": {models.CredentialGrantInput{ServiceID: f.user.User.ID, APIID: f.api.ID, Scopes: []string{"orders:read"}}, "service_id"},
		} {
			var ve *models.ValidationError
			if _, err := s.SaveCredentialGrant(ctx, f.w.admin, f.p.ID, tc.in); !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
				t.Errorf("%s: %v, want a message on %s", name, err, tc.field)
			}
		}
		g, err := s.SaveCredentialGrant(ctx, f.w.admin, f.p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if g.ServiceName != "Nightly sync" || g.APIIdentifier != "https://orders.example.com" || g.Scopes != "orders:read" {
			t.Errorf("grant %+v", g)
		}
		// Saving again replaces the scopes of the same grant.
		in.Scopes = []string{"orders:read", "orders:write"}
		if g2, err := s.SaveCredentialGrant(ctx, f.w.admin, f.p.ID, in); err != nil || g2.ID != g.ID || g2.Scopes != "orders:read orders:write" {
			t.Errorf("update: %+v, %v", g2, err)
		}
		list, err := s.CredentialGrants(ctx, f.w.viewer, f.p.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v, %v", list, err)
		}
		if err := s.RevokeCredentialGrant(ctx, f.w.developer, f.p.ID, g.ID); !errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrNotFound) {
			t.Errorf("developer revokes: %v", err)
		}
		if err := s.RevokeCredentialGrant(ctx, f.w.admin, f.svc.ID, g.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("revoke through another project: %v, want not found", err)
		}
		if err := s.RevokeCredentialGrant(ctx, f.w.admin, f.p.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		ev, _, err := s.AuditLog(ctx, f.w.owner, f.w.team.ID, models.AuditFilter{Action: "credentials."})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range ev {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, " ") != "credentials.revoke credentials.update credentials.grant" {
			t.Errorf("audited %v", actions)
		}
	})
}

func TestVaultExchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newVaultFixture(t, s)
		// Without a credentials grant the delegation is unknown to the service.
		if _, err := f.exchange(s, f.svc, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Fatalf("without a grant: %v, want invalid_grant", err)
		}
		g, err := s.SaveCredentialGrant(ctx, f.w.admin, f.p.ID, models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: f.api.ID, Scopes: []string{"orders:read"}})
		if err != nil {
			t.Fatal(err)
		}
		// The API's owners have not granted the service: it may not call the API.
		if _, err := f.exchange(s, f.svc, ""); !isOAuth(err, models.ErrCodeInvalidTarget) {
			t.Fatalf("without its own grant on the API: %v, want invalid_target", err)
		}
		f.svc = f.grantService(t, s, "orders:read", "orders:write")
		tok, err := f.exchange(s, f.svc, "", "https://orders.example.com")
		if err != nil {
			t.Fatal(err)
		}
		c := jwtClaims(t, tok.Token)
		act, _ := c["act"].(map[string]any)
		inner, _ := act["act"].(map[string]any)
		if c["sub"] != f.user.User.ID || c["sub_type"] != "user" || c["client_id"] != f.svc.ID || c["scope"] != "orders:read" ||
			c["aud"] != "https://orders.example.com" || act["sub"] != f.svc.ID || act["sub_type"] != "project" || inner["sub"] != f.p.ID {
			t.Errorf("claims %v", c)
		}
		if tok.RefreshToken != "" || tok.ExpiresIn > int64(models.VaultTokenTTL/time.Second) || tok.ExpiresIn <= 0 {
			t.Errorf("refresh %q, expires in %d", tok.RefreshToken, tok.ExpiresIn)
		}
		// The RFC 8693 refusals.
		for name, tc := range map[string]struct {
			svc       *models.Project
			subject   string
			scope     string
			resources []string
			code      string
		}{
			"ScopeBeyondGrant":   {f.svc, f.delegation, "orders:write", nil, models.ErrCodeInvalidScope},
			"ScopeNotDelegable":  {f.svc, f.delegation, "admin", nil, models.ErrCodeInvalidScope},
			"WrongResource":      {f.svc, f.delegation, "", []string{"https://other.example.com"}, models.ErrCodeInvalidTarget},
			"UnknownDelegation":  {f.svc, "rtf_" + strings.Repeat("a", 26), "", nil, models.ErrCodeInvalidGrant},
			"NotADelegation":     {f.svc, "garbage", "", nil, models.ErrCodeInvalidGrant},
			"TheAppWithoutGrant": {f.p, f.delegation, "", nil, models.ErrCodeUnauthorizedClient},
		} {
			_, _, err := s.ExchangeDelegation(ctx, tc.svc, models.TokenExchange{SubjectToken: tc.subject, Scope: tc.scope, Resources: tc.resources})
			if !isOAuth(err, tc.code) {
				t.Errorf("%s: %v, want %s", name, err, tc.code)
			}
		}
		// Another team's service, even allowed token exchange, cannot use it.
		other := exchangeProject(t, s, f.w.outsider, f.w.outsiderTeam, "Their job")
		if _, err := f.exchange(s, other, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("another team's service: %v, want invalid_grant", err)
		}
		// The user sees the service under Connected apps, with its use.
		va, err := s.UserVaultAccess(ctx, f.user.User.ID)
		if err != nil || len(va) != 1 {
			t.Fatalf("vault access %v, %v", va, err)
		}
		if va[0].ServiceName != "Nightly sync" || va[0].Scopes != "orders:read" || va[0].Uses != 1 || va[0].LastUsedAt == nil ||
			!va[0].LastUsedAt.Equal(f.clock.Now()) {
			t.Errorf("vault access %+v", va[0])
		}
		ev, _, err := s.AuditLog(ctx, f.w.owner, f.w.team.ID, models.AuditFilter{Action: "vault.use"})
		if err != nil || len(ev) != 1 || ev[0].TargetID != f.delegation || ev[0].ActorLabel == "" || !strings.Contains(ev[0].Details, f.svc.ID) {
			t.Errorf("audit %+v, %v", ev, err)
		}
		// Each use extends the idle lifetime, as a refresh would: 13 days, then 13 more
		// (beyond the 14-day idle lifetime from the consent) still work.
		f.clock.Advance(13 * 24 * time.Hour)
		if _, err := f.exchange(s, f.svc, ""); err != nil {
			t.Fatalf("after 13 days: %v", err)
		}
		f.clock.Advance(13 * 24 * time.Hour)
		if _, err := f.exchange(s, f.svc, ""); err != nil {
			t.Fatalf("after 26 days: %v", err)
		}
		// Unused for longer than the idle lifetime, it is over.
		f.clock.Advance(15 * 24 * time.Hour)
		if _, err := f.exchange(s, f.svc, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("idle: %v, want invalid_grant", err)
		}
		_ = g
	})
}

// TestVaultConsentWithdrawn: withdrawing the consent ends every vault path at once,
// also for a second store on the same database (another instance); the vault's other
// re-checks hold too.
func TestVaultConsentWithdrawn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newVaultFixture(t, s)
		if _, err := s.SaveCredentialGrant(ctx, f.w.admin, f.p.ID, models.CredentialGrantInput{ServiceID: f.svc.ID, APIID: f.api.ID, Scopes: []string{"orders:read"}}); err != nil {
			t.Fatal(err)
		}
		f.svc = f.grantService(t, s, "orders:read")
		other := storetest.SameDatabase(t, s)
		if _, err := store.NewSigner(ctx, other, s.Signer().Config()); err != nil {
			t.Fatal(err)
		}
		other.SetClock(f.clock.Now)
		if _, err := f.exchange(other, f.svc, ""); err != nil {
			t.Fatalf("the other instance before: %v", err)
		}
		// The vault turned off: refused; on again: usable.
		if err := s.SetProjectVault(ctx, f.w.admin, f.p.ID, ptr(false)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.exchange(other, f.svc, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("vault off: %v, want invalid_grant", err)
		}
		if err := s.SetProjectVault(ctx, f.w.admin, f.p.ID, ptr(true)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeConsent(ctx, f.user, f.p.ID, f.api.ID); err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]*store.Store{"same": s, "other": other} {
			if _, err := f.exchange(st, f.svc, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("%s instance after the withdrawal: %v, want invalid_grant", name, err)
			}
		}
		if va, err := s.UserVaultAccess(ctx, f.user.User.ID); err != nil || len(va) != 0 {
			t.Errorf("vault access after the withdrawal: %v, %v", va, err)
		}
		// A day later the family is pruned, and its use counters with it.
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM vault_uses").Scan(&n); err != nil || n != 1 {
			t.Errorf("vault uses before pruning: %d, %v, want the one use", n, err)
		}
		f.clock.Advance(25 * time.Hour)
		if err := s.PruneRefreshTokens(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM vault_uses").Scan(&n); err != nil || n != 0 {
			t.Errorf("vault uses after pruning: %d, %v", n, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
