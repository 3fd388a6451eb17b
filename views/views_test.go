package views

import (
	"bytes"
	"context"
	"errors"
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
	// The one script is our own app.js, deferred; htmx is gone, with its config.
	if n := doc.Find("script").Length(); n != 1 {
		t.Errorf("scripts: got %d, want 1 (app.js)", n)
	}
	s := doc.Find(`script[src="/static/js/app.js"]`)
	if s.Length() != 1 {
		t.Errorf("script /static/js/app.js: got %d, want 1", s.Length())
	}
	if _, ok := s.Attr("defer"); !ok {
		t.Error("script /static/js/app.js is not deferred")
	}
	if strings.Contains(strings.ToLower(html), "htmx") {
		t.Error("the layout mentions htmx, which no page loads any more")
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
	if href := wantCount(t, doc, "nav-teams", 1).AttrOr("href", ""); href != "/teams" {
		t.Errorf("teams nav href = %q", href)
	}
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
	wantCount(t, doc, "nav-teams", 0)
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
	wantCount(t, doc, "signin-invitation", 0)

	// An invitee is told who invited them to which team, as what.
	doc, _ = render(t, SignInPage(Page{}, SignInVM{ProviderName: "your company account", ReturnTo: "/invitations/tok",
		Invitation: &SignInInvitation{InvitedBy: "Olive Owner", TeamName: "Platform", Role: "viewer"}}))
	want := "Olive Owner invited you to join Platform as viewer. Sign in with your company account to accept."
	if got := strings.Join(strings.Fields(wantCount(t, doc, "signin-invitation", 1).Text()), " "); got != want {
		t.Errorf("invitation = %q, want %q", got, want)
	}

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
		doc, _ = render(t, SignInPage(Page{}, SignInVM{ProviderName: payload, ReturnTo: payload, Error: payload,
			Invitation: &SignInInvitation{InvitedBy: payload, TeamName: payload, Role: payload}}))
		checkNoInjection(t, doc)
		if got := testID(doc, "signin-invitation").Text(); strings.Count(got, payload) != 4 {
			t.Errorf("invitation = %q, want the payload as text four times", got)
		}
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
	projects := []ProjectSummary{
		{ID: "p1", Name: "Orders API", Description: "Takes orders.", TeamID: "t1", TeamName: "Ada Lovelace", CreatedAt: joined},
		{ID: "p/2", Name: xssImg, Description: xssScript, TeamID: "t2", TeamName: xssScript},
	}
	doc, _ := render(t, DashboardPage(signedIn(), DashboardVM{Teams: teams, Projects: projects}))
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
	if href := wantCount(t, doc, "dashboard-new-project", 1).AttrOr("href", ""); href != "/projects/new" {
		t.Errorf("new project href = %q", href)
	}
	pcards := wantCount(t, doc, "project-card", 2)
	wantProjectHref := []string{"/projects/p1", "/projects/p%2F2"}
	pcards.Each(func(i int, c *goquery.Selection) {
		a := c.Find(`[data-testid="project-link"]`)
		if href := a.AttrOr("href", ""); href != wantProjectHref[i] {
			t.Errorf("project %d href = %q", i, href)
		}
		if a.Text() != projects[i].Name {
			t.Errorf("project %d name = %q", i, a.Text())
		}
		if got := c.Find(`[data-testid="project-card-team"]`).Text(); got != projects[i].TeamName {
			t.Errorf("project %d team = %q", i, got)
		}
	})

	// Teams but no projects: the projects empty state offers a new project.
	doc, _ = render(t, DashboardPage(signedIn(), DashboardVM{Teams: teams}))
	wantCount(t, doc, "project-card", 0)
	es := wantCount(t, doc, "empty-state", 1)
	if es.Find(`a[href="/projects/new"]`).Length() != 1 {
		t.Error("projects empty state lacks a new-project link")
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
	// Signing out everywhere asks first, in two steps inside the form.
	checkConfirm(t, form, "sign-out-everywhere-submit", "Sign out of every session, including this one?")
	if s := wantCount(t, doc, "sign-out-everywhere-submit-open", 1); strings.TrimSpace(s.Text()) != "Sign out everywhere" || !s.HasClass("danger") {
		t.Errorf("first step %q class %q", s.Text(), s.AttrOr("class", ""))
	}
	if v, _ := form.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != token {
		t.Errorf("_csrf = %q", v)
	}
	if form.Find(`button[type="submit"]`).Length() != 1 {
		t.Error("submit button missing")
	}
	if n := checkDestructiveForms(t, doc); n != 1 {
		t.Errorf("%d destructive forms, want 1 (sign out everywhere)", n)
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

func TestTwoStepComponents(t *testing.T) {
	t.Run("ConfirmButton", func(t *testing.T) {
		c := Confirm{Label: "Revoke", Hidden: xssImg, Question: "Revoke " + xssScript + "?", TestID: "revoke-x"}
		doc, _ := render(t, ConfirmButton(c))
		checkNoInjection(t, doc)
		d := wantCount(t, doc, "revoke-x-confirm", 1)
		if goquery.NodeName(d) != "details" || !d.HasClass("confirm") {
			t.Errorf("<%s class=%q>", goquery.NodeName(d), d.AttrOr("class", ""))
		}
		if _, open := d.Attr("open"); open {
			t.Error("open at first")
		}
		s := wantCount(t, doc, "revoke-x-open", 1)
		if goquery.NodeName(s) != "summary" || s.AttrOr("role", "") != "button" || s.HasClass("danger") || !s.HasClass("danger-outline-button") {
			t.Errorf("first step <%s role=%q class=%q>", goquery.NodeName(s), s.AttrOr("role", ""), s.AttrOr("class", ""))
		}
		if strings.Join(strings.Fields(s.Text()), " ") != strings.Join(strings.Fields("Revoke "+xssImg), " ") || s.Find(".visually-hidden").Text() != " "+xssImg {
			t.Errorf("first step text %q", s.Text())
		}
		if q := wantCount(t, doc, "confirm-question", 1); q.Text() != c.Question || !q.Parent().HasClass("confirm-panel") {
			t.Errorf("question %q", q.Text())
		}
		b := wantCount(t, doc, "revoke-x", 1)
		if goquery.NodeName(b) != "button" || b.AttrOr("type", "") != "submit" || !b.HasClass("danger") || b.Text() != "Yes, revoke" || !b.Parent().HasClass("confirm-panel") {
			t.Errorf("second step <%s type=%q class=%q> %q", goquery.NodeName(b), b.AttrOr("type", ""), b.AttrOr("class", ""), b.Text())
		}
		// A danger zone's button, a label of its own for the second step, no hidden text.
		doc, _ = render(t, ConfirmButton(Confirm{Label: "Leave team", Question: "Leave?", Yes: "Leave now", TestID: "leave", Danger: true}))
		checkNoInjection(t, doc)
		if s := testID(doc, "leave-open"); !s.HasClass("danger") || s.Find(".visually-hidden").Length() != 0 || strings.TrimSpace(s.Text()) != "Leave team" {
			t.Errorf("danger first step class %q text %q", s.AttrOr("class", ""), s.Text())
		}
		if got := testID(doc, "leave").Text(); got != "Leave now" {
			t.Errorf("second step = %q", got)
		}
		if got := confirmLabel(Confirm{}); got != "Yes" {
			t.Errorf("confirmLabel without a label = %q", got)
		}
	})
	t.Run("Tabs", func(t *testing.T) {
		doc, _ := render(t, Tabs(xssScript, []Tab{
			{Key: "a", Label: xssImg, Href: "/x/a"},
			{Key: "b", Label: "B", Href: "javascript:alert(1)", Badge: "3", Current: true},
		}))
		checkNoInjection(t, doc)
		if nav := wantCount(t, doc, "tabs", 1); nav.AttrOr("aria-label", "") != xssScript {
			t.Errorf("label = %q", nav.AttrOr("aria-label", ""))
		}
		if a := wantCount(t, doc, "tab-a", 1); strings.TrimSpace(a.Text()) != xssImg || a.AttrOr("href", "") != "/x/a" || a.AttrOr("aria-current", "") != "" {
			t.Errorf("tab a: %q %q current %q", a.Text(), a.AttrOr("href", ""), a.AttrOr("aria-current", ""))
		}
		b := wantCount(t, doc, "tab-b", 1)
		if strings.HasPrefix(b.AttrOr("href", ""), "javascript:") || b.AttrOr("aria-current", "") != "page" {
			t.Errorf("tab b: href %q current %q", b.AttrOr("href", ""), b.AttrOr("aria-current", ""))
		}
		if badge := wantCount(t, doc, "tab-b-badge", 1); badge.Text() != "3" || badge.Closest(`[data-testid="tab-b"]`).Length() != 1 {
			t.Errorf("badge %q", badge.Text())
		}
		wantCount(t, doc, "tab-a-badge", 0)
	})
	t.Run("ShownOnce", func(t *testing.T) {
		doc, _ := render(t, ShownOnce(xssImg, xssScript, "secret", xssImg, "/done?a=1&b=2"), templ.Raw(`<p id="child">how to use it</p>`))
		checkNoInjection(t, doc)
		so := wantCount(t, doc, "shown-once", 1)
		if goquery.NodeName(so) != "section" || so.AttrOr("aria-labelledby", "") != "shown-once-heading" || so.Find("h1#shown-once-heading").Text() != xssImg {
			t.Errorf("<%s> heading %q", goquery.NodeName(so), so.Find("h1").Text())
		}
		if v := wantCount(t, doc, "secret", 1); v.Text() != xssScript || v.AttrOr("id", "") != "shown-once-value" {
			t.Errorf("value %q id %q", v.Text(), v.AttrOr("id", ""))
		}
		if so.Find(`button[data-copy-target="shown-once-value"]`).Length() != 1 {
			t.Error("copy button missing")
		}
		if n := strings.Count(doc.Text(), xssScript); n != 1 {
			t.Errorf("value shown %d times", n)
		}
		if !strings.Contains(so.Text(), "Copy it now. You won't see it again.") || so.Find(".reveal-meta").Text() != xssImg {
			t.Errorf("warning: %q", so.Text())
		}
		if so.Find(".reveal-box + #child").Length() != 1 {
			t.Error("children do not follow the value")
		}
		if d := wantCount(t, doc, "shown-once-done", 1); d.AttrOr("href", "") != "/done?a=1&b=2" || d.Text() != "Done" || d.Closest("#child").Length() != 0 {
			t.Errorf("done %q %q", d.AttrOr("href", ""), d.Text())
		}
		if doc.Find("#child ~ .shown-once-done").Length() != 1 {
			t.Error("Done is not after the children")
		}
	})
}

func TestTokenCurl(t *testing.T) {
	for _, tc := range []struct {
		clientID, secret, tokenURL, resource, want string
	}{
		{"cid", "", "https://portal.example.com/oauth/token", "",
			"# export GATEHOUSE_CLIENT_SECRET=<a client secret of this project>\n" +
				"curl -s -u \"cid:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  https://portal.example.com/oauth/token\n"},
		{"cid", "", "https://portal.example.com/oauth/token", "https://api.example.com/orders",
			"# export GATEHOUSE_CLIENT_SECRET=<a client secret of this project>\n" +
				"curl -s -u \"cid:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n" +
				"  --data-urlencode resource=https://api.example.com/orders \\\n  https://portal.example.com/oauth/token\n"},
		{"cid", "ghcs_a'b $c", "https://portal.example.com/oauth/token?x=1&y=2", "orders api",
			"export GATEHOUSE_CLIENT_SECRET='ghcs_a'\\''b $c'\n" +
				"curl -s -u \"cid:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n" +
				"  --data-urlencode 'resource=orders api' \\\n  'https://portal.example.com/oauth/token?x=1&y=2'\n"},
		{"cid", "ghcs_plain", "https://t.example/token", "",
			"export GATEHOUSE_CLIENT_SECRET=ghcs_plain\n" +
				"curl -s -u \"cid:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  https://t.example/token\n"},
	} {
		if got := TokenCurl(tc.clientID, tc.secret, tc.tokenURL, tc.resource); got != tc.want {
			t.Errorf("TokenCurl(%q, %q, %q, %q) =\n%s\nwant\n%s", tc.clientID, tc.secret, tc.tokenURL, tc.resource, got, tc.want)
		}
	}
	// The getting-started command is TokenCurl without a secret.
	if got, want := tokenCurl("cid", "https://t.example/token", "aud"), TokenCurl("cid", "", "https://t.example/token", "aud"); got != want {
		t.Errorf("tokenCurl = %q, want %q", got, want)
	}
	if got := firstIdentifier(nil); got != "" {
		t.Errorf("firstIdentifier(nil) = %q", got)
	}
	if got := firstIdentifier([]GrantRow{{Identifier: "a"}, {Identifier: "b"}}); got != "a" {
		t.Errorf("firstIdentifier = %q", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		// Only characters no shell treats specially: left bare.
		"https://portal.example.com/oauth/token": "https://portal.example.com/oauth/token",
		"resource=orders-api_v1.2":               "resource=orders-api_v1.2",
		"a@b%c+d,e:f":                            "a@b%c+d,e:f",
		// Anything else is single-quoted; a quote closes, is escaped and reopens.
		"":                 "''",
		"a b":              "'a b'",
		"it's":             `'it'\''s'`,
		"'":                `''\'''`,
		"$HOME":            "'$HOME'",
		"`id`":             "'`id`'",
		"a;rm -rf /":       "'a;rm -rf /'",
		"x&y|z>w<v":        "'x&y|z>w<v'",
		"line\nbreak":      "'line\nbreak'",
		"ghcs_\"q\"*?!":    `'ghcs_"q"*?!'`,
		"~user":            "'~user'",
		"a#b":              "'a#b'",
		"(sub)":            "'(sub)'",
		"back\\slash":      `'back\slash'`,
		"tab\there":        "'tab\there'",
		"unicode-é":        "'unicode-é'",
		"[glob]{a,b}":      "'[glob]{a,b}'",
		"it's $x and `y`!": `'it'\''s $x and ` + "`y`" + `!'`,
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
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
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Errorf("reading the embedded asset %q: %v", u, err)
		} else if len(b) == 0 {
			t.Errorf("asset %q is empty", u)
		}
	}
	for _, gone := range []string{"js/htmx.min.js", "licenses/htmx.LICENSE"} {
		if _, err := fs.Stat(static.FS, gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: got %v, want it not embedded (htmx is not shipped)", gone, err)
		}
	}
}

// checkPostForms asserts every POST form carries the hidden _csrf token and posts to a
// local path, and that every text-like control has an accessible label.
func checkPostForms(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("form").Each(func(i int, f *goquery.Selection) {
		if m := strings.ToLower(f.AttrOr("method", "get")); m != "post" {
			return
		}
		in := f.Find(`input[type="hidden"][name="_csrf"]`)
		if in.Length() != 1 || in.AttrOr("value", "") != token {
			t.Errorf("form %d (action %q): %d _csrf inputs, value %q", i, f.AttrOr("action", ""), in.Length(), in.AttrOr("value", ""))
		}
		if a := f.AttrOr("action", ""); !strings.HasPrefix(a, "/") || strings.HasPrefix(a, "//") {
			t.Errorf("form %d action %q is not a local path", i, a)
		}
		if f.Find(`button[type="submit"]`).Length() == 0 {
			t.Errorf("form %d (action %q) has no submit button", i, f.AttrOr("action", ""))
		}
	})
	doc.Find(`input:not([type="hidden"]), select, textarea`).Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("aria-label"); ok {
			return
		}
		if goquery.NodeName(s.ParentsFiltered("label")) == "label" {
			return
		}
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			t.Errorf("<%s name=%q id=%q> has no label", goquery.NodeName(s), s.AttrOr("name", ""), id)
		}
	})
	ids := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if ids[id] {
			t.Errorf("duplicate id %q", id)
		}
		ids[id] = true
	})
}

// formByAction returns the POST forms whose action is action.
func formByAction(doc *goquery.Document, action string) *goquery.Selection {
	return doc.Find(`form[method="post"]`).FilterFunction(func(_ int, f *goquery.Selection) bool {
		return f.AttrOr("action", "") == action
	})
}

// selected is the value of a select's selected option.
func selected(s *goquery.Selection) string {
	return s.Find("option[selected]").AttrOr("value", "")
}

// confirmQuestion is the question a two-step confirmation (ConfirmButton) inside form
// asks: the text of its details.confirm's data-testid="confirm-question".
func confirmQuestion(form *goquery.Selection) string {
	return form.Find(`details.confirm [data-testid="confirm-question"]`).Text()
}

