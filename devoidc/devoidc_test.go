package devoidc_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/devoidc"
)

const (
	clientID     = "gatehouse"
	clientSecret = "s3cret"
	redirectURI  = "http://rp.test/callback"
)

// testIdP is a devoidc provider served by an httptest server.
type testIdP struct {
	issuer string
	p      *devoidc.Provider
	srv    *httptest.Server
}

// newIdP starts a provider whose issuer is the server URL plus prefix ("" or
// e.g. "/dev-oidc"). With a prefix, the handler is mounted under it without
// stripping, as the portal does.
func newIdP(t *testing.T, prefix string, now func() time.Time) *testIdP {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p, err := devoidc.New(devoidc.Config{
		Issuer:  srv.URL + prefix,
		Clients: []devoidc.Client{{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI}}},
		Now:     now,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if prefix == "" {
		handler = p.Handler()
	} else {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", p.Handler())
		handler = mux
	}
	return &testIdP{issuer: srv.URL + prefix, p: p, srv: srv}
}

// relyingParty is a real OIDC client (go-oidc + x/oauth2).
type relyingParty struct {
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider
}

func newRP(t *testing.T, idp *testIdP) *relyingParty {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), idp.issuer)
	if err != nil {
		t.Fatalf("oidc.NewProvider(%q): %v", idp.issuer, err)
	}
	return &relyingParty{
		cfg: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  redirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: clientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}}),
		provider: provider,
	}
}

// authStart is the state an RP keeps between the authorize redirect and the callback.
type authStart struct {
	url, state, nonce, verifier string
}

func (rp *relyingParty) start() authStart {
	a := authStart{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	a.url = rp.cfg.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce))
	return a
}

// browser returns a client with a cookie jar that stops at the RP's redirect URI.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirectURI) {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return fmt.Errorf("too many redirects")
			}
			return nil
		},
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

var (
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRE = regexp.MustCompile(`name="authRequestID" value="([^"]*)"`)
)

// loginPage follows the authorization URL to the login page and returns the
// absolute form action and the form's hidden fields.
func loginPage(t *testing.T, c *http.Client, authURL string) (action string, form url.Values) {
	t.Helper()
	resp, body := get(t, c, authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: got status %d, want 200; body: %s", resp.StatusCode, body)
	}
	m := actionRE.FindStringSubmatch(body)
	h := hiddenRE.FindStringSubmatch(body)
	if m == nil || h == nil {
		t.Fatalf("login page has no form with authRequestID: %s", body)
	}
	a, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatalf("parse form action %q: %v", m[1], err)
	}
	return a.String(), url.Values{"authRequestID": {html.UnescapeString(h[1])}}
}

