package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
)

// authorizeOffline runs the flow for the browser b with cfg's scopes and returns the
// tokens golang.org/x/oauth2 got for the code.
func (a *acApp) authorizeOffline(t *testing.T, b *browser, cfg *oauth2.Config) *oauth2.Token {
	t.Helper()
	v := oauth2.GenerateVerifier()
	res := b.get(a.authURL(cfg, "s", v))
	if res.StatusCode == http.StatusOK {
		res = allow(t, b, consentForm(t, res), "allow")
	}
	q := a.callback(t, res, cfg.RedirectURL, "s")
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

// refreshWith makes cfg's TokenSource refresh with rt (an expired token holding it), as
// an app whose access token ran out does.
func refreshWith(cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	return cfg.TokenSource(context.Background(), &oauth2.Token{AccessToken: "expired", RefreshToken: rt,
		Expiry: time.Now().Add(-time.Hour)}).Token()
}

// A real relying party (golang.org/x/oauth2) keeps acting for the user: with
// offline_access it gets a refresh token, its TokenSource refreshes by itself, each
// refresh rotates the token and keeps the user's auth context; a rotated token used
// again inside the grace window is refused without harm, after it the family is revoked
// and the reuse audited.
func TestRefreshTokenFlow(t *testing.T) {
	a := newACApp(t)
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	cfg := a.config(acRedirect, "orders:read", "offline_access", "openid")

	// Without offline_access (the default policy): no refresh token.
	if tok := a.authorizeOffline(t, alice, a.config(acRedirect, "orders:read")); tok.RefreshToken != "" {
		t.Errorf("without offline_access: refresh token %q", tok.RefreshToken)
	}
	tok := a.authorizeOffline(t, alice, cfg)
	if !strings.HasPrefix(tok.RefreshToken, "ghr_") {
		t.Fatalf("refresh token %q, want a ghr_ token", tok.RefreshToken)
	}
	first := userClaims(t, tok.AccessToken)
	e.advance(time.Minute)

	// The TokenSource sees the access token expired and refreshes on its own.
	tok.Expiry = time.Now().Add(-time.Second)
	ts := cfg.TokenSource(context.Background(), tok)
	next, err := ts.Token()
	if err != nil {
		t.Fatalf("refresh through the TokenSource: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken || !strings.HasPrefix(next.RefreshToken, "ghr_") {
		t.Fatalf("after the refresh: access token changed %v, refresh token %q (was %q)", next.AccessToken != tok.AccessToken,
			next.RefreshToken, tok.RefreshToken)
	}
	c := userClaims(t, next.AccessToken)
	if c["sub"] != first["sub"] || c["auth_time"] != first["auth_time"] || c["scope"] != "orders:read" || c["client_id"] != a.project.ID {
		t.Errorf("refreshed claims %v, want the same user, auth_time and scope as %v", c, first)
	}
	idt, _ := next.Extra("id_token").(string)
	if idt == "" {
		t.Fatal("no id_token on refresh with openid")
	}
	if idc := userClaims(t, idt); idc["sub"] != first["sub"] || idc["auth_time"] != first["auth_time"] || idc["nonce"] != nil {
		t.Errorf("ID token on refresh: %v, want the same sub and auth_time and no nonce", idc)
	}
	if next.Extra("scope") != "orders:read" {
		t.Errorf("scope in the response: %v", next.Extra("scope"))
	}

	// The first refresh token again, within the grace window: invalid_grant, family intact.
	if _, err := refreshWith(cfg, tok.RefreshToken); exchangeError(err) != "invalid_grant" {
		t.Fatalf("rotated token within the grace window: %v, want invalid_grant", err)
	}
	third, err := refreshWith(cfg, next.RefreshToken)
	if err != nil {
		t.Fatalf("the family after a concurrent loser: %v", err)
	}
	// After the grace window: reuse revokes the family, and is audited.
	e.advance(models.RefreshGrace)
	if _, err := refreshWith(cfg, next.RefreshToken); exchangeError(err) != "invalid_grant" {
		t.Fatalf("reuse: %v, want invalid_grant", err)
	}
	if _, err := refreshWith(cfg, third.RefreshToken); exchangeError(err) != "invalid_grant" {
		t.Errorf("the family's newest token after reuse: %v, want invalid_grant", err)
	}
	events, _, err := e.store.AuditLog(context.Background(), a.dev.actor, a.project.TeamID, models.AuditFilter{Action: "refresh."})
	if err != nil || len(events) != 1 || events[0].Action != "refresh.reuse_detected" || events[0].ActorLabel == "" {
		t.Errorf("events %+v %v, want one refresh.reuse_detected", events, err)
	}

	// Narrowing is allowed, widening is invalid_scope (sent by hand: the TokenSource sends no scope).
	tok = a.authorizeOffline(t, alice, a.config(acRedirect, "orders:read", "orders:write", "offline_access"))
	narrow := postToken(t, a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"orders:read"}})
	if narrow.status != http.StatusOK || narrow.body["scope"] != "orders:read" {
		t.Fatalf("narrowing: %d %v", narrow.status, narrow.body)
	}
	rt, _ := narrow.body["refresh_token"].(string)
	wide := postToken(t, a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"orders:read admin"}})
	if wide.status != http.StatusBadRequest || wide.body["error"] != "invalid_scope" {
		t.Errorf("widening: %d %v, want 400 invalid_scope", wide.status, wide.body)
	}
	if res := postToken(t, a, url.Values{"grant_type": {"refresh_token"}}); res.status != http.StatusBadRequest || res.body["error"] != "invalid_request" {
		t.Errorf("no refresh_token: %d %v, want invalid_request", res.status, res.body)
	}
}

