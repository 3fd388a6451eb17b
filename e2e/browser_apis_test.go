package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// TestBrowserAPIAccessLifecycle drives access to an API across two teams in two
// headless Chromium browsers, each with its own profile: Alice registers the listed API
// "Orders" (orders:read, orders:write); Bob finds it in the catalog and requests both
// scopes for his project; Alice, on the API's access page (its tab shows the pending
// count), approves orders:read only; Bob's project gets a token carrying only that
// scope and an API key for it, which the API (verify) accepts; Alice narrows the grant
// to nothing (two steps on the page), which revokes Bob's key (the page lists it, the
// API rejects it within the status list's ttl); Alice revokes the grant (two steps),
// and Bob's project gets no token any more. Both teams' audit logs hold the request,
// the decision and the changes. No page may log a console error or CSP violation, nor
// open a JavaScript dialog; no 5xx.
func TestBrowserAPIAccessLifecycle(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	const ttl = 2 * time.Second
	p := startPortal(t, "GATEHOUSE_STATUS_LIST_TTL="+ttl.String())
	alice := newBrowser(t, chrome)
	bob := newBrowser(t, chrome)
	const identifier = "https://orders.example.com"

	// 1. Alice registers the API, listed in the catalog.
	alice.open(t, p.URL+"/login", http.StatusOK)
	alice.signInDev(t, "alice@example.com", "Alice Owner")
	alice.open(t, p.URL+"/apis/new", http.StatusOK)
	alice.do(t, "fill in the API form",
		chromedp.WaitVisible(chromedp.CSS(testid("api-name"))),
		chromedp.SendKeys(chromedp.CSS(testid("api-name")), "Orders"),
		chromedp.SendKeys(chromedp.CSS(testid("api-identifier-input")), identifier),
		chromedp.SendKeys(chromedp.CSS(testid("api-scopes")), "orders:read Read orders\norders:write Change orders"),
		chromedp.Click(chromedp.CSS(testid("api-listed"))),
	)
	alice.submit(t, "register the API", testid("create-api"), http.StatusOK)
	alice.do(t, "wait for the API page", chromedp.WaitVisible(chromedp.CSS(testid("api-name-heading"))))
	apiPath := alice.location(t).Path
	if !strings.HasPrefix(apiPath, "/apis/api_") {
		t.Fatalf("after registering: got %s, want /apis/api_…", alice.location(t))
	}
	if got := alice.textContent(t, testid("api-identifier")); got != identifier {
		t.Errorf("identifier shown: got %q, want %q", got, identifier)
	}
	if got := alice.texts(t, testid("scope-name")); !slices.Equal(got, []string{"orders:read", "orders:write"}) {
		t.Errorf("scopes: got %q", got)
	}
	checkFits(t, alice, "api-new-owner")

	// 2. Bob finds it in the catalog and asks, for his first project, for both scopes.
	bob.open(t, p.URL+"/login", http.StatusOK)
	bob.signInDev(t, "bob@example.com", "Bob Builder")
	bob.open(t, p.URL+"/apis", http.StatusOK)
	if got := bob.texts(t, testid("catalog-api-identifier")); !slices.Contains(got, identifier) {
		t.Fatalf("Bob's catalog: got %q, want the Orders API", got)
	}
	checkFits(t, bob, "catalog")
	bob.load(t, "open the API from the catalog", http.StatusOK, chromedp.Click(chromedp.CSS(testid("catalog-api-request"))))
	bob.do(t, "wait for the request form", chromedp.WaitVisible(chromedp.CSS(testid("request-form"))))
	checkFits(t, bob, "api-visitor")
	if n := bob.count(t, testid("api-grants-section")); n != 0 {
		t.Errorf("a catalog visitor sees the API's grants (%d sections)", n)
	}
	bob.do(t, "fill in the request",
		chromedp.Click(chromedp.CSS(testid("request-scope")+`[value="orders:read"]`)),
		chromedp.Click(chromedp.CSS(testid("request-scope")+`[value="orders:write"]`)),
		chromedp.SendKeys(chromedp.CSS(testid("request-reason-input")), "We sync orders into billing."),
	)
	bob.submit(t, "send the request", testid("send-request"), http.StatusOK)
	bob.do(t, "wait for the confirmation", chromedp.WaitVisible(chromedp.CSS(testid("flash"))))
	if got := bob.texts(t, testid("my-request-status")); !slices.Equal(got, []string{"pending"}) {
		t.Errorf("Bob's requests after sending: got %q, want one pending", got)
	}

	// 3. Alice sees it pending, on the API's access page, and approves orders:read only.
	alice.open(t, p.URL+apiPath, http.StatusOK)
	if got := alice.text(t, testid("tab-access-badge")); got != "1 pending" {
		t.Errorf("the access tab's pending count: got %q, want \"1 pending\"", got)
	}
	alice.submit(t, "open the access tab", testid("tab-access"), http.StatusOK)
	if got := alice.location(t).Path; got != apiPath+"/access" {
		t.Errorf("access tab: got %s, want %s/access", alice.location(t), apiPath)
	}
	if got := alice.texts(t, testid("request-status")); !slices.Equal(got, []string{"pending"}) {
		t.Fatalf("Alice's pending requests: got %q, want one", got)
	}
	if got := alice.textContent(t, testid("request-reason")); got != "We sync orders into billing." {
		t.Errorf("request reason: got %q", got)
	}
	checkFits(t, alice, "api-owner-pending")
	alice.do(t, "approve read only", chromedp.Click(chromedp.CSS(testid("approve-scope")+`[value="orders:write"]`)))
	alice.submit(t, "approve", testid("approve-request"), http.StatusOK)
	alice.do(t, "wait for the approval", chromedp.WaitVisible(chromedp.CSS(testid("grant-row"))))
	if got := alice.texts(t, testid("grant-row")+" "+testid("grant-team")); len(got) != 1 || !strings.Contains(got[0], "Bob") {
		t.Errorf("projects with access: got teams %q, want Bob's", got)
	}

	// 4. Bob's project: a client secret, a token (orders:read only) and an API key.
	bob.open(t, p.URL+"/", http.StatusOK)
	bob.load(t, "open Bob's first project", http.StatusOK, chromedp.Click(chromedp.Search(
		`//*[@data-testid="project-card"]//a[@data-testid="project-link"][normalize-space()="My first project"]`)))
	projectPath := bob.location(t).Path
	clientID := bob.textContent(t, testid("client-id"))
	bob.submit(t, "open the project's API access tab", testid("tab-access"), http.StatusOK)
	if got := bob.texts(t, testid("project-grant-identifier")); !slices.Contains(got, identifier) {
		t.Errorf("Bob's project APIs: got %q, want %s", got, identifier)
	}
	bob.submit(t, "open the project's client credentials tab", testid("tab-credentials"), http.StatusOK)
	bob.do(t, "name the secret", chromedp.SendKeys(chromedp.CSS(testid("secret-name")), "billing"))
	bob.submit(t, "create a client secret", testid("create-secret"), http.StatusOK)
	secret := bob.textContent(t, testid("secret"))
	token, status := clientCredentials(t, p.URL, clientID, secret, identifier)
	if status != http.StatusOK {
		t.Fatalf("Bob's token for the API: %d %s", status, token)
	}
	var claims struct {
		Aud   any    `json:"aud"`
		Scope string `json:"scope"`
	}
	if err := vfPayload(token, &claims); err != nil || claims.Scope != "orders:read" {
		t.Errorf("token claims %+v (%v), want scope orders:read only", claims, err)
	}
	bob.open(t, p.URL+projectPath+"/keys", http.StatusOK)
	bob.do(t, "fill in the key form",
		chromedp.SetValue(chromedp.CSS(testid("key-api")), strings.TrimPrefix(apiPath, "/apis/")),
	)
	// The select's change event shows that API's scopes (app.js).
	if _, err := chromedp.Run(bob.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="key-api"]').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	bob.do(t, "choose the scope and name",
		chromedp.SendKeys(chromedp.CSS(testid("key-name")), "sync"),
		chromedp.Click(chromedp.CSS(`fieldset:not([disabled]) `+testid("key-scope")+`[value="orders:read"]`)),
	)
	bob.submit(t, "create the key", testid("create-key"), http.StatusOK)
	key := bob.textContent(t, testid("secret"))
	checkFits(t, bob, "project-new-key")
	v, err := verify.New(context.Background(), p.URL, verify.Audience(identifier), verify.Accept(verify.KindAPIKey))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if pr, err := v.Verify(context.Background(), key); err != nil || pr.Project != clientID || !slices.Equal(pr.Scopes, []string{"orders:read"}) {
		t.Fatalf("the API verifies Bob's key: %+v %v", pr, err)
	}

	// 4b. Alice lets Bob's project impersonate through token exchange: the row says so.
	alice.open(t, p.URL+apiPath+"/access", http.StatusOK)
	alice.do(t, "allow impersonation",
		chromedp.Click(chromedp.CSS(testid("grant-edit")+" > summary")),
		chromedp.Click(chromedp.CSS(testid("grant-impersonation-check"))),
	)
	checkFits(t, alice, "api-owner-grant-edit")
	alice.confirm(t, "save impersonation", "save-grant", http.StatusOK)
	alice.do(t, "wait for the impersonation note", chromedp.WaitVisible(chromedp.CSS(testid("grant-impersonation"))))
	checkFits(t, alice, "api-owner-impersonation")

	// 5. Alice narrows the grant to nothing: the page lists the key it revoked.
	alice.open(t, p.URL+apiPath+"/access", http.StatusOK)
	alice.do(t, "open the grant's scopes",
		chromedp.Click(chromedp.CSS(testid("grant-edit")+" > summary")),
		chromedp.Click(chromedp.CSS(testid("grant-scope")+`[value="orders:read"]`)),
	)
	narrowedAt := time.Now()
	wantQuestion := "Change My first project's scopes for Orders? Its API keys that carry a scope you uncheck are revoked."
	if got := alice.confirm(t, "save the narrowed grant", "save-grant", http.StatusOK); got != wantQuestion {
		t.Errorf("narrowing the grant: got the question %q, want %q", got, wantQuestion)
	}
	alice.do(t, "wait for the revoked keys", chromedp.WaitVisible(chromedp.CSS(testid("revoked-keys"))))
	if got := alice.texts(t, testid("revoked-key-project")); !slices.Contains(got, "My first project") {
		t.Errorf("revoked keys listed: got projects %q, want Bob's project", got)
	}
	checkFits(t, alice, "api-owner-revoked-keys")
	// The box names the configured ttl (2 s here), not the default's minute.
	if got := strings.Join(strings.Fields(alice.textContent(t, testid("revoked-keys"))), " "); !strings.Contains(got, "Every API rejects them within 2 seconds.") {
		t.Errorf("revoked keys box: got %q, want it to say \"Every API rejects them within 2 seconds.\"", got)
	}
	// The API rejects the key within the status list's ttl (plus its refresh).
	// Polling the verifier, which refreshes in the background, until a deadline.
	deadline := time.NewTimer(time.Until(narrowedAt.Add(3*ttl + 5*time.Second)))
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := v.Verify(context.Background(), key)
		if errors.Is(err, verify.ErrRevoked) {
			t.Logf("revoked key rejected %s after narrowing", time.Since(narrowedAt).Round(100*time.Millisecond))
			break
		}
		select {
		case <-deadline.C:
			t.Fatalf("the key still verifies %s after the grant was narrowed: %v", time.Since(narrowedAt), err)
		case <-tick.C:
		}
	}
	bob.open(t, p.URL+projectPath+"/keys", http.StatusOK)
	if got := bob.texts(t, testid("key-revoked-reason")); len(got) != 1 || !strings.Contains(got[0], "narrowed") {
		t.Errorf("Bob's key list: revoked reasons %q, want one saying access narrowed", got)
	}
	checkFits(t, bob, "project-key-revoked")

	// 6. Alice revokes the grant, in two steps: no token any more.
	alice.open(t, p.URL+apiPath+"/access", http.StatusOK)
	wantQuestion = "Revoke My first project's access to Orders? Its API keys for this API are revoked and it can no longer get tokens for it."
	if got := alice.confirm(t, "revoke the grant", "revoke-grant", http.StatusOK); got != wantQuestion {
		t.Errorf("revoking the grant: got the question %q, want %q", got, wantQuestion)
	}
	if got := alice.location(t).Path; got != apiPath+"/access" {
		t.Errorf("after revoking the grant: got %s, want %s/access", alice.location(t), apiPath)
	}
	if got := alice.count(t, testid("grant-row")); got != 0 {
		t.Errorf("grant rows after revoking the only grant: got %d, want 0", got)
	}
	if got, status := clientCredentials(t, p.URL, clientID, secret, identifier); status != http.StatusBadRequest || !strings.Contains(got, "invalid_target") {
		t.Errorf("Bob's token after the grant was revoked: %d %s, want invalid_target", status, got)
	}

	// 7. Both audit logs.
	for _, who := range []struct {
		name string
		b    *browser
	}{{"Alice", alice}, {"Bob", bob}} {
		who.b.open(t, p.URL+"/teams", http.StatusOK)
		team := who.b.attr(t, testid("team-card")+" a", "href")
		who.b.open(t, p.URL+team+"/audit", http.StatusOK)
		actions := who.b.texts(t, testid("audit-action"))
		for _, want := range []string{"access.request", "access.approve", "grant.create", "grant.update", "grant.revoke"} {
			if !slices.Contains(actions, want) {
				t.Errorf("%s's audit log: got %q, want %s", who.name, actions, want)
			}
		}
	}
	for _, b := range []*browser{alice, bob} {
		b.checkConsole(t)
		if got := b.acceptedDialogs(); len(got) != 0 {
			t.Errorf("JavaScript dialogs: got %q, want none", got)
		}
	}
	expectNoServerErrors(t, p)
}

// clientCredentials asks the token endpoint for a token for resource; it returns the
// token (or the error body) and the status.
func clientCredentials(t *testing.T, base, id, secret, resource string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"client_credentials"}, "resource": {resource}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := (&http.Client{Timeout: vfRequestTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode == http.StatusOK && json.Unmarshal(body, &tok) == nil {
		return tok.AccessToken, res.StatusCode
	}
	return string(body), res.StatusCode
}
