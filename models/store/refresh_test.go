package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// authorized has the user consent to scope (as the consent page records it) and
// redeems a code for it, signed in with acr and amr: the tokens of the first
// redemption.
func (f *codeFixture) authorized(t *testing.T, s *store.Store, scope string) *models.IssuedToken {
	t.Helper()
	return f.authorizedIn(context.Background(), t, s, scope)
}

// authorizedIn is authorized with the code redeemed in ctx (a certificate binding).
func (f *codeFixture) authorizedIn(ctx context.Context, t *testing.T, s *store.Store, scope string) *models.IssuedToken {
	t.Helper()
	a, err := s.PrepareAuthorization(ctx, f.p, nil, scope)
	if err != nil {
		t.Fatalf("prepare %q: %v", scope, err)
	}
	if err := s.SaveConsent(ctx, f.user, f.p.ID, a.APIID, a.ConsentScopes()); err != nil {
		t.Fatal(err)
	}
	req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier), Nonce: "n-0S6"}
	code, err := s.IssueAuthorizationCode(ctx, a, req, f.user.User.ID,
		models.AuthContext{AuthTime: f.clock.Now().Add(-time.Minute), ACR: "urn:example:mfa", AMR: []string{"pwd", "otp"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier)
	if err != nil {
		t.Fatalf("redeem %q: %v", scope, err)
	}
	return tok
}

// setRefresh sets the project's refresh-token policy.
func (f *codeFixture) setRefresh(t *testing.T, s *store.Store, issue string, idleDays, absoluteDays int) {
	t.Helper()
	err := s.UpdateProject(context.Background(), f.w.admin, f.p.ID, models.ProjectSettings{Name: f.p.Name, TokenTTLMinutes: 15,
		GrantTypes: f.p.GrantTypeList(), Refresh: &models.RefreshPolicy{Issue: issue, IdleDays: idleDays, AbsoluteDays: absoluteDays}})
	if err != nil {
		t.Fatal(err)
	}
}

// refreshEvents are the team's refresh events, newest first.
func refreshEvents(t *testing.T, s *store.Store, f *codeFixture) []models.AuditEvent {
	t.Helper()
	ev, _, err := s.AuditLog(context.Background(), f.w.owner, f.w.team.ID, models.AuditFilter{Action: "refresh."})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestRefreshIssuance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCodeFixture(t, s)
		if tok := f.authorized(t, s, "orders:read"); tok.RefreshToken != "" {
			t.Errorf("without offline_access: refresh token %q, want none", tok.RefreshToken)
		}
		tok := f.authorized(t, s, "orders:read offline_access")
		if !strings.HasPrefix(tok.RefreshToken, "ghr_") || len(tok.RefreshToken) != 56 {
			t.Errorf("with offline_access: refresh token %q, want ghr_ and 52 random characters", tok.RefreshToken)
		}
		if tok.Scope != "orders:read" {
			t.Errorf("scope %q: offline_access is not an API scope", tok.Scope)
		}
		// Stored only as its SHA-256.
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM refresh_tokens WHERE hash = $1", models.SHA256Hex(tok.RefreshToken)).Scan(&n); err != nil || n != 1 {
			t.Errorf("stored by hash: %d rows, %v", n, err)
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM refresh_tokens WHERE hash = $1", tok.RefreshToken).Scan(&n); err != nil || n != 0 {
			t.Errorf("stored in clear: %d rows, %v", n, err)
		}
		f.setRefresh(t, s, models.RefreshAlways, 14, 90)
		if tok := f.authorized(t, s, "orders:read"); tok.RefreshToken == "" {
			t.Error("policy always, without offline_access: no refresh token")
		}
		f.setRefresh(t, s, models.RefreshOff, 14, 90)
		if tok := f.authorized(t, s, "orders:read offline_access"); tok.RefreshToken != "" {
			t.Error("policy off, with offline_access: a refresh token")
		}
		// A refresh token issued before the policy was turned off stops working.
		if _, err := s.RefreshAccessToken(context.Background(), f.p, tok.RefreshToken, ""); !isOAuth(err, models.ErrCodeUnauthorizedClient) {
			t.Errorf("refresh with the policy off: %v, want unauthorized_client", err)
		}
		// The settings are validated.
		for name, r := range map[string]models.RefreshPolicy{
			"UnknownPolicy":     {Issue: "sometimes", IdleDays: 14, AbsoluteDays: 90},
			"IdleZero":          {Issue: "always", IdleDays: 0, AbsoluteDays: 90},
			"IdleOverAbsolute":  {Issue: "always", IdleDays: 30, AbsoluteDays: 20},
			"AbsoluteOverAYear": {Issue: "always", IdleDays: 14, AbsoluteDays: 366},
		} {
			err := s.UpdateProject(context.Background(), f.w.admin, f.p.ID, models.ProjectSettings{Name: f.p.Name, TokenTTLMinutes: 15,
				GrantTypes: f.p.GrantTypeList(), Refresh: &r})
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %v, want a validation error", name, err)
			}
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		first := f.authorized(t, s, "orders:read orders:write offline_access openid")
		claims0 := jwtClaims(t, first.Token)
		f.clock.Advance(time.Hour)
		second, err := s.RefreshAccessToken(ctx, f.p, first.RefreshToken, "")
		if err != nil {
			t.Fatal(err)
		}
		if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("rotation: new refresh token %q", second.RefreshToken)
		}
		c := jwtClaims(t, second.Token)
		if c["sub"] != f.user.User.ID || c["client_id"] != f.p.ID || c["scope"] != "orders:read orders:write" || c["aud"] != "https://orders.example.com" {
			t.Errorf("refreshed access token %v", c)
		}
		for _, k := range []string{"auth_time", "acr"} {
			if c[k] != claims0[k] || c[k] == nil {
				t.Errorf("%s: %v after refresh, %v before: the auth context is carried unchanged", k, c[k], claims0[k])
			}
		}
		if amr, _ := json.Marshal(c["amr"]); string(amr) != `["pwd","otp"]` {
			t.Errorf("amr %s, want [pwd otp]", amr)
		}
		if iat, _ := c["iat"].(float64); int64(iat) != f.clock.Now().Unix() {
			t.Errorf("iat %v: the access token is new", c["iat"])
		}
		// With openid, a fresh ID token: same auth_time, acr, amr; no nonce.
		if second.IDToken == "" {
			t.Fatal("no ID token on refresh with openid")
		}
		idc := jwtClaims(t, second.IDToken)
		if idc["sub"] != f.user.User.ID || idc["aud"] != f.p.ID || idc["auth_time"] != claims0["auth_time"] || idc["acr"] != "urn:example:mfa" {
			t.Errorf("ID token on refresh: %v", idc)
		}
		if _, ok := idc["nonce"]; ok {
			t.Errorf("ID token on refresh has a nonce: %v", idc["nonce"])
		}
		if first := jwtClaims(t, first.IDToken); first["nonce"] != "n-0S6" {
			t.Errorf("first ID token nonce %v", first["nonce"])
		}
		// Reuse inside the grace window: refused, the family stays.
		if _, err := s.RefreshAccessToken(ctx, f.p, first.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Fatalf("rotated token again within the grace window: %v, want invalid_grant", err)
		}
		if ev := refreshEvents(t, s, f); len(ev) != 0 {
			t.Errorf("within the grace window: %d refresh events, want none", len(ev))
		}
		third, err := s.RefreshAccessToken(ctx, f.p, second.RefreshToken, "")
		if err != nil {
			t.Fatalf("the family after a use within the grace window: %v", err)
		}
		// Reuse after it: the whole family is revoked and the event audited.
		f.clock.Advance(models.RefreshGrace)
		if _, err := s.RefreshAccessToken(ctx, f.p, second.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Fatalf("reuse: %v, want invalid_grant", err)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, third.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("the family's newest token after reuse: %v, want invalid_grant", err)
		}
		ev := refreshEvents(t, s, f)
		if len(ev) != 1 || ev[0].Action != "refresh.reuse_detected" || ev[0].ProjectID != f.p.ID || ev[0].TargetType != "refresh_family" ||
			!strings.Contains(ev[0].Details, `"reason":"reuse_detected"`) || !strings.Contains(ev[0].Details, f.user.User.ID) {
			t.Fatalf("events after reuse: %+v, want one refresh.reuse_detected naming the user", ev)
		}
		// Presenting it once more changes nothing and writes no second event.
		if _, err := s.RefreshAccessToken(ctx, f.p, first.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("revoked family again: %v", err)
		}
		if ev := refreshEvents(t, s, f); len(ev) != 1 {
			t.Errorf("%d refresh events, want still 1", len(ev))
		}
	})
}