// signIn drives authorize -> login form -> callback redirect and returns the code.
func signIn(t *testing.T, c *http.Client, a authStart, email, name string) string {
	t.Helper()
	action, form := loginPage(t, c, a.url)
	form.Set("email", email)
	form.Set("name", name)
	resp, body := postForm(t, c, action, form)
	if resp.StatusCode/100 != 3 {
		t.Fatalf("login POST: got status %d, want a redirect; body: %s", resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("login POST: no Location: %v", err)
	}
	if !strings.HasPrefix(loc.String(), redirectURI+"?") {
		t.Fatalf("final redirect: got %s, want prefix %s?", loc, redirectURI)
	}
	if got := loc.Query().Get("state"); got != a.state {
		t.Fatalf("state: got %q, want %q", got, a.state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("final redirect %s has no code", loc)
	}
	return code
}

type idClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// exchange redeems code and verifies the ID token.
func (rp *relyingParty) exchange(ctx context.Context, a authStart, code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken, error) {
	tok, err := rp.cfg.Exchange(ctx, code, append([]oauth2.AuthCodeOption{oauth2.VerifierOption(a.verifier)}, opts...)...)
	if err != nil {
		return nil, nil, err
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, nil, fmt.Errorf("token response has no id_token")
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("verify id token: %w", err)
	}
	return tok, idt, nil
}

func TestAuthorizationCodeFlow(t *testing.T) {
	for _, prefix := range []string{"", "/dev-oidc"} {
		t.Run("issuer path "+prefix, func(t *testing.T) {
			ctx := context.Background()
			idp := newIdP(t, prefix, nil)
			rp := newRP(t, idp)
			c := browser(t)

			a := rp.start()
			code := signIn(t, c, a, "Ada.Lovelace@Example.com", "Ada Lovelace")
			tok, idt, err := rp.exchange(ctx, a, code)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if idt.Issuer != idp.issuer {
				t.Errorf("iss: got %q, want %q", idt.Issuer, idp.issuer)
			}
			if got, want := idt.Subject, devoidc.Subject("ada.lovelace@example.com"); got != want {
				t.Errorf("sub: got %q, want %q", got, want)
			}
			if !strings.HasPrefix(idt.Subject, "dev_") || len(idt.Subject) != len("dev_")+32 {
				t.Errorf("sub: got %q, want dev_ + 32 hex characters", idt.Subject)
			}
			if idt.Nonce != a.nonce {
				t.Errorf("nonce: got %q, want %q", idt.Nonce, a.nonce)
			}
			var claims idClaims
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			want := idClaims{Email: "ada.lovelace@example.com", EmailVerified: true, Name: "Ada Lovelace"}
			if claims != want {
				t.Errorf("claims: got %+v, want %+v", claims, want)
			}
			if life := time.Until(idt.Expiry); life <= 0 || life > 10*time.Minute {
				t.Errorf("ID token lifetime: got %v, want a few minutes", life)
			}
			if life := time.Until(tok.Expiry); life <= 4*time.Minute || life > 5*time.Minute+5*time.Second {
				t.Errorf("access token lifetime: got %v, want about 5m", life)
			}

			ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if ui.Subject != idt.Subject || ui.Email != want.Email || !ui.EmailVerified {
				t.Errorf("userinfo: got sub=%q email=%q verified=%v, want sub=%q email=%q verified=true",
					ui.Subject, ui.Email, ui.EmailVerified, idt.Subject, want.Email)
			}

			// Codes are single use.
			if _, _, err := rp.exchange(ctx, a, code); err == nil {
				t.Errorf("second exchange of the same code: got success, want error")
			}
		})
	}
}

func TestSubjectStableAcrossProviders(t *testing.T) {
	ctx := context.Background()
	var subs []string
	for _, prefix := range []string{"", "/dev-oidc"} {
		idp := newIdP(t, prefix, nil)
		rp := newRP(t, idp)
		a := rp.start()
		code := signIn(t, browser(t), a, "grace@example.org", "")
		_, idt, err := rp.exchange(ctx, a, code)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		var claims idClaims
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Name != "grace" {
			t.Errorf("default name: got %q, want %q", claims.Name, "grace")
		}
		subs = append(subs, idt.Subject)
	}
	if subs[0] != subs[1] {
		t.Errorf("subject across providers: got %q and %q, want equal", subs[0], subs[1])
	}
}

func TestClientAuthentication(t *testing.T) {
	ctx := context.Background()
	idp := newIdP(t, "/dev-oidc", nil)
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"client_secret_basic", oauth2.AuthStyleInHeader}, {"client_secret_post", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			rp := newRP(t, idp)
			rp.cfg.Endpoint.AuthStyle = style.style
			a := rp.start()
			code := signIn(t, browser(t), a, "x@example.com", "X")
			if _, _, err := rp.exchange(ctx, a, code); err != nil {
				t.Fatalf("exchange: got %v, want success", err)
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		rp := newRP(t, idp)
		rp.cfg.ClientSecret = "wrong"
		a := rp.start()
		code := signIn(t, browser(t), a, "x@example.com", "X")
		if _, _, err := rp.exchange(ctx, a, code); err == nil {
			t.Fatalf("exchange with wrong secret: got success, want error")
		}
		rp.cfg.ClientSecret = clientSecret
		if _, _, err := rp.exchange(ctx, a, code); err != nil {
			t.Fatalf("exchange with right secret after a failed attempt: got %v, want success", err)
		}
	})
}

func TestConcurrentExchangesRedeemOnce(t *testing.T) {
	ctx := context.Background()
	idp := newIdP(t, "", nil)
	rp := newRP(t, idp)
	rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	a := rp.start()
	code := signIn(t, browser(t), a, "race@example.com", "")

	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, _, err := rp.exchange(ctx, a, code)
			errs <- err
		}()
	}
	var ok int
	for range n {
		if <-errs == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("concurrent exchanges of one code: got %d successes, want 1", ok)
	}
}

