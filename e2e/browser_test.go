package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// browserTimeout bounds every browser action of a test (under the race detector,
	// with the other e2e tests running beside it).
	browserTimeout = 3 * time.Minute
	// browserLifetime bounds the browser process as a whole, start and close included.
	browserLifetime = 4 * time.Minute
	// chromiumMissing explains a skipped browser test, chromiumRequired a failed one
	// (GATEHOUSE_E2E=require).
	chromiumMissing  = "Chromium not found: browser test skipped (apt-get install chromium; GATEHOUSE_E2E=require makes this fail)"
	chromiumRequired = "Chromium not found and GATEHOUSE_E2E=require: browser test failed (apt-get install chromium, or set CHROME_PATH; unset GATEHOUSE_E2E to skip instead)"
)

// findChromium returns a Chromium/Chrome binary, or "" when none is installed. As in
// the views package's browser test, CHROME_PATH wins over the PATH lookup.
func findChromium() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireChromium returns the Chromium binary, or skips the test (fails it with
// GATEHOUSE_E2E=require) when there is none; it also skips in -short mode.
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChromium()
	if chrome == "" {
		if os.Getenv("GATEHOUSE_E2E") == "require" {
			t.Fatal(chromiumRequired)
		}
		t.Skip(chromiumMissing)
	}
	return chrome
}

// browser is a headless Chromium with one tab.
type browser struct {
	// ctx runs actions in the tab; it ends after browserTimeout.
	ctx context.Context

	mu       sync.Mutex
	problems []string        // console errors, CSP violations and uncaught exceptions
	notes    []string        // console errors that are not the page's fault (see isFaviconMiss)
	expected map[string]bool // URLs whose 4xx "Failed to load resource" is intended (see expectErrorStatus)
	dialogs  []string        // messages of the JavaScript dialogs that were accepted (there should be none)

	marks   int                      // console marks written so far (see flushConsole)
	pending map[string]chan struct{} // console marks written and not yet seen, closed when seen
}

// newBrowser starts headless Chromium with a fresh profile, records every console
// error, CSP violation and uncaught exception of its pages, and accepts and records
// every JavaScript dialog (the portal has none left: destructive actions confirm in
// two steps on the page, see confirm, and tests check acceptedDialogs is empty). It
// closes the browser, reaps its processes and removes the profile when the test ends.
func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	profile, err := os.MkdirTemp("", "gatehouse-e2e-chromium-")
	if err != nil {
		t.Fatalf("creating the Chromium profile directory: %v", err)
	}
	var chromeOut syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		// Chromium's sandbox does not work as root (nor in most containers); the
		// browser only visits the portal this test started.
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&chromeOut),
	)
	life, cancelLife := context.WithTimeout(context.Background(), browserLifetime)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		closeCtx, cancel := context.WithTimeout(tab, 10*time.Second)
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing Chromium: %v", err)
		}
		cancel()
		cancelTab()
		cancelAlloc()
		cancelLife()
		reapChromium(t, profile)
		if err := removeAllRetry(profile, 5*time.Second); err != nil {
			t.Errorf("removing the Chromium profile: %v", err)
		}
		if t.Failed() {
			t.Logf("Chromium output (without D-Bus noise):\n%s", withoutLines(chromeOut.String(), "dbus/"))
		}
	})
	// Start the browser and open the tab under browserLifetime only: the first call
	// binds the browser's life to its context, and the action timeout below must end
	// the actions, not kill the browser before the cleanup closes it.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chrome, err)
	}
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx}

	// Console joins runtime.ExceptionThrown, log.EntryAdded (chromedp enables the Log
	// domain for every tab) and console API calls. A CSP violation is a log entry of
	// level error; a report-only one is a warning that names the policy.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if b.sawMark(m) {
				continue
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() && !strings.Contains(m.Text, "Content Security Policy") {
				continue
			}
			desc := fmt.Sprintf("%s [source %q, url %s]", m, m.Source, m.URL)
			b.mu.Lock()
			if isFaviconMiss(m) || (m.Source == "network" && b.expected[m.URL]) {
				b.notes = append(b.notes, desc)
			} else {
				b.problems = append(b.problems, desc)
			}
			b.mu.Unlock()
		}
	}()
	// A dialog (confirm(), alert()) would block the page, and with it the click that
	// opened it, so a second goroutine accepts it and records it for acceptedDialogs.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("accepting the dialog %q: %v", ev.Message, err))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs actions in the tab; step says what for in the failure message, which also
