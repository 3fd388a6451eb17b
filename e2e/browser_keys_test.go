package e2e

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestBrowserAPIKeyLifecycle drives an API key's whole life in headless Chromium
// against the real binary, and checks what the browser is given with nothing but the
// portal's public endpoints, as an API that receives the key would: Kim's first project
// holds a grant on her team's first API; on the project's API keys page she creates
// the key "ci" with one of its two scopes (shown once, on a page of its own, with
// snippets), copies it with the copy button (through the real clipboard), verifies it
// offline against the JWKS and finds its bit clear in the signed status list; "Done"
// leads back to the keys, where the key is gone from the page and listed as active;
// revoking it (two steps on the page, no dialog) sets the bit. A second key is revoked
// by pasting its value ("Revoke a leaked key"); pasting garbage, or the key with a
// forged signature, is refused with an error (422) and revokes nothing. No page may
// log a console error, CSP violation or uncaught exception (except the "Failed to load
// resource" of those intended 422s), and the portal must answer no request with a 5xx.
func TestBrowserAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	// 1. Kim signs in; her dashboard's first project card leads to the project page.
	b.open(t, p.URL+"/login", http.StatusOK)
	b.signInDev(t, "kim@example.com", "Kim Developer")
	b.do(t, "wait for Kim's dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	firstProject := `//*[@data-testid="project-card"]//a[@data-testid="project-link"][normalize-space()="My first project"]`
	if got := b.texts(t, testid("project-card")+" "+testid("project-link")); !slices.Contains(got, "My first project") {
		t.Fatalf("Kim's dashboard project cards: got %q, want one named \"My first project\"", got)
	}
	b.load(t, "open My first project from its card", http.StatusOK, chromedp.Click(chromedp.Search(firstProject)))
	b.do(t, "wait for the project page", chromedp.WaitVisible(chromedp.CSS(testid("project-name-heading"))))
	projectPath := b.location(t).Path
	if !strings.HasPrefix(projectPath, "/projects/") {
		t.Fatalf("project card link: got %s, want /projects/ID", b.location(t))
	}
	if got := b.text(t, testid("project-name-heading")); got != "My first project" {
		t.Errorf("project heading: got %q, want \"My first project\"", got)
	}
	clientID := b.textContent(t, testid("client-id"))
	teamID, ok := strings.CutPrefix(b.attr(t, testid("project-team-link"), "href"), "/teams/")
	if !ok || teamID == "" {
		t.Errorf("project's team link: got %q, want /teams/ID", b.attr(t, testid("project-team-link"), "href"))
	}
	// 2. Her first project holds a grant on her team's "My first API" (read, write), so
	// the key form, on the project's API keys page, offers that API and its two scopes,
	// unchecked.
	keysPath := projectPath + "/keys"
	keysURL := p.URL + keysPath
	b.submit(t, "open the API keys tab", testid("tab-keys"), http.StatusOK)
	if got := b.location(t).Path; got != keysPath {
		t.Fatalf("API keys tab: got %s, want %s", b.location(t), keysPath)
	}
	if got := b.attr(t, testid("tab-keys"), "aria-current"); got != "page" {
		t.Errorf("API keys tab: got aria-current %q, want \"page\"", got)
	}
	if got := b.count(t, testid("key-form-no-grant")); got != 0 {
		t.Errorf("first project: got %d key-form-no-grant, want the key form", got)
	}
	audience, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(s => s.options[s.selectedIndex].dataset.identifier)(document.querySelector('[data-testid="key-api"]'))`))
	if err != nil || !strings.HasPrefix(audience, "first-api-") {
		t.Fatalf("key form's API: got identifier %q (%v), want My first API's first-api-…", audience, err)
	}
	scopeBoxes := `Array.from(document.querySelectorAll('fieldset:not([disabled]) [data-testid="key-scope"]'), e => e.value + "=" + e.checked)`
	if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](scopeBoxes)); err != nil || !slices.Equal(got, []string{"read=false", "write=false"}) {
		t.Fatalf("key form scope checkboxes: got %q (%v), want read and write, unchecked", got, err)
	}

	// 3. The key "ci": read, for My first API, 30 days. It is shown once,
	// with the snippets that use it.
	b.do(t, "fill in the key form",
		chromedp.SendKeys(chromedp.CSS(testid("key-name")), "ci"),
		chromedp.Click(chromedp.CSS(testid("key-scope")+`[value="read"]`)),
		chromedp.SetValue(chromedp.CSS(testid("key-expiry")), "30"),
	)
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(s => s.options[s.selectedIndex].text)(document.querySelector('[data-testid="key-expiry"]'))`)); got != "30 days" {
		t.Errorf("chosen key expiry: got %q, want \"30 days\"", got)
	}
	created := time.Now()
	b.submit(t, "create the key ci", testid("create-key"), http.StatusOK)
	b.do(t, "wait for the new key", chromedp.WaitVisible(chromedp.CSS(testid("shown-once")+" "+testid("secret"))))
	// The key is in view as the page opens, at 1280 and at 390 pixels: nobody has to
	// scroll to find a value shown once.
	for _, width := range []int64{1280, 390} {
		if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		inView, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
			`window.scrollTo(0, 0); (r => r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth)(document.querySelector('[data-testid="shown-once"] [data-testid="secret"]').getBoundingClientRect())`))
		if err != nil {
			t.Fatalf("where the new key is at %d px: %v", width, err)
		}
		saveViewport(t, b, fmt.Sprintf("project-new-key-first-screen-%d.png", width))
		if !inView {
			rect, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(document.querySelector('[data-testid="shown-once"] [data-testid="secret"]').getBoundingClientRect())`))
			t.Errorf("at %d px the new key is out of view when the page opens (at %s)", width, rect)
		}
	}
	if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	key := b.textContent(t, testid("secret"))
	header := apiKeyHeader(t, key)
	if header["typ"] != "apikey+jwt" {
		t.Errorf("new key's JOSE header: got %v, want typ \"apikey+jwt\"", header)
	}
	newKeyID := b.textContent(t, testid("new-key-id"))
	if got := b.textContent(t, testid("shown-once")+" #shown-once-heading"); got != "API key “ci” created" {
		t.Errorf("new key's page heading: got %q, want \"API key “ci” created\" (its name)", got)
	}
	snippets := `Array.from(document.querySelectorAll('[data-testid="key-snippets"] details > .code-block code[id^="snippet-"]'), e => e.dataset.testid)`
	if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](snippets)); err != nil ||
		!slices.Equal(got, []string{"snippet-curl", "snippet-go", "snippet-node", "snippet-python"}) {
		t.Errorf("snippets inside <details>: got %q (%v), want curl, go, node and python", got, err)
	}
	if got := b.textContent(t, testid("snippet-curl")); !strings.Contains(got, key) {
		t.Errorf("curl snippet: got %q, want it to contain the key", got)
	}
	for _, id := range []string{"snippet-go", "snippet-node", "snippet-python"} {
		if got := b.textContent(t, testid(id)); !strings.Contains(got, p.URL) || !strings.Contains(got, audience) {
			t.Errorf("%s: got %q, want it to name the issuer %s and the audience %s", id, got, p.URL, audience)
		}
	}

	// 4. The copy button puts the key on the clipboard.
	origin := p.URL
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission:       &cdpbrowser.PermissionDescriptor{Name: name},
			Setting:          cdpbrowser.PermissionSettingGranted,
			Origin:           origin,
			BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		}); err != nil {
			t.Fatalf("granting %s to %s: %v", name, origin, err)
		}
	}
	// navigator.clipboard.readText needs a focused document: make the tab count as
	// focused whatever the other windows on the machine do.
	if _, err := chromedp.Call(b.ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("enabling focus emulation: %v", err)
	}
	copyKey := `button[data-copy-target="shown-once-value"]`
	if got := b.count(t, copyKey); got != 1 {
		t.Fatalf("copy buttons for the key: got %d, want 1", got)
	}
	// The label says "Copied" (or "Copy failed") for 1.5 s, then turns back to "Copy":
	// an observer records it, so a slow machine cannot miss it.
	// The clipboard starts with something else, so that reading the key back proves
	// the button wrote it.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText("before the copy")`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("priming the clipboard with clipboard-write granted to %s: %v", origin, err)
	}
	b.do(t, "click the key's copy button",
		chromedp.Evaluate[chromedp.Void](`(b => {
			window.keyCopyLabels = [];
			new MutationObserver(() => window.keyCopyLabels.push(b.textContent.trim()))
				.observe(b, {childList: true, characterData: true, subtree: true});
		})(document.querySelector('button[data-copy-target="shown-once-value"]'))`),
		chromedp.Click(chromedp.CSS(copyKey)),
	)
	label, err := chromedp.Run(b.ctx, chromedp.Poll[string](`window.keyCopyLabels.length > 0 && window.keyCopyLabels[0]`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || label != "Copied" {
		t.Errorf("copy button label after the click: got %q (%v), want \"Copied\"", label, err)
	}
	copied, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the clipboard with clipboard-read granted to %s: %v", origin, err)
	}
	if copied != key {
		t.Fatalf("clipboard after copying the key: got %q, want the key %q", copied, key)
	}

	// 5. Outside the browser, as an API would: the copied key verifies offline against
	// the JWKS and carries what Kim chose; its bit in the signed status list is 0.
	jwks := apiKeyJWKS(t, p.URL)
	var claims struct {
		jwt.Claims
		Scope  string `json:"scope"`
		Team   string `json:"team"`
		Status struct {
			StatusList struct {
				Idx *int   `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	apiKeyVerify(t, jwks, copied, "apikey+jwt", &claims)
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: p.URL, Subject: clientID, ID: newKeyID,
		AnyAudience: jwt.Audience{audience}, Time: time.Now()}, time.Minute); err != nil {
		t.Errorf("key claims %+v: %v (want iss %s, sub %s, jti %s, aud %s)", claims.Claims, err, p.URL, clientID, newKeyID, audience)
	}
	if !slices.Equal(claims.Audience, jwt.Audience{audience}) {
		t.Errorf("key aud: got %q, want [%q]", claims.Audience, audience)
	}
	if claims.Team != teamID {
		t.Errorf("key team: got %q, want the project's team %q", claims.Team, teamID)
	}
	if claims.Scope != "read" {
		t.Errorf("key scope: got %q, want \"read\"", claims.Scope)
	}
	if claims.Expiry == nil {
		t.Errorf("key exp: got none, want 30 days from its creation")
	} else if exp, want := claims.Expiry.Time(), created.Add(30*24*time.Hour); exp.Before(want.Add(-time.Minute)) || exp.After(want.Add(time.Minute)) {
		t.Errorf("key exp: got %s, want about %s (30 days)", exp, want)
	}
	statusURI, idxp := claims.Status.StatusList.URI, claims.Status.StatusList.Idx
	if idxp == nil || *idxp < 0 || !strings.HasPrefix(statusURI, p.URL+"/statuslists/") {
		t.Fatalf("key status claim: got uri %q idx %v, want %s/statuslists/ID and an index", statusURI, idxp, p.URL)
	}
	idx := *idxp
	bit, etag := apiKeyStatusBit(t, jwks, p.URL, statusURI, idx)
	if bit != 0 {
		t.Errorf("status bit %d of the new key: got %d, want 0 (valid)", idx, bit)
	}

	// 6. "Done" leads back to the API keys, which no longer show the key, but list it
	// as active.
	b.done(t, "done with the new key", keysPath, "")
	if got := b.count(t, testid("secret")) + b.count(t, testid("new-key-box")) + b.count(t, testid("shown-once")); got != 0 {
		t.Errorf("keys shown after Done: got %d, want 0 (shown once)", got)
	}
	checkFits(t, b, "project-with-key")
	if got := b.texts(t, testid("key-row-name")); !slices.Equal(got, []string{"ci"}) {
		t.Errorf("key rows: got %q, want [\"ci\"]", got)
	}
	if got := b.texts(t, testid("key-status")); !slices.Equal(got, []string{"active"}) {
		t.Errorf("key statuses: got %q, want [\"active\"]", got)
	}
	if got := b.texts(t, testid("key-id")); !slices.Equal(got, []string{newKeyID}) {
		t.Errorf("key ids: got %q, want [%q]", got, newKeyID)
	}
	if got := b.attr(t, testid("key-row"), "data-key-id"); got != newKeyID {
		t.Errorf("key row data-key-id: got %q, want %q", got, newKeyID)
	}
	if got := b.texts(t, testid("key-scope-badge")); !slices.Equal(got, []string{"read"}) {
		t.Errorf("key row scopes: got %q, want [\"read\"]", got)
	}
	if got := b.texts(t, testid("key-audience-value")); !slices.Equal(got, []string{audience}) {
		t.Errorf("key row audiences: got %q, want [%q]", got, audience)
	}
	if strings.Contains(b.textContent(t, "body"), key) {
		t.Errorf("API keys page after Done: got the key in its text, want it shown once only")
	}

	// 7. Revoking it, in two steps on the page, sets its bit in a re-signed list.
	wantQuestion := "Revoke API key ci? Every API will reject it within a minute."
	if got := b.confirm(t, "revoke the key ci", "revoke-key", http.StatusOK); got != wantQuestion {
		t.Errorf("revoking ci: got the question %q, want %q", got, wantQuestion)
	}
	b.do(t, "wait for the API keys page", chromedp.WaitVisible(chromedp.CSS(testid("key-status"))))
	if got := b.location(t).Path; got != keysPath {
		t.Errorf("after revoking: got %s, want %s", got, keysPath)
	}
	if got := b.texts(t, testid("key-status")); !slices.Equal(got, []string{"revoked"}) {
		t.Errorf("key statuses after revoking: got %q, want [\"revoked\"]", got)
	}
	if got := b.count(t, testid("revoke-key")); got != 0 {
		t.Errorf("revoke buttons after revoking: got %d, want 0", got)
	}
	if got := b.texts(t, testid("flash")+`[data-kind="success"]`); len(got) != 1 || !strings.HasPrefix(got[0], "Key revoked.") {
		t.Errorf("flash after revoking: got %q, want one \"Key revoked. …\"", got)
	}
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none", got)
	}
	bit, etag2 := apiKeyStatusBit(t, jwks, p.URL, statusURI, idx)
	if bit != 1 {
		t.Errorf("status bit %d after revoking: got %d, want 1 (revoked)", idx, bit)
	}
	if etag2 == etag {
		t.Errorf("status list ETag after revoking: got %s again, want a new one", etag2)
	}
	if got := apiKeyConditionalGet(t, statusURI, etag); got != http.StatusOK {
		t.Errorf("status list with the old ETag in If-None-Match: got %d, want 200 (it changed)", got)
	}
	if got := apiKeyConditionalGet(t, statusURI, etag2); got != http.StatusNotModified {
		t.Errorf("status list with the new ETag in If-None-Match: got %d, want 304", got)
	}

	// 8. "Revoke a leaked key": a second key, pasted back from the page's text. A key
	// with a forged signature, and garbage, revoke nothing (422 with an error).
	b.do(t, "fill in the key form",
		chromedp.SendKeys(chromedp.CSS(testid("key-name")), "leaky"),
		chromedp.Click(chromedp.CSS(testid("key-scope")+`[value="write"]`)),
	)
	b.submit(t, "create the key leaky", testid("create-key"), http.StatusOK)
	b.do(t, "wait for the new key", chromedp.WaitVisible(chromedp.CSS(testid("shown-once")+" "+testid("secret"))))
	leaky := b.textContent(t, testid("secret"))
	leakyID := b.textContent(t, testid("new-key-id"))
	b.done(t, "done with the key leaky", keysPath, "")
	if leaky == key || leakyID == newKeyID || strings.Count(leaky, ".") != 2 {
		t.Fatalf("second key: got %q (id %s), want a new JWT", leaky, leakyID)
	}
	var leakyClaims struct {
		jwt.Claims
		Scope  string `json:"scope"`
		Status struct {
			StatusList struct {
				Idx int    `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	apiKeyVerify(t, jwks, leaky, "apikey+jwt", &leakyClaims)
	if leakyClaims.Scope != "write" || leakyClaims.ID != leakyID {
		t.Errorf("second key claims: got scope %q jti %q, want \"write\" and %s", leakyClaims.Scope, leakyClaims.ID, leakyID)
	}

	revokeByValueURL := keysURL + "/revoke-by-value"
	b.expectErrorStatus(revokeByValueURL) // the 422s below are intended
	paste := func(step, value string, want int64) {
		t.Helper()
		if b.count(t, testid("revoke-by-value")+"[open]") == 0 {
			b.do(t, "open \"Revoke a leaked key\"", chromedp.Click(chromedp.CSS(testid("revoke-by-value")+" > summary")))
		}
		// A paste is one insertion of the whole text, which Input.insertText does
		// (typing a JWT key by key takes seconds).
		b.do(t, step+": focus the input",
			chromedp.WaitVisible(chromedp.CSS(testid("revoke-by-value-input"))),
			// (chromedp.Clear fails on a textarea without text, and SetValue with "".)
			chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="revoke-by-value-input"]').value = ""`),
			chromedp.Focus(chromedp.CSS(testid("revoke-by-value-input"))),
		)
		if _, err := chromedp.Call(b.ctx, input.InsertText, input.InsertTextParams{Text: value}); err != nil {
			t.Fatalf("%s: inserting the text: %v", step, err)
		}
		if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(testid("revoke-by-value-input")))); err != nil || got != value {
			t.Fatalf("%s: got %q (%v) in the input, want %q", step, got, err, value)
		}
		wantQuestion := "Revoke the pasted key? Every API rejects it within a minute."
		if got := b.confirm(t, step, "revoke-by-value-submit", want); got != wantQuestion {
			t.Errorf("%s: got the question %q, want %q", step, got, wantQuestion)
		}
		b.do(t, step+": wait for the answer", chromedp.WaitVisible(chromedp.CSS(testid("revoke-by-value"))))
	}
	sig := []byte(leaky[strings.LastIndex(leaky, ".")+1:])
	if sig[5] == 'A' { // another letter of the base64url alphabet, all 6 bits of which count
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	forged := leaky[:strings.LastIndex(leaky, ".")+1] + string(sig)
	for _, bad := range []struct{ name, value string }{{"garbage", "this is not a key"}, {"a forged signature", forged}} {
		paste("paste "+bad.name, bad.value, http.StatusUnprocessableEntity)
		if got := b.textContent(t, testid("revoke-by-value-error")); !strings.Contains(got, "not an API key of this project") {
			t.Errorf("pasting %s: got error %q, want it to say it is not an API key of this project", bad.name, got)
		}
		if got := b.count(t, testid("revoke-by-value-done")); got != 0 {
			t.Errorf("pasting %s: got %d revoke-by-value-done, want none", bad.name, got)
		}
		if got := b.attr(t, testid("revoke-by-value-input"), "aria-invalid"); got != "true" {
			t.Errorf("pasting %s: got aria-invalid %q on the input, want \"true\"", bad.name, got)
		}
		if got := apiKeyRowStatus(t, b, leakyID); got != "active" {
			t.Errorf("pasting %s: got leaky's status %q, want \"active\" (nothing revoked)", bad.name, got)
		}
	}
	paste("paste the leaked key", leaky, http.StatusOK)
	if got := b.location(t).String(); got != revokeByValueURL {
		t.Errorf("after revoking by value: got %s, want %s", got, revokeByValueURL)
	}
	if got := b.textContent(t, testid("revoke-by-value-done")); !strings.Contains(got, leakyID) {
		t.Errorf("revoke-by-value-done: got %q, want it to name %s", got, leakyID)
	}
	if got := b.count(t, testid("revoke-by-value-error")); got != 0 {
		t.Errorf("after revoking by value: got %d revoke-by-value-error, want none", got)
	}
	if got := apiKeyRowStatus(t, b, leakyID); got != "revoked" {
		t.Errorf("leaky's status after revoking by value: got %q, want \"revoked\"", got)
	}
	if got := apiKeyRowStatus(t, b, newKeyID); got != "revoked" {
		t.Errorf("ci's status after revoking leaky: got %q, want \"revoked\"", got)
	}
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none", got)
	}
	if bit, _ := apiKeyStatusBit(t, jwks, p.URL, leakyClaims.Status.StatusList.URI, leakyClaims.Status.StatusList.Idx); bit != 1 {
		t.Errorf("leaky's status bit %d after revoking by value: got %d, want 1", leakyClaims.Status.StatusList.Idx, bit)
	}
	b.open(t, keysURL, http.StatusOK)
	if got := b.texts(t, testid("key-status")); !slices.Equal(got, []string{"revoked", "revoked"}) {
		t.Errorf("key statuses on the API keys page at the end: got %q, want both revoked", got)
	}

	// 9. No page misbehaved, and the portal served no 5xx.
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}

