package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// TestBrowserCredentialsVault drives the credentials vault in headless Chromium against
// the real binary. A developer's app acts for users (authorization code, token
// exchange), keeps their offline access in the vault (the switch on its Credentials
// page) and names itself as the service for its API's scope; the page fits at every
// width. Alice allows the app offline access: the app gets a delegation id and no
// refresh token, exchanges it for a token of hers, and Alice's Connected apps says so,
// fitting at every width.
func TestBrowserCredentialsVault(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	app, callback := appServer(t)

	// 1. The developer's first project acts for users and may exchange tokens.
	b.open(t, p.URL+"/login", 0)
	b.signInDev(t, "dev@example.com", "Dev Eloper")
	projectPath := b.attr(t, testid("project-link"), "href")
	projectID := strings.TrimPrefix(projectPath, "/projects/")
	b.open(t, p.URL+projectPath+"/settings", http.StatusOK)
	b.do(t, "act for users and exchange tokens",
		chromedp.Click(chromedp.CSS(`input[name="grant_types"][value="authorization_code"]`)),
		chromedp.Click(chromedp.CSS(`input[name="grant_types"][value="urn:ietf:params:oauth:grant-type:token-exchange"]`)),
		chromedp.SendKeys(chromedp.CSS(testid("settings-redirect-uris")), "http://127.0.0.1/cb"),
	)
	b.submit(t, "save the settings", testid("save-settings"), http.StatusOK)

	// 2. Users may delegate the team API's first scope.
	identifier, scope := delegateFirstScope(t, b, p)

	// 3. On the Credentials page: a secret, the vault on, the app itself as the service.
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	b.do(t, "name the secret", chromedp.SendKeys(chromedp.CSS(testid("secret-name")), "web"))
	b.submit(t, "create a client secret", testid("create-secret"), http.StatusOK)
	secret := b.textContent(t, testid("secret"))
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	b.do(t, "turn the vault on", chromedp.Click(chromedp.CSS(testid("vault-on"))))
	b.submit(t, "save the vault switch", testid("vault-save"), http.StatusOK)
	b.do(t, "check the scope", chromedp.Click(chromedp.CSS(testid("credential-grant-scope"))))
	b.submit(t, "allow the service", testid("credential-grant-save"), http.StatusOK)
	if got := b.text(t, inScope(testid("credential-grant-row"), testid("credential-grant-scopes"))); got != scope {
		t.Errorf("the credentials grant's scopes: got %q, want %q", got, scope)
	}
	checkFits(t, b, "vault-project")
	b.submit(t, "sign out", testid("sign-out")+" button", 0)

	// 4. Alice allows the app offline access: a delegation id, no refresh token.
	cfg := &oauth2.Config{ClientID: projectID, ClientSecret: secret, RedirectURL: app.URL + "/cb", Scopes: []string{scope, "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	q := allowInBrowser(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", identifier)),
		"alice@example.com", "Alice Liddell", func() {
			if got := b.text(t, testid("consent-vault")); !strings.Contains(got, "instead of handing it to the app") {
				t.Errorf("the consent page about the vault: got %q", got)
			}
			checkFits(t, b, "vault-consent")
		}, callback)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("redeem the code: %v", err)
	}
	delegation, _ := tok.Extra("gatehouse_delegation").(string)
	if tok.RefreshToken != "" || !strings.HasPrefix(delegation, "rtf_") {
		t.Fatalf("vault mode: refresh token %q, delegation %q", tok.RefreshToken, delegation)
	}

	// 5. The service (the app itself here) exchanges the delegation.
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {delegation},
		"subject_token_type": {"urn:gatehouse:params:oauth:token-type:delegation"}, "resource": {identifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(projectID, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || body["access_token"] == nil || body["refresh_token"] != nil {
		t.Fatalf("the vault exchange: %d %v %v", res.StatusCode, body, err)
	}

	// 6. Alice's Connected apps names the service and its last use.
	b.open(t, p.URL+"/account", http.StatusOK)
	if got := b.text(t, testid("vault-use")); !strings.Contains(got, "Used offline by") || !strings.Contains(got, scope) || !strings.Contains(got, "last used") {
		t.Errorf("Connected apps: got %q", got)
	}
	checkFits(t, b, "vault-account")
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}