// Two copies of the app refresh with the same token at once: exactly one wins, the
// losers get invalid_grant and the family stays valid; the same token presented after
// the grace window revokes the family.
func TestRefreshRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		for round := range 3 {
			tok := f.authorized(t, s, "orders:read offline_access")
			const n = 8
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []string
				losers  int
				start   = make(chan struct{})
			)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					got, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						winners = append(winners, got.RefreshToken)
					case isOAuth(err, models.ErrCodeInvalidGrant):
						losers++
					default:
						t.Errorf("concurrent refresh: %v", err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 || losers != n-1 {
				t.Fatalf("round %d: %d winners, %d losers, want exactly one winner", round, len(winners), losers)
			}
			next, err := s.RefreshAccessToken(ctx, f.p, winners[0], "")
			if err != nil {
				t.Fatalf("round %d: the winner's token after the race: %v, want the family intact", round, err)
			}
			if ev := refreshEvents(t, s, f); len(ev) != 0 {
				t.Fatalf("round %d: a race is no reuse: %d events", round, len(ev))
			}
			if round == 2 {
				f.clock.Advance(models.RefreshGrace + time.Second)
				if _, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
					t.Fatalf("after the grace window: %v", err)
				}
				if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
					t.Errorf("the family after reuse past the grace window: %v, want revoked", err)
				}
				if ev := refreshEvents(t, s, f); len(ev) != 1 || ev[0].Action != "refresh.reuse_detected" {
					t.Errorf("events: %+v, want one refresh.reuse_detected", ev)
				}
			}
		}
	})
}

func TestRefreshExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		day := 24 * time.Hour
		t.Run("Idle", func(t *testing.T) {
			tok := f.authorized(t, s, "orders:read offline_access")
			f.clock.Advance(14*day - time.Second)
			next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
			if err != nil {
				t.Fatalf("just inside the idle lifetime: %v", err)
			}
			f.clock.Advance(14 * day)
			if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("idle for 14 days: %v, want invalid_grant", err)
			}
		})
		t.Run("Absolute", func(t *testing.T) {
			f.setRefresh(t, s, models.RefreshOfflineAccess, 7, 20)
			tok := f.authorized(t, s, "orders:read offline_access").RefreshToken
			for range 3 { // day 6, 12, 18: each use restarts the idle lifetime
				f.clock.Advance(6 * day)
				next, err := s.RefreshAccessToken(ctx, f.p, tok, "")
				if err != nil {
					t.Fatalf("used within the idle lifetime: %v", err)
				}
				tok = next.RefreshToken
			}
			f.clock.Advance(2 * day) // day 20: the family ends however it is used
			if _, err := s.RefreshAccessToken(ctx, f.p, tok, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("past the absolute lifetime: %v, want invalid_grant", err)
			}
		})
	})
}

func TestRefreshScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		tok := f.authorized(t, s, "orders:read orders:write offline_access openid").RefreshToken
		narrow, err := s.RefreshAccessToken(ctx, f.p, tok, "orders:read")
		if err != nil || narrow.Scope != "orders:read" || narrow.IDToken == "" {
			t.Fatalf("narrowed to orders:read: %+v %v, want that scope (and the ID token: identity not named stays)", narrow, err)
		}
		// The family keeps what the user allowed: the next refresh has both again.
		full, err := s.RefreshAccessToken(ctx, f.p, narrow.RefreshToken, "")
		if err != nil || full.Scope != "orders:read orders:write" {
			t.Fatalf("after narrowing: %+v %v, want both scopes", full, err)
		}
		noID, err := s.RefreshAccessToken(ctx, f.p, full.RefreshToken, "offline_access")
		if err != nil || noID.IDToken != "" || noID.Scope != "orders:read orders:write" {
			t.Fatalf("identity narrowed to offline_access: %+v %v, want no ID token", noID, err)
		}
		tok = noID.RefreshToken
		for _, scope := range []string{"admin", "orders:delete", "orders:read admin", "email", "profile openid"} {
			if _, err := s.RefreshAccessToken(ctx, f.p, tok, scope); !isOAuth(err, models.ErrCodeInvalidScope) {
				t.Errorf("widening to %q: %v, want invalid_scope", scope, err)
			}
		}
		// The refused widenings rotated nothing.
		next, err := s.RefreshAccessToken(ctx, f.p, tok, "")
		if err != nil {
			t.Fatalf("after refused widenings: %v", err)
		}
		// Scopes are recomputed: one no longer delegable is left out, none left is invalid_grant.
		if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, "orders:write", false); err != nil {
			t.Fatal(err)
		}
		less, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, "")
		if err != nil || less.Scope != "orders:read" {
			t.Fatalf("orders:write no longer delegable: %+v %v", less, err)
		}
		if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, "orders:read", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, less.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("no delegable scope left: %v, want invalid_grant", err)
		}
		if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, "orders:read", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, less.RefreshToken, ""); err != nil {
			t.Errorf("delegable again: %v (the refused refresh rotated nothing)", err)
		}
	})
}

func TestRefreshRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		t.Run("ConsentWithdrawn", func(t *testing.T) {
			tok := f.authorized(t, s, "orders:read offline_access")
			if err := s.RevokeConsent(ctx, f.user, f.p.ID, f.api.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("after the consent was withdrawn: %v, want invalid_grant", err)
			}
			ev, _, err := s.AuditLog(ctx, f.w.owner, f.w.team.ID, models.AuditFilter{Action: "consent.withdraw"})
			if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Details, `"refresh_families_revoked":1`) {
				t.Errorf("consent.withdraw event %+v %v, want it to count the revoked family", ev, err)
			}
		})
		t.Run("Admin", func(t *testing.T) {
			tok := f.authorized(t, s, "orders:read offline_access openid")
			fams, err := s.ProjectRefreshFamilies(ctx, f.w.admin, f.p.ID)
			if err != nil || len(fams) != 1 || fams[0].UserID != f.user.User.ID || fams[0].APIName != f.api.Name ||
				fams[0].Scopes != "orders:read" || fams[0].LastUsedAt != nil {
				t.Fatalf("families: %+v %v, want the user's one", fams, err)
			}
			next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
			if err != nil {
				t.Fatal(err)
			}
			fams, err = s.ProjectRefreshFamilies(ctx, f.w.admin, f.p.ID)
			if err != nil || len(fams) != 1 || fams[0].LastUsedAt == nil {
				t.Fatalf("after a refresh: %+v %v, want one family, last used now", fams, err)
			}
			for name, a := range map[string]models.Actor{"developer": f.w.developer, "viewer": f.w.viewer, "outsider": f.w.outsider} {
				if _, err := s.ProjectRefreshFamilies(ctx, a, f.p.ID); err == nil {
					t.Errorf("%s listed the families", name)
				}
				if err := s.RevokeRefreshFamily(ctx, a, f.p.ID, fams[0].FamilyID); !errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s revoking: %v, want refused", name, err)
				}
			}
			if err := s.RevokeRefreshFamily(ctx, f.w.admin, f.p.ID, "rtf_nope"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("unknown family: %v, want ErrNotFound", err)
			}
			if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, "scope-unchanged-check"); !isOAuth(err, models.ErrCodeInvalidScope) {
				t.Errorf("refused revocations changed the family: %v", err)
			}
			if err := s.RevokeRefreshFamily(ctx, f.w.admin, f.p.ID, fams[0].FamilyID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("after the admin revoked it: %v, want invalid_grant", err)
			}
			if fams, err := s.ProjectRefreshFamilies(ctx, f.w.admin, f.p.ID); err != nil || len(fams) != 0 {
				t.Errorf("families after revocation: %+v %v", fams, err)
			}
			if err := s.RevokeRefreshFamily(ctx, f.w.admin, f.p.ID, fams[0].FamilyID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("revoking twice: %v, want ErrNotFound", err)
			}
			ev := refreshEvents(t, s, f)
			if len(ev) != 1 || ev[0].Action != "refresh.revoke" || ev[0].ActorID != f.w.admin.User.ID || !strings.Contains(ev[0].Details, `"reason":"admin_revoked"`) {
				t.Errorf("events: %+v, want one refresh.revoke by the admin", ev)
			}
		})
		t.Run("Client", func(t *testing.T) {
			tok := f.authorized(t, s, "orders:read offline_access")
			other, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Other app", "", "")
			if err != nil {
				t.Fatal(err)
			}
			other.GrantTypes = models.GrantAuthorizationCode
			// Another client's refresh token: refused, and nothing changes for its own client.
			if _, err := s.RefreshAccessToken(ctx, other, tok.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("another client's token: %v, want invalid_grant", err)
			}
			if revoked, err := s.RevokeAsClient(ctx, other, tok.RefreshToken); err != nil || revoked {
				t.Errorf("another client revoking it: %v %v, want nothing changed", revoked, err)
			}
			next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
			if err != nil {
				t.Fatalf("after another client tried: %v", err)
			}
			// Its own client revokes the family with any of its tokens, even a rotated one.
			if revoked, err := s.RevokeAsClient(ctx, f.p, tok.RefreshToken); err != nil || !revoked {
				t.Errorf("own client revoking: %v %v", revoked, err)
			}
			if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("after /oauth/revoke: %v, want invalid_grant", err)
			}
			for _, garbage := range []string{"ghr_", "ghr_" + strings.Repeat("A", 52), "nope", ""} {
				if revoked, err := s.RevokeAsClient(ctx, f.p, garbage); err != nil || revoked {
					t.Errorf("revoking %q: %v %v", garbage, revoked, err)
				}
				if _, err := s.RefreshAccessToken(ctx, f.p, garbage, ""); !isOAuth(err, models.ErrCodeInvalidGrant) && !isOAuth(err, models.ErrCodeInvalidRequest) {
					t.Errorf("refreshing with %q: %v", garbage, err)
				}
			}
		})
		t.Run("CodeReplay", func(t *testing.T) {
			a, err := s.PrepareAuthorization(ctx, f.p, nil, "orders:read offline_access")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SaveConsent(ctx, f.user, f.p.ID, a.APIID, a.ConsentScopes()); err != nil {
				t.Fatal(err)
			}
			code := f.code(t, s, "orders:read offline_access")
			tok, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier)
			if err != nil || tok.RefreshToken == "" {
				t.Fatalf("redeem: %+v %v", tok, err)
			}
			next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Fatalf("replay: %v", err)
			}
			if _, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("after the code was replayed: %v, want the family revoked", err)
			}
			ev := refreshEvents(t, s, f)
			if len(ev) == 0 || ev[0].Action != "refresh.revoke" || !strings.Contains(ev[0].Details, `"reason":"code_replayed"`) {
				t.Errorf("newest refresh event %+v, want refresh.revoke for the replayed code", ev)
			}
		})
		t.Run("ProjectDeleted", func(t *testing.T) {
			f.authorized(t, s, "orders:read offline_access")
			if err := s.DeleteProject(ctx, f.w.admin, f.p.ID); err != nil {
				t.Fatal(err)
			}
			db, err := s.SQLDB()
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM refresh_tokens WHERE project_id = $1", f.p.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("refresh tokens of a deleted project: %d, %v", n, err)
			}
		})
	})
}