// gives the tab's location.
func (b *browser) do(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		t.Fatalf("%s: %v (browser at %s)", step, err, loc)
	}
}

// location returns the URL of the tab's page.
func (b *browser) location(t *testing.T) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parsing the location %q: %v", loc, err)
	}
	return u
}

// text returns the rendered text of the first element that matches the CSS selector.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading the text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// count returns how many elements match the CSS selector now, without waiting.
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.querySelectorAll("+strconv.Quote(sel)+").length"))
	if err != nil {
		t.Fatalf("counting %s: %v", sel, err)
	}
	return n
}

// expectErrorStatus declares that the portal answers url with a 4xx on purpose (a
// used invitation link is 410 Gone, say): Chromium logs "Failed to load resource" as a
// console error for every document loaded with an error status, and checkConsole is to
// tolerate it for this url.
func (b *browser) expectErrorStatus(url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.expected == nil {
		b.expected = make(map[string]bool)
	}
	b.expected[url] = true
}

// isFaviconMiss reports whether m is the browser's own failed request for
// /favicon.ico. A browser asks for it on every page without a <link rel="icon">,
// which the development provider's pages do not have; the portal answers 404.
func isFaviconMiss(m chromedp.ConsoleMessage) bool {
	u, err := url.Parse(m.URL)
	return err == nil && m.Source == "network" && u.Path == "/favicon.ico"
}

// sawMark reports whether m is a mark written by flushConsole, and tells it the mark
// has arrived.
func (b *browser) sawMark(m chromedp.ConsoleMessage) bool {
	if m.Type != chromedp.ConsoleLog {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	arrived, ok := b.pending[m.Text]
	if ok {
		close(arrived)
		delete(b.pending, m.Text)
	}
	return ok
}

// flushConsole waits until every console message the tab has written so far has reached
// the goroutine that records them, without guessing how long that takes: it writes a
// mark to the console and waits (10 s at most) until that goroutine has seen it. The
// browser sends a tab's console events in order, so everything before the mark has
// then been recorded.
func (b *browser) flushConsole() error {
	b.mu.Lock()
	b.marks++
	mark := fmt.Sprintf("__barrier__%d", b.marks)
	arrived := make(chan struct{})
	if b.pending == nil {
		b.pending = make(map[string]chan struct{})
	}
	b.pending[mark] = arrived
	b.mu.Unlock()
	if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void]("console.log("+strconv.Quote(mark)+")")); err != nil {
		return fmt.Errorf("writing the mark %s: %w", mark, err)
	}
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	select {
	case <-arrived:
		return nil
	case <-deadline.C:
		return fmt.Errorf("the mark %s, written to the console, did not arrive within 10 s", mark)
	case <-b.ctx.Done():
		return fmt.Errorf("waiting for the mark %s: %w", mark, b.ctx.Err())
	}
}

// checkConsole fails the test for every console error, CSP violation, uncaught
// exception or dialog failure seen so far, and logs the tolerated ones.
func (b *browser) checkConsole(t *testing.T) {
	t.Helper()
	if err := b.flushConsole(); err != nil {
		t.Errorf("browser console: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser console: got %s, want no errors", p)
	}
	for _, n := range b.notes {
		t.Logf("browser console (tolerated): %s", n)
	}
	b.problems, b.notes = nil, nil
}

// acceptedDialogs returns the messages of the dialogs accepted so far.
func (b *browser) acceptedDialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// testid is the CSS selector of the elements with the data-testid id.
func testid(id string) string { return `[data-testid="` + id + `"]` }

