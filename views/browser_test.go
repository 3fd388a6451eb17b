package views

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gatehouse-dev/gatehouse/static"
)

// testCSP is as strict as the portal's policy is expected to be.
const testCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// findChromium returns a Chromium/Chrome binary, or "" when none is installed.
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

// consoleMarks lets a test wait until a page's console messages have all reached the
// goroutine that collects them, without guessing how long that takes: flush writes a
// mark to the console and waits until the collector, which passes every message to
// seen, has seen it. The browser sends a tab's console events in order, so every
// message written before the mark has then been collected.
type consoleMarks struct {
	mu      sync.Mutex
	n       int
	pending map[string]chan struct{}
}

// seen reports whether m is a mark written by flush, and tells flush it has arrived.
func (c *consoleMarks) seen(m chromedp.ConsoleMessage) bool {
	if m.Type != chromedp.ConsoleLog {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	arrived, ok := c.pending[m.Text]
	if ok {
		close(arrived)
		delete(c.pending, m.Text)
	}
	return ok
}

// flush writes a mark to the console of ctx's tab and waits, for 10 s at most, until
// seen has been called with it.
func (c *consoleMarks) flush(ctx context.Context) error {
	c.mu.Lock()
	c.n++
	mark := fmt.Sprintf("__barrier__%d", c.n)
	arrived := make(chan struct{})
	if c.pending == nil {
		c.pending = make(map[string]chan struct{})
	}
	c.pending[mark] = arrived
	c.mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.log(%q)", mark))); err != nil {
		return fmt.Errorf("writing the mark %s: %w", mark, err)
	}
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	select {
	case <-arrived:
		return nil
	case <-deadline.C:
		return fmt.Errorf("the mark %s, written to the console, did not arrive within 10 s", mark)
	case <-ctx.Done():
		return fmt.Errorf("waiting for the mark %s: %w", mark, ctx.Err())
	}
}