// submitButtons are the buttons that send form.
func submitButtons(form *goquery.Selection) *goquery.Selection {
	return form.Find(`button[type="submit"], button:not([type]), input[type="submit"]`)
}

// checkConfirm asserts form (exactly one) is sent in two steps (ConfirmButton): its only
// submit button, data-testid=testid, is inside the panel of a details.confirm
// (data-testid testid+"-confirm") whose summary (testid+"-open", role=button) opens
// it, and the panel asks question.
func checkConfirm(t *testing.T, form *goquery.Selection, testid, question string) {
	t.Helper()
	if form.Length() != 1 {
		t.Errorf("%s: %d forms, want 1", testid, form.Length())
		return
	}
	d := form.Find("details.confirm")
	if d.Length() != 1 || d.AttrOr("data-testid", "") != testid+"-confirm" {
		t.Errorf("%s: %d details.confirm, data-testid %q", testid, d.Length(), d.AttrOr("data-testid", ""))
	}
	if _, open := d.Attr("open"); open {
		t.Errorf("%s: the confirmation is open before anyone asked", testid)
	}
	if s := d.ChildrenFiltered("summary"); s.Length() != 1 || s.AttrOr("data-testid", "") != testid+"-open" || s.AttrOr("role", "") != "button" {
		t.Errorf("%s: summary: %d, data-testid %q, role %q", testid, s.Length(), s.AttrOr("data-testid", ""), s.AttrOr("role", ""))
	}
	if got := confirmQuestion(form); got != question {
		t.Errorf("%s: question = %q, want %q", testid, got, question)
	}
	b := submitButtons(form)
	if b.Length() != 1 || b.AttrOr("data-testid", "") != testid || !b.Parent().Is(".confirm-panel") || b.Closest("details.confirm").Length() != 1 {
		t.Errorf("%s: %d submit buttons (data-testid %q); want one, the second step, inside details.confirm", testid, b.Length(), b.AttrOr("data-testid", ""))
	}
}

// checkTypedName asserts form (exactly one) is confirmed by typing the name of what it
// deletes (ConfirmName, which works without JavaScript) and asks no question: its
// submit button, data-testid=testid, sends it at once.
func checkTypedName(t *testing.T, form *goquery.Selection, testid, name string) {
	t.Helper()
	if form.Length() != 1 {
		t.Errorf("%s: %d forms, want 1", testid, form.Length())
		return
	}
	if in := form.Find(`input[name="confirm_name"][required]`); in.Length() != 1 || in.AttrOr("type", "") != "text" ||
		form.Find(`[data-testid="confirm-name-expected"]`).Text() != name {
		t.Errorf("%s: %d required confirm_name inputs, expected name %q, want %q", testid, in.Length(), form.Find(`[data-testid="confirm-name-expected"]`).Text(), name)
	}
	if form.Find("details.confirm, [data-testid=\"confirm-question\"]").Length() != 0 {
		t.Errorf("%s: the typed name is the confirmation, yet the form asks a question too", testid)
	}
	if _, ok := form.Attr("data-confirm"); ok {
		t.Errorf("%s: data-confirm is gone, yet the form has one", testid)
	}
	if b := submitButtons(form); b.Length() != 1 || b.AttrOr("data-testid", "") != testid {
		t.Errorf("%s: %d submit buttons (data-testid %q)", testid, b.Length(), b.AttrOr("data-testid", ""))
	}
}

// destructiveSuffixes end the actions of the forms that destroy or take away something.
var destructiveSuffixes = []string{"/revoke", "/revoke-by-value", "/remove", "/deny", "/delete", "/withdraw", "/leave", "/rotate", "/logout/everywhere"}