// An authorization of the user's identity alone refreshes into a userinfo token.
func TestRefreshIdentityOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		tok := f.authorized(t, s, "openid email offline_access")
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for openid offline_access")
		}
		next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
		if err != nil {
			t.Fatal(err)
		}
		c := jwtClaims(t, next.Token)
		if c["aud"] != s.UserinfoAudience() || c["scope"] != "openid email" || next.IDToken == "" {
			t.Errorf("identity refresh: %v, ID token %q", c, next.IDToken)
		}
		if info, err := s.Userinfo(ctx, next.Token); err != nil || info.Subject != f.user.User.ID {
			t.Errorf("userinfo with the refreshed token: %+v %v", info, err)
		}
		if !slices.Contains(strings.Fields(c["scope"].(string)), "openid") {
			t.Error("no openid")
		}
	})
}

// A user the API no longer lets delegate (its delegation limited to teams they are not
// in) cannot be refreshed for; allowed again, the family works.
func TestRefreshDelegatorNoLongerAllowed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		tok := f.authorized(t, s, "orders:read offline_access")
		if err := s.SetDelegationTeams(ctx, f.w.admin, f.api.ID, []string{f.w.team.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("the user may no longer delegate: %v, want invalid_grant", err)
		}
		if err := s.SetDelegationTeams(ctx, f.w.admin, f.api.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, ""); err != nil {
			t.Errorf("allowed again: %v (the refused refresh rotated nothing)", err)
		}
	})
}