// TestBrowserBehaviour loads a rendered page with the embedded assets in headless
// Chromium under a strict CSP and checks app.js: no CSP violation or JS error,
// no htmx (neither loaded nor requested), copy buttons, two-step confirmations
// (ConfirmButton), and that the layout's sign-out form posts the CSRF token as the
// _csrf field.
func TestBrowserBehaviour(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChromium()
	if chrome == "" {
		t.Skip("no Chromium installed")
	}

	var (
		mu              sync.Mutex
		confirmed       int
		confirmedMethod string
		assets          []string // paths the browser asked /static/ for
		signOutForm     string   // the _csrf field the sign-out form posted
		signOutCalls    int
	)
	pg := Page{Title: "Browser", User: &CurrentUser{Name: "Ada", Email: "ada@example.com"}, CSRF: "tok-123", DevSignIn: true,
		Flashes: []Flash{{Kind: "info", Message: "Hello"}}}
	// A destructive form as the pages render it: its submit is a ConfirmButton.
	const question = "Revoke API key ci? Every API will reject it within a minute."
	confirmForm := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, `<form method="post" action="/confirmed" id="confirm-form">`); err != nil {
			return err
		}
		if err := ConfirmButton(Confirm{Label: "Revoke", Hidden: "ci", Question: question, TestID: "confirm-go"}).Render(ctx, w); err != nil {
			return err
		}
		_, err := io.WriteString(w, `</form>`)
		return err
	})
	body := templ.Join(
		CopyBox("cid", "gh_client_0123456789", "client-id"),
		confirmForm,
	)
	mux := http.NewServeMux()
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static.FS)))
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		assets = append(assets, r.URL.Path)
		mu.Unlock()
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", testCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := Layout(pg).Render(templ.WithChildren(r.Context(), body), w); err != nil {
			t.Errorf("rendering the page: %v", err)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		signOutCalls++
		signOutForm = r.PostFormValue("_csrf")
		mu.Unlock()
		w.Header().Set("Content-Security-Policy", testCSP)
		fmt.Fprintf(w, `<!doctype html><title>signed out</title><p id="signed-out">signed out</p>`)
	})
	mux.HandleFunc("/confirmed", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		confirmed++
		confirmedMethod = r.Method
		mu.Unlock()
		w.Header().Set("Content-Security-Policy", testCSP)
		fmt.Fprintf(w, `<!doctype html><title>done</title><p id="done">done</p>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser before anything else, without the test's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Collect every console message (CSP violations, errors, exceptions).
	var (
		consoleLog []string
		marks      consoleMarks
	)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if marks.seen(m) {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				consoleLog = append(consoleLog, fmt.Sprintf("%s (%s)", m, m.URL))
				mu.Unlock()
			}
		}
	}()
	defer func() {
		if err := marks.flush(ctx); err != nil {
			t.Errorf("browser console: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, m := range consoleLog {
			t.Errorf("browser console: %s", m)
		}
	}()
	// No page opens a dialog (confirmations are in the page): any one is counted, and
	// dismissed so the test does not hang on it.
	var dialogCount int
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			mu.Lock()
			dialogCount++
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, _ = chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted,
			Origin:     srv.URL,
		})
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/page"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="client-id"]`)),
	); err != nil {
		t.Fatalf("load: %v", err)
	}
	// (a) Once the page and everything it loads are in, app.js is there and htmx is not:
	// the browser never asked for it.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for the page to finish loading: %v", err)
	}
	if present, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`"htmx" in window || document.querySelector('script[src*="htmx"], meta[name="htmx-config"]') !== null`)); err != nil {
		t.Fatalf("looking for htmx: %v", err)
	} else if present {
		t.Error("htmx is on the page, want it gone")
	}
	mu.Lock()
	if !slices.Contains(assets, "/static/js/app.js") {
		t.Errorf("assets requested: %q, want /static/js/app.js among them", assets)
	}
	for _, a := range assets {
		if strings.Contains(a, "htmx") {
			t.Errorf("the browser requested %s, want no htmx", a)
		}
	}
	mu.Unlock()

	// (b) Copy button: the label changes and the clipboard holds the value.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-copy-target="cid"]`))); err != nil {
		t.Fatalf("copy click: %v", err)
	}
	label, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const t = document.querySelector('button[data-copy-target="cid"]').textContent; return t === "Copy" ? false : t })()`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("copy label: %v", err)
	}
	if label != "Copied" {
		t.Errorf("copy button label = %q, want Copied", label)
	} else if clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err == nil && clip != "gh_client_0123456789" {
		t.Errorf("clipboard = %q", clip)
	}

	// (c) Two-step confirmation (ConfirmButton, a <details>): the button that sends the
	// form is out of sight until the first one is pressed; pressing it shows the question
	// and the second button; Escape closes it again and gives focus back to the first;
	// the second one sends the form. No dialog, no script needed to open it.
	const (
		details = `[data-testid="confirm-go-confirm"]`
		first   = `[data-testid="confirm-go-open"]`
		second  = `[data-testid="confirm-go"]`
	)
	// state says whether the confirmation is open, whether the second button is rendered
	// (a closed <details> hides its content with content-visibility, so offsetParent is
	// no guide: checkVisibility is), whether a click at its place would reach it, and
	// the question when it is visible.
	state := fmt.Sprintf(`(() => {
		const d = document.querySelector(%q), b = document.querySelector(%q), q = d.querySelector('[data-testid="confirm-question"]');
		(b.checkVisibility() ? b : d).scrollIntoView({block: "center"});
		const r = b.getBoundingClientRect(), hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return (d.open ? "open" : "closed") + " " + (b.checkVisibility() ? "shown" : "hidden") + " " +
			(hit === b ? "clickable" : "unclickable") + " " + (q.checkVisibility() ? q.textContent : "");
	})()`, details, second)
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](state)); err != nil {
		t.Fatalf("confirm state: %v", err)
	} else if got != "closed hidden unclickable " {
		t.Errorf("before opening: %q, want the second button hidden and unclickable", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(first)), chromedp.WaitVisible(chromedp.CSS(second))); err != nil {
		t.Fatalf("opening the confirmation: %v", err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](state)); err != nil {
		t.Fatalf("confirm state: %v", err)
	} else if want := "open shown clickable " + question; got != want {
		t.Errorf("after opening: %q, want %q", got, want)
	}
	mu.Lock()
	if confirmed != 0 {
		t.Errorf("opening the confirmation sent the form (%d POSTs)", confirmed)
	}
	mu.Unlock()

	// Escape, with the focus in the open panel, closes it; the first button has the focus.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(second), kb.Escape)); err != nil {
		t.Fatalf("escape: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`!document.querySelector(%q).open`, details),
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("Escape did not close the confirmation: %v", err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](state)); err != nil || got != "closed hidden unclickable " {
		t.Errorf("after Escape: %q (%v), want the second button hidden again", got, err)
	}
	if focused, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, first))); err != nil || !focused {
		t.Errorf("after Escape the first button has no focus (%v)", err)
	}
	mu.Lock()
	if confirmed != 0 {
		t.Errorf("Escape sent the form (%d POSTs)", confirmed)
	}
	mu.Unlock()

	// Open it again and answer yes: the form is sent.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(first)),
		chromedp.WaitVisible(chromedp.CSS(second)),
		chromedp.Click(chromedp.CSS(second)),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("confirming: %v", err)
	}
	mu.Lock()
	if confirmed != 1 || confirmedMethod != http.MethodPost || dialogCount != 0 {
		t.Errorf("after confirming: %d submits (%s), %d dialogs; want 1 POST, no dialog", confirmed, confirmedMethod, dialogCount)
	}
	mu.Unlock()

	// (d) The CSRF token travels as the _csrf form field: the layout's sign-out form
	// posts the page's token.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/page"),
		chromedp.Click(chromedp.CSS(`[data-testid="sign-out"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("signed-out")),
	); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	mu.Lock()
	if signOutCalls != 1 || signOutForm != "tok-123" {
		t.Errorf("sign-out posts: %d with _csrf %q; want 1 with tok-123", signOutCalls, signOutForm)
	}
	mu.Unlock()
}
