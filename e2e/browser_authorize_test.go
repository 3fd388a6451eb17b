package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// TestBrowserAuthorizationCode drives an app acting for a user in headless Chromium
// against the real binary. A developer lets users delegate a scope of their API and
// turns their project into a public client with a loopback redirect URI (a wrong URI is
// refused with a sentence first). Signed out, the browser follows the app's
// authorization URL (golang.org/x/oauth2, PKCE S256) to sign in as another person, who
// sees the consent page naming the app, its team, the API and the scope, fitting at
// every width, and allows: the browser arrives at the app's redirect URI (the consent
// page's CSP lets the answer go there) with the code, the state and iss, and the code
// becomes a user's access token. A pushed request (RFC 9126) then gets a code at once.
func TestBrowserAuthorizationCode(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	// The app's redirect URI: a loopback server that hands the query it receives over.
	app, callback := appServer(t)

	// 1. The developer signs in and opens their first project's settings.
	b.open(t, p.URL+"/login", 0)
	b.signInDev(t, "dev@example.com", "Dev Eloper")
	projectPath := b.attr(t, testid("project-link"), "href")
	projectID := strings.TrimPrefix(projectPath, "/projects/")
	b.open(t, p.URL+projectPath+"/settings", http.StatusOK)

	// 2. A redirect URI over plain http to a public host is refused, in a sentence.
	b.expectErrorStatus(p.URL + projectPath + "/settings")
	b.do(t, "enable the authorization code grant with a bad redirect URI",
		chromedp.Click(chromedp.CSS(`input[name="grant_types"][value="authorization_code"]`)),
		chromedp.SendKeys(chromedp.CSS(testid("settings-redirect-uris")), "http://app.example.com/cb"),
	)
	b.submit(t, "save the bad redirect URI", testid("save-settings"), http.StatusUnprocessableEntity)
	if msg := b.text(t, `#settings-delegation .field-error`); !strings.Contains(msg, "only loopback addresses") || !strings.HasSuffix(msg, ".") {
		t.Errorf("the refusal: got %q, want a sentence about http and loopback", msg)
	}
	// 3. The loopback URI (any port, RFC 8252) and a public client (no secret: PKCE).
	b.do(t, "register the loopback redirect URI as a public client",
		chromedp.Clear(chromedp.CSS(testid("settings-redirect-uris"))),
		chromedp.SendKeys(chromedp.CSS(testid("settings-redirect-uris")), "http://127.0.0.1/cb"),
		chromedp.Click(chromedp.CSS(testid("settings-public-client"))),
	)
	b.submit(t, "save the settings", testid("save-settings"), http.StatusOK)

	// 4. The team's API: let users delegate its first scope.
	identifier, scope := delegateFirstScope(t, b, p)
	if got := b.text(t, inScope(testid("scope-row"), testid("scope-delegable"))); got != "Yes" {
		t.Errorf("the scope's delegation: got %q, want Yes", got)
	}
	if got := b.text(t, testid("delegation-who")); !strings.Contains(got, "Any signed-in user") {
		t.Errorf("who may delegate: got %q, want any signed-in user", got)
	}
	checkFits(t, b, "api-delegation")
	b.submit(t, "sign out", testid("sign-out")+" button", 0)

	// 5. The app sends a signed-out browser to authorize; it signs in as Alice.
	cfg := &oauth2.Config{ClientID: projectID, RedirectURL: app.URL + "/cb", Scopes: []string{scope},
		Endpoint: oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	b.open(t, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", identifier)), 0)
	b.signInDev(t, "alice@example.com", "Alice Liddell")
	b.do(t, "wait for the consent page", chromedp.WaitVisible(chromedp.CSS(testid("consent-page"))))
	if got := b.location(t).Path; got != "/oauth/authorize" {
		t.Errorf("consent page at %q, want /oauth/authorize", got)
	}
	for sel, want := range map[string]string{testid("consent-team"): "Dev Eloper's team", testid("consent-api-identifier"): identifier,
		testid("consent-scope"): scope, testid("consent-user"): "Alice Liddell"} {
		if got := b.text(t, sel); !strings.Contains(got, want) {
			t.Errorf("consent page %s: got %q, want it to contain %q", sel, got, want)
		}
	}
	if got := b.text(t, testid("consent-app")); got == "" {
		t.Error("the consent page does not name the app")
	}
	checkFits(t, b, "consent")

	// 6. Allow: the browser arrives at the app with the code, the state and iss.
	b.submit(t, "allow", testid("consent-allow"), http.StatusOK)
	b.do(t, "wait for the app", chromedp.WaitVisible(chromedp.CSS(testid("app-done"))))
	q := callback()
	if q.Get("state") != "state-1" || q.Get("iss") != p.URL || q.Get("code") == "" {
		t.Fatalf("the app received %v, want the code, state-1 and iss %s", q, p.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange as a public client: %v", err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub_type"] != "user" || claims["client_id"] != projectID || claims["scope"] != scope || claims["aud"] != identifier {
		t.Errorf("token claims %v: want a user's token for the project, scope %s, aud %s", claims, scope, identifier)
	}

	// 7. Sign in with Gatehouse: the same app asks only who Alice is (OpenID Connect).
	oidcCfg := *cfg
	oidcCfg.Scopes = []string{"openid", "profile", "email"}
	v2 := oauth2.GenerateVerifier()
	b.open(t, oidcCfg.AuthCodeURL("state-2", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("nonce", "n-2")), http.StatusOK)
	if got := b.text(t, "#consent-heading"); !strings.Contains(got, "wants to sign you in") {
		t.Errorf("sign-in consent heading %q", got)
	}
	if got := b.text(t, testid("consent-identity")); !strings.Contains(got, "See your email address") {
		t.Errorf("sign-in consent lists %q, want what the app will see", got)
	}
	checkFits(t, b, "consent-signin")
	b.submit(t, "allow sign-in", testid("consent-allow"), http.StatusOK)
	b.do(t, "wait for the app again", chromedp.WaitVisible(chromedp.CSS(testid("app-done"))))
	q = callback()
	tok, err = oidcCfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v2))
	if err != nil {
		t.Fatalf("exchange for sign-in: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	if parts := strings.Split(idt, "."); len(parts) != 3 {
		t.Fatalf("no ID token in the answer: %q", idt)
	} else if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || !strings.Contains(string(raw), `"nonce":"n-2"`) ||
		!strings.Contains(string(raw), `"email":"alice@example.com"`) {
		t.Errorf("ID token claims %s (%v): want the nonce and Alice's email", raw, err)
	}
	b.open(t, p.URL+"/account", http.StatusOK)
	if got := b.text(t, testid("consents")); !strings.Contains(got, "Sign-in only") || !strings.Contains(got, "Connected apps") {
		t.Errorf("account page: %q, want the sign-in under Connected apps", got)
	}
	checkFits(t, b, "connected-apps")

	// 8. A pushed request (RFC 9126): the app posts it to /oauth/par with its client_id
	// (a public client), the browser brings only the request_uri, and Alice, who allowed
	// this already, arrives at the app with a code at once.
	v3 := oauth2.GenerateVerifier()
	par, err := http.PostForm(p.URL+"/oauth/par", url.Values{"client_id": {projectID}, "response_type": {"code"},
		"redirect_uri": {app.URL + "/cb"}, "scope": {scope}, "state": {"state-3"}, "resource": {identifier},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(v3)}, "code_challenge_method": {"S256"}})
	if err != nil {
		t.Fatal(err)
	}
	var pushed struct {
		RequestURI string `json:"request_uri"`
	}
	err = json.NewDecoder(par.Body).Decode(&pushed)
	par.Body.Close()
	if err != nil || par.StatusCode != http.StatusCreated {
		t.Fatalf("PAR: %d %v", par.StatusCode, err)
	}
	b.open(t, p.URL+"/oauth/authorize?"+url.Values{"client_id": {projectID}, "request_uri": {pushed.RequestURI}}.Encode(), 0)
	b.do(t, "wait for the app again", chromedp.WaitVisible(chromedp.CSS(testid("app-done"))))
	q = callback()
	if q.Get("state") != "state-3" || q.Get("code") == "" {
		t.Fatalf("the app received %v for the pushed request, want a code and state-3", q)
	}
	if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v3)); err != nil {
		t.Errorf("exchange of the pushed request's code: %v", err)
	}

	// 9. With offline_access the app gets a refresh token, which rotates at each use.
	offCfg := *cfg
	offCfg.Scopes = []string{scope, "offline_access"}
	v4 := oauth2.GenerateVerifier()
	b.open(t, offCfg.AuthCodeURL("state-4", oauth2.S256ChallengeOption(v4), oauth2.SetAuthURLParam("resource", identifier)), http.StatusOK)
	b.submit(t, "allow offline access", testid("consent-allow"), http.StatusOK)
	b.do(t, "wait for the app for offline access", chromedp.WaitVisible(chromedp.CSS(testid("app-done"))))
	q = callback()
	tok, err = offCfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v4))
	if err != nil || !strings.HasPrefix(tok.RefreshToken, "ghr_") {
		t.Fatalf("exchange with offline_access: %v, refresh token %q", err, tok.RefreshToken)
	}
	tok.Expiry = time.Now().Add(-time.Second)
	refreshed, err := offCfg.TokenSource(ctx, tok).Token()
	if err != nil || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v (rotated: %v)", err, refreshed != nil && refreshed.RefreshToken != tok.RefreshToken)
	}

	// 10. The developer sees Alice under Users connected and revokes her refresh token.
	b.open(t, p.URL+"/account", http.StatusOK)
	b.submit(t, "sign out Alice", testid("sign-out")+" button", 0)
	b.open(t, p.URL+"/login", 0)
	b.signInDev(t, "dev@example.com", "Dev Eloper")
	b.open(t, p.URL+projectPath+"/settings", http.StatusOK)
	if got := b.attr(t, testid("settings-refresh")+` option[selected]`, "value"); got != "offline_access" {
		t.Errorf("refresh policy shown: %q, want offline_access", got)
	}
	checkFits(t, b, "settings-refresh")
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	if got := b.text(t, testid("connected-user-row")); !strings.Contains(got, "alice@example.com") || !strings.Contains(got, "offline_access") {
		t.Errorf("Users connected: %q, want Alice with offline_access", got)
	}
	checkFits(t, b, "connected-users")
	if q := b.confirmIn(t, "revoke Alice's refresh token", testid("connected-user-row"), "revoke-connected-user", http.StatusOK); !strings.Contains(q, "Alice") {
		t.Errorf("confirmation question %q, want it to name Alice", q)
	}
	if n := b.count(t, testid("connected-user-row")); n != 0 {
		t.Errorf("%d users connected after the revocation", n)
	}
	refreshed.Expiry = time.Now().Add(-time.Second)
	if _, err := offCfg.TokenSource(ctx, refreshed).Token(); err == nil {
		t.Error("the app refreshed after the admin revoked the family")
	}
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}