// load runs actions that make the tab load a page (navigate, follow a link, submit a
// form, redirects included), waits until it has loaded and returns the HTTP status of
// its document. It fails the test when the page does not load or when want is not 0
// and the status differs; want 0 accepts any status below 500.
func (b *browser) load(t *testing.T, step string, want int64, actions ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		t.Fatalf("%s: %v (browser at %s)", step, err, loc)
	}
	if resp == nil {
		t.Fatalf("%s: the page loaded without an HTTP response (browser at %s)", step, b.location(t))
	}
	switch {
	case want != 0 && resp.Status != want:
		t.Fatalf("%s: got HTTP %d %s at %s, want %d", step, resp.Status, resp.StatusText, resp.URL, want)
	case resp.Status >= 500:
		t.Fatalf("%s: got HTTP %d %s at %s, want no server error", step, resp.Status, resp.StatusText, resp.URL)
	}
	return resp.Status
}

// open navigates the tab to url and returns the status as load does.
func (b *browser) open(t *testing.T, url string, want int64) int64 {
	t.Helper()
	return b.load(t, "open "+url, want, chromedp.Navigate(url))
}

// submit clicks the first element that matches sel (a link or a submit button) and
// returns the status of the page that loads, as load does.
func (b *browser) submit(t *testing.T, step, sel string, want int64) int64 {
	t.Helper()
	return b.load(t, step, want, chromedp.Click(chromedp.CSS(sel)))
}

// confirm sends a form through its two-step confirmation (views.ConfirmButton) as a
// person does, and returns the question it asked: the final submit button
// [data-testid=id] (the first on the page) must not be rendered before; clicking
// [data-testid=id-open] must show it, with the question (confirm-question) beside it
// in the same <details>; clicking it then loads the answer, whose status is checked
// as submit does.
func (b *browser) confirm(t *testing.T, step, id string, want int64) string {
	t.Helper()
	return b.confirmIn(t, step, "", id, want)
}

// confirmIn is confirm for the first confirmation inside the first element that
// matches the CSS selector scope (a table row, say); scope "" is the whole page.
func (b *browser) confirmIn(t *testing.T, step, scope, id string, want int64) string {
	t.Helper()
	q := b.openConfirm(t, step, scope, id)
	b.load(t, step+": confirm", want, chromedp.Click(chromedp.CSS(inScope(scope, testid(id)))))
	return q
}

// done follows the Done link of the page that shows a value once (views.ShownOnce) and
// checks that it loads the list the value belongs to: the link is wantPath, with the
// fragment wantFragment when not empty, and the page that loads is wantPath (200).
// A link that differs from the shown-once page's own URL by its fragment alone would
// only scroll that page, leaving the value on screen: that fails the test, which then
// opens the list itself and goes on.
func (b *browser) done(t *testing.T, step, wantPath, wantFragment string) {
	t.Helper()
	href, err := url.Parse(b.attr(t, testid("shown-once-done"), "href"))
	if err != nil || href.Path != wantPath || href.Fragment != wantFragment {
		want := &url.URL{Path: wantPath, Fragment: wantFragment}
		t.Errorf("%s: got the Done link %v (%v), want %s", step, href, err, want)
	}
	before := b.location(t)
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(testid("shown-once-done"))))
	switch {
	case err != nil:
		t.Fatalf("%s: following Done: %v (browser at %s)", step, err, b.location(t))
	case resp == nil:
		t.Errorf("%s: Done (%v) loaded no page: it differs from the URL of the page that shows the value (%s) by its fragment alone, "+
			"so the browser only scrolled that page, the value stays on screen and the list is not shown", step, href, before)
		list := *before
		list.Path, list.RawQuery, list.Fragment = wantPath, "", ""
		b.open(t, list.String(), http.StatusOK)
	case resp.Status != http.StatusOK:
		t.Errorf("%s: Done loaded %s with HTTP %d, want 200", step, resp.URL, resp.Status)
	}
	if got := b.location(t).Path; got != wantPath {
		t.Errorf("%s: after Done the browser is at %s, want %s", step, b.location(t), wantPath)
	}
	if got := b.count(t, testid("shown-once")); got != 0 {
		t.Errorf("%s: after Done the page still shows the value once (%d shown-once), want the list", step, got)
	}
}

