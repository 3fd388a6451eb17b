package views

import (
	"context"
	"fmt"
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
// no htmx (neither loaded nor requested), copy buttons, data-confirm forms, and that
// the layout's sign-out form posts the CSRF token as the _csrf field.
func TestBrowserBehaviour(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChromium()
	if chrome == "" {
		t.Skip("no Chromium installed")
	}

	var (
		mu           sync.Mutex
		confirmed    int
		assets       []string // paths the browser asked /static/ for
		signOutForm  string   // the _csrf field the sign-out form posted
		signOutCalls int
	)
	pg := Page{Title: "Browser", User: &CurrentUser{Name: "Ada", Email: "ada@example.com"}, CSRF: "tok-123", DevSignIn: true,
		Flashes: []Flash{{Kind: "info", Message: "Hello"}}}
	body := templ.Join(
		CopyBox("cid", "gh_client_0123456789", "client-id"),
		templ.Raw(`<form method="post" action="/confirmed" data-confirm="Really?" id="confirm-form"><button type="submit" id="confirm-btn">Go</button></form>`),
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
	var (
		acceptNext  bool
		dialogCount int
	)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			mu.Lock()
			dialogCount++
			accept := acceptNext
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
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

	// (c) data-confirm: declining keeps the page, accepting submits. Whether a submit
	// goes ahead is decided when its event has been dispatched: a listener on window (the
	// first to see it) records, in a task after the dispatch, whether it was cancelled —
	// so the test knows no POST will follow without waiting to see none arrive.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__submits = []; window.addEventListener("submit", e => setTimeout(() => window.__submits.push(e.defaultPrevented)), true); true`)); err != nil {
		t.Fatalf("submit listener: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("confirm-btn"))); err != nil {
		t.Fatalf("confirm decline: %v", err)
	}
	prevented, err := chromedp.Run(ctx, chromedp.Poll[[]bool](`window.__submits.length ? window.__submits : false`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("waiting for the declined submit event: %v", err)
	}
	if len(prevented) != 1 || !prevented[0] {
		t.Errorf("declined submit events (cancelled?) = %v, want [true]", prevented)
	}
	mu.Lock()
	if dialogCount != 1 || confirmed != 0 {
		t.Errorf("after declining: %d dialogs, %d submits; want 1, 0", dialogCount, confirmed)
	}
	acceptNext = true
	mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("confirm-btn")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("confirm accept: %v", err)
	}
	mu.Lock()
	if dialogCount != 2 || confirmed != 1 {
		t.Errorf("after accepting: %d dialogs, %d submits; want 2, 1", dialogCount, confirmed)
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