// apiKeyRowStatus returns the status shown in the key row of the key id on the page,
// or "" when the page has no such row.
func apiKeyRowStatus(t *testing.T, b *browser, id string) string {
	t.Helper()
	got := b.texts(t, `[data-testid="key-row"][data-key-id=`+strconv.Quote(id)+`] [data-testid="key-status"]`)
	if len(got) == 0 {
		return ""
	}
	return got[0]
}

// apiKeyHTTP is the client of the checks made outside the browser: no cookies, no
// redirects followed.
var apiKeyHTTP = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// apiKeyGet fetches url with the headers (name, value pairs) and returns the
// response with its body read.
func apiKeyGet(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := apiKeyHTTP.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return res, body
}

// apiKeyHeader decodes the JOSE header of a compact JWS without verifying anything,
// as an API does first to pick the key.
func apiKeyHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		t.Fatalf("key: got %q, want a JWT of three dot-separated parts", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatalf("key header %q: %v", parts[0], err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("key header %s: %v", raw, err)
	}
	return h
}

// apiKeyJWKS fetches the portal's public keys.
func apiKeyJWKS(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	res, body := apiKeyGet(t, base+"/.well-known/jwks.json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.json: got %s, want 200", res.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("GET /.well-known/jwks.json: %v in %s", err, body)
	}
	if len(set.Keys) == 0 {
		t.Fatalf("GET /.well-known/jwks.json: got no keys")
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("GET /.well-known/jwks.json: got a private key (kid %s)", k.KeyID)
		}
	}
	return set
}