// inScope is the CSS selector of the elements that match sel inside those that match
// scope ("" for anywhere).
func inScope(scope, sel string) string {
	if scope == "" {
		return sel
	}
	return scope + " " + sel
}

// renderedJS is a JavaScript function of an element that tells whether the browser
// renders it: offsetParent is not null (no display: none on it or above it) and
// checkVisibility() holds. The second test is the one that counts inside a closed
// <details>: Chromium lays its content out under content-visibility: hidden, so that
// it keeps boxes, client rects and an offsetParent (and chromedp's WaitVisible, which
// looks at those, takes it for visible), but it is not painted.
const renderedJS = `(e => e.offsetParent !== null && e.checkVisibility())`

// renderState says whether the first element that matches sel is "missing", "hidden"
// (in the DOM but not rendered, see renderedJS, as inside a closed <details>) or
// "visible".
func (b *browser) renderState(t *testing.T, sel string) string {
	t.Helper()
	js := `(e => e === null ? "missing" : ` + renderedJS + `(e) ? "visible" : "hidden")(document.querySelector(` + strconv.Quote(sel) + `))`
	state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("looking at %s: %v", sel, err)
	}
	return state
}

// waitRendered waits (10 s at most) until the first element that matches sel is
// rendered (renderedJS) when rendered is true, or is not when it is false.
func (b *browser) waitRendered(t *testing.T, step, sel string, rendered bool) {
	t.Helper()
	js := `(e => e !== null && ` + renderedJS + `(e) === ` + strconv.FormatBool(rendered) + `)(document.querySelector(` + strconv.Quote(sel) + `))`
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s: waiting for %s to be %s: %v (it is %s)", step, sel, map[bool]string{true: "shown", false: "hidden"}[rendered], err, b.renderState(t, sel))
	}
}

// openConfirm opens the first two-step confirmation id inside scope (see confirmIn)
// without confirming it, and returns its question: the final button must be hidden
// before and visible after, and its <details> open.
func (b *browser) openConfirm(t *testing.T, step, scope, id string) string {
	t.Helper()
	final := inScope(scope, testid(id))
	if got := b.renderState(t, final); got != "hidden" {
		t.Fatalf("%s: before opening the confirmation, %s is %s, want hidden (the second step)", step, final, got)
	}
	b.do(t, step+": open the confirmation", chromedp.Click(chromedp.CSS(inScope(scope, testid(id+"-open")))))
	b.waitRendered(t, step+": open the confirmation", final, true)
	js := `(b => { const d = b.closest("details.confirm"); const q = d && d.querySelector('[data-testid="confirm-question"]');
		return d && d.open && q ? q.textContent : ""; })(document.querySelector(` + strconv.Quote(final) + `))`
	q, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: reading the question: %v", step, err)
	}
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		t.Fatalf("%s: %s is visible, but not in an open details.confirm with a confirm-question", step, final)
	}
	return q
}

// textContent returns the trimmed text content of the first element that matches the
// CSS selector: the text of the DOM, unlike text, which gives the rendered text (a
// role badge's "owner" renders as "Owner").
func (b *browser) textContent(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading the text content of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// texts returns the trimmed text content of every element that matches the CSS
// selector now, without waiting.
func (b *browser) texts(t *testing.T, sel string) []string {
	t.Helper()
	js := "Array.from(document.querySelectorAll(" + strconv.Quote(sel) + "), e => e.textContent.trim())"
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("reading the texts of %s: %v", sel, err)
	}
	return out
}

// attr returns the attribute name of the first element that matches the CSS selector
// now, and "" when there is no such element or attribute.
func (b *browser) attr(t *testing.T, sel, name string) string {
	t.Helper()
	js := "document.querySelector(" + strconv.Quote(sel) + ")?.getAttribute(" + strconv.Quote(name) + ") ?? ''"
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("reading the attribute %s of %s: %v", name, sel, err)
	}
	return v
}

