package views

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/gatehouse-dev/gatehouse/static"
)

const (
	xssScript = `<script>alert(1)</script>`
	xssImg    = `"><img src=x onerror=alert(1)>`
	token     = "csrf-token-123"
)

// render renders c (with optional children) and parses the result.
func render(t *testing.T, c templ.Component, children ...templ.Component) (*goquery.Document, string) {
	t.Helper()
	ctx := context.Background()
	if len(children) > 0 {
		ctx = templ.WithChildren(ctx, children[0])
	}
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	html := buf.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, html
}

// checkCSP asserts the markup has nothing a strict CSP would block: no inline
// <script>, no <style> element, no style="" attribute and no on* handler.
func checkCSP(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src, ok := s.Attr("src")
		if !ok || src == "" {
			t.Errorf("inline <script> found: %q", s.Text())
		}
		if strings.TrimSpace(s.Text()) != "" {
			t.Errorf("<script src=%q> has a body: %q", src, s.Text())
		}
	})
	if n := doc.Find("style").Length(); n != 0 {
		t.Errorf("found %d <style> elements", n)
	}
	if n := doc.Find("[style]").Length(); n != 0 {
		t.Errorf("found %d elements with a style attribute", n)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has inline handler %s=%q", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
}

// checkNoInjection asserts no payload became markup: the only <img> allowed is
// the brand favicon, and there is no inline script (checked by checkCSP too).
func checkNoInjection(t *testing.T, doc *goquery.Document) {
	t.Helper()
	checkCSP(t, doc)
	doc.Find("img").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src != "/static/img/favicon.svg" {
			t.Errorf("unexpected <img src=%q>: injected markup", src)
		}
	})
	if n := doc.Find("[onerror]").Length(); n != 0 {
		t.Errorf("found %d elements with onerror", n)
	}
}

func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

func wantCount(t *testing.T, doc *goquery.Document, id string, n int) *goquery.Selection {
	t.Helper()
	s := testID(doc, id)
	if s.Length() != n {
		t.Errorf("data-testid=%q: got %d elements, want %d", id, s.Length(), n)
	}
	return s
}

func signedIn() Page {
	return Page{
		Title: "Dashboard",
		User:  &CurrentUser{Name: "Ada Lovelace", Email: "ada@example.com"},
		CSRF:  token,
	}
}

