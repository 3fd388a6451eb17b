package store_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// exec runs ?-placeholder SQL on the store's database.
func execSQL(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() == store.Postgres {
		n := 0
		var b strings.Builder
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + string(rune('0'+n/10)) + string(rune('0'+n%10)))
				continue
			}
			b.WriteRune(c)
		}
		q = strings.ReplaceAll(b.String(), "$0", "$")
	}
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestMigrationOwnsAudiences seeds a database in the shape before APIs had owners —
// projects naming audiences and scopes as free text, one audience claimed by two teams
// in different spellings, a live API key — and checks what migration 8 makes of it.
func TestMigrationOwnsAudiences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.MigrateTo(ctx, 6); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, u := range []string{"usr_a", "usr_b"} {
			execSQL(t, s, `INSERT INTO users (id, issuer, subject, email, name, created_at, updated_at, last_login_at) VALUES (?, 'https://idp', ?, ?, ?, ?, ?, ?)`,
				u, u, u+"@example.com", u, t0, t0, t0)
			team := []string{"team_a", "team_b"}[i]
			execSQL(t, s, `INSERT INTO teams (id, name, personal, created_at, updated_at) VALUES (?, ?, FALSE, ?, ?)`, team, team, t0, t0)
			execSQL(t, s, `INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)`, team, u, t0)
		}
		projects := []struct{ id, team, auds, scopes string }{
			{"prj_a1aaaaaaaaaaaaaaaaaaaaaaaa", "team_a", "orders-api https://Billing.example.com/", "orders:read orders:write"},
			{"prj_a2aaaaaaaaaaaaaaaaaaaaaaaa", "team_a", "orders-api", "orders:read extra"},
			{"prj_b1aaaaaaaaaaaaaaaaaaaaaaaa", "team_b", "Orders-API", "orders:read admin"}, // another team, another spelling
			{"prj_b2aaaaaaaaaaaaaaaaaaaaaaaa", "team_b", "payments", "pay"},
		}
		for i, p := range projects {
			at := t0.Add(time.Duration(i) * time.Hour)
			execSQL(t, s, `INSERT INTO projects (id, team_id, name, description, grant_types, scopes, audiences, access_token_ttl, created_at, updated_at, auth_methods)
				VALUES (?, ?, ?, '', 'client_credentials', ?, ?, 900, ?, ?, 'client_secret')`, p.id, p.team, p.id, p.scopes, p.auds, at, at)
		}
		execSQL(t, s, `INSERT INTO status_lists (id, size, next_idx, version, created_at, updated_at) VALUES ('sl_legacy', 1024, 1, 0, ?, ?)`, t0, t0)
		execSQL(t, s, `INSERT INTO api_keys (id, project_id, team_id, name, scopes, audiences, kid, status_list_id, status_idx, key_hash, created_at, expires_at)
			VALUES ('key_legacy', 'prj_b1aaaaaaaaaaaaaaaaaaaaaaaa', 'team_b', 'legacy', 'orders:read', 'Orders-API', 'kid', 'sl_legacy', 0, 'hash', ?, ?)`, t0, time.Now().Add(24*time.Hour))

		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		storetest.Signer(t, s)
		a, b := actorOf(t, s, "usr_a"), actorOf(t, s, "usr_b")

		apisA, err := s.TeamAPIs(ctx, a, "team_a")
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]models.API{}
		for _, api := range apisA {
			byID[api.Identifier] = api
		}
		orders, ok := byID["orders-api"]
		if !ok || len(apisA) != 2 {
			t.Fatalf("team A's APIs = %+v, want orders-api (oldest spelling) and the billing API", apisA)
		}
		if _, ok := byID["https://Billing.example.com/"]; !ok {
			t.Errorf("the billing API keeps the spelling its credentials carry: %+v", apisA)
		}
		ov, err := s.APIFor(ctx, a, orders.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := ov.ScopeNames(); !slices.Equal(got, []string{"extra", "orders:read", "orders:write"}) {
			t.Errorf("orders-api scopes = %v, want those of team A's projects using it", got)
		}
		if ov.LockedAt == nil {
			t.Error("a migrated API's identifier is not locked although credentials carry it")
		}
		apisB, err := s.TeamAPIs(ctx, b, "team_b")
		if err != nil {
			t.Fatalf("TeamAPIs: %v", err)
		}
		if len(apisB) != 1 || apisB[0].Identifier != "payments" {
			t.Errorf("team B's APIs = %+v, want payments only", apisB)
		}

		grants := func(actor models.Actor, project string) map[string]models.GrantInfo {
			list, err := s.ProjectGrants(ctx, actor, project)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]models.GrantInfo{}
			for _, g := range list {
				out[g.Identifier] = g
			}
			return out
		}
		if g := grants(a, "prj_a1aaaaaaaaaaaaaaaaaaaaaaaa"); g["orders-api"].Scopes != "orders:read orders:write" || g["https://Billing.example.com/"].Scopes != "orders:read orders:write" || g["orders-api"].Provisional {
			t.Errorf("prj_a1 grants = %+v", g)
		}
		if g := grants(a, "prj_a2aaaaaaaaaaaaaaaaaaaaaaaa"); g["orders-api"].Scopes != "extra orders:read" {
			t.Errorf("prj_a2 grants = %+v", g)
		}
		gb := grants(b, "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa")
		if g := gb["orders-api"]; !g.Provisional || g.Scopes != "orders:read" {
			t.Errorf("prj_b1 (another team's project) grants = %+v, want a provisional orders:read", gb)
		}
		// Nothing it holds stops working: its key is live, and it still gets tokens.
		keys, err := s.APIKeys(ctx, b, "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa")
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		if len(keys) != 1 || keys[0].RevokedAt != nil {
			t.Errorf("prj_b1's key after the migration: %+v", keys)
		}
		pb := authenticated(t, s, b, &models.Project{ID: "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa", TeamID: "team_b"})
		if tok, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "", []string{"Orders-API"}); err != nil || tok.Audiences[0] != "orders-api" {
			t.Errorf("prj_b1 token while the request is pending: %+v %v", tok, err)
		}
		// The owner is shown the request, and decides it.
		reqs, err := s.APIRequests(ctx, a, orders.ID)
		if err != nil || len(reqs) != 1 || reqs[0].ProjectID != "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa" || reqs[0].Status != models.RequestPending || reqs[0].Origin != "migration" {
			t.Fatalf("orders-api requests = %+v, %v; want prj_b1's pending migration request", reqs, err)
		}
		if err := s.WithdrawRequest(ctx, b, "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa", reqs[0].ID); !errors.Is(err, models.ErrRequestDecided) {
			t.Errorf("withdrawing a migration request: %v, want refused", err)
		}
		if _, revoked, err := s.DecideRequest(ctx, a, orders.ID, reqs[0].ID, models.Decision{Note: "not yours"}); err != nil || len(revoked) != 1 || revoked[0].ID != "key_legacy" {
			t.Fatalf("denying: revoked %+v, %v; want the legacy key", revoked, err)
		}
		pb = authenticated(t, s, b, &models.Project{ID: "prj_b1aaaaaaaaaaaaaaaaaaaaaaaa", TeamID: "team_b"})
		if _, err := s.IssueAccessToken(ctx, pb, models.GrantClientCredentials, "", []string{"orders-api"}); !isOAuth(err, models.ErrCodeInvalidTarget) {
			t.Errorf("prj_b1 token after the denial: %v, want invalid_target", err)
		}
		// Both audit logs hold the migration's request.
		for _, tc := range []struct {
			actor models.Actor
			team  string
		}{{a, "team_a"}, {b, "team_b"}} {
			events, _, err := s.AuditEvents(ctx, tc.actor, tc.team, 1)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, ev := range events {
				found = found || ev.Action == "access.request"
			}
			if !found {
				t.Errorf("team %s audit log lacks the migration's access.request", tc.team)
			}
		}

		// Down again: projects get their audiences and scopes back from their grants.
		if err := s.MigrateTo(ctx, 6); err != nil {
			t.Fatal(err)
		}
		db, err := s.SQLDB()
		if err != nil {
			t.Fatalf("SQLDB: %v", err)
		}
		var auds, scopes string
		q := "SELECT audiences, scopes FROM projects WHERE id = 'prj_a1aaaaaaaaaaaaaaaaaaaaaaaa'"
		if err := db.QueryRow(q).Scan(&auds, &scopes); err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		if !strings.Contains(auds, "orders-api") || !strings.Contains(auds, "https://Billing.example.com/") || !strings.Contains(scopes, "orders:write") {
			t.Errorf("prj_a1 after migrating down: audiences %q scopes %q", auds, scopes)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrating up again: %v", err)
		}
	})
}

// actorOf is the actor for a user id.
func actorOf(t *testing.T, s *store.Store, id string) models.Actor {
	t.Helper()
	u, err := s.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return models.Actor{User: u}
}