// signInDev fills in the development provider's form, which the tab must be on or be
// loading, with email and, when not empty, name, and submits it. It returns the HTTP
// status of the portal page the sign-in ends on (after the redirects), which must be
// below 500.
func (b *browser) signInDev(t *testing.T, email, name string) int64 {
	t.Helper()
	b.do(t, "fill in the development provider's form",
		chromedp.WaitVisible(chromedp.CSS(testid("dev-email"))),
		chromedp.Clear(chromedp.CSS(testid("dev-email"))),
		chromedp.SendKeys(chromedp.CSS(testid("dev-email")), email),
	)
	if name != "" {
		b.do(t, "fill in the name at the development provider",
			chromedp.Clear(chromedp.CSS(testid("dev-name"))),
			chromedp.SendKeys(chromedp.CSS(testid("dev-name")), name),
		)
	}
	return b.submit(t, "sign in as "+email+" at the development provider", testid("dev-submit"), 0)
}

// expectNoServerErrors fails the test for every request the portal answered with a
// 5xx, as its access log tells.
func expectNoServerErrors(t *testing.T, p *portal) {
	t.Helper()
	for _, line := range strings.Split(p.Log(), "\n") {
		// /readyz answers 503 by design while the portal shuts down or the database is away.
		if strings.Contains(line, "msg=request") && strings.Contains(line, " status=5") && !strings.Contains(line, "path=/readyz status=503") {
			t.Errorf("portal access log: got %q, want no 5xx", line)
		}
	}
}