// checkDestructiveForms asserts every destructive POST form on the page asks before it
// acts: every submit button of it is the second step of a ConfirmButton (with a
// question), or it asks for the typed name. No form uses data-confirm any more. It
// returns how many destructive forms there are.
func checkDestructiveForms(t *testing.T, doc *goquery.Document) int {
	t.Helper()
	if n := doc.Find("[data-confirm]").Length(); n != 0 {
		t.Errorf("%d elements still carry data-confirm (app.js no longer reads it)", n)
	}
	n := 0
	doc.Find(`form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
		a := f.AttrOr("action", "")
		destructive := false
		for _, s := range destructiveSuffixes {
			destructive = destructive || strings.HasSuffix(a, s)
		}
		if !destructive {
			return
		}
		n++
		b := submitButtons(f)
		confirmed := b.Length() > 0 && strings.TrimSpace(confirmQuestion(f)) != "" &&
			b.FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Closest("details.confirm").Length() == 1 }).Length() == b.Length()
		typed := f.Find(`input[name="confirm_name"][required]`).Length() == 1
		if !confirmed && !typed {
			t.Errorf("destructive form %q neither confirms in two steps nor asks for the typed name", a)
		}
	})
	return n
}

// tabLink is an entry the page's navigation must have: the tab's key and its URL.
type tabLink struct{ key, href string }

// checkTabs asserts the page has one navigation (Tabs) with exactly want, in order, and
// marks current, and only it, aria-current="page".
func checkTabs(t *testing.T, doc *goquery.Document, want []tabLink, current string) {
	t.Helper()
	nav := wantCount(t, doc, "tabs", 1)
	if goquery.NodeName(nav) != "nav" || nav.AttrOr("aria-label", "") == "" {
		t.Errorf("tabs are a <%s> labelled %q", goquery.NodeName(nav), nav.AttrOr("aria-label", ""))
	}
	var got, keys []string
	nav.Find("a").Each(func(_ int, a *goquery.Selection) { got = append(got, a.AttrOr("data-testid", "")) })
	for _, w := range want {
		keys = append(keys, "tab-"+w.key)
	}
	if strings.Join(got, " ") != strings.Join(keys, " ") {
		t.Errorf("tabs = %v, want %v", got, keys)
	}
	for _, w := range want {
		a := nav.Find(`a[data-testid="tab-` + w.key + `"]`)
		if href := a.AttrOr("href", ""); href != w.href {
			t.Errorf("tab %s: href %q, want %q", w.key, href, w.href)
		}
		if cur := a.AttrOr("aria-current", ""); (cur == "page") != (w.key == current) {
			t.Errorf("tab %s: aria-current %q (current tab %q)", w.key, cur, current)
		}
	}
	if n := nav.Find("[aria-current]").Length(); n != 1 {
		t.Errorf("%d tabs marked current, want 1", n)
	}
}

func TestTeamsPage(t *testing.T) {
	vm := TeamsVM{
		Teams: []TeamSummary{
			{ID: "t1", Name: "Ada's team", Role: "owner", Personal: true, Members: 1},
			{ID: "t2", Name: xssScript, Role: "viewer", Members: 2},
		},
		Form: TeamForm{Name: xssImg, FormToken: "ft-1", Errors: map[string]string{"name": xssScript}},
	}
	doc, _ := render(t, TeamsPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)

	if got := doc.Find("h1").Text(); got != "Teams" {
		t.Errorf("heading = %q", got)
	}
	cards := wantCount(t, doc, "team-card", 2)
	if got := cards.Eq(1).Find(`[data-testid="team-link"]`).Text(); got != xssScript {
		t.Errorf("team name = %q", got)
	}
	form := formByAction(doc, "/teams")
	if form.Length() != 1 {
		t.Fatalf("create form: %d", form.Length())
	}
	if v := form.Find(`input[name="form_token"][type="hidden"]`).AttrOr("value", ""); v != "ft-1" {
		t.Errorf("form_token = %q", v)
	}
	in := wantCount(t, doc, "team-name", 1)
	if in.AttrOr("name", "") != "name" || in.AttrOr("maxlength", "") != "60" || in.AttrOr("value", "") != xssImg {
		t.Errorf("name input: name %q maxlength %q value %q", in.AttrOr("name", ""), in.AttrOr("maxlength", ""), in.AttrOr("value", ""))
	}
	if _, ok := in.Attr("required"); !ok {
		t.Error("name input not required")
	}
	if in.AttrOr("aria-invalid", "") != "true" {
		t.Error("invalid name lacks aria-invalid")
	}
	if got := wantCount(t, doc, "field-error", 1).Text(); got != xssScript {
		t.Errorf("field error = %q", got)
	}
	if form.Find(`[data-testid="create-team"][type="submit"]`).Length() != 1 {
		t.Error("create-team button missing")
	}

	doc, _ = render(t, TeamsPage(signedIn(), TeamsVM{Form: TeamForm{FormToken: "x"}}))
	checkPostForms(t, doc)
	wantCount(t, doc, "team-card", 0)
	wantCount(t, doc, "empty-state", 1)
	wantCount(t, doc, "field-error", 0)
	if _, ok := testID(doc, "team-name").Attr("aria-invalid"); ok {
		t.Error("valid name has aria-invalid")
	}
}

// ownerTeam is a team page as its owner sees it, with hostile names everywhere.
func ownerTeam() TeamVM {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	roles := []RoleOption{{"owner", "Owner"}, {"admin", "Admin"}, {"developer", "Developer"}, {"viewer", "Viewer"}}
	return TeamVM{
		ID: "team/1", Name: xssScript, MyRole: "owner",
		Can: TeamPermissions{Invite: true, ManageMembers: true, CreateProject: true, ViewAudit: true, Rename: true, Delete: true, Leave: true},
		Members: []MemberRow{
			{UserID: "u1", Name: "Ada", Email: "ada@example.com", Role: "owner", JoinedAt: at, IsMe: true},
			{UserID: "u/2", Name: xssImg, Email: xssScript + "@example.com", Role: "developer", JoinedAt: at, RoleOptions: roles, CanRemove: true},
		},
		Invitations: []InvitationRow{
			{ID: "i1", Role: "viewer", CreatedBy: xssImg, CreatedAt: at, ExpiresAt: at.Add(72 * time.Hour), CanRevoke: true},
		},
		Projects: []ProjectSummary{{ID: "p1", Name: xssImg, Description: xssScript, TeamID: "team/1"}},
		APIs:     []TeamAPIRow{{ID: "api/1", Name: xssScript, Identifier: xssImg}},
		InviteForm: InviteForm{
			Role: "developer", RoleOptions: roles, ExpiresIn: "7", FormToken: "inv-ft",
			ExpiryOptions: []Option{{"1", "1 day"}, {"7", "7 days"}},
			Errors:        map[string]string{"role": xssImg},
		},
		RenameForm: TeamForm{Errors: map[string]string{}},
	}
}

// wantTeamTabs are the tabs of team id's pages: the audit log only for those who may read it.
func wantTeamTabs(id string, audit bool) []tabLink {
	base := "/teams/" + url.PathEscape(id)
	out := []tabLink{{"overview", base}, {"members", base + "/members"}}
	if audit {
		out = append(out, tabLink{"audit", base + "/audit"})
	}
	return append(out, tabLink{"webhooks", base + "/webhooks"}, tabLink{"settings", base + "/settings"})
}

// checkTeamHeader asserts the heading every team page shares.
func checkTeamHeader(t *testing.T, doc *goquery.Document, id, name string, personal bool, role string) {
	t.Helper()
	if sec := wantCount(t, doc, "team", 1); sec.AttrOr("data-team-id", "") != id || sec.Find(`[data-testid="tabs"]`).Length() != 1 {
		t.Errorf("team header: data-team-id %q, %d tabs inside", sec.AttrOr("data-team-id", ""), sec.Find(`[data-testid="tabs"]`).Length())
	}
	if h := wantCount(t, doc, "team-name-heading", 1); goquery.NodeName(h) != "h1" || h.Text() != name {
		t.Errorf("heading <%s> %q, want %q", goquery.NodeName(h), h.Text(), name)
	}
	if n := doc.Find("main h1").Length(); n != 1 {
		t.Errorf("%d h1 in main", n)
	}
	n := 0
	if personal {
		n = 1
	}
	wantCount(t, doc, "team-personal", n)
	if role != "" {
		if got := wantCount(t, doc, "my-role", 1).Text(); got != role {
			t.Errorf("my role = %q, want %q", got, role)
		}
	}
}

// checkSections asserts that, of the page sections all, exactly present are on the page.
func checkSections(t *testing.T, doc *goquery.Document, all []string, present ...string) {
	t.Helper()
	for _, id := range all {
		n := 0
		for _, p := range present {
			if p == id {
				n = 1
			}
		}
		wantCount(t, doc, id, n)
	}
}

// teamSections are the sections of a team's pages, each on one page.
var teamSections = []string{"team-projects", "team-apis", "team-members", "team-invitations", "team-settings", "team-danger-zone"}

// teamPage renders tab of vm's team and checks what every team page has: no injected
// markup, safe forms, destructive forms that ask first, the heading and the tabs.
func teamPage(t *testing.T, vm TeamVM, tab string) *goquery.Document {
	t.Helper()
	vm.Tab = tab
	doc, _ := render(t, TeamPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	checkDestructiveForms(t, doc)
	checkTeamHeader(t, doc, vm.ID, vm.Name, vm.Personal, vm.MyRole)
	current := tab
	if current == "" {
		current = TeamTabOverview
	}
	checkTabs(t, doc, wantTeamTabs(vm.ID, vm.Can.ViewAudit), current)
	if got := testID(doc, "team").AttrOr("data-tab", ""); got != tab {
		t.Errorf("data-tab = %q, want %q", got, tab)
	}
	return doc
}

func TestTeamPageOwner(t *testing.T) {
	vm := ownerTeam()

	// The overview (with no tab too): the team's projects and APIs. The audit log is a
	// tab now (tab-audit), not a button.
	for _, tab := range []string{"", TeamTabOverview} {
		doc := teamPage(t, vm, tab)
		checkSections(t, doc, teamSections, "team-projects", "team-apis")
		wantCount(t, doc, "audit-link", 0)
		if href := wantCount(t, doc, "new-project", 1).AttrOr("href", ""); href != "/projects/new?team=team%2F1" {
			t.Errorf("new project href = %q", href)
		}
		row := wantCount(t, doc, "project-row", 1)
		if a := row.Find("a"); a.AttrOr("href", "") != "/projects/p1" || a.Text() != xssImg {
			t.Errorf("project link %q %q", a.AttrOr("href", ""), a.Text())
		}
		if href := wantCount(t, doc, "new-api", 1).AttrOr("href", ""); href != "/apis/new?team=team%2F1" {
			t.Errorf("new api href = %q", href)
		}
		api := wantCount(t, doc, "team-api-row", 1)
		if a := api.Find(`[data-testid="team-api-link"]`); a.AttrOr("href", "") != "/apis/api%2F1" || a.Text() != xssScript {
			t.Errorf("api link %q %q", a.AttrOr("href", ""), a.Text())
		}
		if got := api.Find("code").Text(); got != xssImg {
			t.Errorf("api identifier = %q", got)
		}
		wantCount(t, doc, "team-no-apis", 0)
		if n := doc.Find("main form").Length(); n != 0 {
			t.Errorf("the overview has %d forms", n)
		}
	}

	// Members: the member table, the invite form and the pending invitations.
	doc := teamPage(t, vm, TeamTabMembers)
	checkSections(t, doc, teamSections, "team-members", "team-invitations")
	members := wantCount(t, doc, "member-row", 2)
	me := members.Eq(0)
	if me.Find(`[data-testid="member-you"]`).Length() != 1 {
		t.Error("'you' marker missing")
	}
	if me.Find("form").Length() != 0 {
		t.Error("own row has forms")
	}
	if got := me.Find(`[data-testid="member-role"]`).Text(); got != "owner" {
		t.Errorf("own role = %q", got)
	}
	other := members.Eq(1)
	if other.Find(`[data-testid="member-you"]`).Length() != 0 {
		t.Error("'you' marker on another member")
	}
	if got := other.Find(`[data-testid="member-name"]`).Text(); got != xssImg {
		t.Errorf("member name = %q", got)
	}
	roleForm := formByAction(doc, "/teams/team%2F1/members/u%2F2/role")
	if roleForm.Length() != 1 {
		t.Fatalf("role form: %d", roleForm.Length())
	}
	if sel := roleForm.Find(`select[name="role"]`); selected(sel) != "developer" || sel.Find("option").Length() != 4 {
		t.Errorf("role select: selected %q, %d options", selected(sel), sel.Find("option").Length())
	}
	if roleForm.Find(`[data-testid="change-role"]`).Length() != 1 {
		t.Error("change-role button missing")
	}
	wantCount(t, doc, "change-role", 1)
	remove := formByAction(doc, "/teams/team%2F1/members/u%2F2/remove")
	checkConfirm(t, remove, "remove-member", "Remove "+xssImg+" from "+xssScript+"? They lose access to its projects at once.")
	if got := remove.Find(`[data-testid="remove-member-open"] .visually-hidden`).Text(); got != " "+xssImg {
		t.Errorf("the first step names the member for screen readers as %q", got)
	}
	wantCount(t, doc, "remove-member", 1)

	invite := formByAction(doc, "/teams/team%2F1/invitations")
	if invite.Length() != 1 {
		t.Fatalf("invite form: %d", invite.Length())
	}
	if v := invite.Find(`input[name="form_token"]`).AttrOr("value", ""); v != "inv-ft" {
		t.Errorf("invite form_token = %q", v)
	}
	ir := wantCount(t, doc, "invite-role", 1)
	if ir.AttrOr("name", "") != "role" || selected(ir) != "developer" || ir.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("invite role: name %q selected %q", ir.AttrOr("name", ""), selected(ir))
	}
	ie := wantCount(t, doc, "invite-expiry", 1)
	if ie.AttrOr("name", "") != "expires_in_days" || selected(ie) != "7" {
		t.Errorf("invite expiry: name %q selected %q", ie.AttrOr("name", ""), selected(ie))
	}
	wantCount(t, doc, "create-invite", 1)
	if got := invite.Find(`[data-testid="field-error"]`).Text(); got != xssImg {
		t.Errorf("invite error = %q", got)
	}
	// A new link has a page of its own (InvitationCreatedPage), never the members page.
	wantCount(t, doc, "invite-link", 0)
	wantCount(t, doc, "new-invite-box", 0)
	wantCount(t, doc, "shown-once", 0)

	inv := wantCount(t, doc, "invitation-row", 1)
	if !strings.Contains(inv.Text(), xssImg) || !strings.Contains(inv.Text(), "5 Jan 2025 03:04 UTC") {
		t.Errorf("invitation row = %q", inv.Text())
	}
	revoke := formByAction(doc, "/teams/team%2F1/invitations/i1/revoke")
	checkConfirm(t, revoke, "revoke-invite", "Revoke this viewer invitation? Its link stops working.")

	// Settings: the rename form and the danger zone.
	doc = teamPage(t, vm, TeamTabSettings)
	checkSections(t, doc, teamSections, "team-settings", "team-danger-zone")
	wantCount(t, doc, "empty-state", 0)
	rename := formByAction(doc, "/teams/team%2F1/rename")
	if rename.Length() != 1 || rename.Find(`input[name="name"]`).AttrOr("value", "") != xssScript {
		t.Errorf("rename form: %d, value %q", rename.Length(), rename.Find(`input[name="name"]`).AttrOr("value", ""))
	}
	leave := formByAction(doc, "/teams/team%2F1/leave")
	checkConfirm(t, leave, "leave-team", "Leave "+xssScript+"? You will lose access to its projects.")
	// Deleting asks for the name, typed (without JavaScript too): that is the confirmation.
	checkTypedName(t, formByAction(doc, "/teams/team%2F1/delete"), "delete-team", xssScript)
	if n := checkDestructiveForms(t, doc); n != 2 {
		t.Errorf("%d destructive forms in the settings, want 2 (leave, delete)", n)
	}
}

func TestInvitationCreatedPage(t *testing.T) {
	vm := InvitationCreatedVM{TeamID: "team/1", TeamName: xssScript, Role: "developer",
		Link: "https://portal.example.com/invitations/tok?a=1&b=<x>", Expires: time.Date(2025, 2, 3, 4, 5, 0, 0, time.UTC)}
	doc, html := render(t, InvitationCreatedPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	if strings.Contains(html, "b=<x>") {
		t.Error("the link was rendered unescaped")
	}

	so := wantCount(t, doc, "shown-once", 1)
	checkShownOnceAtTop(t, doc)
	if got := so.Find("h1").Text(); got != "Invitation link for a new developer" {
		t.Errorf("title = %q", got)
	}
	if !strings.Contains(so.Text(), "Copy it now. You won't see it again.") || !strings.Contains(so.Text(), "The link works once") {
		t.Errorf("shown-once = %q", so.Text())
	}
	link := wantCount(t, doc, "invite-link", 1)
	if goquery.NodeName(link) != "code" || link.Text() != vm.Link || link.AttrOr("id", "") != "shown-once-value" || link.Closest(`[data-testid="shown-once"]`).Length() != 1 {
		t.Errorf("invite link <%s> %q id %q", goquery.NodeName(link), link.Text(), link.AttrOr("id", ""))
	}
	if so.Find(`button[data-copy-target="shown-once-value"]`).Length() != 1 {
		t.Error("copy button missing")
	}
	if n := strings.Count(doc.Text(), vm.Link); n != 1 {
		t.Errorf("the link appears %d times", n)
	}
	box := wantCount(t, doc, "new-invite-box", 1)
	if txt := strings.Join(strings.Fields(box.Text()), " "); !strings.Contains(txt, "joins "+xssScript+" as developer") || !strings.Contains(txt, "3 Feb 2025 04:05 UTC") {
		t.Errorf("invite box = %q", txt)
	}
	if e := wantCount(t, doc, "invite-link-expires", 1); e.Text() != "3 Feb 2025 04:05 UTC" || e.AttrOr("datetime", "") != "2025-02-03T04:05:00Z" {
		t.Errorf("expiry %q %q", e.Text(), e.AttrOr("datetime", ""))
	}
	if a := wantCount(t, doc, "shown-once-team", 1); a.AttrOr("href", "") != "/teams/team%2F1" || a.Text() != xssScript {
		t.Errorf("team link %q %q", a.AttrOr("href", ""), a.Text())
	}
	// Done leads back to the members, where the invitation is listed.
	if done := wantCount(t, doc, "shown-once-done", 1); done.AttrOr("href", "") != "/teams/team%2F1/members" || done.Closest(`[data-testid="shown-once"]`).Length() != 1 {
		t.Errorf("done href = %q", done.AttrOr("href", ""))
	}
}

// checkShownOnceAtTop asserts the shown-once section is at the top of main, in view when
// the page opens: only the flashes and a line of context come before it, and its value
// comes first in it, before what follows (details, snippets) and "Done" last.
func checkShownOnceAtTop(t *testing.T, doc *goquery.Document) {
	t.Helper()
	so := doc.Find(`main > [data-testid="shown-once"]`)
	if so.Length() != 1 {
		t.Fatalf("shown-once is not a child of main")
	}
	so.PrevAll().Each(func(_ int, s *goquery.Selection) {
		if !s.Is(".flashes, p.shown-once-context") {
			t.Errorf("<%s class=%q> comes before the shown-once value", goquery.NodeName(s), s.AttrOr("class", ""))
		}
	})
	first := so.Children().First()
	if first.Find("#shown-once-value").Length() != 1 || first.AttrOr("role", "") != "status" {
		t.Errorf("the value is not the first thing of the shown-once section: <%s class=%q>", goquery.NodeName(first), first.AttrOr("class", ""))
	}
	if last := so.Children().Last(); last.Find(`[data-testid="shown-once-done"]`).Length() != 1 {
		t.Error("Done is not the last thing of the shown-once section")
	}
	if n := doc.Find("#shown-once-value").Length(); n != 1 {
		t.Errorf("%d #shown-once-value", n)
	}
}

func TestTeamPageViewer(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	vm := TeamVM{
		ID: "t1", Name: "Ada's team", Personal: true, MyRole: "viewer",
		Can: TeamPermissions{Leave: true},
		Members: []MemberRow{
			{UserID: "u1", Name: "Ada", Email: "ada@example.com", Role: "owner", JoinedAt: at},
			{UserID: "u2", Name: "", Email: "bob@example.com", Role: "viewer", JoinedAt: at, IsMe: true},
		},
	}
	pages := map[string]*goquery.Document{}
	for _, tab := range []string{TeamTabOverview, TeamTabMembers, TeamTabSettings} {
		doc := teamPage(t, vm, tab) // without the audit tab: a viewer may not read the log
		for _, id := range []string{"tab-audit", "audit-link", "new-project", "new-api", "change-role", "remove-member", "create-invite",
			"invite-role", "invite-expiry", "invite-link", "invitation-row", "revoke-invite", "rename-team", "delete-team", "project-row"} {
			wantCount(t, doc, id, 0)
		}
		if doc.Find(`form[action="/teams/t1/invitations"], form[action="/teams/t1/rename"], form[action="/teams/t1/delete"]`).Length() != 0 {
			t.Errorf("%s: viewer sees admin forms", tab)
		}
		pages[tab] = doc
	}
	doc := pages[TeamTabOverview]
	checkSections(t, doc, teamSections, "team-projects", "team-apis")
	wantCount(t, doc, "empty-state", 1)
	wantCount(t, doc, "team-no-apis", 1)

	doc = pages[TeamTabMembers]
	checkSections(t, doc, teamSections, "team-members")
	wantCount(t, doc, "member-row", 2)
	wantCount(t, doc, "member-role", 2)

	doc = pages[TeamTabSettings]
	checkSections(t, doc, teamSections, "team-danger-zone")
	checkConfirm(t, formByAction(doc, "/teams/t1/leave"), "leave-team", "Leave Ada's team? You will lose access to its projects.")
	wantCount(t, doc, "empty-state", 0)

	// Nothing the viewer may change: the settings page says so.
	vm.Can.Leave = false
	doc = teamPage(t, vm, TeamTabSettings)
	wantCount(t, doc, "leave-team", 0)
	checkSections(t, doc, teamSections)
	if es := wantCount(t, doc, "empty-state", 1); !strings.Contains(es.Text(), "Nothing to change here") {
		t.Errorf("empty state = %q", es.Text())
	}
}

func TestInvitationPage(t *testing.T) {
	exp := time.Date(2025, 6, 7, 8, 9, 0, 0, time.UTC)
	base := InvitationVM{TeamID: "t/1", TeamName: xssScript, Role: "developer", InvitedBy: xssImg, ExpiresAt: exp, Token: "tok/en?x"}

	vm := base
	vm.State = "open"
	doc, _ := render(t, InvitationPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	st := wantCount(t, doc, "invitation-state", 1)
	if st.AttrOr("data-state", "") != "open" {
		t.Errorf("data-state = %q", st.AttrOr("data-state", ""))
	}
	team := wantCount(t, doc, "invitation-team", 1)
	if txt := strings.Join(strings.Fields(team.Text()), " "); txt != "You're invited to join "+xssScript+" as developer" {
		t.Errorf("invitation = %q", txt)
	}
	if got := testID(doc, "invitation-invited-by").Text(); got != xssImg {
		t.Errorf("invited by = %q", got)
	}
	if !strings.Contains(testID(doc, "invitation-expires").Text(), "7 Jun 2025 08:09 UTC") {
		t.Errorf("expires = %q", testID(doc, "invitation-expires").Text())
	}
	form := formByAction(doc, "/invitations/tok%2Fen%3Fx")
	if form.Length() != 1 {
		t.Fatalf("accept form missing: %v", doc.Find("form").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("action", "") }))
	}
	if form.Find(`[data-testid="accept-invite"]`).Length() != 1 {
		t.Error("accept button missing")
	}
	if strings.Contains(doc.Find("main").Text(), base.Token) {
		t.Error("token shown as text")
	}

	for state, want := range map[string]string{
		"accepted":  "This invitation has already been used.",
		"expired":   "This invitation has expired. Ask a team admin for a new link.",
		"revoked":   "This invitation was revoked.",
		"withdrawn": "The person who invited you to " + xssScript + " can no longer add members with this role. Ask a team admin for a new invitation.",
		"invalid":   "This invitation link is not valid. If it worked before, the invitation is no longer valid",
		"member":    "You are already a member of " + xssScript,
	} {
		vm := base
		vm.State = state
		doc, _ := render(t, InvitationPage(signedIn(), vm))
		checkNoInjection(t, doc)
		st := wantCount(t, doc, "invitation-state", 1)
		if st.AttrOr("data-state", "") != state {
			t.Errorf("%s: data-state = %q", state, st.AttrOr("data-state", ""))
		}
		if txt := strings.Join(strings.Fields(st.Text()), " "); !strings.Contains(txt, want) {
			t.Errorf("%s: text = %q", state, txt)
		}
		wantCount(t, doc, "accept-invite", 0)
		if doc.Find(`main form`).Length() != 0 {
			t.Errorf("%s: has a form", state)
		}
		if state == "accepted" || state == "expired" || state == "revoked" {
			// Whom to ask: the inviter, in the team the link was for.
			if ask := strings.Join(strings.Fields(testID(doc, "invitation-ask").Text()), " "); ask != "It was sent by "+vm.InvitedBy+" for "+vm.TeamName+": they, or another admin of the team, can send you a new one." {
				t.Errorf("%s: whom to ask = %q", state, ask)
			}
		}
		if state == "member" {
			if href := wantCount(t, doc, "invitation-team-link", 1).AttrOr("href", ""); href != "/teams/t%2F1" {
				t.Errorf("team link = %q", href)
			}
		}
	}
}

func TestAuditPage(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.FixedZone("Y", -7200))
	long := strings.Repeat("Mozilla/5.0 ", 20)
	vm := AuditVM{
		TeamID: "t/1", TeamName: xssScript, Personal: true, MyRole: "admin", Page: 2,
		PrevURL: "/teams/t1/audit?page=1", NextURL: "/teams/t1/audit?page=3",
		Events: []AuditRow{
			{At: at, Actor: xssImg, Action: "secret.create", Target: xssScript, Project: xssImg, IP: "192.0.2.1", UserAgent: long, Details: xssScript + xssImg},
			{At: at, Actor: "Ada", Action: "team.rename"},
		},
	}
	doc, _ := render(t, AuditPage(signedIn(), vm))
	checkNoInjection(t, doc)
	// The team's heading, with the audit tab current: the tabs lead back to the team.
	checkTeamHeader(t, doc, "t/1", xssScript, true, "admin")
	checkTabs(t, doc, wantTeamTabs("t/1", true), TeamTabAudit)
	wantCount(t, doc, "audit-team-link", 0)
	if h := doc.Find(`[data-testid="audit"] h2#audit-heading`); h.Text() != "Audit log" || testID(doc, "audit").AttrOr("aria-labelledby", "") != "audit-heading" {
		t.Errorf("audit heading = %q", h.Text())
	}
	if doc.Find(`[data-testid="team"] ~ [data-testid="audit"]`).Length() != 1 {
		t.Error("the audit log does not follow the team's heading")
	}
	rows := wantCount(t, doc, "audit-row", 2)
	first := rows.Eq(0)
	if got := first.Find("time").Text(); got != "2 Jan 2025 05:04 UTC" {
		t.Errorf("when = %q", got)
	}
	if got := first.Find(`code[data-testid="audit-action"]`).Text(); got != "secret.create" {
		t.Errorf("action = %q", got)
	}
	if got := first.Find(`[data-testid="audit-details"]`).Text(); got != xssScript+xssImg {
		t.Errorf("details = %q", got)
	}
	if got := first.Find(`[data-testid="audit-actor"]`).Text(); got != xssImg {
		t.Errorf("actor = %q", got)
	}
	from := first.Find(`small[data-testid="audit-from"]`)
	if !strings.Contains(from.Text(), "192.0.2.1") || strings.Contains(from.Text(), long) || !strings.Contains(from.Text(), "…") {
		t.Errorf("from = %q", from.Text())
	}
	if got := rows.Eq(1).Find(`[data-testid="audit-details"]`).Text(); got != "—" {
		t.Errorf("empty details = %q", got)
	}
	if href := wantCount(t, doc, "audit-prev", 1).AttrOr("href", ""); href != vm.PrevURL {
		t.Errorf("prev = %q", href)
	}
	if href := wantCount(t, doc, "audit-next", 1).AttrOr("href", ""); href != vm.NextURL {
		t.Errorf("next = %q", href)
	}
	if got := testID(doc, "audit-page").Text(); got != "Page 2" {
		t.Errorf("page = %q", got)
	}
	wantCount(t, doc, "empty-state", 0)

	doc, _ = render(t, AuditPage(signedIn(), AuditVM{TeamID: "t1", TeamName: "T", Page: 1, NextURL: "javascript:alert(1)"}))
	checkCSP(t, doc)
	checkTeamHeader(t, doc, "t1", "T", false, "")
	checkTabs(t, doc, wantTeamTabs("t1", true), TeamTabAudit)
	wantCount(t, doc, "audit-row", 0)
	wantCount(t, doc, "empty-state", 1)
	wantCount(t, doc, "audit-prev", 0)
	if href := testID(doc, "audit-next").AttrOr("href", ""); strings.HasPrefix(href, "javascript:") {
		t.Errorf("unsafe next URL rendered: %q", href)
	}
}