type tokenAnswerBody struct {
	status int
	body   map[string]any
}

// postToken sends a token request authenticated as the app.
func postToken(t *testing.T, a *acApp, form url.Values) tokenAnswerBody {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.e.portal.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(a.project.ID, a.secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := tokenAnswerBody{status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&out.body); err != nil {
		t.Fatalf("token answer: %v", err)
	}
	return out
}

// revoke posts a token to /oauth/revoke as the client (secret "" : a public client
// naming itself).
func revoke(t *testing.T, e *env, clientID, secret, token string) int {
	t.Helper()
	form := url.Values{"token": {token}}
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(clientID, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Every way to end a refresh family stops the app: /oauth/revoke by its own client (not
// another's), the user withdrawing the consent on the account page, the team's admin
// on the project page; and a public client refreshes and revokes with its client_id.
func TestRefreshRevocationPaths(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	alice := signedInMember(t, e, "alice@example.com")
	cfg := a.config(acRedirect, "orders:read", "offline_access")

	t.Run("OAuthRevoke", func(t *testing.T) {
		tok := a.authorizeOffline(t, alice.b, cfg)
		other, err := e.store.CreateProject(ctx, a.dev.actor, a.project.TeamID, "Other app", "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, otherSecret, err := e.store.CreateClientSecret(ctx, a.dev.actor, other.ID, "s", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if st := revoke(t, e, other.ID, otherSecret, tok.RefreshToken); st != http.StatusOK {
			t.Errorf("another client revoking: %d, want 200", st)
		}
		next, err := refreshWith(cfg, tok.RefreshToken)
		if err != nil {
			t.Fatalf("after another client's revocation: %v, want the family intact", err)
		}
		if st := revoke(t, e, a.project.ID, a.secret, next.RefreshToken); st != http.StatusOK {
			t.Errorf("own client revoking: %d", st)
		}
		if _, err := refreshWith(cfg, next.RefreshToken); exchangeError(err) != "invalid_grant" {
			t.Errorf("after /oauth/revoke: %v, want invalid_grant", err)
		}
	})
	t.Run("ConsentWithdrawn", func(t *testing.T) {
		tok := a.authorizeOffline(t, alice.b, cfg)
		res := alice.b.post("/account/consents/revoke", url.Values{"_csrf": {alice.csrf}, "project": {a.project.ID}, "api": {a.api.ID}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", res.StatusCode)
		}
		if flash := doc(t, alice.b.get("/account")).Find(`[data-testid="flash"]`).Text(); !strings.Contains(flash, "refresh tokens are revoked") {
			t.Errorf("flash %q, want it to say the refresh tokens are revoked", flash)
		}
		if _, err := refreshWith(cfg, tok.RefreshToken); exchangeError(err) != "invalid_grant" {
			t.Errorf("after the consent was withdrawn: %v, want invalid_grant", err)
		}
	})
	t.Run("Admin", func(t *testing.T) {
		tok := a.authorizeOffline(t, alice.b, cfg)
		page := "/projects/" + a.project.ID + "/credentials"
		d := doc(t, a.dev.b.get(page))
		row := d.Find(`[data-testid="connected-user-row"]`)
		if row.Length() != 1 || !strings.Contains(row.Text(), "alice@example.com") || !strings.Contains(row.Text(), "orders:read offline_access") {
			t.Fatalf("Users connected: %d rows %q, want Alice's", row.Length(), row.Text())
		}
		if row.Find(`[data-testid="connected-user-vault"]`).Length() != 0 {
			t.Error("a family the app holds is marked as kept in the vault")
		}
		family, _ := row.Attr("data-family-id")
		action, _ := row.Find("form").Attr("action")
		if action != "/projects/"+a.project.ID+"/connected-users/"+family+"/revoke" {
			t.Errorf("revoke form posts to %q", action)
		}
		// Alice (no member of the team) cannot revoke it.
		if res := alice.b.post(action, url.Values{"_csrf": {alice.csrf}}, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("a non-member revoking: %d, want 404", res.StatusCode)
		}
		res := a.dev.b.post(action, url.Values{"_csrf": {a.dev.csrf}}, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "#connected-users") {
			t.Fatalf("revoke: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if _, err := refreshWith(cfg, tok.RefreshToken); exchangeError(err) != "invalid_grant" {
			t.Errorf("after the admin revoked it: %v, want invalid_grant", err)
		}
		if n := doc(t, a.dev.b.get(page)).Find(`[data-testid="connected-user-row"]`).Length(); n != 0 {
			t.Errorf("%d rows after revocation", n)
		}
		events, _, err := e.store.AuditLog(ctx, a.dev.actor, a.project.TeamID, models.AuditFilter{Action: "refresh.revoke"})
		if err != nil || len(events) == 0 || events[0].ActorID != a.dev.actor.User.ID || events[0].TargetID != family {
			t.Errorf("events %+v %v, want refresh.revoke by the admin for the family", events, err)
		}
	})
	t.Run("PublicClient", func(t *testing.T) {
		uris, public := acRedirect, true
		if err := e.store.UpdateProject(ctx, a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name, TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public}); err != nil {
			t.Fatal(err)
		}
		pub := a.config(acRedirect, "orders:read", "offline_access")
		pub.ClientSecret, pub.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
		tok := a.authorizeOffline(t, alice.b, pub)
		next, err := refreshWith(pub, tok.RefreshToken)
		if err != nil || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("public client refresh: %+v %v", next, err)
		}
		// A confidential client's id without its secret stays refused.
		conf, err := e.store.CreateProject(ctx, a.dev.actor, a.project.TeamID, "Confidential", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if st := revoke(t, e, conf.ID, "", next.RefreshToken); st != http.StatusUnauthorized {
			t.Errorf("confidential client without its secret revoking: %d, want 401", st)
		}
		if st := revoke(t, e, a.project.ID, "", next.RefreshToken); st != http.StatusOK {
			t.Errorf("public client revoking its refresh token: %d", st)
		}
		if _, err := refreshWith(pub, next.RefreshToken); exchangeError(err) != "invalid_grant" {
			t.Errorf("after the public client revoked it: %v, want invalid_grant", err)
		}
	})
}

// The refresh settings are edited on the project's settings form; the policy "always"
// issues refresh tokens without offline_access, and bad lifetimes are refused with the
// form shown again.
func TestRefreshSettingsForm(t *testing.T) {
	a := newACApp(t)
	e := a.e
	settings := func(issue, idle, absolute string) *http.Response {
		return a.dev.b.post("/projects/"+a.project.ID+"/settings", url.Values{"_csrf": {a.dev.csrf}, "name": {a.project.Name},
			"token_ttl_minutes": {"15"}, "grant_types": {"client_credentials", "authorization_code"}, "refresh_shown": {"1"},
			"refresh_tokens": {issue}, "refresh_idle_days": {idle}, "refresh_absolute_days": {absolute}}, nil)
	}
	d := doc(t, a.dev.b.get("/projects/"+a.project.ID+"/settings"))
	if v, _ := d.Find(`[data-testid="settings-refresh"] option[selected]`).Attr("value"); v != "offline_access" {
		t.Errorf("default policy shown: %q", v)
	}
	if v, _ := d.Find(`[data-testid="settings-refresh-idle"]`).Attr("value"); v != "14" {
		t.Errorf("default idle lifetime shown: %q", v)
	}
	if v, _ := d.Find(`[data-testid="settings-refresh-absolute"]`).Attr("value"); v != "90" {
		t.Errorf("default absolute lifetime shown: %q", v)
	}
	for name, tc := range map[string][3]string{"IdleOverAbsolute": {"always", "30", "7"}, "NotANumber": {"always", "x", "90"},
		"UnknownPolicy": {"sometimes", "14", "90"}, "TooLong": {"always", "14", "1000"}} {
		res := settings(tc[0], tc[1], tc[2])
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, res.StatusCode)
			continue
		}
		if d := doc(t, res); d.Find(`[aria-invalid="true"]`).Length() == 0 {
			t.Errorf("%s: no field marked invalid", name)
		}
	}
	if res := settings("always", "7", "30"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving: %d %s", res.StatusCode, readBody(res))
	}
	pv, err := e.store.ProjectFor(context.Background(), a.dev.actor, a.project.ID)
	if err != nil || pv.RefreshTokens != "always" || pv.RefreshIdleTTL != 7*86400 || pv.RefreshAbsoluteTTL != 30*86400 {
		t.Fatalf("stored: %+v %v", pv.RefreshPolicyOf(), err)
	}
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	if tok := a.authorizeOffline(t, alice, a.config(acRedirect, "orders:read")); !strings.HasPrefix(tok.RefreshToken, "ghr_") {
		t.Errorf("policy always: refresh token %q without offline_access", tok.RefreshToken)
	}
}