// apiKeyVerify verifies token as a relying party does: a compact JWS of type typ,
// signed with ES256, EdDSA or RS256 by the JWKS key its kid names (with that key's
// algorithm), and decodes its claims into out.
func apiKeyVerify(t *testing.T, jwks jose.JSONWebKeySet, token, typ string, out any) {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("parsing the %s %q: %v", typ, token, err)
	}
	if len(tok.Headers) != 1 {
		t.Fatalf("%s: got %d signatures, want 1", typ, len(tok.Headers))
	}
	h := tok.Headers[0]
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); got != typ {
		t.Errorf("%s: got typ %q, want %q", typ, got, typ)
	}
	keys := jwks.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("%s: kid %q names %d keys of the JWKS, want 1", typ, h.KeyID, len(keys))
	}
	if keys[0].Algorithm != h.Algorithm {
		t.Errorf("%s: signed with %s, but the JWKS key %s is for %s", typ, h.Algorithm, h.KeyID, keys[0].Algorithm)
	}
	if err := tok.Claims(keys[0].Key, out); err != nil {
		t.Fatalf("%s: verifying with the JWKS key %s: %v", typ, h.KeyID, err)
	}
}

// apiKeyStatusBit fetches the status list at uri, verifies it with the JWKS and
// returns the bit at idx (the draft's order: index 0 is the least significant bit of
// byte 0) and the list's ETag.
func apiKeyStatusBit(t *testing.T, jwks jose.JSONWebKeySet, issuer, uri string, idx int) (int, string) {
	t.Helper()
	res, body := apiKeyGet(t, uri, "Accept", "application/statuslist+jwt")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %s, want 200", uri, res.Status)
	}
	if got := res.Header.Get("Content-Type"); got != "application/statuslist+jwt" {
		t.Errorf("GET %s: got Content-Type %q, want application/statuslist+jwt", uri, got)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Errorf("GET %s: got no ETag, want one", uri)
	}
	var claims struct {
		jwt.Claims
		TTL        int64 `json:"ttl"`
		StatusList struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		} `json:"status_list"`
	}
	apiKeyVerify(t, jwks, string(body), "statuslist+jwt", &claims)
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Subject: uri, Time: time.Now()}, time.Minute); err != nil {
		t.Errorf("status list %s claims %+v: %v", uri, claims.Claims, err)
	}
	if claims.StatusList.Bits != 1 || claims.TTL <= 0 {
		t.Errorf("status list %s: got bits %d and ttl %d, want 1 bit and a ttl", uri, claims.StatusList.Bits, claims.TTL)
	}
	z, err := base64.RawURLEncoding.DecodeString(claims.StatusList.Lst)
	if err != nil {
		t.Fatalf("status list %s: lst is not base64url: %v", uri, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("status list %s: lst is not zlib: %v", uri, err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("status list %s: inflating lst: %v", uri, err)
	}
	if idx/8 >= len(bits) {
		t.Fatalf("status list %s: got %d bytes, want index %d in it", uri, len(bits), idx)
	}
	return int(bits[idx/8]>>(idx%8)) & 1, etag
}

// apiKeyConditionalGet fetches url with If-None-Match: etag and returns the status.
func apiKeyConditionalGet(t *testing.T, url, etag string) int {
	t.Helper()
	res, _ := apiKeyGet(t, url, "If-None-Match", etag)
	return res.StatusCode
}