// Reuse detected while the family's current token is being rotated: the revocation
// also reaches the token the rotation inserts, whichever commits first.
func TestRefreshReuseDuringRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		for round := range 20 {
			old := f.authorized(t, s, "orders:read offline_access").RefreshToken
			cur, err := s.RefreshAccessToken(ctx, f.p, old, "")
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(models.RefreshGrace)
			var wg sync.WaitGroup
			var rotated *models.IssuedToken
			var rotErr, reuseErr error
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				rotated, rotErr = s.RefreshAccessToken(ctx, f.p, cur.RefreshToken, "")
			}()
			go func() {
				defer wg.Done()
				<-start
				_, reuseErr = s.RefreshAccessToken(ctx, f.p, old, "")
			}()
			close(start)
			wg.Wait()
			if !isOAuth(reuseErr, models.ErrCodeInvalidGrant) {
				t.Fatalf("round %d: reuse: %v", round, reuseErr)
			}
			if rotErr != nil && !isOAuth(rotErr, models.ErrCodeInvalidGrant) {
				t.Fatalf("round %d: rotation: %v", round, rotErr)
			}
			var live int
			q := `SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE hash = $1)`
			if err := db.QueryRow(q, models.SHA256Hex(old)).Scan(&live); err != nil || live != 0 {
				t.Fatalf("round %d: %d tokens of the family left unrevoked (%v); the rotation won: %v", round, live, err, rotErr == nil)
			}
			if rotErr == nil {
				if _, err := s.RefreshAccessToken(ctx, f.p, rotated.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
					t.Fatalf("round %d: the token rotated during the reuse still works: %v", round, err)
				}
			}
		}
	})
}

// Pruning forgets families past their absolute lifetime and those revoked more than a
// day ago, and keeps live ones.
func TestPruneRefreshTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		f.setRefresh(t, s, models.RefreshOfflineAccess, 1, 2)
		ended := f.authorized(t, s, "orders:read offline_access").RefreshToken
		revoked := f.authorized(t, s, "orders:read offline_access").RefreshToken
		if ok, err := s.RevokeAsClient(ctx, f.p, revoked); err != nil || !ok {
			t.Fatal(ok, err)
		}
		f.clock.Advance(2*24*time.Hour + time.Second)
		f.setRefresh(t, s, models.RefreshOfflineAccess, 14, 90)
		live := f.authorized(t, s, "orders:read offline_access").RefreshToken
		if err := s.PruneRefreshTokens(ctx); err != nil {
			t.Fatal(err)
		}
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		for tok, want := range map[string]int{ended: 0, revoked: 0, live: 1} {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM refresh_tokens WHERE hash = $1", models.SHA256Hex(tok)).Scan(&n); err != nil || n != want {
				t.Errorf("after pruning: %d rows, want %d (%v)", n, want, err)
			}
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, live, ""); err != nil {
			t.Errorf("the live family after pruning: %v", err)
		}
	})
}
