package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// codeFixture is a project of team A allowed the authorization code grant, with a grant
// for an API of its own team defining orders:read, orders:write (both delegable) and
// admin (not delegable), all granted; and a user of another team who signs in to it.
type codeFixture struct {
	w     *world
	api   *models.API
	p     *models.Project
	user  models.Actor
	clock *ckClock
}

const (
	testRedirect = "https://app.example/cb"
	// testVerifier is a PKCE verifier (43 characters) and testChallenge its S256.
	testVerifier = "dBjftJeZ4CVP-mJ92K9m9TMDyl2Opy8vO9MZzd0yGVE1"
)

func newCodeFixture(t *testing.T, s *store.Store) *codeFixture {
	t.Helper()
	ctx := context.Background()
	f := &codeFixture{w: newWorld(t, s), clock: newCKClock(s)}
	f.user = f.w.outsider
	storetest.Signer(t, s)
	p, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Orders app", "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.api = grantedAPI(t, s, f.w.admin, p, "https://orders.example.com", "orders:read", "orders:write", "admin")
	for _, sc := range []string{"orders:read", "orders:write"} {
		if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, sc, true); err != nil {
			t.Fatal(err)
		}
	}
	uris, public := testRedirect+"\nhttp://127.0.0.1/cb", true
	err = s.UpdateProject(ctx, f.w.admin, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public})
	if err != nil {
		t.Fatal(err)
	}
	if f.p, err = s.AuthorizationClient(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// code authorizes scope for the user and returns a code for the redirect URI.
func (f *codeFixture) code(t *testing.T, s *store.Store, scope string) string {
	t.Helper()
	a, err := s.PrepareAuthorization(context.Background(), f.p, nil, scope)
	if err != nil {
		t.Fatalf("prepare %q: %v", scope, err)
	}
	req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier)}
	code, err := s.IssueAuthorizationCode(context.Background(), a, req, f.user.User.ID, models.AuthContext{AuthTime: f.clock.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// jwtClaims decodes a JWT's payload (its signature is the store's own).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAuthorizationCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)

		t.Run("OK", func(t *testing.T) {
			tok, err := s.RedeemAuthorizationCode(ctx, f.p, f.code(t, s, "orders:read"), testRedirect, testVerifier)
			if err != nil {
				t.Fatal(err)
			}
			c := jwtClaims(t, tok.Token)
			if c["sub"] != f.user.User.ID || c["client_id"] != f.p.ID || c["sub_type"] != "user" || c["scope"] != "orders:read" ||
				c["team"] != f.p.TeamID || c["aud"] != "https://orders.example.com" {
				t.Errorf("claims %v: want sub = the user, client_id = the project, sub_type user, scope orders:read, the team, aud the API", c)
			}
			if at, _ := c["auth_time"].(float64); int64(at) != f.clock.Now().Add(-time.Minute).Unix() {
				t.Errorf("auth_time %v, want when the user signed in (%d)", c["auth_time"], f.clock.Now().Add(-time.Minute).Unix())
			}
			// The project's introspection sees the user's token as its own.
			in, err := s.Introspect(ctx, f.p, tok.Token)
			if err != nil || !in.Active || in.Sub != f.user.User.ID || in.ClientID != f.p.ID {
				t.Errorf("introspection: %+v %v, want active with sub the user and client_id the project", in, err)
			}
		})
		t.Run("Replay", func(t *testing.T) {
			code := f.code(t, s, "")
			if _, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Fatalf("second redemption: %v, want invalid_grant", err)
			}
			db, err := s.SQLDB()
			if err != nil {
				t.Fatal(err)
			}
			var n int
			q := "SELECT COUNT(*) FROM authorization_codes WHERE hash = $1 AND replayed_at IS NOT NULL"
			if err := db.QueryRow(q, models.SHA256Hex(code)).Scan(&n); err != nil || n != 1 {
				t.Errorf("the replay is recorded: %d rows, %v", n, err)
			}
		})
		t.Run("Refusals", func(t *testing.T) {
			other, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Other app", "", "")
			if err != nil {
				t.Fatal(err)
			}
			other.GrantTypes = models.GrantAuthorizationCode
			for name, tc := range map[string]struct {
				p                  *models.Project
				redirect, verifier string
				advance            time.Duration
			}{
				"WrongVerifier":          {f.p, testRedirect, strings.Repeat("a", 43), 0},
				"ShortVerifier":          {f.p, testRedirect, "short", 0},
				"OtherRedirectURI":       {f.p, "http://127.0.0.1/cb", testVerifier, 0},
				"RedirectTrailingSlash":  {f.p, testRedirect + "/", testVerifier, 0},
				"AnotherClientsCode":     {other, testRedirect, testVerifier, 0},
				"ExpiredAfter60Seconds":  {f.p, testRedirect, testVerifier, models.AuthorizationCodeTTL},
				"VerifierIsTheChallenge": {f.p, testRedirect, store.S256Challenge(testVerifier), 0},
			} {
				t.Run(name, func(t *testing.T) {
					code := f.code(t, s, "orders:read")
					f.clock.Advance(tc.advance)
					if _, err := s.RedeemAuthorizationCode(ctx, tc.p, code, tc.redirect, tc.verifier); !isOAuth(err, models.ErrCodeInvalidGrant) {
						t.Errorf("%v, want invalid_grant", err)
					}
				})
			}
			// Just inside 60 seconds still works.
			code := f.code(t, s, "orders:read")
			f.clock.Advance(models.AuthorizationCodeTTL - time.Second)
			if _, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier); err != nil {
				t.Errorf("at 59 s: %v", err)
			}
			for name, args := range map[string][3]string{"NoCode": {"", testRedirect, testVerifier},
				"NoRedirectURI": {"x", "", testVerifier}, "NoVerifier": {"x", testRedirect, ""}} {
				if _, err := s.RedeemAuthorizationCode(ctx, f.p, args[0], args[1], args[2]); !isOAuth(err, models.ErrCodeInvalidRequest) {
					t.Errorf("%s: %v, want invalid_request", name, err)
				}
			}
		})
		t.Run("ScopesAreGrantAndDelegable", func(t *testing.T) {
			for scope, code := range map[string]string{"admin": models.ErrCodeInvalidScope, "orders:delete": models.ErrCodeInvalidScope} {
				if _, err := s.PrepareAuthorization(ctx, f.p, nil, scope); !isOAuth(err, code) {
					t.Errorf("scope %q: %v, want %s", scope, err, code)
				}
			}
			if _, err := s.PrepareAuthorization(ctx, f.p, []string{"https://other.example.com"}, ""); !isOAuth(err, models.ErrCodeInvalidTarget) {
				t.Errorf("resource without a grant: %v, want invalid_target", err)
			}
			a, err := s.PrepareAuthorization(ctx, f.p, []string{"HTTPS://orders.example.com/"}, "")
			if err != nil || !slices.Equal(a.ScopeNames(), []string{"orders:read", "orders:write"}) || a.APIName == "" || a.TeamName != f.w.team.Name {
				t.Fatalf("no scope asked: %+v %v, want every delegable granted scope, the API and the team named", a, err)
			}
			// A scope no longer delegable when the code is redeemed is not issued.
			code := f.code(t, s, "orders:read orders:write")
			if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, "orders:write", false); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.SetScopeDelegable(ctx, f.w.admin, f.api.ID, "orders:write", true); err != nil {
					t.Fatal(err)
				}
			}()
			tok, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier)
			if err != nil || tok.Scope != "orders:read" {
				t.Errorf("after orders:write stopped being delegable: %+v %v, want orders:read only", tok, err)
			}
			// Only the API's owners and admins decide delegation.
			if err := s.SetScopeDelegable(ctx, f.w.developer, f.api.ID, "admin", true); !errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrNotFound) {
				t.Errorf("a developer making a scope delegable: %v, want refused", err)
			}
		})
		t.Run("Prune", func(t *testing.T) {
			code := f.code(t, s, "orders:read")
			f.clock.Advance(models.AuthorizationCodeTTL + time.Hour + time.Second)
			if err := s.PruneAuthorizationCodes(ctx); err != nil {
				t.Fatal(err)
			}
			db, err := s.SQLDB()
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM authorization_codes WHERE hash = $1", models.SHA256Hex(code)).Scan(&n); err != nil || n != 0 {
				t.Errorf("expired code after pruning: %d rows, %v", n, err)
			}
		})
		t.Run("PublicClient", func(t *testing.T) {
			if p, err := s.PublicClient(ctx, f.p.ID); err != nil || p.ID != f.p.ID {
				t.Fatalf("public client: %v", err)
			}
			conf, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Confidential", "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{conf.ID, "prj_nope", ""} {
				if _, err := s.PublicClient(ctx, id); !isOAuth(err, models.ErrCodeInvalidClient) {
					t.Errorf("PublicClient(%q): %v, want invalid_client", id, err)
				}
			}
		})
		t.Run("Consent", func(t *testing.T) {
			uid := f.user.User.ID
			covered := func(scopes ...string) bool {
				ok, err := s.ConsentCovers(ctx, uid, f.p.ID, f.api.ID, scopes)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			// consentEvents returns the team's consent events, oldest first.
			consentEvents := func() []models.AuditEvent {
				t.Helper()
				events, _, err := s.AuditLog(ctx, f.w.owner, f.w.team.ID, models.AuditFilter{Action: "consent."})
				if err != nil {
					t.Fatal(err)
				}
				slices.Reverse(events)
				return events
			}
			// checkEvent compares an event with what it should record.
			checkEvent := func(e models.AuditEvent, action string, details map[string]any) {
				t.Helper()
				if e.Action != action || e.ActorID != uid || e.TeamID != f.w.team.ID || e.ProjectID != f.p.ID ||
					e.TargetType != "consent" || e.TargetID != f.api.ID || e.TargetLabel != "Orders app → "+f.api.Name {
					t.Errorf("event: %+v, want %s by %s in team %s on project %s, API %s", e, action, uid, f.w.team.ID, f.p.ID, f.api.ID)
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(e.Details), &got); err != nil {
					t.Fatalf("details %q: %v", e.Details, err)
				}
				details["api"], details["api_id"] = f.api.Name, f.api.ID
				if len(got) != len(details) {
					t.Errorf("%s details: %v, want %v", action, got, details)
				}
				for k, v := range details {
					if got[k] != v {
						t.Errorf("%s details[%q]: %v, want %v", action, k, got[k], v)
					}
				}
			}
			if covered("orders:read") {
				t.Fatal("covered before any consent")
			}
			if err := s.SaveConsent(ctx, f.user, f.p.ID, f.api.ID, []string{"orders:read"}); err != nil {
				t.Fatal(err)
			}
			if !covered("orders:read") || covered("orders:read", "orders:write") {
				t.Error("consent to orders:read covers exactly orders:read")
			}
			if ev := consentEvents(); len(ev) != 1 {
				t.Fatalf("after the first consent: %d consent events, want 1", len(ev))
			} else {
				checkEvent(ev[0], "consent.grant", map[string]any{"scopes": "orders:read"})
			}
			// Allowing again what is already allowed changes nothing and is not audited.
			if err := s.SaveConsent(ctx, f.user, f.p.ID, f.api.ID, []string{"orders:read"}); err != nil {
				t.Fatal(err)
			}
			if ev := consentEvents(); len(ev) != 1 {
				t.Errorf("after consenting again to the same scope: %d consent events, want 1", len(ev))
			}
			if err := s.SaveConsent(ctx, f.user, f.p.ID, f.api.ID, []string{"orders:read", "orders:write"}); err != nil {
				t.Fatal(err)
			}
			if !covered("orders:read", "orders:write") {
				t.Error("consents add up")
			}
			if ev := consentEvents(); len(ev) != 2 {
				t.Fatalf("after widening the consent: %d consent events, want 2", len(ev))
			} else {
				checkEvent(ev[1], "consent.update", map[string]any{"scopes": "orders:read orders:write", "added": "orders:write"})
			}
			list, err := s.UserConsents(ctx, uid)
			if err != nil || len(list) != 1 || list[0].ProjectName != "Orders app" || list[0].TeamName != f.w.team.Name || list[0].Scopes != "orders:read orders:write" {
				t.Fatalf("UserConsents: %+v %v", list, err)
			}
			if err := s.RevokeConsent(ctx, f.w.owner, f.p.ID, f.api.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("another user revoking it: %v, want ErrNotFound", err)
			}
			if ev := consentEvents(); len(ev) != 2 {
				t.Errorf("after another user's refused withdrawal: %d consent events, want 2", len(ev))
			}
			if err := s.RevokeConsent(ctx, f.user, f.p.ID, f.api.ID); err != nil {
				t.Fatal(err)
			}
			if covered("orders:read") {
				t.Error("covered after the consent was withdrawn")
			}
			if ev := consentEvents(); len(ev) != 3 {
				t.Fatalf("after the withdrawal: %d consent events, want 3", len(ev))
			} else {
				checkEvent(ev[2], "consent.withdraw", map[string]any{"scopes": "orders:read orders:write"})
			}
			if err := s.RevokeConsent(ctx, f.user, f.p.ID, f.api.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("withdrawing it twice: %v, want ErrNotFound", err)
			}
			// The events belong to the app's team: the user's own team's log holds none.
			if own, _, err := s.AuditLog(ctx, f.user, f.w.outsiderTeam, models.AuditFilter{Action: "consent."}); err != nil || len(own) != 0 {
				t.Errorf("the user's own team's log: %d consent events, %v; want none", len(own), err)
			}
		})
	})
}

func TestRedirectURISettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		p, err := s.CreateProject(ctx, w.admin, w.team.ID, "App", "", "")
		if err != nil {
			t.Fatal(err)
		}
		set := func(a models.Actor, uris string, grants ...string) error {
			return s.UpdateProject(ctx, a, p.ID, models.ProjectSettings{Name: "App", TokenTTLMinutes: 15, GrantTypes: grants, RedirectURIs: &uris})
		}
		for _, bad := range []string{"http://app.example/cb", "https://app.example/cb#x", "https://*.example/cb", "https://u@app.example/cb",
			"javascript:alert(1)", "/relative", "https://app.example/a b", "myapp:/cb"} {
			var ve *models.ValidationError
			if err := set(w.admin, bad, models.GrantAuthorizationCode); !errors.As(err, &ve) || !strings.HasSuffix(ve.Fields["redirect_uris"], ".") {
				t.Errorf("%q: %v, want a sentence about redirect_uris", bad, err)
			}
		}
		var ve *models.ValidationError
		if err := set(w.admin, "", models.GrantAuthorizationCode); !errors.As(err, &ve) || ve.Fields["redirect_uris"] == "" {
			t.Errorf("the grant without a redirect URI: %v, want refused", err)
		}
		good := "https://app.example/cb\n\nhttp://127.0.0.1/cb\r\nhttp://[::1]:8080/cb\ncom.example.app:/oauth\nhttps://app.example/cb"
		if err := set(w.admin, good, models.GrantAuthorizationCode); err != nil {
			t.Fatal(err)
		}
		if err := set(w.developer, good, models.GrantAuthorizationCode); !errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a developer changing settings: %v, want refused", err)
		}
		got, err := s.AuthorizationClient(ctx, p.ID)
		if err != nil || !slices.Equal(got.RedirectURIList(), []string{"https://app.example/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "com.example.app:/oauth"}) {
			t.Fatalf("stored %q, %v", got.RedirectURIs, err)
		}
		// Settings without the field (the management API) keep them.
		if err := s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{Name: "App 2", TokenTTLMinutes: 15, GrantTypes: []string{models.GrantAuthorizationCode}}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.AuthorizationClient(ctx, p.ID); err != nil || len(got.RedirectURIList()) != 4 {
			t.Errorf("after an update without redirect URIs: %q %v", got.RedirectURIs, err)
		}
	})
}