func TestLayoutSignedIn(t *testing.T) {
	p := signedIn()
	p.DevSignIn = true
	p.Flashes = []Flash{
		{Kind: "success", Message: "Saved."},
		{Kind: "error", Message: "Nope."},
		{Kind: "info", Message: "FYI."},
		{Kind: "weird", Message: "Unknown kind."},
	}
	doc, html := render(t, Layout(p), templ.Raw(`<p id="child">hello</p>`))
	checkCSP(t, doc)

	if !strings.HasPrefix(html, "<!doctype html>") && !strings.HasPrefix(html, "<!DOCTYPE html>") {
		t.Errorf("document does not start with a doctype: %.40q", html)
	}
	if got := doc.Find("title").Text(); got != "Dashboard · Gatehouse" {
		t.Errorf("title = %q", got)
	}
	if got, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); got != token {
		t.Errorf("csrf meta = %q, want %q", got, token)
	}
	if got, _ := doc.Find(`meta[name="viewport"]`).Attr("content"); !strings.Contains(got, "width=device-width") {
		t.Errorf("viewport meta = %q", got)
	}
	cfg, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content")
	for _, want := range []string{`"allowEval":false`, `"allowScriptTags":false`, `"selfRequestsOnly":true`, `"includeIndicatorStyles":false`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("htmx-config %q lacks %s", cfg, want)
		}
	}
	for _, src := range []string{"/static/js/htmx.min.js", "/static/js/app.js"} {
		s := doc.Find(`script[src="` + src + `"]`)
		if s.Length() != 1 {
			t.Errorf("script %s: %d", src, s.Length())
		}
		if _, ok := s.Attr("defer"); !ok {
			t.Errorf("script %s is not deferred", src)
		}
	}
	for _, href := range []string{"/static/css/pico.min.css", "/static/css/app.css"} {
		if doc.Find(`link[rel="stylesheet"][href="`+href+`"]`).Length() != 1 {
			t.Errorf("stylesheet %s missing", href)
		}
	}
	if doc.Find(`link[rel="icon"]`).Length() != 1 {
		t.Error("favicon link missing")
	}

	// Navigation for a signed-in user.
	if got, _ := testID(doc, "brand").Attr("href"); got != "/" {
		t.Errorf("brand href = %q", got)
	}
	if !strings.Contains(testID(doc, "brand").Text(), "Gatehouse") {
		t.Error("brand lacks product name")
	}
	wantCount(t, doc, "nav-dashboard", 1)
	menu := wantCount(t, doc, "user-menu", 1)
	if href, _ := menu.Attr("href"); href != "/account" {
		t.Errorf("user menu href = %q", href)
	}
	if txt := menu.Text(); !strings.Contains(txt, "Ada Lovelace") || !strings.Contains(txt, "ada@example.com") {
		t.Errorf("user menu text = %q", txt)
	}
	out := wantCount(t, doc, "sign-out", 1)
	if m, _ := out.Attr("method"); m != "post" {
		t.Errorf("sign-out method = %q", m)
	}
	if a, _ := out.Attr("action"); a != "/logout" {
		t.Errorf("sign-out action = %q", a)
	}
	if v, _ := out.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != token {
		t.Errorf("sign-out _csrf = %q", v)
	}
	wantCount(t, doc, "nav-sign-in", 0)

	// Banner, flashes and children.
	banner := wantCount(t, doc, "dev-banner", 1)
	if txt := banner.Text(); !strings.Contains(txt, "GATEHOUSE_OIDC_ISSUER") || !strings.Contains(strings.ToLower(txt), "development sign-in") {
		t.Errorf("dev banner text = %q", txt)
	}
	flashes := wantCount(t, doc, "flash", 4)
	wantClass := []string{"flash-success", "flash-error", "flash-info", "flash-info"}
	wantRole := []string{"status", "alert", "status", "status"}
	flashes.Each(func(i int, s *goquery.Selection) {
		if !s.HasClass(wantClass[i]) {
			t.Errorf("flash %d: class %q, want %s", i, s.AttrOr("class", ""), wantClass[i])
		}
		if r := s.AttrOr("role", ""); r != wantRole[i] {
			t.Errorf("flash %d: role %q, want %s", i, r, wantRole[i])
		}
		if s.Text() != p.Flashes[i].Message && strings.TrimSpace(s.Text()) != p.Flashes[i].Message {
			t.Errorf("flash %d: text %q", i, s.Text())
		}
	})
	if doc.Find("main.container #child").Length() != 1 {
		t.Error("children not rendered inside main.container")
	}
	if doc.Find("main.container > .flashes + #child").Length() != 1 {
		t.Error("flashes are not at the top of main")
	}
	if doc.Find("footer").Length() != 1 {
		t.Error("footer missing")
	}
}

func TestLayoutSignedOut(t *testing.T) {
	doc, _ := render(t, Layout(Page{CSRF: token}))
	checkCSP(t, doc)
	if got := doc.Find("title").Text(); got != "Gatehouse" {
		t.Errorf("title = %q", got)
	}
	if href, _ := wantCount(t, doc, "nav-sign-in", 1).Attr("href"); href != "/login" {
		t.Errorf("sign-in link = %q", href)
	}
	wantCount(t, doc, "sign-out", 0)
	wantCount(t, doc, "user-menu", 0)
	wantCount(t, doc, "nav-dashboard", 0)
	wantCount(t, doc, "dev-banner", 0)
	wantCount(t, doc, "flash", 0)
}

func TestLayoutEscapesUser(t *testing.T) {
	for _, payload := range []string{xssScript, xssImg} {
		p := Page{Title: payload, User: &CurrentUser{Name: payload, Email: payload + "@x"}, CSRF: `"><script>x</script>`,
			Flashes: []Flash{{Kind: payload, Message: payload}}}
		doc, _ := render(t, Layout(p))
		checkNoInjection(t, doc)
		if got := doc.Find(".user-name").Text(); got != payload {
			t.Errorf("user name = %q, want the payload as text", got)
		}
		if got, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content"); got != p.CSRF {
			t.Errorf("csrf meta = %q", got)
		}
	}
}

func TestLayoutEmailOnlyUser(t *testing.T) {
	doc, _ := render(t, Layout(Page{User: &CurrentUser{Email: "bob@example.com"}}))
	if got := doc.Find(".user-name").Text(); got != "bob@example.com" {
		t.Errorf("user name = %q", got)
	}
	if doc.Find(".user-email").Length() != 0 {
		t.Error("email shown twice")
	}
}