// TestBrowserSignIn drives the whole development sign-in in headless Chromium against
// the real binary: the sign-in page with the development banner, the development
// provider's form, the dashboard with the new user's personal team, the account page
// with its one session, "Sign out everywhere" through its two-step confirmation, and that
// the account page then asks to sign in again. Signing in again returns to the account
// page with exactly one (new) session. No page may log a console error, CSP violation
// or uncaught exception, and the portal must answer no request with a 5xx.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	// 1. The root of a fresh portal is the sign-in page, with the development banner.
	b.do(t, "open the sign-in page",
		chromedp.Navigate(p.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(testid("sign-in"))),
		chromedp.WaitVisible(chromedp.CSS(testid("dev-banner"))),
	)
	if got := b.location(t).Path; got != "/" {
		t.Errorf("sign-in page path: got %q, want \"/\"", got)
	}

	// 2. The sign-in button leads to the development provider's form.
	b.do(t, "go to the development provider",
		chromedp.Click(chromedp.CSS(testid("sign-in"))),
		chromedp.WaitVisible(chromedp.CSS(testid("dev-email"))),
	)
	if got := b.location(t).Path; !strings.HasPrefix(got, "/dev-oidc/login") {
		t.Errorf("provider form path: got %q, want a /dev-oidc/login… path", got)
	}
	if got := b.text(t, "h1"); !strings.Contains(got, "Development sign-in") {
		t.Errorf("provider form heading: got %q, want it to contain \"Development sign-in\"", got)
	}

	// 3. Signing in as a new user lands on the dashboard with their personal team.
	b.signInDev(t, "ada@example.com", "Ada Lovelace")
	b.do(t, "wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	if got := b.location(t).Path; got != "/" {
		t.Errorf("dashboard path: got %q, want \"/\"", got)
	}
	if got := b.count(t, testid("team-card")); got != 1 {
		t.Errorf("team cards: got %d, want 1", got)
	}
	if got := b.text(t, testid("team-card")); !strings.Contains(got, "Ada Lovelace's team") {
		t.Errorf("team card: got %q, want it to contain \"Ada Lovelace's team\"", got)
	}
	saveScreenshot(t, b, "dashboard.png")

	// 4. The account page shows the email and this one session.
	b.do(t, "open the account page",
		chromedp.Navigate(p.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS(testid("account"))),
	)
	if got := b.text(t, testid("account-email")); got != "ada@example.com" {
		t.Errorf("account email: got %q, want \"ada@example.com\"", got)
	}
	if got := b.text(t, testid("account-name")); got != "Ada Lovelace" {
		t.Errorf("account name: got %q, want \"Ada Lovelace\"", got)
	}
	if got := b.count(t, testid("session-row")); got != 1 {
		t.Errorf("session rows: got %d, want 1", got)
	}
	if got := b.count(t, testid("current-session")); got != 1 {
		t.Errorf("sessions marked current: got %d, want 1", got)
	}

	// 5. "Sign out everywhere" asks for confirmation on the page, then signs out.
	wantQuestion := "Sign out of every session, including this one?"
	if got := b.confirmIn(t, "sign out everywhere", testid("sign-out-everywhere"), "sign-out-everywhere-submit", http.StatusOK); got != wantQuestion {
		t.Errorf("sign out everywhere: got the question %q, want %q", got, wantQuestion)
	}
	b.do(t, "wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(testid("sign-in"))))
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none (the confirmation is on the page)", got)
	}
	if got := b.location(t).Path; got != "/" {
		t.Errorf("path after signing out: got %q, want \"/\"", got)
	}
	if got := b.count(t, testid("user-menu")); got != 0 {
		t.Errorf("user menus after signing out: got %d, want 0", got)
	}
	if got := b.texts(t, testid("flash")); len(got) != 1 || !strings.HasPrefix(got[0], "You are signed out on every device") {
		t.Errorf("notice after signing out everywhere: got %q, want the one that says so", got)
	}
	checkFits(t, b, "signed-out")

	// 6. The account page now sends the browser to sign in again.
	b.do(t, "open the account page signed out",
		chromedp.Navigate(p.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS(testid("dev-email")+", "+testid("sign-in"))),
	)
	loc := b.location(t)
	if loc.Path == "/account" || b.count(t, testid("account")) != 0 {
		t.Fatalf("signed out, /account: got the account page at %s, want a sign-in step", loc)
	}
	if !strings.HasPrefix(loc.Path, "/dev-oidc/login") && loc.Path != "/login" && loc.Path != "/" {
		t.Errorf("signed out, /account: got %s, want the sign-in page or the provider's form", loc)
	}

	// 7. Signing in from there returns to the account page, whose only session is the
	// new one: the old one really ended on the server.
	if b.count(t, testid("dev-email")) == 1 {
		b.signInDev(t, "ada@example.com", "")
		b.do(t, "wait for the account page", chromedp.WaitVisible(chromedp.CSS(testid("account"))))
		if got := b.location(t).Path; got != "/account" {
			t.Errorf("path after signing in again: got %q, want \"/account\"", got)
		}
		if got := b.count(t, testid("session-row")); got != 1 {
			t.Errorf("session rows after signing in again: got %d, want 1", got)
		}
	}

	b.checkConsole(t)
	expectNoServerErrors(t, p)
}

// saveScreenshot takes a full-page PNG of the tab into the test's temporary directory
// and, when GATEHOUSE_E2E_SCREENSHOTS names a directory, into that directory too.
// A failing screenshot is logged, not fatal: it is for humans.
func saveScreenshot(t *testing.T, b *browser, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot %s: got %d bytes that are not a PNG, want a PNG", name, len(png))
		return
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("GATEHOUSE_E2E_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Logf("screenshot %s: %v", name, err)
			continue
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Logf("screenshot %s: %v", name, err)
			continue
		}
		t.Logf("screenshot: %s", path)
	}
}

// saveViewport saves what the window shows (the first screen, not the whole page),
// where saveScreenshot saves (a temporary directory and GATEHOUSE_E2E_SCREENSHOTS).
func saveViewport(t *testing.T, b *browser, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if d := os.Getenv("GATEHOUSE_E2E_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
				t.Logf("screenshot %s: %v", name, err)
			}
		}
	}
}

// fitWidths are the window widths checkFits tries: laptop, desktop, wide desktop and
// phone; screenshotWidths the ones it saves screenshots at.
var (
	fitWidths        = []int64{1280, 1440, 1920, 390}
	screenshotWidths = []int64{1280, 390}
)