// A consent to the user's identity alone (no API) is one row however often it is given
// or widened, is listed without an API, and is withdrawn on its own, leaving the API's
// consent of the same app in place; codes for it carry the nonce and the auth context
// into the ID token.
func TestIdentityConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		for _, scopes := range [][]string{{"openid"}, {"openid", "email"}, {"openid"}} {
			if err := s.SaveConsent(ctx, f.user, f.p.ID, "", scopes); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SaveConsent(ctx, f.user, f.p.ID, f.api.ID, []string{"orders:read", "openid"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.UserConsents(ctx, f.user.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		var identity, api int
		for _, c := range list {
			switch {
			case c.APIID == "" && c.APIName == "" && c.Scopes == "openid email":
				identity++
			case c.APIID == f.api.ID && c.Scopes == "orders:read openid":
				api++
			default:
				t.Errorf("unexpected consent %+v", c)
			}
		}
		if identity != 1 || api != 1 {
			t.Fatalf("consents %+v: want one identity consent (openid email) and one for the API", list)
		}
		if ok, err := s.ConsentCovers(ctx, f.user.User.ID, f.p.ID, "", []string{"email", "openid"}); err != nil || !ok {
			t.Errorf("identity consent covers openid email: %v %v", ok, err)
		}
		if ok, err := s.ConsentCovers(ctx, f.user.User.ID, f.p.ID, "", []string{"profile"}); err != nil || ok {
			t.Errorf("identity consent covers profile: %v %v, want false", ok, err)
		}

		a, err := s.PrepareAuthorization(ctx, f.p, nil, "openid email offline_access")
		if err != nil || a.APIID != "" || !slices.Equal(a.Identity, []string{"openid", "email", "offline_access"}) {
			t.Fatalf("prepare identity: %+v %v", a, err)
		}
		req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier), Nonce: "n-1"}
		at := f.clock.Now().Add(-2 * time.Minute).Truncate(time.Second)
		code, err := s.IssueAuthorizationCode(ctx, a, req, f.user.User.ID, models.AuthContext{AuthTime: at, ACR: "urn:example:mfa", AMR: []string{"pwd", "otp"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.RedeemAuthorizationCode(ctx, f.p, code, testRedirect, testVerifier)
		if err != nil {
			t.Fatal(err)
		}
		ac, idc := jwtClaims(t, tok.Token), jwtClaims(t, tok.IDToken)
		if ac["aud"] != s.UserinfoAudience() || ac["scope"] != "openid email" || ac["acr"] != "urn:example:mfa" {
			t.Errorf("access token %v: want the userinfo audience, openid email (offline_access is not a scope of it), the acr", ac)
		}
		if idc["nonce"] != "n-1" || idc["aud"] != f.p.ID || idc["sub"] != f.user.User.ID || idc["auth_time"] != float64(at.Unix()) ||
			idc["acr"] != "urn:example:mfa" || idc["email"] != f.user.User.Email || idc["name"] != nil {
			t.Errorf("ID token %v: want the nonce, aud the app, the user, the auth context, email and no name", idc)
		}
		info, err := s.Userinfo(ctx, tok.Token)
		if err != nil || info.Subject != f.user.User.ID || info.Email != f.user.User.Email {
			t.Errorf("userinfo: %+v %v", info, err)
		}

		if err := s.RevokeConsent(ctx, f.user, f.p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Userinfo(ctx, tok.Token); !errors.Is(err, models.ErrBadToken) {
			t.Errorf("userinfo after withdrawal: %v, want ErrBadToken", err)
		}
		if err := s.RevokeConsent(ctx, f.user, f.p.ID, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("withdrawn twice: %v, want ErrNotFound", err)
		}
		if ok, err := s.ConsentCovers(ctx, f.user.User.ID, f.p.ID, f.api.ID, []string{"orders:read"}); err != nil || !ok {
			t.Errorf("the API's consent after the identity's was withdrawn: %v %v, want kept", ok, err)
		}
	})
}

// Migration 00019 keeps every consent for an API through an upgrade and a rollback
// (a rollback forgets consents to an identity alone, which the older schema cannot
// hold), and the upgraded table still keeps one consent per user, app and API.
func TestConsentsMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		if err := s.SaveConsent(ctx, f.user, f.p.ID, f.api.ID, []string{"orders:read"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveConsent(ctx, f.user, f.p.ID, "", []string{"openid"}); err != nil {
			t.Fatal(err)
		}
		_, latest, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateTo(ctx, 18); err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateTo(ctx, latest); err != nil {
			t.Fatal(err)
		}
		list, err := s.UserConsents(ctx, f.user.User.ID)
		if err != nil || len(list) != 1 || list[0].APIID != f.api.ID || list[0].Scopes != "orders:read" {
			t.Fatalf("after a rollback and an upgrade: %+v %v, want the API's consent only", list, err)
		}
		for range 2 {
			if err := s.SaveConsent(ctx, f.user, f.p.ID, "", []string{"openid", "email"}); err != nil {
				t.Fatal(err)
			}
		}
		if list, err = s.UserConsents(ctx, f.user.User.ID); err != nil || len(list) != 2 {
			t.Errorf("consents %+v %v, want two rows (the API's and the identity's)", list, err)
		}
	})
}