func TestSignInPage(t *testing.T) {
	doc, _ := render(t, SignInPage(Page{Title: "Sign in", CSRF: token, DevSignIn: true},
		SignInVM{ProviderName: "the development provider"}))
	checkCSP(t, doc)
	if !strings.Contains(doc.Find("h1").Text(), "Sign in to Gatehouse") {
		t.Errorf("headline = %q", doc.Find("h1").Text())
	}
	link := wantCount(t, doc, "sign-in", 1)
	if goquery.NodeName(link) != "a" {
		t.Errorf("sign-in is a <%s>, want <a>", goquery.NodeName(link))
	}
	if doc.Find(`form [data-testid="sign-in"]`).Length() != 0 {
		t.Error("sign-in link is inside a form")
	}
	if href, _ := link.Attr("href"); href != "/login" {
		t.Errorf("href = %q", href)
	}
	if got := strings.TrimSpace(link.Text()); got != "Sign in with the development provider" {
		t.Errorf("label = %q", got)
	}
	wantCount(t, doc, "sign-in-error", 0)
	wantCount(t, doc, "dev-banner", 1)

	returnTo := "/teams/42?tab=keys&x=a b"
	doc, _ = render(t, SignInPage(Page{}, SignInVM{ProviderName: "your company account", ReturnTo: returnTo, Error: "The sign-in was cancelled."}))
	href, _ := testID(doc, "sign-in").Attr("href")
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("parse %q: %v", href, err)
	}
	if u.Path != "/login" || u.Query().Get("return_to") != returnTo || len(u.Query()) != 1 {
		t.Errorf("href = %q", href)
	}
	if got := strings.TrimSpace(wantCount(t, doc, "sign-in-error", 1).Text()); got != "The sign-in was cancelled." {
		t.Errorf("error = %q", got)
	}
	if r, _ := testID(doc, "sign-in-error").Attr("role"); r != "alert" {
		t.Errorf("error role = %q", r)
	}

	for _, payload := range []string{xssScript, xssImg} {
		doc, _ = render(t, SignInPage(Page{}, SignInVM{ProviderName: payload, ReturnTo: payload, Error: payload}))
		checkNoInjection(t, doc)
		href, _ := testID(doc, "sign-in").Attr("href")
		if u, err := url.Parse(href); err != nil || u.Query().Get("return_to") != payload {
			t.Errorf("href = %q", href)
		}
		if got := strings.TrimSpace(testID(doc, "sign-in-error").Text()); got != payload {
			t.Errorf("error = %q", got)
		}
	}
}

func TestDashboardPage(t *testing.T) {
	joined := time.Date(2025, 3, 4, 5, 6, 0, 0, time.FixedZone("X", 3600))
	teams := []TeamSummary{
		{ID: "t1", Name: "Ada Lovelace", Role: "owner", Personal: true, Members: 1, JoinedAt: joined},
		{ID: "t2", Name: xssScript, Role: "member", Members: 3},
		{ID: "t/3", Name: xssImg, Role: xssImg, Members: 0},
	}
	doc, _ := render(t, DashboardPage(signedIn(), DashboardVM{Teams: teams}))
	checkNoInjection(t, doc)

	dash := wantCount(t, doc, "dashboard", 1)
	if goquery.NodeName(dash.ParentFiltered("main")) != "main" {
		t.Error("dashboard section is not a child of main")
	}
	if !strings.Contains(dash.Find("h1").Text(), "Your teams") {
		t.Errorf("heading = %q", dash.Find("h1").Text())
	}
	wantCount(t, doc, "empty-state", 0)
	cards := wantCount(t, doc, "team-card", 3)
	wantHref := []string{"/teams/t1", "/teams/t2", "/teams/t%2F3"}
	wantMembers := []string{"1 member", "3 members", "0 members"}
	cards.Each(func(i int, c *goquery.Selection) {
		a := c.Find(`[data-testid="team-link"]`)
		if href, _ := a.Attr("href"); href != wantHref[i] {
			t.Errorf("card %d href = %q, want %q", i, href, wantHref[i])
		}
		if got := a.Text(); got != teams[i].Name {
			t.Errorf("card %d name = %q, want %q", i, got, teams[i].Name)
		}
		if got := c.Find(`[data-testid="team-role"]`).Text(); got != teams[i].Role {
			t.Errorf("card %d role = %q", i, got)
		}
		if got := c.Find(`[data-testid="team-members"]`).Text(); got != wantMembers[i] {
			t.Errorf("card %d members = %q", i, got)
		}
		personal := c.Find(`[data-testid="team-personal"]`).Length() == 1
		if personal != teams[i].Personal {
			t.Errorf("card %d personal badge = %v", i, personal)
		}
	})
	if got := cards.First().Find("time").Text(); got != "4 Mar 2025 04:06 UTC" {
		t.Errorf("joined = %q", got)
	}

	doc, _ = render(t, DashboardPage(signedIn(), DashboardVM{}))
	checkCSP(t, doc)
	wantCount(t, doc, "dashboard", 1)
	wantCount(t, doc, "team-card", 0)
	wantCount(t, doc, "empty-state", 1)
}