func TestNewProjectPage(t *testing.T) {
	vm := NewProjectVM{
		Teams: []Option{{"t1", "Ada's team"}, {"t2", xssScript}},
		Form: ProjectForm{TeamID: "t2", Name: xssImg, Description: "</textarea>" + xssScript, FormToken: "np-ft",
			Errors: map[string]string{"name": "Name is taken.", "description": xssImg}},
	}
	doc, _ := render(t, NewProjectPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	form := formByAction(doc, "/projects")
	if form.Length() != 1 {
		t.Fatalf("form: %d", form.Length())
	}
	if v := form.Find(`input[name="form_token"]`).AttrOr("value", ""); v != "np-ft" {
		t.Errorf("form_token = %q", v)
	}
	team := wantCount(t, doc, "project-team", 1)
	if team.AttrOr("name", "") != "team_id" || selected(team) != "t2" || team.Find("option").Eq(1).Text() != xssScript {
		t.Errorf("team select: name %q selected %q", team.AttrOr("name", ""), selected(team))
	}
	name := wantCount(t, doc, "project-name", 1)
	if name.AttrOr("name", "") != "name" || name.AttrOr("maxlength", "") != "80" || name.AttrOr("value", "") != xssImg || name.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("name input: %v", name.Nodes[0].Attr)
	}
	desc := wantCount(t, doc, "project-description", 1)
	if goquery.NodeName(desc) != "textarea" || desc.AttrOr("name", "") != "description" || desc.AttrOr("maxlength", "") != "500" || desc.Text() != vm.Form.Description {
		t.Errorf("description: <%s> %q", goquery.NodeName(desc), desc.Text())
	}
	wantCount(t, doc, "create-project", 1)
	wantCount(t, doc, "field-error", 2)
	wantCount(t, doc, "empty-state", 0)

	doc, _ = render(t, NewProjectPage(signedIn(), NewProjectVM{}))
	checkCSP(t, doc)
	es := wantCount(t, doc, "empty-state", 1)
	if es.Find(`a[href="/teams"]`).Length() != 1 || !strings.Contains(es.Text(), "admin") {
		t.Errorf("empty state = %q", es.Text())
	}
	wantCount(t, doc, "create-project", 0)
	if doc.Find(`form[action="/projects"]`).Length() != 0 {
		t.Error("form shown without teams")
	}
}

// ownerProject is a project page as an admin sees it, with hostile names everywhere.
func ownerProject() ProjectVM {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	exp := at.Add(24 * time.Hour)
	rev := at.Add(time.Hour)
	return ProjectVM{
		ID: "p/1", Name: xssScript, Description: xssImg, ClientID: "gh_client_abc", TeamID: "t1", TeamName: xssImg,
		MyRole: "admin", CreatedAt: at,
		Can:      ProjectPermissions{ManageSecrets: true, EditSettings: true, Delete: true, ManageKeys: true, ViewCredential: true},
		BaseURL:  "https://portal.example.com/",
		TokenURL: "https://portal.example.com/oauth/token",
		Secrets: []SecretRow{
			{ID: "s1", Name: xssImg, Hint: "ghcs_…x7Qa", CreatedBy: xssScript, CreatedAt: at, Status: "active"},
			{ID: "s2", Name: "old", Hint: "ghcs_…abcd", CreatedBy: "Ada", CreatedAt: at, ExpiresAt: &exp, Status: "expired"},
			{ID: "s3", Name: "gone", Hint: "ghcs_…efgh", CreatedBy: "Ada", CreatedAt: at, RevokedAt: &rev, Status: "revoked"},
		},
		SecretForm: SecretForm{ExpiresIn: "90", FormToken: "sec-ft", ExpiryOptions: []Option{{"30", "30 days"}, {"90", "90 days"}, {"0", "Never"}}},
		Settings: SettingsForm{
			Name: xssScript, Description: xssImg,
			TokenTTLMinutes: "15",
			GrantTypes:      []Checkbox{{"client_credentials", "Client credentials", true}, {"token_exchange", "Token exchange", false}},
			AuthMethods:     []Checkbox{{"client_secret", "Client secret", true}, {"private_key_jwt", "Private key JWT", false}},
			Errors:          map[string]string{"grant_types": "Pick one."},
		},
		ClientKeys: ownerClientKeys(),
		APIKeys:    ownerKeys(),
	}
}

// projectSections are the sections of a project's pages, each on one page.
var projectSections = []string{"credentials", "overview-apis", "key-form-problem", "api-keys-section", "secrets-section",
	"client-keys-section", "project-apis-section", "project-usage", "settings-section", "project-danger-zone"}

// allProjectTabs are a project's pages: the overview with no tab and by name, then the others.
var allProjectTabs = []string{"", ProjectTabOverview, ProjectTabKeys, ProjectTabCredentials, ProjectTabAccess, ProjectTabUsage, ProjectTabSettings}

// wantProjectTabs are the tabs of project id's pages.
func wantProjectTabs(id string) []tabLink {
	base := "/projects/" + url.PathEscape(id)
	return []tabLink{{"overview", base}, {"keys", base + "/keys"}, {"credentials", base + "/credentials"},
		{"access", base + "/access"}, {"usage", base + "/usage"}, {"settings", base + "/settings"}}
}