// checkFits looks at the page at each of fitWidths: nothing may make it wider than
// the window (a horizontal scrollbar), and no table may be wider than its box. With
// GATEHOUSE_E2E_SCREENSHOTS set it saves a screenshot at each of screenshotWidths
// (see saveScreenshot), named name-WIDTH.png. The window is back at 1280 afterwards.
func checkFits(t *testing.T, b *browser, name string) {
	t.Helper()
	for _, width := range fitWidths {
		if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatalf("%s at %d px: %v", name, width, err)
		}
		over, err := chromedp.Run(b.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			t.Fatalf("%s at %d px: %v", name, width, err)
		}
		if over > 0 {
			// The elements that stick out first: their parent does not.
			wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {`+describeElementJS+`
				const out = e => e.getBoundingClientRect().right > window.innerWidth + 1;
				const first = Array.from(document.querySelectorAll('body *')).
					filter(e => out(e) && e.checkVisibility() && !(e.parentElement && out(e.parentElement))).map(describeElement);
				return Array.from(new Set(first)).slice(0, 6);
			})()`))
			if err != nil {
				t.Fatalf("%s at %d px: %v", name, width, err)
			}
			t.Errorf("%s at %d px: the page is %d px wider than the window; sticking out: %q", name, width, over, wide)
		}
		// Tables fit their boxes too: a column scrolled out of view hides a status or a
		// button as surely as the page would.
		cut, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {`+describeElementJS+`
			return Array.from(document.querySelectorAll('main .overflow-auto')).
			filter(e => e.scrollWidth > e.clientWidth + 1).
			map(e => (s => s ? s.id || s.dataset.testid : '?')(e.closest('section[id], section[data-testid]')) + ': ' + e.scrollWidth + ' > ' + e.clientWidth +
				'; widest cells: ' + Array.from(e.querySelectorAll('td, th')).sort((a, b) => b.scrollWidth - a.scrollWidth).slice(0, 2).map(describeElement).join(', ') +
				'; cut: ' + Array.from(new Set(Array.from(e.querySelectorAll('td, th')).
					filter(c => c.getBoundingClientRect().right > e.getBoundingClientRect().right + 1).map(c => c.dataset.label || c.textContent.trim().slice(0, 20)))).join(', '));
		})()`))
		if err != nil {
			t.Fatalf("%s at %d px: %v", name, width, err)
		}
		if len(cut) > 0 {
			t.Errorf("%s at %d px: tables wider than their boxes (columns out of view): %q", name, width, cut)
		}
		if os.Getenv("GATEHOUSE_E2E_SCREENSHOTS") != "" && slices.Contains(screenshotWidths, width) { // full-page captures are slow: only when asked for
			saveScreenshot(t, b, fmt.Sprintf("%s-%d.png", name, width))
		}
	}
	if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// describeElementJS defines describeElement(e), which names an element in a failure
// message: tag, data-testid, class, width, right edge and the start of its text.
const describeElementJS = `function describeElement(e) {
	const r = e.getBoundingClientRect();
	return e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '') +
		(typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
		' ' + Math.round(r.width) + 'px wide to ' + Math.round(r.right) + ' "' + e.textContent.trim().replace(/\s+/g, ' ').slice(0, 40) + '"';
}
`

// reapChromium waits for the processes that run with the profile directory (Chromium
// passes --user-data-dir to each of its children) to exit after the browser closed,
// and kills the ones still there after five seconds. It reads /proc and does nothing
// where there is none.
func reapChromium(t *testing.T, profile string) {
	t.Helper()
	flag := "--user-data-dir=" + profile
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesWithArg(flag)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("killing Chromium processes left after the browser closed: %v", pids)
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesWithArg returns the ids of the processes with arg on their command line.
func processesWithArg(arg string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range strings.Split(string(cmdline), "\x00") {
			if a == arg {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// removeAllRetry is os.RemoveAll, retried for up to timeout: a Chromium child that
// is still exiting can write into the profile while it is removed.
func removeAllRetry(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := os.RemoveAll(dir)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withoutLines drops the lines of s that contain substr.
func withoutLines(s, substr string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.Contains(line, substr) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