func TestErrorPage(t *testing.T) {
	doc, _ := render(t, ErrorPage(Page{Title: "Not found"}, ErrorVM{Status: 404, Title: "Page not found", Message: "No such page.", RequestID: "req-abc"}))
	checkCSP(t, doc)
	if got := testID(doc, "error-status").Text(); got != "404" {
		t.Errorf("status = %q", got)
	}
	if got := doc.Find("h1").Text(); got != "Page not found" {
		t.Errorf("title = %q", got)
	}
	if got := testID(doc, "error-message").Text(); got != "No such page." {
		t.Errorf("message = %q", got)
	}
	if doc.Find(`main a[href="/"]:contains("Back to dashboard")`).Length() != 1 {
		t.Error("back link missing")
	}
	if got := wantCount(t, doc, "request-id", 1).Text(); got != "Request ID: req-abc" {
		t.Errorf("request id = %q", got)
	}

	doc, _ = render(t, ErrorPage(Page{}, ErrorVM{Status: 500, Message: xssImg, RequestID: ""}))
	checkNoInjection(t, doc)
	wantCount(t, doc, "request-id", 0)
	if got := doc.Find("h1").Text(); got != "Internal Server Error" {
		t.Errorf("default title = %q", got)
	}
	if got := testID(doc, "error-message").Text(); got != xssImg {
		t.Errorf("message = %q", got)
	}
}

func TestAccountPage(t *testing.T) {
	created := time.Date(2024, 1, 2, 15, 4, 0, 0, time.UTC)
	vm := AccountVM{
		Name:      xssScript,
		Email:     "ada@example.com",
		Issuer:    "https://id.example.com",
		Subject:   xssImg,
		CreatedAt: created,
		Sessions: []SessionSummary{
			{Current: true, UserAgent: xssScript, IP: "192.0.2.1", CreatedAt: created, LastSeenAt: created.Add(90 * time.Minute)},
			{UserAgent: "", IP: xssImg, CreatedAt: created, LastSeenAt: created},
		},
	}
	p := signedIn()
	p.User.Name = xssImg
	doc, _ := render(t, AccountPage(p, vm))
	checkNoInjection(t, doc)

	if got := testID(doc, "account-name").Text(); got != xssScript {
		t.Errorf("name = %q", got)
	}
	if got := testID(doc, "account-email").Text(); got != vm.Email {
		t.Errorf("email = %q", got)
	}
	if got := testID(doc, "account-issuer").Text(); got != vm.Issuer {
		t.Errorf("issuer = %q", got)
	}
	if got := testID(doc, "account-subject").Text(); got != vm.Subject {
		t.Errorf("subject = %q", got)
	}
	if got := strings.TrimSpace(testID(doc, "account-created").Text()); got != "2 Jan 2024 15:04 UTC" {
		t.Errorf("member since = %q", got)
	}
	if doc.Find("dl dt").Length() != 4 {
		t.Errorf("definition list has %d terms", doc.Find("dl dt").Length())
	}

	rows := wantCount(t, doc, "session-row", 2)
	first := rows.Eq(0)
	if first.Find(`[data-testid="current-session"]`).Text() != "This session" {
		t.Error("current session badge missing")
	}
	if !strings.Contains(first.Text(), xssScript) {
		t.Errorf("user agent not shown as text: %q", first.Text())
	}
	if got := first.Find("td").Eq(3).Text(); got != "2 Jan 2024 16:34 UTC" {
		t.Errorf("last active = %q", got)
	}
	second := rows.Eq(1)
	if second.Find(`[data-testid="current-session"]`).Length() != 0 {
		t.Error("non-current session has the badge")
	}
	if !strings.Contains(second.Text(), "Unknown device") {
		t.Errorf("empty user agent: %q", second.Text())
	}

	form := wantCount(t, doc, "sign-out-everywhere", 1)
	if goquery.NodeName(form) != "form" {
		t.Fatalf("sign-out-everywhere is a <%s>", goquery.NodeName(form))
	}
	if m, _ := form.Attr("method"); m != "post" {
		t.Errorf("method = %q", m)
	}
	if a, _ := form.Attr("action"); a != "/logout/everywhere" {
		t.Errorf("action = %q", a)
	}
	if c, _ := form.Attr("data-confirm"); c != "Sign out of every session, including this one?" {
		t.Errorf("data-confirm = %q", c)
	}
	if v, _ := form.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != token {
		t.Errorf("_csrf = %q", v)
	}
	if form.Find(`button[type="submit"]`).Length() != 1 {
		t.Error("submit button missing")
	}
}