// projectPage renders tab of vm's project and checks what every project page has: no
// injected markup, safe forms, destructive forms that ask first, the heading (with the
// description on the overview only), the tabs, the page's own sections and no other
// page's, and never a value shown once (those have pages of their own).
func projectPage(t *testing.T, vm ProjectVM, tab string) (*goquery.Document, string) {
	t.Helper()
	vm.Tab = tab
	doc, html := render(t, ProjectPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	checkDestructiveForms(t, doc)
	overview := tab == "" || tab == ProjectTabOverview
	if sec := wantCount(t, doc, "project", 1); sec.AttrOr("data-project-id", "") != vm.ID || sec.AttrOr("data-tab", "") != tab {
		t.Errorf("%s: data-project-id %q data-tab %q", tab, sec.AttrOr("data-project-id", ""), sec.AttrOr("data-tab", ""))
	}
	if h := wantCount(t, doc, "project-name-heading", 1); goquery.NodeName(h) != "h1" || h.Text() != vm.Name {
		t.Errorf("%s: heading <%s> %q", tab, goquery.NodeName(h), h.Text())
	}
	if a := wantCount(t, doc, "project-team-link", 1); a.AttrOr("href", "") != "/teams/"+url.PathEscape(vm.TeamID) || a.Text() != vm.TeamName {
		t.Errorf("%s: team link %q %q", tab, a.AttrOr("href", ""), a.Text())
	}
	if vm.MyRole != "" {
		if got := wantCount(t, doc, "my-role", 1).Text(); got != vm.MyRole {
			t.Errorf("%s: role = %q", tab, got)
		}
	}
	n := 0
	if overview && vm.Description != "" {
		n = 1
	}
	if d := wantCount(t, doc, "project-description-text", n); n == 1 && d.Text() != vm.Description {
		t.Errorf("description = %q", d.Text())
	}
	current := tab
	if overview {
		current = ProjectTabOverview
	}
	checkTabs(t, doc, wantProjectTabs(vm.ID), current)
	var present []string
	switch current {
	case ProjectTabOverview:
		present = []string{"credentials", "overview-apis"}
	case ProjectTabKeys:
		present = []string{"api-keys-section"}
		if len(vm.APIKeys.Form.Errors) > 0 {
			present = append(present, "key-form-problem")
		}
	case ProjectTabCredentials:
		present = []string{"secrets-section", "client-keys-section"}
	case ProjectTabAccess:
		present = []string{"project-apis-section"}
	case ProjectTabUsage:
		present = []string{"project-usage"}
	case ProjectTabSettings:
		present = []string{"settings-section"}
		if vm.Can.Delete {
			present = append(present, "project-danger-zone")
		}
	}
	checkSections(t, doc, projectSections, present...)
	n = 0
	if overview && vm.GettingStarted {
		n = 1
	}
	wantCount(t, doc, "getting-started", n)
	for _, id := range []string{"shown-once", "secret", "new-secret-box", "new-key-box", "key-snippet", "secret-snippet", "invite-link"} {
		wantCount(t, doc, id, 0)
	}
	return doc, html
}

func TestProjectPageOwner(t *testing.T) {
	vm := ownerProject()
	vm.Settings.Saved = true
	pages := map[string]*goquery.Document{}
	for _, tab := range allProjectTabs {
		pages[tab], _ = projectPage(t, vm, tab)
	}

	// The overview: the client id and the token endpoint, and where the credentials are.
	for _, tab := range []string{"", ProjectTabOverview} {
		doc := pages[tab]
		cid := wantCount(t, doc, "client-id", 1)
		if cid.Text() != "gh_client_abc" || cid.AttrOr("id", "") != "client-id-value" {
			t.Errorf("client id %q id %q", cid.Text(), cid.AttrOr("id", ""))
		}
		if doc.Find(`code#token-url-value`).Text() != vm.TokenURL {
			t.Error("token URL missing")
		}
		for _, id := range []string{"client-id-value", "token-url-value"} {
			if doc.Find(`button[data-copy-target="`+id+`"]`).Length() != 1 {
				t.Errorf("copy button for %s missing", id)
			}
		}
		card := testID(doc, "credentials")
		for _, href := range []string{"/projects/p%2F1/credentials#secrets", "/projects/p%2F1/credentials#client-keys", "/projects/p%2F1/keys#api-keys"} {
			if card.Find(`a[href="`+href+`"]`).Length() != 1 {
				t.Errorf("the client card does not link %s", href)
			}
		}
		if n := doc.Find("main form").Length(); n != 0 {
			t.Errorf("the overview has %d forms", n)
		}
	}

	// Client credentials: the secrets, each active one revocable, and the create form.
	doc := pages[ProjectTabCredentials]
	rows := wantCount(t, doc, "secret-row", 3)
	wantStatus := []string{"active", "expired", "revoked"}
	rows.Each(func(i int, r *goquery.Selection) {
		st := r.Find(`[data-testid="secret-status"]`)
		if st.Text() != wantStatus[i] || !st.HasClass("badge-status-"+wantStatus[i]) {
			t.Errorf("row %d status %q class %q", i, st.Text(), st.AttrOr("class", ""))
		}
		if got := r.Find("code").Text(); got != vm.Secrets[i].Hint {
			t.Errorf("row %d hint = %q", i, got)
		}
		revoke := r.Find(`[data-testid="revoke-secret"]`).Length()
		if (revoke == 1) != (wantStatus[i] == "active") {
			t.Errorf("row %d: %d revoke buttons", i, revoke)
		}
	})
	if got := rows.Eq(0).Find(`[data-testid="secret-row-name"]`).Text(); got != xssImg {
		t.Errorf("secret name = %q", got)
	}
	if !strings.Contains(rows.Eq(0).Text(), "never") || !strings.Contains(rows.Eq(1).Text(), "3 Jan 2025 03:04 UTC") {
		t.Error("expiry not shown")
	}
	revoke := formByAction(doc, "/projects/p%2F1/secrets/s1/revoke")
	checkConfirm(t, revoke, "revoke-secret", "Revoke secret "+xssImg+"? Services using it will stop getting tokens.")
	if got := revoke.Find(`[data-testid="revoke-secret-open"] .visually-hidden`).Text(); got != " "+xssImg {
		t.Errorf("the first step names the secret for screen readers as %q", got)
	}

	create := formByAction(doc, "/projects/p%2F1/secrets")
	if create.Length() != 1 || create.Find(`input[name="form_token"]`).AttrOr("value", "") != "sec-ft" {
		t.Error("create-secret form incomplete")
	}
	if n := wantCount(t, doc, "secret-name", 1); n.AttrOr("name", "") != "name" {
		t.Errorf("secret name input name = %q", n.AttrOr("name", ""))
	}
	if e := wantCount(t, doc, "secret-expiry", 1); e.AttrOr("name", "") != "expires_in_days" || selected(e) != "90" {
		t.Errorf("secret expiry: %q selected %q", e.AttrOr("name", ""), selected(e))
	}
	wantCount(t, doc, "create-secret", 1)
	if !strings.Contains(testID(doc, "secrets-section").Text(), "rotate without downtime") {
		t.Error("rotation advice missing")
	}
	if doc.Find("section#secrets").Length() != 1 {
		t.Error("the #secrets anchor is missing")
	}

	// Settings: the client's settings and the danger zone.
	doc = pages[ProjectTabSettings]
	settings := formByAction(doc, "/projects/p%2F1/settings")
	if settings.Length() != 1 {
		t.Fatalf("settings form: %d", settings.Length())
	}
	wantCount(t, doc, "settings-readonly", 0)
	wantCount(t, doc, "settings-saved", 1)
	if v := settings.Find(`input[name="name"]`).AttrOr("value", ""); v != xssScript {
		t.Errorf("settings name = %q", v)
	}
	if v := settings.Find(`textarea[name="description"]`).Text(); v != xssImg {
		t.Errorf("settings description = %q", v)
	}
	// Scopes and audiences are not project settings: they come from the APIs' grants.
	wantCount(t, doc, "settings-scopes", 0)
	wantCount(t, doc, "settings-audiences", 0)
	ttl := wantCount(t, doc, "settings-ttl", 1)
	if ttl.AttrOr("name", "") != "token_ttl_minutes" || ttl.AttrOr("type", "") != "number" || ttl.AttrOr("min", "") != "1" ||
		ttl.AttrOr("max", "") != "1440" || ttl.AttrOr("value", "") != "15" {
		t.Errorf("ttl input: %v", ttl.Nodes[0].Attr)
	}
	boxes := settings.Find(`input[type="checkbox"][name="grant_types"]`)
	if boxes.Length() != 2 {
		t.Fatalf("grant type boxes: %d", boxes.Length())
	}
	if _, ok := boxes.Eq(0).Attr("checked"); !ok || boxes.Eq(0).AttrOr("value", "") != "client_credentials" {
		t.Error("first grant type not checked")
	}
	if _, ok := boxes.Eq(1).Attr("checked"); ok {
		t.Error("second grant type checked")
	}
	errs := settings.Find(`[data-testid="field-error"]`)
	if errs.Length() != 1 || errs.Eq(0).Text() != "Pick one." {
		t.Errorf("settings errors: %d", errs.Length())
	}
	wantCount(t, doc, "save-settings", 1)
	if settings.Find(`#settings-auth-help a[href="/projects/p%2F1/credentials#client-keys"]`).Length() != 1 {
		t.Error("the client authentication help does not link the client keys")
	}
	if settings.Find(`#settings-mtls-help a[href="/projects/p%2F1/credentials#client-keys"]`).Length() != 1 {
		t.Error("the mutual-TLS help does not link the client keys (where self-signed certificates are registered)")
	}

	// Deleting asks for the name, typed (without JavaScript too): that is the confirmation.
	checkTypedName(t, formByAction(doc, "/projects/p%2F1/delete"), "delete-project", xssScript)
	if doc.Find("section#danger").Length() != 1 {
		t.Error("the #danger anchor is missing")
	}
}

// TestProjectPageOverview checks the overview's list of the APIs the project may call
// and its activity, and the usage page.
func TestProjectPageOverview(t *testing.T) {
	vm := ownerProject()
	vm.Usage = UsageVM{TokensToday: 3, TokensWeek: 41, RevocationsToday: 1, RevocationsWeek: 5}
	wantUsage := map[string]string{"usage-tokens-today": "3", "usage-tokens-week": "41", "usage-revocations-today": "1", "usage-revocations-week": "5"}

	doc, _ := projectPage(t, vm, "")
	na := wantCount(t, doc, "overview-no-apis", 1)
	if na.Find(`a[href="/projects/p%2F1/access"]`).Length() != 1 {
		t.Errorf("no-API text does not lead to API access: %q", na.Text())
	}
	wantCount(t, doc, "overview-api", 0)
	wantCount(t, doc, "overview-access-link", 0)
	for id, want := range wantUsage {
		if got := wantCount(t, doc, id, 1).Text(); got != want {
			t.Errorf("overview %s = %q, want %s", id, got, want)
		}
	}
	if href := wantCount(t, doc, "overview-usage-link", 1).AttrOr("href", ""); href != "/projects/p%2F1/usage" {
		t.Errorf("usage link = %q", href)
	}

	vm.APIs.Grants = []GrantRow{
		{ID: "g1", APIID: "api/1", APIName: xssScript, Identifier: xssImg, Scopes: []string{"orders:read", xssImg}, CreatedAt: apiAt},
		{ID: "g2", APIID: "api2", APIName: "Billing", Identifier: "billing-api", CreatedAt: apiAt},
	}
	doc, _ = projectPage(t, vm, ProjectTabOverview)
	wantCount(t, doc, "overview-no-apis", 0)
	rows := wantCount(t, doc, "overview-api", 2)
	if a := rows.Eq(0).Find("a"); a.AttrOr("href", "") != "/apis/api%2F1" || a.Text() != xssScript {
		t.Errorf("api link %q %q", a.AttrOr("href", ""), a.Text())
	}
	if got := rows.Eq(0).Find("code.identifier").Text(); got != xssImg {
		t.Errorf("identifier = %q", got)
	}
	if b := rows.Eq(0).Find(`[data-testid="overview-api-scope"]`); b.Length() != 2 || b.Eq(1).Text() != xssImg {
		t.Errorf("scope badges: %d %q", b.Length(), b.Text())
	}
	if rows.Eq(1).Find(`[data-testid="overview-api-scope"]`).Length() != 0 || !strings.Contains(rows.Eq(1).Text(), "none") {
		t.Errorf("no scopes shown as %q", rows.Eq(1).Text())
	}
	if href := wantCount(t, doc, "overview-access-link", 1).AttrOr("href", ""); href != "/projects/p%2F1/access" {
		t.Errorf("access link = %q", href)
	}

	wantCount(t, doc, "usage-panel", 0)

	// The usage page: the usage panel, by day.
	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	vm.UsagePanel = UsagePanelVM{Days: 7, Range7URL: "/projects/p%2F1/usage", Range30URL: "/projects/p%2F1/usage?days=30",
		Charts: []UsageChartVM{NewUsageChartVM("tokens", []UsagePoint{{Day: day, Count: 2}, {Day: day.AddDate(0, 0, 1), Count: 5}})}}
	doc, _ = projectPage(t, vm, ProjectTabUsage)
	u := wantCount(t, doc, "project-usage", 1)
	if u.AttrOr("id", "") != "usage" || u.Find(`[data-testid="usage-panel"]`).Length() != 1 {
		t.Errorf("usage page: id %q, %d usage panels", u.AttrOr("id", ""), u.Find(`[data-testid="usage-panel"]`).Length())
	}
	if got := u.Find(`[data-testid="usage-total-tokens"]`).Text(); got != "7" {
		t.Errorf("usage page: tokens total = %q", got)
	}

	// API access: the grants, with the project's requests.
	doc, _ = projectPage(t, vm, ProjectTabAccess)
	if s := testID(doc, "project-apis-section"); s.AttrOr("id", "") != "apis" || s.Find(`[data-testid="project-grant-row"]`).Length() != 2 {
		t.Errorf("API access: id %q, %d grants", s.AttrOr("id", ""), s.Find(`[data-testid="project-grant-row"]`).Length())
	}
}

// TestProjectPageSectionLinks checks every link from a project page to a section of one
// of its pages lands on that section: the page holding it has an element with its id.
func TestProjectPageSectionLinks(t *testing.T) {
	vm := ownerProject()
	vm.GettingStarted = true
	vm.ClientKeys.Enabled = false
	docs := map[string]*goquery.Document{}
	for _, tab := range allProjectTabs[1:] {
		path := "/projects/p%2F1"
		if tab != ProjectTabOverview {
			path += "/" + tab
		}
		docs[path], _ = projectPage(t, vm, tab)
	}
	seen := 0
	for from, doc := range docs {
		doc.Find("main a[href]").Each(func(_ int, a *goquery.Selection) {
			href := a.AttrOr("href", "")
			path, frag, ok := strings.Cut(href, "#")
			if !ok {
				return
			}
			if path == "" {
				path = from
			} else if !strings.HasPrefix(path, "/projects/p%2F1") {
				return
			}
			target, found := docs[path]
			if !found {
				t.Errorf("%s links %q: no such project page", from, href)
				return
			}
			seen++
			if target.Find(`[id="`+frag+`"]`).Length() != 1 {
				t.Errorf("%s links %q: %s has no #%s", from, href, path, frag)
			}
		})
	}
	if seen < 8 {
		t.Errorf("only %d links to sections checked", seen)
	}
}

func TestProjectPageGettingStarted(t *testing.T) {
	vm := ownerProject()
	vm.GettingStarted = true
	vm.Secrets = nil
	doc, _ := projectPage(t, vm, ProjectTabOverview)
	gs := wantCount(t, doc, "getting-started", 1)
	if gs.Find("ol > li").Length() != 3 {
		t.Errorf("getting started has %d steps", gs.Find("ol > li").Length())
	}
	// No API has granted access yet: said first, with the way to API access.
	if n := wantCount(t, doc, "getting-started-no-grant", 1); !strings.Contains(n.Text(), "invalid_target") || n.Find(`a[href="/projects/p%2F1/access"]`).Length() != 1 {
		t.Errorf("no-grant notice = %q", n.Text())
	}
	for _, href := range []string{"/projects/p%2F1/credentials#secrets", "/projects/p%2F1/keys#api-keys"} {
		if gs.Find(`li a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("step 1 does not link %s", href)
		}
	}
	// The token request is a code block: the client id filled in, the secret from the
	// environment, the token URL.
	want := "# export GATEHOUSE_CLIENT_SECRET=<a client secret of this project>\n" +
		"curl -s -u \"gh_client_abc:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  https://portal.example.com/oauth/token\n"
	code := gs.Find("pre > code#snippet-token")
	if code.Length() != 1 || code.AttrOr("data-testid", "") != "snippet-token" {
		t.Fatalf("%d <pre><code id=snippet-token>", code.Length())
	}
	if got := code.Text(); got != want {
		t.Errorf("snippet = %q, want %q", got, want)
	}
	if gs.Find(`button[type="button"][data-copy-target="snippet-token"]`).Length() != 1 {
		t.Error("snippet copy button missing")
	}
	if !strings.Contains(gs.Text(), "https://portal.example.com/.well-known/jwks.json") || !strings.Contains(gs.Text(), "Authorization: Bearer <token>") {
		t.Errorf("getting started = %q", gs.Text())
	}
	if got := wantCount(t, doc, "jwks-url", 1).Text(); got != "https://portal.example.com/.well-known/jwks.json" {
		t.Errorf("jwks url = %q", got)
	}

	// With a grant: no notice, and the command asks for a token for the first API granted.
	vm.APIs.Grants = []GrantRow{{ID: "g1", APIID: "api/1", APIName: "Orders", Identifier: "https://api.example.com/orders"},
		{ID: "g2", APIID: "api2", APIName: "Billing", Identifier: "billing-api"}}
	doc, _ = projectPage(t, vm, "")
	wantCount(t, doc, "getting-started-no-grant", 0)
	want = "# export GATEHOUSE_CLIENT_SECRET=<a client secret of this project>\n" +
		"curl -s -u \"gh_client_abc:$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n" +
		"  --data-urlencode resource=https://api.example.com/orders \\\n  https://portal.example.com/oauth/token\n"
	if got := testID(doc, "snippet-token").Text(); got != want {
		t.Errorf("snippet = %q, want %q", got, want)
	}

	// Only the overview has it (projectPage checks), and a fresh project's credentials
	// page says there is no secret yet.
	for _, tab := range allProjectTabs[2:] {
		projectPage(t, vm, tab)
	}
	doc, _ = projectPage(t, vm, ProjectTabCredentials)
	wantCount(t, doc, "secret-row", 0)
	if testID(doc, "secrets-section").Find(`[data-testid="empty-state"]`).Length() != 1 {
		t.Error("secrets empty state missing")
	}

	// Hostile values stay text in the command.
	vm.ClientID, vm.TokenURL = xssScript, "https://portal.example.com/oauth/token?"+xssImg
	doc, _ = projectPage(t, vm, "")
	if got := testID(doc, "snippet-token").Text(); !strings.Contains(got, xssScript+":$GATEHOUSE_CLIENT_SECRET") || !strings.Contains(got, ShellQuote(vm.TokenURL)) {
		t.Errorf("snippet = %q", got)
	}
}

// secretCreated is the page of a new client secret, with hostile values everywhere.
func secretCreated() SecretCreatedVM {
	exp := time.Date(2025, 5, 6, 7, 8, 0, 0, time.UTC)
	secret := "ghcs_s3cr3t<&>\"'"
	return SecretCreatedVM{ProjectID: "p/1", ProjectName: xssImg, ClientID: "gh_client_abc", Name: xssScript, Secret: secret,
		ExpiresAt: &exp, NoGrant: true,
		Snippets: []Snippet{
			{ID: "snippet-secret-curl", Title: "curl", Code: TokenCurl("gh_client_abc", secret, "https://portal.example.com/oauth/token", "")},
			{ID: "snippet-secret-go", Title: xssScript, Code: "package main\n\n\t// " + xssImg + "\n"},
		}}
}

func TestSecretCreatedPage(t *testing.T) {
	vm := secretCreated()
	doc, html := render(t, SecretCreatedPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	if strings.Contains(html, vm.Secret) {
		t.Error("the secret was rendered unescaped")
	}

	so := wantCount(t, doc, "shown-once", 1)
	checkShownOnceAtTop(t, doc)
	if got := so.Find("h1").Text(); got != "Client secret “"+xssScript+"” created" {
		t.Errorf("title = %q", got)
	}
	if !strings.Contains(so.Text(), "Copy it now. You won't see it again.") || !strings.Contains(so.Text(), "Gatehouse stores only a hash of it.") {
		t.Errorf("shown-once = %q", so.Text())
	}
	sec := wantCount(t, doc, "secret", 1)
	if goquery.NodeName(sec) != "code" || sec.Text() != vm.Secret || sec.AttrOr("id", "") != "shown-once-value" {
		t.Errorf("secret <%s> %q id %q", goquery.NodeName(sec), sec.Text(), sec.AttrOr("id", ""))
	}
	if so.Find(`button[data-copy-target="shown-once-value"]`).Length() != 1 {
		t.Error("secret copy button missing")
	}
	// The value appears once, in its box; the snippets use it too, as code to run.
	inSnippets := strings.Count(testID(doc, "secret-snippets").Text(), vm.Secret)
	if n := strings.Count(doc.Text(), vm.Secret) - inSnippets; n != 1 {
		t.Errorf("secret appears %d times outside the snippets", n)
	}
	box := wantCount(t, doc, "new-secret-box", 1)
	if box.Closest(`[data-testid="shown-once"]`).Length() != 1 {
		t.Error("details outside the shown-once section")
	}
	if got := wantCount(t, doc, "new-secret-client-id", 1).Text(); got != "gh_client_abc" {
		t.Errorf("client id = %q", got)
	}
	exp := wantCount(t, doc, "new-secret-expires", 1)
	if strings.TrimSpace(exp.Text()) != "6 May 2025 07:08 UTC" || exp.Find("time").AttrOr("datetime", "") != "2025-05-06T07:08:00Z" {
		t.Errorf("expiry %q %q", exp.Text(), exp.Find("time").AttrOr("datetime", ""))
	}
	if ng := wantCount(t, doc, "new-secret-no-grant", 1); !strings.Contains(ng.Text(), "invalid_target") || ng.Find(`a[href="/projects/p%2F1/access"]`).Length() != 1 {
		t.Errorf("no-grant notice = %q", ng.Text())
	}
	wantCount(t, doc, "secret-snippets", 1)
	checkSnippets(t, wantCount(t, doc, "secret-snippet", 2), vm.Snippets)
	if a := wantCount(t, doc, "shown-once-project", 1); a.AttrOr("href", "") != "/projects/p%2F1" || a.Text() != xssImg {
		t.Errorf("project link %q %q", a.AttrOr("href", ""), a.Text())
	}
	if href := wantCount(t, doc, "shown-once-done", 1).AttrOr("href", ""); href != "/projects/p%2F1/credentials#secrets" {
		t.Errorf("done href = %q", href)
	}

	// No expiry, a grant, no snippets.
	vm.ExpiresAt, vm.NoGrant, vm.Snippets = nil, false, nil
	doc, _ = render(t, SecretCreatedPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	checkShownOnceAtTop(t, doc)
	if got := strings.TrimSpace(wantCount(t, doc, "new-secret-expires", 1).Text()); got != "never" {
		t.Errorf("expiry = %q", got)
	}
	wantCount(t, doc, "new-secret-no-grant", 0)
	wantCount(t, doc, "secret-snippets", 0)
	if n := strings.Count(doc.Text(), vm.Secret); n != 1 {
		t.Errorf("secret appears %d times", n)
	}
}

// checkSnippets asserts the snippets are titled <details>, the first one open, each with
// its code, whitespace kept, in <pre><code id=ID data-testid=ID> and a copy button.
func checkSnippets(t *testing.T, ds *goquery.Selection, want []Snippet) {
	t.Helper()
	if ds.Length() != len(want) {
		t.Fatalf("%d snippets, want %d", ds.Length(), len(want))
	}
	ds.Each(func(i int, d *goquery.Selection) {
		sn := want[i]
		if goquery.NodeName(d) != "details" {
			t.Errorf("snippet %d is <%s>", i, goquery.NodeName(d))
		}
		if _, open := d.Attr("open"); open != (i == 0) {
			t.Errorf("snippet %d open = %v", i, open)
		}
		if got := d.Find("summary").Text(); got != sn.Title {
			t.Errorf("snippet %d title = %q", i, got)
		}
		code := d.Find("pre > code#" + sn.ID)
		if code.Length() != 1 || code.AttrOr("data-testid", "") != sn.ID {
			t.Fatalf("snippet %d: %d <pre><code id=%s>", i, code.Length(), sn.ID)
		}
		if code.Text() != sn.Code {
			t.Errorf("snippet %d code = %q, want %q (whitespace kept)", i, code.Text(), sn.Code)
		}
		if d.Find(`button[type="button"][data-copy-target="`+sn.ID+`"]`).Length() != 1 {
			t.Errorf("snippet %d copy button missing", i)
		}
	})
}

func TestProjectPageViewer(t *testing.T) {
	vm := ownerProject()
	vm.MyRole = "viewer"
	vm.Can = ProjectPermissions{}
	vm.APIKeys.CanManage = false
	vm.ClientKeys.CanManage = false
	vm.Settings.Errors = nil
	vm.APIKeys.Form.Errors = nil
	pages := map[string]*goquery.Document{}
	for _, tab := range allProjectTabs {
		doc, _ := projectPage(t, vm, tab)
		for _, id := range []string{"create-secret", "secret-name", "secret-expiry", "revoke-secret", "delete-project", "project-danger-zone",
			"save-settings", "settings-scopes", "settings-ttl", "new-secret-box", "secret",
			"key-form", "create-key", "revoke-key", "revoke-by-value", "revoke-by-value-input", "new-key-box",
			"client-key-form", "client-key-name", "client-key-material", "client-key-jwks-uri", "client-key-expiry",
			"add-client-key", "remove-client-key", "settings-auth-method"} {
			wantCount(t, doc, id, 0)
		}
		if n := doc.Find("main form").Length(); n != 0 {
			t.Errorf("%s: viewer sees %d forms", tab, n)
		}
		pages[tab] = doc
	}
	wantCount(t, pages[""], "client-id", 1)
	doc := pages[ProjectTabCredentials]
	wantCount(t, doc, "secret-row", 3)
	wantCount(t, doc, "client-key-row", 3)
	wantCount(t, doc, "client-key-status", 3)
	wantCount(t, doc, "client-key-recipe", 1)
	if n := testID(doc, "client-keys-section").Find("th").Length(); n != 6 {
		t.Errorf("viewer's client keys table has %d columns, want 6 (no actions)", n)
	}
	doc = pages[ProjectTabKeys]
	wantCount(t, doc, "key-row", 3)
	wantCount(t, doc, "key-status", 3)
	if n := testID(doc, "api-keys-section").Find("th").Length(); n != 5 {
		t.Errorf("viewer's keys table has %d columns, want 5 (no actions)", n)
	}
	wantCount(t, doc, "jump-key-form", 0)
	ro := wantCount(t, pages[ProjectTabSettings], "settings-readonly", 1)
	if got := ro.Find(`[data-testid="readonly-ttl"]`).Text(); got != "15 minutes" {
		t.Errorf("ttl = %q", got)
	}
	if got := ro.Find(`[data-testid="readonly-grant-types"]`).Text(); got != "Client credentials" {
		t.Errorf("grant types = %q", got)
	}
	if got := ro.Find(`[data-testid="readonly-auth-methods"]`).Text(); got != "Client secret" {
		t.Errorf("auth methods = %q", got)
	}
	if !strings.Contains(ro.Text(), xssScript) {
		t.Errorf("readonly name missing: %q", ro.Text())
	}
}

// ownerKeys is the API keys section as a developer sees it, with hostile values everywhere.
func ownerKeys() APIKeysVM {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	exp := at.Add(30 * 24 * time.Hour)
	rev := at.Add(time.Hour)
	return APIKeysVM{
		ProjectID: "p/1",
		CanManage: true,
		Keys: []APIKeyRow{
			{ID: "key_1", Name: xssScript, Scopes: []string{"orders:read", xssImg}, Audiences: []string{"https://api.example.com", xssScript},
				CreatedBy: xssImg, CreatedAt: at, ExpiresAt: exp, Status: "active"},
			{ID: "key_2", Name: "old", CreatedBy: "Ada", CreatedAt: at, ExpiresAt: at, Status: "expired"},
			{ID: "key_3", Name: "gone", Scopes: []string{"orders:write"}, CreatedBy: "Ada", CreatedAt: at, ExpiresAt: exp, RevokedAt: &rev, Status: "revoked"},
		},
		Form: APIKeyForm{
			Name: xssImg,
			APIs: []KeyAPIOption{
				{ID: "api_1", Name: xssScript, Identifier: "https://api.example.com",
					Scopes: []Checkbox{{"orders:read", "", true}, {xssImg, xssScript, false}}},
				{ID: "api_2", Name: "Billing", Identifier: xssImg, Scopes: []Checkbox{{"billing:read", "", false}}},
			},
			API:           "api_1",
			ExpiresIn:     "90",
			ExpiryOptions: []Option{{"30", "30 days"}, {"90", "90 days"}, {"365", "1 year"}},
			FormToken:     "key-ft",
			Errors: map[string]string{"name": xssScript, "scopes": "Unknown scope.", "api": xssImg,
				"expires_in_days": "Pick a lifetime.", "form": xssScript},
		},
	}
}

func TestProjectPageAPIKeysManager(t *testing.T) {
	vm := ownerProject()
	doc, _ := projectPage(t, vm, ProjectTabKeys)

	sec := wantCount(t, doc, "api-keys-section", 1)
	if sec.AttrOr("id", "") != "api-keys" {
		t.Errorf("the keys section's anchor is %q", sec.AttrOr("id", ""))
	}
	wantCount(t, doc, "api-keys-placeholder", 0)
	intro := wantCount(t, doc, "api-keys-intro", 1).Text()
	for _, want := range []string{"signed JWT", "offline", "public keys", "status list"} {
		if !strings.Contains(intro, want) {
			t.Errorf("intro lacks %q: %q", want, intro)
		}
	}
	wantCount(t, doc, "new-key-box", 0)
	wantCount(t, doc, "secret", 0)
	wantCount(t, doc, "key-snippet", 0)
	if sec.Find(`[data-testid="empty-state"]`).Length() != 0 {
		t.Error("empty state shown next to keys")
	}

	rows := wantCount(t, doc, "key-row", 3)
	wantStatus := []string{"active", "expired", "revoked"}
	rows.Each(func(i int, r *goquery.Selection) {
		k := vm.APIKeys.Keys[i]
		if got := r.Find(`[data-testid="key-id"]`); goquery.NodeName(got) != "code" || got.Text() != k.ID {
			t.Errorf("row %d id <%s> %q", i, goquery.NodeName(got), got.Text())
		}
		st := r.Find(`[data-testid="key-status"]`)
		if st.Text() != wantStatus[i] || !st.HasClass("badge-status-"+wantStatus[i]) {
			t.Errorf("row %d status %q class %q", i, st.Text(), st.AttrOr("class", ""))
		}
		revoke := r.Find(`[data-testid="revoke-key"]`).Length()
		if (revoke == 1) != (wantStatus[i] == "active") {
			t.Errorf("row %d: %d revoke buttons", i, revoke)
		}
	})
	first := rows.Eq(0)
	if got := first.Find(`[data-testid="key-row-name"]`).Text(); got != xssScript {
		t.Errorf("key name = %q", got)
	}
	badges := first.Find(`[data-testid="key-scope-badge"]`)
	if badges.Length() != 2 || badges.Eq(1).Text() != xssImg || !badges.Eq(0).HasClass("badge") {
		t.Errorf("scope badges: %d %q", badges.Length(), badges.Text())
	}
	auds := first.Find(`[data-testid="key-audience-value"]`)
	if auds.Length() != 2 || auds.Eq(1).Text() != xssScript {
		t.Errorf("audiences: %d %q", auds.Length(), auds.Text())
	}
	if !strings.Contains(first.Text(), xssImg) || !strings.Contains(first.Text(), "1 Feb 2025 03:04 UTC") {
		t.Errorf("created by / expiry missing: %q", first.Text())
	}
	if got := strings.TrimSpace(rows.Eq(1).Find(`[data-testid="key-scopes"]`).Text()); got != "—" {
		t.Errorf("no scopes shown as %q", got)
	}
	// The key's API is said with its name ("for …"); a key without one says nothing.
	if a := first.Find(`[data-testid="key-audiences"]`); a.Closest(`td[data-label="Key"]`).Length() != 1 || !strings.HasPrefix(strings.TrimSpace(a.Text()), "for ") {
		t.Errorf("audiences %q not with the key's name", a.Text())
	}
	if n := rows.Eq(1).Find(`[data-testid="key-audiences"], [data-testid="key-audience-value"]`).Length(); n != 0 {
		t.Errorf("a key without audiences shows %d", n)
	}
	if n := sec.Find("th").Length(); n != 6 {
		t.Errorf("manager's keys table has %d columns, want 6 (key, scopes, created, expires, status, actions)", n)
	}
	// With keys listed, a way to the form below them.
	if a := wantCount(t, doc, "jump-key-form", 1); a.AttrOr("href", "") != "#key-form" {
		t.Errorf("jump to the key form = %q", a.AttrOr("href", ""))
	}
	if title := rows.Eq(2).Find(`[data-testid="key-status"]`).AttrOr("title", ""); title != "Revoked 2 Jan 2025 04:04 UTC" {
		t.Errorf("revoked title = %q", title)
	}

	revoke := formByAction(doc, "/projects/p%2F1/keys/key_1/revoke")
	if revoke.Length() != 1 {
		t.Fatalf("revoke form: %d", revoke.Length())
	}
	checkConfirm(t, revoke, "revoke-key", "Revoke API key "+xssScript+"? Every API will reject it within a minute.")
	if got := revoke.Find(`[data-testid="revoke-key-open"] .visually-hidden`).Text(); got != " "+xssScript {
		t.Errorf("the first step names the key for screen readers as %q", got)
	}

	create := formByAction(doc, "/projects/p%2F1/keys")
	if create.Length() != 1 || create.AttrOr("data-testid", "") != "key-form" {
		t.Fatalf("create form: %d", create.Length())
	}
	if v := create.Find(`input[type="hidden"][name="form_token"]`).AttrOr("value", ""); v != "key-ft" {
		t.Errorf("form_token = %q", v)
	}
	name := wantCount(t, doc, "key-name", 1)
	if name.AttrOr("name", "") != "name" || name.AttrOr("maxlength", "") != "60" || name.AttrOr("value", "") != xssImg ||
		name.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("name input: %v", name.Nodes[0].Attr)
	}
	if _, ok := name.Attr("required"); !ok {
		t.Error("name not required")
	}
	// One API per key: a select of the granted APIs; each API's granted scopes in its own
	// fieldset, only the chosen API's enabled (app.js follows the select).
	api := wantCount(t, doc, "key-api", 1)
	if goquery.NodeName(api) != "select" || api.AttrOr("name", "") != "api" || selected(api) != "api_1" ||
		api.Find("option").Length() != 2 || api.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("api select: <%s> %v selected %q", goquery.NodeName(api), api.Nodes[0].Attr, selected(api))
	}
	if got := api.Find("option").Eq(1).AttrOr("data-identifier", ""); got != xssImg {
		t.Errorf("option data-identifier = %q", got)
	}
	sets := wantCount(t, doc, "key-scopes-fieldset", 2)
	if _, off := sets.Eq(0).Attr("disabled"); off {
		t.Error("the chosen API's scopes are disabled")
	}
	if _, off := sets.Eq(1).Attr("disabled"); !off {
		t.Error("another API's scopes are enabled (they would be submitted)")
	}
	scopes := sets.Eq(0).Find(`[data-testid="key-scope"]`)
	if scopes.Length() != 2 {
		t.Fatalf("scopes of the chosen API: %d", scopes.Length())
	}
	scopes.Each(func(i int, s *goquery.Selection) {
		want := vm.APIKeys.Form.APIs[0].Scopes[i]
		if s.AttrOr("type", "") != "checkbox" || s.AttrOr("name", "") != "scopes" || s.AttrOr("value", "") != want.Value {
			t.Errorf("scope %d: %v", i, s.Nodes[0].Attr)
		}
		if _, ok := s.Attr("checked"); ok != want.Checked {
			t.Errorf("scope %d checked = %v", i, ok)
		}
	})
	if got := strings.TrimSpace(scopes.Eq(1).Parent().Text()); got != xssScript {
		t.Errorf("scope label = %q", got)
	}
	wantCount(t, doc, "key-scopes-empty", 0)
	if e := wantCount(t, doc, "key-expiry", 1); e.AttrOr("name", "") != "expires_in_days" || selected(e) != "90" || e.Find("option").Length() != 3 {
		t.Errorf("expiry: %q selected %q", e.AttrOr("name", ""), selected(e))
	}
	if got := create.Find(`[data-testid="field-error"]`); got.Length() != 4 || got.Eq(0).Text() != xssScript ||
		got.Eq(1).Text() != "Pick a lifetime." || got.Eq(2).Text() != xssImg || got.Eq(3).Text() != "Unknown scope." {
		t.Errorf("field errors: %d %q", got.Length(), got.Text())
	}
	if fe := wantCount(t, doc, "key-form-error", 1); fe.Text() != xssScript || fe.AttrOr("role", "") != "alert" {
		t.Errorf("form error %q role %q", fe.Text(), fe.AttrOr("role", ""))
	}
	if b := wantCount(t, doc, "create-key", 1); b.AttrOr("type", "") != "submit" || b.Closest("form").AttrOr("data-testid", "") != "key-form" {
		t.Error("create-key is not the key form's submit button")
	}

	rbv := wantCount(t, doc, "revoke-by-value", 1)
	if goquery.NodeName(rbv) != "details" {
		t.Errorf("revoke-by-value is <%s>", goquery.NodeName(rbv))
	}
	if _, open := rbv.Attr("open"); open {
		t.Error("revoke-by-value open without a result")
	}
	if !strings.Contains(rbv.Find("summary").Text(), "Revoke a leaked key") {
		t.Errorf("summary = %q", rbv.Find("summary").Text())
	}
	form := formByAction(doc, "/projects/p%2F1/keys/revoke-by-value")
	if form.Length() != 1 || form.Closest(`details[data-testid="revoke-by-value"]`).Length() != 1 {
		t.Fatalf("revoke-by-value form: %d", form.Length())
	}
	checkConfirm(t, form, "revoke-by-value-submit", "Revoke the pasted key? Every API rejects it within a minute.")
	in := wantCount(t, doc, "revoke-by-value-input", 1)
	if goquery.NodeName(in) != "textarea" || in.AttrOr("name", "") != "key" || in.AttrOr("rows", "") != "3" ||
		in.AttrOr("autocomplete", "") != "off" || in.AttrOr("spellcheck", "") != "false" || in.Text() != "" {
		t.Errorf("revoke-by-value input: <%s> %v", goquery.NodeName(in), in.Nodes[0].Attr)
	}
	if form.Find(`[data-testid="revoke-by-value-submit"][type="submit"]`).Length() != 1 {
		t.Error("revoke-by-value submit missing")
	}
	wantCount(t, doc, "revoke-by-value-error", 0)
	wantCount(t, doc, "revoke-by-value-done", 0)
}

func TestKeyCreatedPage(t *testing.T) {
	const key = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJrZXlfOSJ9.c2ln<&>\"'"
	curl := "curl -H 'Authorization: Bearer " + key + "' \\\n  https://api.example.com/orders\n"
	goCode := "package main\n\nfunc main() {\n\t// " + xssScript + "\n\tverify(\"" + xssImg + "\")\n}\n"
	vm := KeyCreatedVM{ProjectID: "p/1", ProjectName: xssScript, Audience: "https://api.example.com/" + xssImg, Scopes: []string{"orders:read", xssImg},
		Key: NewAPIKey{
			ID: "key_9", Name: xssImg, Key: key, ExpiresAt: time.Date(2025, 4, 2, 3, 4, 0, 0, time.UTC),
			Snippets: []Snippet{
				{ID: "snippet-curl", Title: "curl", Code: curl},
				{ID: "snippet-go", Title: "Go (verify)", Code: goCode},
				{ID: "snippet-node", Title: xssScript, Code: "console.log(1)"},
			},
		}}
	doc, html := render(t, KeyCreatedPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	if strings.Contains(html, key) {
		t.Error("the key was rendered unescaped")
	}

	// The key is the first thing on its page, in view when it opens.
	so := wantCount(t, doc, "shown-once", 1)
	checkShownOnceAtTop(t, doc)
	if got := so.Find("h1").Text(); got != "API key “"+xssImg+"” created" {
		t.Errorf("title = %q", got)
	}
	if !strings.Contains(so.Text(), "Copy it now. You won't see it again.") || !strings.Contains(so.Text(), "Gatehouse does not store the key.") {
		t.Errorf("shown-once = %q", so.Text())
	}
	secret := wantCount(t, doc, "secret", 1)
	if goquery.NodeName(secret) != "code" || secret.Text() != key || secret.AttrOr("id", "") != "shown-once-value" ||
		secret.Closest(`[data-testid="shown-once"]`).Length() != 1 {
		t.Errorf("secret <%s id=%q> %q", goquery.NodeName(secret), secret.AttrOr("id", ""), secret.Text())
	}
	if so.Find(`button[data-copy-target="shown-once-value"]`).Length() != 1 {
		t.Error("key copy button missing")
	}
	// The value appears once, in its box; the snippets use it too, as code to run.
	if n := strings.Count(doc.Text(), key) - strings.Count(testID(doc, "key-snippets").Text(), key); n != 1 {
		t.Errorf("key appears %d times outside the snippets", n)
	}

	// What the key is: after the value, before the snippets.
	box := wantCount(t, doc, "new-key-box", 1)
	if box.Closest(`[data-testid="shown-once"]`).Length() != 1 || box.NextAllFiltered(`[data-testid="key-snippets"]`).Length() != 1 {
		t.Error("the key's details are not between its value and the snippets")
	}
	if got := wantCount(t, doc, "new-key-id", 1).Text(); got != "key_9" {
		t.Errorf("key id = %q", got)
	}
	if got := wantCount(t, doc, "new-key-aud", 1).Text(); got != vm.Audience {
		t.Errorf("key aud = %q", got)
	}
	if b := wantCount(t, doc, "new-key-scope", 2); b.Eq(1).Text() != xssImg || !b.Eq(0).HasClass("badge") {
		t.Errorf("scopes %q", b.Text())
	}
	if e := wantCount(t, doc, "new-key-expires", 1); e.Text() != "2 Apr 2025 03:04 UTC" || e.AttrOr("datetime", "") != "2025-04-02T03:04:00Z" {
		t.Errorf("expiry %q %q", e.Text(), e.AttrOr("datetime", ""))
	}
	checkSnippets(t, wantCount(t, doc, "key-snippet", 3), vm.Key.Snippets)
	if a := wantCount(t, doc, "shown-once-project", 1); a.AttrOr("href", "") != "/projects/p%2F1" || a.Text() != xssScript {
		t.Errorf("project link %q %q", a.AttrOr("href", ""), a.Text())
	}
	// The POST went to /keys: a link there with only a fragment added would not load the list.
	if href := wantCount(t, doc, "shown-once-done", 1).AttrOr("href", ""); href != "/projects/p%2F1/keys" {
		t.Errorf("done href = %q", href)
	}

	// A key that never expires, without scopes or snippets.
	vm.Key.ExpiresAt, vm.Key.Snippets, vm.Scopes = time.Time{}, nil, nil
	doc, _ = render(t, KeyCreatedPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	checkShownOnceAtTop(t, doc)
	if e := wantCount(t, doc, "new-key-expires", 1); e.Text() != "never" {
		t.Errorf("expiry = %q", e.Text())
	}
	wantCount(t, doc, "new-key-scope", 0)
	if !strings.Contains(testID(doc, "new-key-box").Text(), "none") {
		t.Error("no scopes not said")
	}
	for _, id := range []string{"key-snippets", "key-snippet", "snippet-curl"} {
		wantCount(t, doc, id, 0)
	}
	if n := strings.Count(doc.Text(), key); n != 1 {
		t.Errorf("key appears %d times", n)
	}
}

// TestProjectPageKeyFormProblem checks a refused key form is said at the top of the keys
// page, with the way to the form; the key itself never shows on a project page.
func TestProjectPageKeyFormProblem(t *testing.T) {
	vm := ownerProject()
	vm.APIKeys.Form.Errors = nil
	doc, _ := projectPage(t, vm, ProjectTabKeys)
	for _, id := range []string{"new-key-box", "secret", "key-snippet", "snippet-curl", "new-key-id", "key-form-problem"} {
		wantCount(t, doc, id, 0)
	}

	vm.APIKeys.Form.Errors = map[string]string{"name": "is required"}
	doc, _ = projectPage(t, vm, ProjectTabKeys)
	problem := wantCount(t, doc, "key-form-problem", 1)
	if problem.AttrOr("role", "") != "alert" || problem.NextAllFiltered(`[data-testid="api-keys-section"]`).Length() != 1 ||
		problem.Find(`a[href="#key-form"]`).Length() != 1 {
		t.Errorf("the key form's problem is not at the top with a link to the form: %q", problem.Text())
	}
	if wantCount(t, doc, "key-form", 1).AttrOr("id", "") != "key-form" {
		t.Error("the key form has no key-form anchor")
	}
	// Said on the page with the form only (projectPage checks the others).
	for _, tab := range allProjectTabs {
		if tab != ProjectTabKeys {
			projectPage(t, vm, tab)
		}
	}
}

func TestAPIKeysSectionEmptyAndRevokeByValue(t *testing.T) {
	vm := APIKeysVM{
		ProjectID: "p1", CanManage: true, CSRF: token,
		Form: APIKeyForm{ExpiryOptions: []Option{{"90", "90 days"}}, ExpiresIn: "90",
			APIs: []KeyAPIOption{{ID: "api_1", Name: "Orders", Identifier: "orders-api"}}, API: "api_1"},
		RevokeByValue: RevokeByValueForm{Error: xssScript},
	}
	doc, _ := render(t, APIKeysSection(vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	es := wantCount(t, doc, "empty-state", 1)
	if got := es.Find("h2").Text(); got != "No API keys yet" {
		t.Errorf("empty state = %q", got)
	}
	wantCount(t, doc, "key-row", 0)
	note := wantCount(t, doc, "key-scopes-empty", 1)
	if !strings.Contains(note.Text(), "This project holds no scopes on Orders; keys for it carry none.") {
		t.Errorf("scopes note = %q", note.Text())
	}
	wantCount(t, doc, "key-scope", 0)
	wantCount(t, doc, "key-form", 1)
	if _, open := wantCount(t, doc, "revoke-by-value", 1).Attr("open"); !open {
		t.Error("revoke-by-value closed despite an error")
	}
	if e := wantCount(t, doc, "revoke-by-value-error", 1); e.Text() != xssScript || e.AttrOr("role", "") != "alert" {
		t.Errorf("error %q role %q", e.Text(), e.AttrOr("role", ""))
	}
	if in := wantCount(t, doc, "revoke-by-value-input", 1); in.AttrOr("aria-invalid", "") != "true" {
		t.Error("textarea not marked invalid")
	}
	wantCount(t, doc, "revoke-by-value-done", 0)

	vm.RevokeByValue = RevokeByValueForm{Revoked: "key_<b>7</b>"}
	doc, _ = render(t, APIKeysSection(vm))
	checkNoInjection(t, doc)
	if _, open := wantCount(t, doc, "revoke-by-value", 1).Attr("open"); !open {
		t.Error("revoke-by-value closed after a revocation")
	}
	done := wantCount(t, doc, "revoke-by-value-done", 1)
	if !strings.Contains(done.Text(), "key_<b>7</b>") || done.Find("b").Length() != 0 {
		t.Errorf("done = %q", done.Text())
	}
	wantCount(t, doc, "revoke-by-value-error", 0)

	// A viewer: the empty state and nothing to act with.
	doc, _ = render(t, APIKeysSection(APIKeysVM{ProjectID: "p1"}))
	wantCount(t, doc, "empty-state", 1)
	for _, id := range []string{"key-form", "create-key", "revoke-key", "revoke-by-value", "key-scopes-empty"} {
		wantCount(t, doc, id, 0)
	}
	if n := doc.Find("form").Length(); n != 0 {
		t.Errorf("viewer sees %d forms", n)
	}
}

// TestProjectPagePassesCSRFToKeys checks the section's forms get the page's token
// when the view model does not carry one.
func TestProjectPagePassesCSRFToKeys(t *testing.T) {
	vm := ownerProject()
	vm.APIKeys.CSRF = ""
	doc, _ := projectPage(t, vm, ProjectTabKeys)
	forms := testID(doc, "api-keys-section").Find(`form[method="post"]`)
	if forms.Length() != 3 { // revoke key_1, create, revoke by value
		t.Errorf("%d forms in the keys section", forms.Length())
	}
	forms.Each(func(i int, f *goquery.Selection) {
		if v := f.Find(`input[name="_csrf"]`).AttrOr("value", ""); v != token {
			t.Errorf("form %d (%s) _csrf = %q", i, f.AttrOr("action", ""), v)
		}
	})
}

func TestCodeBlock(t *testing.T) {
	code := "line 1\n\tindented " + xssScript + "\n\n  two spaces " + xssImg + "\n"
	doc, _ := render(t, CodeBlock("snip", code, "snip-code"))
	checkNoInjection(t, doc)
	c := wantCount(t, doc, "snip-code", 1)
	if goquery.NodeName(c) != "code" || goquery.NodeName(c.Parent()) != "pre" || c.AttrOr("id", "") != "snip" {
		t.Errorf("<%s id=%q> in <%s>", goquery.NodeName(c), c.AttrOr("id", ""), goquery.NodeName(c.Parent()))
	}
	if c.Text() != code {
		t.Errorf("code = %q, want %q", c.Text(), code)
	}
	btn := doc.Find("button[data-copy-target]")
	if btn.Length() != 1 || btn.AttrOr("data-copy-target", "") != "snip" || btn.AttrOr("type", "") != "button" {
		t.Errorf("copy button: %d target %q", btn.Length(), btn.AttrOr("data-copy-target", ""))
	}
	doc, _ = render(t, CodeBlock("x", "v", ""))
	if _, ok := doc.Find("code#x").Attr("data-testid"); ok {
		t.Error("empty testid rendered")
	}
}

func TestLayoutAdminLink(t *testing.T) {
	doc, _ := render(t, Layout(signedIn()))
	wantCount(t, doc, "nav-admin", 0)
	p := signedIn()
	p.Admin = true
	doc, _ = render(t, Layout(p))
	if a := wantCount(t, doc, "nav-admin", 1); a.AttrOr("href", "") != "/admin/signing-keys" || a.Text() != "Admin" {
		t.Errorf("admin link %q %q", a.AttrOr("href", ""), a.Text())
	}
}

func TestSigningKeysPage(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	act := at.Add(10 * time.Minute)
	ret := at.Add(90 * 24 * time.Hour)
	soon := at.Add(91 * 24 * time.Hour)
	longKID := "kid-2025-01-02-0123456789abcdef0123456789abcdef" + xssImg
	vm := SigningKeysVM{
		Rotation:    "every 90 days",
		PublishLead: "10 minutes",
		JWKSURL:     "https://portal.example.com/.well-known/jwks.json",
		Keys: []SigningKeyRow{
			{KID: "kid-next", Alg: "EdDSA", State: "next", CreatedAt: ret, ActivatesAt: &soon},
			{KID: longKID, Alg: "EdDSA", State: "active", CreatedAt: at, ActivatedAt: &act, LiveCredentials: 42},
			{KID: "kid-old", Alg: xssScript, State: "retired", CreatedAt: at, ActivatedAt: &act, RetiredAt: &ret, LiveCredentials: 3},
		},
	}
	p := signedIn()
	p.Admin = true
	p.Title = "Signing keys"
	doc, _ := render(t, SigningKeysPage(p, vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	wantCount(t, doc, "nav-admin", 1)

	if got := doc.Find("main h1").Text(); got != "Signing keys" {
		t.Errorf("heading = %q", got)
	}
	intro := wantCount(t, doc, "signing-keys-intro", 1).Text()
	for _, want := range []string{"active", "10 minutes", "every 90 days", "retired", "expired or been revoked"} {
		if !strings.Contains(strings.ToLower(intro), strings.ToLower(want)) {
			t.Errorf("intro lacks %q: %q", want, intro)
		}
	}
	if href := wantCount(t, doc, "jwks-link", 1).AttrOr("href", ""); href != vm.JWKSURL {
		t.Errorf("jwks link = %q", href)
	}

	rows := wantCount(t, doc, "signing-key-row", 3)
	wantClass := []string{"badge-key-next", "badge-key-active", "badge-key-retired"}
	rows.Each(func(i int, r *goquery.Selection) {
		k := vm.Keys[i]
		kid := r.Find(`[data-testid="signing-key-kid"]`)
		if goquery.NodeName(kid) != "code" || kid.Text() != k.KID || kid.AttrOr("title", "") != k.KID || !kid.HasClass("kid") {
			t.Errorf("row %d kid <%s> %q", i, goquery.NodeName(kid), kid.Text())
		}
		st := r.Find(`[data-testid="signing-key-state"]`)
		if st.Text() != k.State || !st.HasClass(wantClass[i]) || !st.HasClass("badge") {
			t.Errorf("row %d state %q class %q", i, st.Text(), st.AttrOr("class", ""))
		}
		if got := r.Find(`[data-testid="signing-key-alg"]`).Text(); got != k.Alg {
			t.Errorf("row %d alg = %q", i, got)
		}
	})
	if got := strings.TrimSpace(rows.Eq(0).Find(`[data-testid="signing-key-activates"]`).Text()); got != "3 Apr 2025 03:04 UTC" {
		t.Errorf("activates at = %q", got)
	}
	if got := strings.TrimSpace(rows.Eq(1).Find(`[data-testid="signing-key-activates"]`).Text()); got != "—" {
		t.Errorf("active key's activates at = %q", got)
	}
	if got := rows.Eq(1).Find(`[data-testid="signing-key-live"]`).Text(); got != "42" {
		t.Errorf("live credentials = %q", got)
	}
	if !strings.Contains(rows.Eq(2).Text(), "2 Apr 2025 03:04 UTC") || !strings.Contains(rows.Eq(2).Text(), "2 Jan 2025 03:14 UTC") {
		t.Errorf("retired row = %q", rows.Eq(2).Text())
	}

	form := formByAction(doc, "/admin/signing-keys/rotate")
	if form.Length() != 1 {
		t.Fatalf("rotate form: %d", form.Length())
	}
	checkConfirm(t, form, "rotate-signing-keys", "Start a rotation? A new key is published now and starts signing after 10 minutes.")
	if s := form.Find(`[data-testid="rotate-signing-keys-open"]`); s.Length() != 1 || strings.TrimSpace(s.Text()) != "Rotate now" || !s.HasClass("danger") {
		t.Errorf("rotate button %q class %q", s.Text(), s.AttrOr("class", ""))
	}
	if b := form.Find(`[data-testid="rotate-signing-keys"]`); b.Length() != 1 || b.Text() != "Yes, rotate now" || b.AttrOr("type", "") != "submit" {
		t.Errorf("rotate confirmation button %q", b.Text())
	}
	if n := checkDestructiveForms(t, doc); n != 1 {
		t.Errorf("%d destructive forms, want 1 (rotate)", n)
	}

	// Without a publish lead, the question still says when the new key signs.
	doc, _ = render(t, SigningKeysPage(p, SigningKeysVM{}))
	checkCSP(t, doc)
	checkPostForms(t, doc)
	if got := confirmQuestion(formByAction(doc, "/admin/signing-keys/rotate")); got != "Start a rotation? A new key is published now and starts signing after the publish lead time." {
		t.Errorf("question without a lead = %q", got)
	}

	// Not an operator: no admin link in the layout.
	p.Admin = false
	doc, _ = render(t, SigningKeysPage(p, SigningKeysVM{}))
	wantCount(t, doc, "nav-admin", 0)
	wantCount(t, doc, "signing-key-row", 0)
	wantCount(t, doc, "empty-state", 1)
	wantCount(t, doc, "jwks-link", 0)
}

// ownerClientKeys is the client keys section as an admin sees it, with hostile values everywhere.
func ownerClientKeys() ClientKeysVM {
	at := time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)
	exp := at.Add(24 * time.Hour)
	return ClientKeysVM{
		ProjectID:       "p/1",
		CanManage:       true,
		Enabled:         true,
		CanEditSettings: true,
		Keys: []ClientKeyRow{
			{ID: "ck1", Name: xssScript, KID: "kid-" + xssImg, Alg: "ES256", CreatedBy: xssImg, CreatedAt: at, Status: "active"},
			{ID: "ck/2", Name: xssImg, JWKSURI: "https://jwks.example.com/" + xssScript, CreatedBy: "Ada", CreatedAt: at, Status: "active"},
			{ID: "ck3", Name: "old", KID: "old-kid", Alg: "RS256", CreatedBy: "Ada", CreatedAt: at, ExpiresAt: &exp, Status: "expired"},
		},
		Form: ClientKeyForm{
			Name:          xssImg,
			Key:           xssScript,
			JWKSURI:       xssImg,
			ExpiresIn:     "365",
			ExpiryOptions: []Option{{"90", "90 days"}, {"365", "1 year"}, {"0", "Never"}},
			FormToken:     "ck-ft",
			Errors: map[string]string{"name": xssScript, "key": xssImg, "jwks_uri": "Use https.",
				"expires_in_days": "Pick a lifetime.", "form": xssScript},
		},
		Recipe:   "signer := " + xssScript + "\n\t" + xssImg + "\n",
		ClientID: "gh_client_abc",
		TokenURL: "https://portal.example.com/oauth/token",
	}
}

func TestProjectPageClientKeysManager(t *testing.T) {
	vm := ownerProject()
	doc, html := projectPage(t, vm, ProjectTabCredentials)
	if strings.Contains(html, xssScript) || strings.Contains(html, "<img src=x") {
		t.Error("a payload was rendered unescaped")
	}

	sec := wantCount(t, doc, "client-keys-section", 1)
	if sec.AttrOr("id", "") != "client-keys" || goquery.NodeName(sec) != "section" {
		t.Errorf("<%s id=%q>", goquery.NodeName(sec), sec.AttrOr("id", ""))
	}
	if h := sec.Find("h2").First().Text(); h != "Client keys (private_key_jwt)" {
		t.Errorf("heading = %q", h)
	}
	// Right after the client secrets, on the client credentials page (the API keys have
	// a page of their own).
	var order []string
	doc.Find("section[data-testid]").Each(func(_ int, s *goquery.Selection) {
		order = append(order, s.AttrOr("data-testid", ""))
	})
	joined := strings.Join(order, " ")
	if !strings.HasSuffix(joined, "secrets-section client-keys-section") {
		t.Errorf("section order: %v", order)
	}
	wantCount(t, doc, "api-keys-section", 0)
	intro := wantCount(t, doc, "client-keys-intro", 1).Text()
	for _, want := range []string{"private_key_jwt", "RFC 7523", "JWT bearer grant", "rotate with overlap", "public keys"} {
		if !strings.Contains(intro, want) {
			t.Errorf("intro lacks %q: %q", want, intro)
		}
	}
	wantCount(t, doc, "client-keys-disabled", 0)
	if sec.Find(`[data-testid="empty-state"]`).Length() != 0 {
		t.Error("empty state with keys")
	}

	rows := wantCount(t, doc, "client-key-row", 3)
	wantStatus := []string{"active", "active", "expired"}
	rows.Each(func(i int, r *goquery.Selection) {
		k := vm.ClientKeys.Keys[i]
		if got := r.Find(`[data-testid="client-key-row-name"]`).Text(); got != k.Name {
			t.Errorf("row %d name = %q", i, got)
		}
		st := r.Find(`[data-testid="client-key-status"]`)
		if st.Text() != wantStatus[i] || !st.HasClass("badge-status-"+wantStatus[i]) {
			t.Errorf("row %d status %q class %q", i, st.Text(), st.AttrOr("class", ""))
		}
		if n := r.Find(`[data-testid="remove-client-key"]`).Length(); n != 1 {
			t.Errorf("row %d: %d remove buttons", i, n)
		}
	})
	r0 := rows.Eq(0)
	if kid := r0.Find(`code[data-testid="client-key-kid"]`); kid.Text() != "kid-"+xssImg {
		t.Errorf("kid = %q", kid.Text())
	}
	if alg := r0.Find(`[data-testid="client-key-alg"]`); alg.Text() != "ES256" || !alg.HasClass("badge") {
		t.Errorf("alg = %q class %q", alg.Text(), alg.AttrOr("class", ""))
	}
	if got := r0.Find(`[data-testid="client-key-expires"]`).Text(); strings.TrimSpace(got) != "never" {
		t.Errorf("expires = %q", got)
	}
	r1 := rows.Eq(1)
	if u := r1.Find(`code[data-testid="client-key-row-jwks-uri"]`); u.Text() != vm.ClientKeys.Keys[1].JWKSURI {
		t.Errorf("jwks_uri = %q", u.Text())
	}
	if b := r1.Find(`[data-testid="client-key-kind"]`); b.Text() != "jwks_uri" || !b.HasClass("badge") {
		t.Errorf("jwks badge = %q", b.Text())
	}
	if r1.Find(`[data-testid="client-key-kid"], [data-testid="client-key-alg"]`).Length() != 0 {
		t.Error("jwks_uri row shows a kid or alg")
	}
	if got := rows.Eq(2).Find(`[data-testid="client-key-expires"] time`).Text(); got != "3 Jan 2025 03:04 UTC" {
		t.Errorf("expiry = %q", got)
	}

	rm := formByAction(doc, "/projects/p%2F1/client-keys/ck1/remove")
	checkConfirm(t, rm, "remove-client-key", "Remove key "+xssScript+"? Assertions signed with it stop working at once.")
	if got := rm.Find(`[data-testid="remove-client-key-open"] .visually-hidden`).Text(); got != " "+xssScript {
		t.Errorf("the first step names the key for screen readers as %q", got)
	}
	if formByAction(doc, "/projects/p%2F1/client-keys/ck%2F2/remove").Length() != 1 {
		t.Error("key id not path-escaped in the remove action")
	}

	form := wantCount(t, doc, "client-key-form", 1)
	if form.AttrOr("action", "") != "/projects/p%2F1/client-keys" || form.AttrOr("method", "") != "post" {
		t.Errorf("add form %q %q", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	if v := form.Find(`input[type="hidden"][name="form_token"]`).AttrOr("value", ""); v != "ck-ft" {
		t.Errorf("form_token = %q", v)
	}
	name := wantCount(t, doc, "client-key-name", 1)
	if name.AttrOr("name", "") != "name" || name.AttrOr("maxlength", "") != "60" || name.AttrOr("value", "") != xssImg ||
		name.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("name input: %v", name.Nodes[0].Attr)
	}
	if _, ok := name.Attr("required"); !ok {
		t.Error("name not required")
	}
	key := wantCount(t, doc, "client-key-material", 1)
	if goquery.NodeName(key) != "textarea" || key.AttrOr("name", "") != "key" || key.AttrOr("rows", "") != "6" ||
		key.AttrOr("spellcheck", "") != "false" || key.AttrOr("autocomplete", "") != "off" || key.Text() != xssScript {
		t.Errorf("key textarea: %v %q", key.Nodes[0].Attr, key.Text())
	}
	if ph := key.AttrOr("placeholder", ""); !strings.Contains(ph, `{"kty":"EC"`) || !strings.Contains(ph, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("key placeholder = %q", ph)
	}
	if !strings.Contains(form.Text(), "Paste a public key as JWK or PEM — never the private key.") {
		t.Error("key help missing")
	}
	jw := wantCount(t, doc, "client-key-jwks-uri", 1)
	if jw.AttrOr("type", "") != "url" || jw.AttrOr("name", "") != "jwks_uri" || jw.AttrOr("value", "") != xssImg {
		t.Errorf("jwks_uri input: %v", jw.Nodes[0].Attr)
	}
	if !strings.Contains(strings.ToLower(form.Text()), "https url of your jwks, fetched by the portal and cached") {
		t.Error("jwks_uri help missing")
	}
	if form.Find(".or-divider").Length() != 1 {
		t.Error("or divider missing")
	}
	if e := wantCount(t, doc, "client-key-expiry", 1); e.AttrOr("name", "") != "expires_in_days" || selected(e) != "365" ||
		e.Find("option").Length() != 3 {
		t.Errorf("expiry: %q selected %q", e.AttrOr("name", ""), selected(e))
	}
	errs := form.Find(`[data-testid="field-error"]`)
	wantErrs := []string{xssScript, "Pick a lifetime.", xssImg, "Use https."}
	if errs.Length() != len(wantErrs) {
		t.Fatalf("client key form errors: %d", errs.Length())
	}
	for i, w := range wantErrs {
		if errs.Eq(i).Text() != w {
			t.Errorf("error %d = %q, want %q", i, errs.Eq(i).Text(), w)
		}
	}
	if got := wantCount(t, doc, "client-key-form-error", 1).Text(); got != xssScript {
		t.Errorf("form error = %q", got)
	}
	wantCount(t, doc, "add-client-key", 1)

	rec := wantCount(t, doc, "client-key-recipe", 1)
	if goquery.NodeName(rec) != "details" || !strings.Contains(rec.Find("summary").Text(), "How to get a token with private_key_jwt") {
		t.Errorf("recipe <%s> %q", goquery.NodeName(rec), rec.Find("summary").Text())
	}
	code := rec.Find(`code[data-testid="recipe-go"]`)
	if code.Length() != 1 || code.AttrOr("id", "") != "recipe-go" || code.Text() != vm.ClientKeys.Recipe {
		t.Errorf("recipe code %d %q", code.Length(), code.Text())
	}
	if rec.Find(`button[data-copy-target="recipe-go"]`).Length() != 1 {
		t.Error("recipe copy button missing")
	}
	if got := rec.Find(`[data-testid="client-key-token-url"]`).Text(); got != vm.ClientKeys.TokenURL {
		t.Errorf("recipe token url = %q", got)
	}
	if got := rec.Find(`[data-testid="client-key-client-id"]`).Text(); got != "gh_client_abc" {
		t.Errorf("recipe client id = %q", got)
	}
}

func TestClientKeysDisabledAndEmpty(t *testing.T) {
	vm := ownerProject()
	vm.ClientKeys.Enabled = false
	vm.ClientKeys.Keys = nil
	doc, _ := projectPage(t, vm, ProjectTabCredentials)
	n := wantCount(t, doc, "client-keys-disabled", 1)
	if !strings.Contains(n.Text(), "doesn't accept") || !strings.Contains(n.Text(), "Settings → Client authentication") {
		t.Errorf("notice = %q", n.Text())
	}
	// The settings are a page of their own: the notice leads there.
	if href := n.Find(`a[data-testid="client-keys-settings-link"]`).AttrOr("href", ""); href != "/projects/p%2F1/settings#settings" {
		t.Errorf("notice link = %q", href)
	}
	if settings, _ := projectPage(t, vm, ProjectTabSettings); settings.Find("section#settings").Length() != 1 {
		t.Error("the notice's #settings target is missing")
	}
	sec := testID(doc, "client-keys-section")
	if sec.Find(`[data-testid="empty-state"]`).Length() != 1 || sec.Find("table").Length() != 0 {
		t.Error("empty state missing")
	}
	wantCount(t, doc, "client-key-row", 0)
	wantCount(t, doc, "remove-client-key", 0)
	wantCount(t, doc, "client-key-form", 1) // keys can be registered before enabling

	// Viewer of a disabled project: the notice, but nothing to change, and no link to
	// settings they cannot change: who can is said instead.
	vm.ClientKeys.CanManage, vm.ClientKeys.CanEditSettings = false, false
	doc, _ = render(t, ClientKeysSection(vm.ClientKeys))
	checkNoInjection(t, doc)
	n = wantCount(t, doc, "client-keys-disabled", 1)
	if txt := strings.Join(strings.Fields(n.Text()), " "); !strings.Contains(txt, "until an owner or admin of the project's team enables it under Settings → Client authentication.") {
		t.Errorf("viewer's notice = %q", txt)
	}
	wantCount(t, doc, "client-keys-settings-link", 0)
	wantCount(t, doc, "client-key-form", 0)
	if doc.Find("form").Length() != 0 {
		t.Error("viewer sees a form")
	}
}

// TestProjectPagePassesCSRFToClientKeys checks the section's forms get the page's token
// when the view model does not carry one, and keep their own otherwise.
func TestProjectPagePassesCSRFToClientKeys(t *testing.T) {
	vm := ownerProject()
	vm.ClientKeys.CSRF = ""
	doc, _ := projectPage(t, vm, ProjectTabCredentials)
	forms := testID(doc, "client-keys-section").Find(`form[method="post"]`)
	if forms.Length() != 4 { // 3 removes, add
		t.Errorf("%d forms in the client keys section", forms.Length())
	}
	forms.Each(func(i int, f *goquery.Selection) {
		if v := f.Find(`input[name="_csrf"]`).AttrOr("value", ""); v != token {
			t.Errorf("form %d (%s) _csrf = %q", i, f.AttrOr("action", ""), v)
		}
	})

	ck := ownerClientKeys()
	ck.CSRF = "own-token"
	doc, _ = render(t, ClientKeysSection(ck))
	doc.Find(`form[method="post"]`).Each(func(i int, f *goquery.Selection) {
		if v := f.Find(`input[name="_csrf"]`).AttrOr("value", ""); v != "own-token" {
			t.Errorf("alone: form %d _csrf = %q", i, v)
		}
	})
}

func TestProjectSettingsAuthMethods(t *testing.T) {
	vm := ownerProject()
	vm.Settings.AuthMethods = []Checkbox{{"client_secret", "Client secret", false}, {"private_key_jwt", xssScript, true}}
	vm.Settings.Errors = map[string]string{"auth_methods": xssImg}
	doc, _ := projectPage(t, vm, ProjectTabSettings)
	settings := formByAction(doc, "/projects/p%2F1/settings")
	fs := settings.Find("fieldset#settings-auth")
	if fs.Length() != 1 || fs.Find("legend").Text() != "Client authentication" {
		t.Fatalf("auth fieldset: %d %q", fs.Length(), fs.Find("legend").Text())
	}
	boxes := wantCount(t, doc, "settings-auth-method", 2)
	want := []struct {
		value, label string
		checked      bool
	}{{"client_secret", "Client secret", false}, {"private_key_jwt", xssScript, true}}
	boxes.Each(func(i int, b *goquery.Selection) {
		_, checked := b.Attr("checked")
		if b.AttrOr("type", "") != "checkbox" || b.AttrOr("name", "") != "auth_methods" || b.AttrOr("value", "") != want[i].value ||
			checked != want[i].checked || b.AttrOr("aria-invalid", "") != "true" {
			t.Errorf("box %d: %v", i, b.Nodes[0].Attr)
		}
		if l := strings.TrimSpace(b.Parent().Text()); goquery.NodeName(b.Parent()) != "label" || l != want[i].label {
			t.Errorf("box %d label %q", i, l)
		}
	})
	if fs.Parent().Find(`fieldset#settings-auth + [data-testid="field-error"]`).Text() != xssImg {
		t.Error("auth_methods error missing")
	}
	wantCount(t, doc, "readonly-auth-methods", 0)

	// The unchecked/checked state follows the view model.
	vm.Settings.AuthMethods[0].Checked, vm.Settings.AuthMethods[1].Checked = true, false
	vm.Settings.Errors = nil
	doc, _ = projectPage(t, vm, ProjectTabSettings)
	boxes = wantCount(t, doc, "settings-auth-method", 2)
	if _, ok := boxes.Eq(0).Attr("checked"); !ok {
		t.Error("client_secret not checked")
	}
	if _, ok := boxes.Eq(1).Attr("checked"); ok {
		t.Error("private_key_jwt checked")
	}
	if _, ok := boxes.Eq(0).Attr("aria-invalid"); ok {
		t.Error("aria-invalid without an error")
	}

	// Viewers read the accepted methods.
	vm.Can = ProjectPermissions{}
	vm.Settings.AuthMethods[1].Checked = true
	doc, _ = projectPage(t, vm, ProjectTabSettings)
	if got := wantCount(t, doc, "readonly-auth-methods", 1).Text(); got != "Client secret, "+xssScript {
		t.Errorf("readonly auth methods = %q", got)
	}
	vm.Settings.AuthMethods = nil
	doc, _ = projectPage(t, vm, ProjectTabSettings)
	if got := wantCount(t, doc, "readonly-auth-methods", 1).Text(); got != "none" {
		t.Errorf("readonly auth methods = %q", got)
	}
}

// A project with no grant for an API that accepts keys gets no key form, and is told why.
func TestAPIKeysSectionWithoutGrant(t *testing.T) {
	vm := APIKeysVM{ProjectID: "p1", CanManage: true, CSRF: token,
		Form: APIKeyForm{ExpiryOptions: []Option{{"90", "90 days"}}, ExpiresIn: "90"}}
	doc, _ := render(t, APIKeysSection(vm))
	wantCount(t, doc, "key-form", 0)
	note := wantCount(t, doc, "key-form-no-grant", 1)
	// API access is a page of its own: the note leads there.
	if !strings.Contains(note.Text(), "no API that accepts API keys has granted it access") || note.Find(`a[href="/projects/p1/access"]`).Length() != 1 {
		t.Errorf("no-grant note = %q", note.Text())
	}
	wantCount(t, doc, "revoke-by-value", 1)
}

// TestSectionAnchorsLand checks each section ProjectAnchor and APIAnchor know leads to
// an element with that id on the page they map it to.
func TestSectionAnchorsLand(t *testing.T) {
	pvm := ownerProject()
	pvm.APIs.Requests = []AccessRequestRow{{ID: "r1", ProjectID: "p/1", ProjectName: "P", APIID: "a1", APIName: "A", Status: "pending", CanWithdraw: true, CreatedAt: apiAt}}
	projectDocs := map[string]*goquery.Document{}
	for _, tab := range allProjectTabs[1:] {
		projectDocs[ProjectTabPath(pvm.ID, tab)], _ = projectPage(t, pvm, tab)
	}
	for _, section := range []string{"api-keys", "key-form", "revoke-by-value", "secrets", "client-keys", "secret-form",
		"apis", "requests", "settings", "danger", "usage"} {
		path, frag, _ := strings.Cut(ProjectAnchor(pvm.ID, section), "#")
		if doc, ok := projectDocs[path]; !ok || doc.Find(`[id="`+frag+`"]`).Length() != 1 {
			t.Errorf("ProjectAnchor(%q) = %s#%s: no element with that id there", section, path, frag)
		}
	}
	avm := hostileAPI()
	apiDocs := map[string]*goquery.Document{}
	for _, tab := range allAPITabs[1:] {
		apiDocs[APITabPath(avm.ID, tab)] = apiPage(t, avm, tab)
	}
	for _, section := range []string{"identifier", "scopes", "request", "requests", "grants", "grant-form", "verify", "usage", "settings", "danger"} {
		path, frag, _ := strings.Cut(APIAnchor(avm.ID, section), "#")
		if doc, ok := apiDocs[path]; !ok || doc.Find(`[id="`+frag+`"]`).Length() != 1 {
			t.Errorf("APIAnchor(%q) = %s#%s: no element with that id there", section, path, frag)
		}
	}
}