func TestWrongPKCEVerifier(t *testing.T) {
	ctx := context.Background()
	idp := newIdP(t, "", nil)
	rp := newRP(t, idp)
	a := rp.start()
	code := signIn(t, browser(t), a, "eve@example.com", "Eve")
	wrong := a
	wrong.verifier = oauth2.GenerateVerifier()
	_, _, err := rp.exchange(ctx, wrong, code)
	if err == nil {
		t.Fatalf("exchange with wrong verifier: got success, want error")
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("exchange with wrong verifier: got %v, want invalid_grant", err)
	}
	// A failed attempt does not redeem the code; a successful one does.
	if _, _, err := rp.exchange(ctx, a, code); err != nil {
		t.Errorf("exchange with the right verifier after a failed attempt: got %v, want success", err)
	}
	if _, _, err := rp.exchange(ctx, a, code); err == nil {
		t.Errorf("exchange after successful exchange: got success, want error")
	}
}

func TestPKCERequired(t *testing.T) {
	idp := newIdP(t, "", nil)
	rp := newRP(t, idp)
	resp, body := get(t, browser(t), rp.cfg.AuthCodeURL("st", oidc.Nonce("n")))
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize without PKCE: got status %d, want redirect with error; body: %s", resp.StatusCode, body)
	}
	if got := loc.Query().Get("error"); got != "invalid_request" {
		t.Errorf("authorize without PKCE: got error %q, want %q (%s)", got, "invalid_request", loc)
	}
}

func TestLoginPage(t *testing.T) {
	idp := newIdP(t, "/dev-oidc", nil)
	rp := newRP(t, idp)
	c := browser(t)
	a := rp.start()
	resp, body := get(t, c, a.url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: got status %d, want 200", resp.StatusCode)
	}
	if got := resp.Request.URL.Path; got != "/dev-oidc/login" {
		t.Errorf("login page path: got %q, want %q", got, "/dev-oidc/login")
	}
	for _, want := range []string{
		"Development sign-in — not for production",
		"GATEHOUSE_OIDC_ISSUER",
		`<main class="container">`,
		"<article>",
		`<form method="post" action="/dev-oidc/login"`,
		`data-testid="dev-email"`,
		`data-testid="dev-name"`,
		`data-testid="dev-submit"`,
		`<label for="dev-email">`,
		`<label for="dev-name">`,
		`href="/static/css/pico.min.css"`,
		`href="/static/css/app.css"`,
		">Sign in</button>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page: missing %q", want)
		}
	}
	for _, bad := range []string{"<script", "<style", "style="} {
		if strings.Contains(body, bad) {
			t.Errorf("login page: contains %q, want none (CSP)", bad)
		}
	}
}

func TestInvalidEmailRerendersForm(t *testing.T) {
	ctx := context.Background()
	idp := newIdP(t, "", nil)
	rp := newRP(t, idp)
	c := browser(t)
	a := rp.start()
	action, form := loginPage(t, c, a.url)

	for _, email := range []string{"", "no-at-sign", "two@@example.com", "a b@example.com", "@example.com", "a@", strings.Repeat("a", 250) + "@x.io"} {
		f := url.Values{"authRequestID": form["authRequestID"], "email": {email}, "name": {"<b>Mallory</b>"}}
		resp, body := postForm(t, c, action, f)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("email %q: got status %d, want 400", email, resp.StatusCode)
		}
		if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `data-testid="dev-email"`) {
			t.Errorf("email %q: got body without error message and form: %s", email, body)
		}
		if strings.Contains(body, "<b>Mallory</b>") {
			t.Errorf("email %q: name was not escaped", email)
		}
	}

	// The same request can still be completed.
	form.Set("email", "mallory@example.com")
	resp, body := postForm(t, c, action, form)
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("valid email after errors: got status %d, want redirect; body: %s", resp.StatusCode, body)
	}
	if _, _, err := rp.exchange(ctx, a, loc.Query().Get("code")); err != nil {
		t.Fatalf("exchange: %v", err)
	}
}

func TestUnknownAuthRequest(t *testing.T) {
	idp := newIdP(t, "/dev-oidc", nil)
	c := browser(t)
	resp, _ := get(t, c, idp.issuer+"/login?authRequestID=nope")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET unknown authRequestID: got status %d, want 400", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
		t.Errorf("GET unknown authRequestID: got Content-Type %q, want text/plain", got)
	}
	resp, _ = postForm(t, c, idp.issuer+"/login", url.Values{"authRequestID": {"nope"}, "email": {"a@b.c"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST unknown authRequestID: got status %d, want 400", resp.StatusCode)
	}
	resp, _ = get(t, c, idp.issuer+"/login")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET without authRequestID: got status %d, want 400", resp.StatusCode)
	}
}

func TestAuthRequestExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	idp := newIdP(t, "", clock)
	rp := newRP(t, idp)
	c := browser(t)
	a := rp.start()
	action, form := loginPage(t, c, a.url)

	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()

	form.Set("email", "late@example.com")
	resp, _ := postForm(t, c, action, form)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST after 11 minutes: got status %d, want 400", resp.StatusCode)
	}
}

func TestLoginHelper(t *testing.T) {
	ctx := context.Background()
	idp := newIdP(t, "/dev-oidc", nil)
	rp := newRP(t, idp)

	// Concurrent sign-ins exercise the storage's locking under -race.
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("user%d@example.com", i)
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			a := rp.start()
			u, err := devoidc.Login(ctx, client, a.url, redirectURI, email, "User")
			if err != nil {
				t.Errorf("Login(%s): %v", email, err)
				return
			}
			if client.CheckRedirect != nil {
				t.Errorf("Login modified the client's CheckRedirect")
			}
			if got := u.Query().Get("state"); got != a.state {
				t.Errorf("Login state: got %q, want %q", got, a.state)
			}
			_, idt, err := rp.exchange(ctx, a, u.Query().Get("code"))
			if err != nil {
				t.Errorf("exchange: %v", err)
				return
			}
			if got, want := idt.Subject, devoidc.Subject(email); got != want {
				t.Errorf("sub: got %q, want %q", got, want)
			}
		}()
	}
	wg.Wait()

	if _, err := devoidc.Login(ctx, nil, rp.start().url, redirectURI, "not-an-email", ""); err == nil {
		t.Errorf("Login with invalid email: got success, want error")
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := devoidc.Client{ID: "c", Secret: "s", RedirectURIs: []string{"http://rp.test/cb"}}
	for _, tc := range []struct {
		name string
		cfg  devoidc.Config
	}{
		{"no issuer", devoidc.Config{Clients: []devoidc.Client{good}}},
		{"bad scheme", devoidc.Config{Issuer: "ftp://x", Clients: []devoidc.Client{good}}},
		{"query", devoidc.Config{Issuer: "http://x/?a=b", Clients: []devoidc.Client{good}}},
		{"no secret", devoidc.Config{Issuer: "http://x", Clients: []devoidc.Client{{ID: "c", RedirectURIs: good.RedirectURIs}}}},
		{"no redirect", devoidc.Config{Issuer: "http://x", Clients: []devoidc.Client{{ID: "c", Secret: "s"}}}},
		{"duplicate", devoidc.Config{Issuer: "http://x", Clients: []devoidc.Client{good, good}}},
	} {
		if _, err := devoidc.New(tc.cfg); err == nil {
			t.Errorf("New(%s): got nil error, want error", tc.name)
		}
	}
	p, err := devoidc.New(devoidc.Config{Issuer: "http://x/dev-oidc/", Clients: []devoidc.Client{good}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got, want := p.Issuer(), "http://x/dev-oidc"; got != want {
		t.Errorf("Issuer: got %q, want %q", got, want)
	}
}

// A provider on a clock behind the real one (a test's frozen clock, minutes into the
// test) still issues tokens a relying party on the real clock accepts: the expiry op
// turns into expires_in and the ID token's lifetime is on the real clock, while the
// access token's own bookkeeping stays on the injected one.
func TestClockBehindRealTime(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	idp := newIdP(t, "", func() time.Time { return past })
	rp := newRP(t, idp)
	c := browser(t)
	a := rp.start()
	code := signIn(t, c, a, "late@example.com", "Late")
	tok, idt, err := rp.exchange(context.Background(), a, code)
	if err != nil {
		t.Fatalf("exchange with the provider's clock an hour behind: %v", err)
	}
	if life := time.Until(tok.Expiry); life <= 4*time.Minute || life > 5*time.Minute+5*time.Second {
		t.Errorf("access token lifetime: got %v, want about 5m", life)
	}
	if life := time.Until(idt.Expiry); life <= 0 {
		t.Errorf("ID token expired on issue: %v", idt.Expiry)
	}
	if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err != nil {
		t.Errorf("userinfo on the provider's clock: %v", err)
	}
}
