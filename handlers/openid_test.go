package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
)

// signInWithGatehouse runs the browser part of an authorization for the signed-in b:
// through the consent page (allowed) when it is shown, back to the app's redirect URI.
func (a *acApp) signInWithGatehouse(t *testing.T, b *browser, authURL, redirect, state string) url.Values {
	t.Helper()
	res := b.get(authURL)
	if res.StatusCode == http.StatusOK {
		res = allow(t, b, consentForm(t, res), "allow")
	}
	q := a.callback(t, res, redirect, state)
	if q.Get("code") == "" {
		t.Fatalf("no code in %v", q)
	}
	return q
}

// "Sign in with Gatehouse" with a real relying party, unmodified: coreos/go-oidc reads
// the discovery document, verifies the ID token against the JWKS (issuer, audience,
// expiry, signature) and calls userinfo; golang.org/x/oauth2 does the code flow with
// PKCE. The app needs no grant on any API for the user's identity alone.
func TestOpenIDConnectSignIn(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.portal.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disco struct {
		Userinfo string   `json:"userinfo_endpoint"`
		Scopes   []string `json:"scopes_supported"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
		Subjects []string `json:"subject_types_supported"`
	}
	if err := provider.Claims(&disco); err != nil {
		t.Fatal(err)
	}
	if disco.Userinfo != e.portal.URL+"/oauth/userinfo" || !slices.Contains(disco.Scopes, "openid") ||
		!slices.Contains(disco.Algs, "RS256") || !slices.Equal(disco.Subjects, []string{"public"}) {
		t.Errorf("discovery %+v", disco)
	}
	if provider.Endpoint().AuthURL != e.portal.URL+"/oauth/authorize" || provider.Endpoint().TokenURL != e.portal.URL+"/oauth/token" {
		t.Errorf("endpoints %+v", provider.Endpoint())
	}

	cfg := &oauth2.Config{ClientID: a.project.ID, ClientSecret: a.secret, RedirectURL: acRedirect, Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	b := e.browser()
	b.mustSignIn("alice@example.com")
	alice, err := e.store.UserByIdentity(ctx, e.issuer, devoidc.Subject("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, nonce := oauth2.GenerateVerifier(), "n-"+models.RandomToken(8)
	authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	res := b.get(authURL)
	body := readBody(res)
	for _, want := range []string{"wants to sign you in", "See your name", "See your email address", a.project.Name} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page does not say %q", want)
		}
	}
	if strings.Contains(body, "orders-api") {
		t.Error("consent page for sign-in names an API")
	}
	q := a.signInWithGatehouse(t, b, authURL, acRedirect, "st")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: a.project.ID, Now: e.clock}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc refused the ID token: %v", err)
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		AuthTime      int64    `json:"auth_time"`
		AMR           []string `json:"amr"`
		AZP           string   `json:"azp"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != alice.ID || idt.Nonce != nonce || claims.Email != "alice@example.com" || !claims.EmailVerified ||
		claims.AZP != a.project.ID || claims.AuthTime == 0 || !slices.Equal(claims.AMR, []string{"pwd"}) {
		t.Errorf("ID token sub %q nonce %q claims %+v: want alice, the nonce, her verified email, azp, auth_time, amr pwd", idt.Subject, idt.Nonce, claims)
	}
	// The access token is for the userinfo endpoint, and nothing else.
	if c := userClaims(t, tok.AccessToken); c["aud"] != e.portal.URL+"/oauth/userinfo" || c["scope"] != "openid profile email" || c["sub"] != alice.ID {
		t.Errorf("access token claims %v", c)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != alice.ID || info.Email != "alice@example.com" || !info.EmailVerified {
		t.Errorf("userinfo %+v", info)
	}

	// Remembered: no consent page the second time.
	v2 := oauth2.GenerateVerifier()
	if res := b.get(cfg.AuthCodeURL("st2", oauth2.S256ChallengeOption(v2))); res.StatusCode != http.StatusFound {
		t.Errorf("second sign-in: %d, want a code at once", res.StatusCode)
	}
	// Withdrawn on the account page ("Sign-in only"): userinfo stops answering for the
	// token at once, and the next sign-in asks again.
	acct := doc(t, b.get("/account"))
	if !strings.Contains(acct.Find(`[data-testid="consent-row"]`).Text(), "Sign-in only") {
		t.Errorf("account page rows %q: want the sign-in consent", acct.Find(`[data-testid="consents"]`).Text())
	}
	csrf, _ := acct.Find(`[data-testid="consent-revoke-form"] input[name="_csrf"]`).Attr("value")
	if res := b.post("/account/consents/revoke", url.Values{"_csrf": {csrf}, "project": {a.project.ID}, "api": {""}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", res.StatusCode, readBody(res))
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("userinfo after withdrawal: %v, want 401", err)
	}
	if res := b.get(cfg.AuthCodeURL("st3", oauth2.S256ChallengeOption(v2))); res.StatusCode != http.StatusOK {
		t.Errorf("after withdrawal: %d, want the consent page", res.StatusCode)
	}
}

// openid beside an API's scopes: the access token is the API's (no identity scope in
// it), the ID token comes along without the claims of scopes not asked for, and the
// API's token is refused at userinfo.
func TestOpenIDWithAPI(t *testing.T) {
	a := newACApp(t)
	ctx := context.Background()
	b := a.e.browser()
	b.mustSignIn("bob@example.com")
	cfg := a.config(acRedirect, "openid", "orders:read")
	v := oauth2.GenerateVerifier()
	q := a.signInWithGatehouse(t, b, a.authURL(cfg, "s", v), acRedirect, "s")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if c := userClaims(t, tok.AccessToken); c["aud"] != a.api.Identifier || c["scope"] != "orders:read" {
		t.Errorf("access token %v: want the API's, with orders:read only", c)
	}
	raw, _ := tok.Extra("id_token").(string)
	idc := userClaims(t, raw)
	if idc["aud"] != a.project.ID || idc["email"] != nil || idc["name"] != nil {
		t.Errorf("ID token %v: want aud the app and no email or name (not asked for)", idc)
	}
	res := a.e.browser().do(http.MethodGet, "/oauth/userinfo", nil, map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("userinfo with the API's token: %d %q, want 401 invalid_token", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	// profile without openid is refused, back at the app.
	bad := a.config(acRedirect, "profile")
	q = a.callback(t, b.get(bad.AuthCodeURL("s2", oauth2.S256ChallengeOption(v))), acRedirect, "s2")
	if q.Get("error") != "invalid_scope" {
		t.Errorf("profile without openid: %v, want invalid_scope", q)
	}
}

// acr_values: the portal sends the user back to the provider with the classes the app
// asked for, and the tokens say what the provider then asserted (the development
// provider asserts the first one asked for). A session that already has it is not sent
// again.
func TestACRValuesStepUp(t *testing.T) {
	a := newACApp(t)
	ctx := context.Background()
	b := a.e.browser()
	b.mustSignIn("carol@example.com")
	cfg := a.config(acRedirect, "openid", "orders:read")
	mfa := oauth2.SetAuthURLParam("acr_values", "urn:example:mfa urn:example:pwd")
	v := oauth2.GenerateVerifier()
	res := b.get(a.authURL(cfg, "s", v, mfa))
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/login" {
		t.Fatalf("%d to %q, want sign-in again for the asked class", res.StatusCode, loc)
	}
	returnTo := loc.Query().Get("return_to")
	provider, _ := url.Parse(b.startLogin(returnTo))
	if provider.Query().Get("acr_values") != "urn:example:mfa urn:example:pwd" || provider.Query().Get("prompt") != "login" {
		t.Errorf("provider asked with %v, want acr_values passed on and prompt=login", provider.Query())
	}
	if res := b.get(b.authorize(provider.String(), "carol@example.com")); res.Header.Get("Location") != returnTo {
		t.Fatalf("after sign-in: to %q, want %q", res.Header.Get("Location"), returnTo)
	}
	q := a.signInWithGatehouse(t, b, returnTo, acRedirect, "s")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	at := userClaims(t, tok.AccessToken)
	raw, _ := tok.Extra("id_token").(string)
	idc := userClaims(t, raw)
	for name, c := range map[string]map[string]any{"access token": at, "ID token": idc} {
		if amr, _ := json.Marshal(c["amr"]); c["acr"] != "urn:example:mfa" || string(amr) != `["pwd"]` {
			t.Errorf("%s acr %v amr %s: want what the provider asserted", name, c["acr"], amr)
		}
	}
	// Asked again with the same classes: the session has one, so a code at once.
	v2 := oauth2.GenerateVerifier()
	if res := b.get(a.authURL(cfg, "s2", v2, mfa)); res.StatusCode != http.StatusFound {
		t.Errorf("same acr_values again: %d, want a code at once", res.StatusCode)
	}
}

// Userinfo refuses every token that is not a live one for it, with RFC 6750 answers.
func TestUserinfoRefusals(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	b := e.browser()
	b.mustSignIn("dave@example.com")
	cfg := a.config(acRedirect, "openid")
	v := oauth2.GenerateVerifier()
	q := a.signInWithGatehouse(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), acRedirect, "s")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	call := func(auth string) *http.Response {
		hdr := map[string]string{}
		if auth != "" {
			hdr["Authorization"] = auth
		}
		return e.browser().do(http.MethodGet, "/oauth/userinfo", nil, hdr)
	}
	res := call("Bearer " + tok.AccessToken)
	var info map[string]any
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != http.StatusOK || info["email"] != nil || info["sub"] == nil {
		t.Errorf("userinfo with scope openid only: %d %v %v, want sub and no email", res.StatusCode, info, err)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}
	client, err := e.store.AuthorizationClient(ctx, a.project.ID) // with its grants
	if err != nil {
		t.Fatal(err)
	}
	cc, err := e.store.IssueAccessToken(ctx, client, "client_credentials", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]string{
		"no token":           "",
		"basic":              "Basic " + tok.AccessToken,
		"garbage":            "Bearer not-a-token",
		"project's token":    "Bearer " + cc.Token,
		"ID token":           "Bearer " + tok.Extra("id_token").(string),
		"tampered signature": "Bearer " + tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA",
	} {
		res := call(auth)
		wa := res.Header.Get("WWW-Authenticate")
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(wa, "Bearer") || (auth != "" && !strings.HasPrefix(auth, "Basic") && !strings.Contains(wa, "invalid_token")) {
			t.Errorf("%s: %d %q, want 401 with a Bearer challenge", name, res.StatusCode, wa)
		}
	}
	e.advance(time.Hour) // past the token's lifetime
	if res := call("Bearer " + tok.AccessToken); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired token: %d, want 401", res.StatusCode)
	}
}

// No team may register an API under the userinfo endpoint's identifier: tokens for it
// would pass for identity tokens.
func TestUserinfoIdentifierReserved(t *testing.T) {
	a := newACApp(t)
	_, err := a.e.store.CreateAPI(context.Background(), a.dev.actor, a.project.TeamID, models.APIInput{Name: "Userinfo",
		Identifier: a.e.portal.URL + "/oauth/userinfo", AcceptsAccessTokens: true}, "")
	if err == nil || !strings.Contains(err.Error(), "userinfo") {
		t.Errorf("API at the userinfo identifier: %v, want refused", err)
	}
}
