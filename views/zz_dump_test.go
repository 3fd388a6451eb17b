package views

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/a-h/templ"
)

func TestZZDump(t *testing.T) {
	dir := os.Getenv("DUMP_DIR")
	if dir == "" {
		t.Skip()
	}
	now := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	p := Page{Title: "Dashboard", User: &CurrentUser{Name: "Ada Lovelace", Email: "ada@example.com"}, CSRF: "tok", DevSignIn: true,
		Flashes: []Flash{{Kind: "success", Message: "You are signed in."}, {Kind: "error", Message: "Something failed <script>alert(1)</script>"}, {Kind: "info", Message: "Heads up."}}}
	pages := map[string]templ.Component{
		"dashboard.html": DashboardPage(p, DashboardVM{Teams: []TeamSummary{
			{ID: "a", Name: "Ada Lovelace", Role: "owner", Personal: true, Members: 1, JoinedAt: now},
			{ID: "b", Name: "Platform team", Role: "admin", Members: 12, JoinedAt: now},
			{ID: "c", Name: `"><img src=x onerror=alert(1)>`, Role: "member", Members: 3, JoinedAt: now},
		}}),
		"empty.html":   DashboardPage(Page{Title: "Dashboard", User: p.User, CSRF: "tok"}, DashboardVM{}),
		"signin.html":  SignInPage(Page{Title: "Sign in", DevSignIn: true}, SignInVM{ProviderName: "the development provider", ReturnTo: "/teams/b", Error: "The sign-in was cancelled."}),
		"error.html":   ErrorPage(Page{Title: "Not found", User: p.User}, ErrorVM{Status: 404, Title: "Page not found", Message: "There is nothing at this address.", RequestID: "01J0ABCDEF"}),
		"account.html": AccountPage(Page{Title: "Account", User: p.User, CSRF: "tok"}, AccountVM{Name: "Ada Lovelace", Email: "ada@example.com", Issuer: "https://id.example.com/realms/main", Subject: "8f14e45f-ceea-467f-a0e6-4c9c2b0e0c1d", CreatedAt: now,
			Sessions: []SessionSummary{{Current: true, UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", IP: "192.0.2.10", CreatedAt: now, LastSeenAt: now}, {UserAgent: "curl/8.0", IP: "198.51.100.7", CreatedAt: now, LastSeenAt: now}}}),
		"copybox.html": Layout(Page{Title: "Copy"}),
	}
	for name, c := range pages {
		f, _ := os.Create(dir + "/" + name)
		if name == "copybox.html" {
			c = templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				return Layout(Page{Title: "Copy"}).Render(templ.WithChildren(ctx, CopyBox("cid", "gh_client_0123456789abcdef", "client-id")), w)
			})
		}
		c.Render(context.Background(), f)
		f.Close()
	}
}
