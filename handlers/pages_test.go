package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, req := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/nope"}, {"GET", "/healthz"}, {"GET", "/static/css/app.css"},
		{"GET", "/teams/"}, {"GET", "/.well-known/jwks.json/"}, {"GET", "/favicon.ico"}, // redirects
		{"GET", "/oauth/token"}, {"DELETE", "/"}, {"HEAD", "/login"}, // 405s, HEAD
		{"POST", "/oauth/token"}, {"GET", "/.well-known/jwks.json"}, {"GET", "/statuslists/nope"},
	} {
		path := req.method + " " + req.path
		res := b.do(req.method, req.path, nil, nil)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe-inline/unsafe-eval: %q", path, csp)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", path)
		}
		if got := res.Header.Get("X-Request-Id"); got == "" {
			t.Errorf("%s: no X-Request-Id", path)
		}
		if got := res.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: HSTS %q on a plain-http portal", path, got)
		}
	}
}

// TestPagesHaveNoInlineScript also checks that the one script a page loads is app.js:
// htmx is gone, and no page mentions it.
func TestPagesHaveNoInlineScript(t *testing.T) {
	e := newEnv(t)
	anonymous := e.browser()
	b := e.browser()
	b.mustSignIn("inline@example.com")
	for _, p := range []struct {
		b    *browser
		path string
	}{{anonymous, "/"}, {b, "/"}, {b, "/account"}, {b, "/teams"}, {b, "/nope"}} {
		path := p.path
		if p.b == anonymous {
			path += " (signed out)"
		}
		d := doc(t, p.b.get(p.path))
		var srcs []string
		d.Find("script").Each(func(_ int, s *goquery.Selection) {
			src, ok := s.Attr("src")
			if !ok || src == "" || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline <script> found", path)
			}
			srcs = append(srcs, src)
		})
		if len(srcs) != 1 || srcs[0] != "/static/js/app.js" {
			t.Errorf("%s: scripts %q, want only /static/js/app.js", path, srcs)
		}
		if n := d.Find("[style]").Length(); n > 0 {
			t.Errorf("%s: %d elements with a style attribute (blocked by the CSP)", path, n)
		}
		html, err := d.Html()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// htmx's script, config and attributes (not "htmx" alone: a random id in the
		// page may hold those four letters).
		for _, trace := range []string{"htmx.min.js", "htmx-config", " hx-"} {
			if strings.Contains(html, trace) {
				t.Errorf("%s: the page holds %q, want no trace of htmx", path, trace)
			}
		}
	}
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	res := b.get("/no/such/page")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /no/such/page = %d, want 404", res.StatusCode)
	}
	d := doc(t, res)
	if got := strings.TrimSpace(d.Find(`[data-testid="error-status"]`).Text()); got != "404" {
		t.Errorf("error page status = %q, want 404", got)
	}
	if got := d.Find(`[data-testid="request-id"]`).Text(); !strings.Contains(got, res.Header.Get("X-Request-Id")) {
		t.Errorf("error page request id = %q, want the response's X-Request-Id %q", got, res.Header.Get("X-Request-Id"))
	}

	res = b.do(http.MethodPost, "/logout", strings.NewReader(strings.Repeat("a", 300<<10)),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized POST = %d, want 413", res.StatusCode)
	}

	res = b.get("/healthz/nope")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /healthz/nope = %d, want 404", res.StatusCode)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		res := b.get(path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, res.StatusCode)
			continue
		}
		var body struct{ Status string }
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.Status != want {
			t.Errorf("GET %s status = %q (%v), want %q", path, body.Status, err, want)
		}
	}
	// With the database closed, the portal is alive but not ready.
	if err := e.store.Close(); err != nil {
		t.Fatalf("closing the database: %v", err)
	}
	if res := b.get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database closed = %d, want 503", res.StatusCode)
	}
	if res := b.get("/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the database closed = %d, want 200", res.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for path, ctype := range map[string]string{
		"/static/css/pico.min.css": "text/css", "/static/css/app.css": "text/css",
		"/static/js/app.js": "javascript", "/static/licenses/pico.LICENSE": "",
	} {
		res := b.get(path)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), ctype)
		}
	}
	// htmx is no longer shipped.
	for _, path := range []string{"/static/nope.js", "/static/js/htmx.min.js", "/static/licenses/htmx.LICENSE"} {
		if res := b.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, res.StatusCode)
		}
	}
}

func TestAccessLogHasNoSecrets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	cb := b.authorize(b.startLogin("/account"), "logs@example.com")
	b.get(cb)
	logs := e.logs.String()
	if !strings.Contains(logs, "path=/auth/callback") {
		t.Fatalf("access log lacks the callback request:\n%s", logs)
	}
	for _, secret := range []string{"code=", "state=", b.cookie(), "portal-secret"} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("access log contains %q", secret)
		}
	}
}