func TestComponents(t *testing.T) {
	t.Run("CSRFField", func(t *testing.T) {
		doc, _ := render(t, CSRFField(`a"b<c>`))
		in := doc.Find(`input[name="_csrf"]`)
		if in.Length() != 1 || in.AttrOr("type", "") != "hidden" || in.AttrOr("value", "") != `a"b<c>` {
			t.Errorf("got %d inputs, type %q value %q", in.Length(), in.AttrOr("type", ""), in.AttrOr("value", ""))
		}
	})
	t.Run("FlashList", func(t *testing.T) {
		doc, html := render(t, FlashList(nil))
		if strings.TrimSpace(html) != "" || testID(doc, "flash").Length() != 0 {
			t.Errorf("empty list rendered %q", html)
		}
		doc, _ = render(t, FlashList([]Flash{{Kind: "error", Message: xssImg}}))
		checkNoInjection(t, doc)
		f := wantCount(t, doc, "flash", 1)
		if !f.HasClass("flash-error") || f.AttrOr("role", "") != "alert" || strings.TrimSpace(f.Text()) != xssImg {
			t.Errorf("flash: class %q role %q text %q", f.AttrOr("class", ""), f.AttrOr("role", ""), f.Text())
		}
	})
	t.Run("CopyBox", func(t *testing.T) {
		doc, _ := render(t, CopyBox("client-id", xssScript, "client-id-value"))
		checkNoInjection(t, doc)
		code := wantCount(t, doc, "client-id-value", 1)
		if goquery.NodeName(code) != "code" || code.AttrOr("id", "") != "client-id" || code.Text() != xssScript {
			t.Errorf("code: <%s id=%q> %q", goquery.NodeName(code), code.AttrOr("id", ""), code.Text())
		}
		btn := doc.Find("button[data-copy-target]")
		if btn.Length() != 1 || btn.AttrOr("data-copy-target", "") != "client-id" || btn.AttrOr("type", "") != "button" {
			t.Errorf("copy button: %d, target %q, type %q", btn.Length(), btn.AttrOr("data-copy-target", ""), btn.AttrOr("type", ""))
		}
		doc, _ = render(t, CopyBox("x", "v", ""))
		if _, ok := doc.Find("code#x").Attr("data-testid"); ok {
			t.Error("empty testid rendered")
		}
	})
	t.Run("EmptyState", func(t *testing.T) {
		action := templ.Raw(`<a href="/new" role="button" id="action">Create</a>`)
		doc, _ := render(t, EmptyState("Nothing here", xssImg), action)
		checkNoInjection(t, doc)
		es := wantCount(t, doc, "empty-state", 1)
		if es.Find("h2").Text() != "Nothing here" || es.Find("p").Text() != xssImg || es.Find("#action").Length() != 1 {
			t.Errorf("empty state: %q", es.Text())
		}
		doc, _ = render(t, EmptyState("Nothing", ""))
		if testID(doc, "empty-state").Find("p").Length() != 0 {
			t.Error("empty text rendered a paragraph")
		}
	})
	t.Run("FieldError", func(t *testing.T) {
		_, html := render(t, FieldError(""))
		if strings.TrimSpace(html) != "" {
			t.Errorf("empty message rendered %q", html)
		}
		doc, _ := render(t, FieldError(xssScript))
		checkNoInjection(t, doc)
		if got := wantCount(t, doc, "field-error", 1).Text(); got != xssScript {
			t.Errorf("field error = %q", got)
		}
	})
}

// TestAssetsExist checks every /static/ URL the layout references is embedded.
func TestAssetsExist(t *testing.T) {
	doc, _ := render(t, Layout(signedIn()))
	var urls []string
	doc.Find("link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
		urls = append(urls, s.AttrOr("href", s.AttrOr("src", "")))
	})
	if len(urls) < 5 {
		t.Fatalf("only %d asset URLs found: %v", len(urls), urls)
	}
	for _, u := range urls {
		name, ok := strings.CutPrefix(u, "/static/")
		if !ok {
			t.Errorf("asset %q is not under /static/", u)
			continue
		}
		f, err := static.FS.Open(name)
		if err != nil {
			t.Errorf("asset %q is not embedded: %v", u, err)
			continue
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if len(b) == 0 {
			t.Errorf("asset %q is empty", u)
		}
	}
	if _, err := fs.Stat(static.FS, "licenses/htmx.LICENSE"); err != nil {
		t.Error(err)
	}
}
