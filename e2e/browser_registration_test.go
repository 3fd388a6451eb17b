package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDynamicRegistration goes through the team Settings page's dynamic client
// registration section as an owner: choose the policy, create an initial access token
// (shown once, in view), see a client it registered counted on the token's row and
// badged on its project page, and revoke the token through its two-step confirmation.
// Every page fits at 1280, 1440, 1920 and 390 pixels (screenshots at 1280 and 390).
func TestBrowserDynamicRegistration(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	b.open(t, p.URL+"/login?return_to=/teams", http.StatusOK)
	b.signInDev(t, "rita@example.com", "Rita Registrar")
	b.do(t, "name the team",
		chromedp.WaitVisible(chromedp.CSS(testid("team-name"))),
		chromedp.SendKeys(chromedp.CSS(testid("team-name")), "Agent platform"),
	)
	b.submit(t, "create the team", testid("create-team"), http.StatusOK)
	teamID := b.attr(t, testid("team"), "data-team-id")
	settings := p.URL + "/teams/" + teamID + "/settings"

	b.open(t, settings, http.StatusOK)
	if got := b.text(t, testid("registration-endpoint")); got != p.URL+"/oauth/register" {
		t.Errorf("registration endpoint: got %q", got)
	}
	b.do(t, "choose the token policy", chromedp.Click(chromedp.CSS(testid("registration-policy-token"))))
	b.submit(t, "save the policy", testid("save-registration-policy"), http.StatusOK)
	if b.count(t, testid("registration-policy-token")+":checked") != 1 {
		t.Errorf("the token policy is not chosen after saving")
	}

	b.do(t, "fill in the token form",
		chromedp.SendKeys(chromedp.CSS(testid("registration-token-label-input")), "MCP clients"),
		chromedp.SendKeys(chromedp.CSS(testid("registration-token-max-input")), "5"),
	)
	b.submit(t, "create the token", testid("create-registration-token"), http.StatusOK)
	token := b.text(t, testid("secret"))
	if !strings.HasPrefix(token, "ghiat_") {
		t.Fatalf("shown once: got %q, want a ghiat_ token", token)
	}
	checkFits(t, b, "registration-token-created")
	b.done(t, "back to the settings", "/teams/"+teamID+"/settings", "registration")

	// A client registers with it (as an MCP client would, without a browser).
	req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/register", strings.NewReader(
		`{"client_name":"Docs assistant","redirect_uris":["http://127.0.0.1:33418/callback"],"token_endpoint_auth_method":"none"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d", res.StatusCode)
	}

	b.open(t, settings, http.StatusOK)
	if got := b.text(t, testid("registration-token-uses")); got != "1 of 5" {
		t.Errorf("the token's registrations: got %q, want \"1 of 5\"", got)
	}
	checkFits(t, b, "team-settings-registration")
	if q := b.openConfirm(t, "open the revoke confirmation", testid("registration-token-row"), "registration-token-revoke"); !strings.Contains(q, "clients it registered stay") {
		t.Errorf("revoke asks %q", q)
	}
	checkFits(t, b, "team-settings-registration-revoke-open")
	b.load(t, "revoke the token", http.StatusOK, chromedp.Click(chromedp.CSS(inScope(testid("registration-token-row"), testid("registration-token-revoke")))))
	if got := b.attr(t, testid("registration-token-row"), "data-status"); got != "revoked" {
		t.Errorf("token status after revoking: got %q", got)
	}

	// The registered client is a project of the team, badged.
	b.open(t, p.URL+"/teams/"+teamID, http.StatusOK)
	b.submit(t, "open the registered project", testid("project-link"), http.StatusOK)
	if got := b.text(t, testid("project-registered")); got != "Dynamically registered" {
		t.Errorf("project badge: got %q", got)
	}
	// It is a public client: the page speaks of PKCE and the authorization endpoint.
	if b.count(t, testid("public-client-note")) != 1 || b.text(t, testid("authorize-url")) != p.URL+"/oauth/authorize" ||
		b.text(t, testid("getting-started-redirects")) != "1 redirect URI registered" {
		t.Errorf("a public client's overview does not speak of the code flow")
	}
	checkFits(t, b, "project-registered")
	b.submit(t, "open its credentials", testid("tab-credentials"), http.StatusOK)
	if b.count(t, testid("public-client-secrets-note")) != 1 {
		t.Errorf("a public client's credentials do not say it needs no secret")
	}
	checkFits(t, b, "project-registered-credentials")
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}
