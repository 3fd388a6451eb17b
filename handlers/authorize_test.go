package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// acApp is a project of its developer's team that acts for users: the authorization
// code grant, redirect URIs https://app.example/cb and http://127.0.0.1/cb (any port), a
// client secret, and a grant on the team's API orders-api with orders:read and
// orders:write (which users may delegate) and admin (which they may not).
type acApp struct {
	e       *env
	dev     *member
	project *models.Project
	api     *models.API
	secret  string
}

const acRedirect = "https://app.example/cb"

func newACApp(t *testing.T, opts ...func(*envOptions)) *acApp {
	t.Helper()
	e := newEnv(t, opts...)
	ctx := context.Background()
	dev := signedInMember(t, e, "ac-dev@example.com")
	projects, err := e.store.ProjectsOf(ctx, dev.actor)
	if err != nil || len(projects) == 0 {
		t.Fatalf("ProjectsOf: %v %v", projects, err)
	}
	p := projects[0].Project
	api := onlyAPI(t, e, dev, &p, "orders-api", "orders:read", "orders:write", "admin")
	for _, sc := range []string{"orders:read", "orders:write"} {
		if err := e.store.SetScopeDelegable(ctx, dev.actor, api.ID, sc, true); err != nil {
			t.Fatal(err)
		}
	}
	// Through the settings form, as its owner would.
	res := dev.b.post("/projects/"+p.ID+"/settings", url.Values{"_csrf": {dev.csrf}, "name": {p.Name}, "token_ttl_minutes": {"15"},
		"grant_types": {"client_credentials", "authorization_code"}, "auth_methods_shown": {"1"}, "auth_methods": {"client_secret"},
		"redirect_uris_shown": {"1"}, "redirect_uris": {acRedirect + "\r\nhttp://127.0.0.1/cb"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", res.StatusCode, readBody(res))
	}
	_, secret, err := e.store.CreateClientSecret(ctx, dev.actor, p.ID, "web app", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.store.ProjectFor(ctx, dev.actor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &acApp{e: e, dev: dev, project: &pv.Project, api: api, secret: secret}
}

// config is a golang.org/x/oauth2 configuration of the app for a redirect URI.
func (a *acApp) config(redirect string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: a.project.ID, ClientSecret: a.secret, RedirectURL: redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: a.e.portal.URL + "/oauth/authorize", TokenURL: a.e.portal.URL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
}

// authURL is the app's authorization URL with PKCE (S256), for the API.
func (a *acApp) authURL(cfg *oauth2.Config, state, verifier string, extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", a.api.Identifier)}, extra...)
	return cfg.AuthCodeURL(state, opts...)
}

// callback checks that res sends the browser back to the redirect URI (any port for
// loopback) with iss = the portal and the state, and returns its query.
func (a *acApp) callback(t *testing.T, res *http.Response, redirect, state string) url.Values {
	t.Helper()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect back to the app; body: %s", res.StatusCode, readBody(res))
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	loc.RawQuery = ""
	if loc.String() != redirect {
		t.Fatalf("redirected to %q, want %q", loc, redirect)
	}
	if q.Get("iss") != a.e.portal.URL {
		t.Errorf("iss = %q, want the portal %q (RFC 9207)", q.Get("iss"), a.e.portal.URL)
	}
	if q.Get("state") != state {
		t.Errorf("state = %q, want %q", q.Get("state"), state)
	}
	return q
}

// consentForm reads the consent page's form: the request id and the CSRF token.
func consentForm(t *testing.T, res *http.Response) url.Values {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want the consent page; body: %s", res.StatusCode, readBody(res))
	}
	d := doc(t, res)
	form := url.Values{}
	d.Find(`[data-testid="consent-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v, _ := s.Attr("value")
		form.Set(name, v)
	})
	if form.Get("request") == "" || form.Get("_csrf") == "" {
		t.Fatalf("consent form %v: want request and _csrf", form)
	}
	return form
}

// allow answers the consent page with decision.
func allow(t *testing.T, b *browser, form url.Values, decision string) *http.Response {
	t.Helper()
	f := url.Values{"request": {form.Get("request")}, "_csrf": {form.Get("_csrf")}, "decision": {decision}}
	return b.post("/oauth/consent", f, nil)
}

func userClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The whole flow with a real relying party (golang.org/x/oauth2, PKCE): an anonymous
// user is sent to sign in and back, sees the consent page naming the app, its team, the
// API and each scope, allows, and the app's code becomes a user token that verify
// accepts. The consent is remembered; prompt=consent asks again; Deny is access_denied.
func TestAuthorizationCodeFlow(t *testing.T) {
	a := newACApp(t)
	ctx := context.Background()
	e := a.e
	// A native app on the user's machine: the registered http://127.0.0.1/cb on any port.
	redirect := "http://127.0.0.1:49152/cb"
	cfg := a.config(redirect, "orders:read")
	verifier := oauth2.GenerateVerifier()
	b := e.browser()
	res := b.get(a.authURL(cfg, "st-1", verifier, oauth2.SetAuthURLParam("login_hint", "alice@example.com")))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?return_to=") {
		t.Fatalf("anonymous: %d to %q, want sign-in", res.StatusCode, res.Header.Get("Location"))
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	returnTo := loc.Query().Get("return_to")
	if !strings.HasPrefix(returnTo, "/oauth/authorize?resume=") || strings.Contains(returnTo, "code_challenge") {
		t.Fatalf("return_to %q: want the request kept in the session, not in the URL", returnTo)
	}
	provider := b.startLogin(returnTo)
	if pu, _ := url.Parse(provider); pu.Query().Get("login_hint") != "alice@example.com" {
		t.Errorf("provider asked with %v, want the app's login_hint", pu.Query())
	}
	res = b.get(b.authorize(provider, "alice@example.com"))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != returnTo {
		t.Fatalf("after sign-in: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), returnTo)
	}
	res = b.get(returnTo)
	if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("consent page X-Frame-Options %q, want DENY", got)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
		!strings.Contains(csp, "form-action 'self' http://127.0.0.1:49152") {
		t.Errorf("consent page CSP %q: want frame-ancestors 'none' and the answer allowed to the redirect URI only", csp)
	}
	body := readBody(res)
	for _, want := range []string{a.project.Name, "ac-dev", "orders-api", "orders:read", "Scope orders:read"} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page does not name %q", want)
		}
	}
	if strings.Contains(body, "orders:write") {
		t.Error("consent page names orders:write, which the app did not ask for")
	}
	// Replaying the resume link finds nothing: the request is single use.
	if res := b.get(returnTo); res.StatusCode != http.StatusBadRequest {
		t.Errorf("resume link replayed: %d, want 400", res.StatusCode)
	}
	form := consentForm(t, mustGet(t, b, a.authURL(cfg, "st-1", verifier)))
	// Without the CSRF token, the answer is refused and the request stays.
	if res := b.post("/oauth/consent", url.Values{"request": {form.Get("request")}, "decision": {"allow"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("consent without CSRF: %d, want 403", res.StatusCode)
	}
	if res := b.post("/oauth/consent", url.Values{"request": {form.Get("request")}, "_csrf": {form.Get("_csrf")}, "decision": {"allow"}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site consent: %d, want 403", res.StatusCode)
	}
	q := a.callback(t, allow(t, b, form, "allow"), redirect, "st-1")
	if q.Get("code") == "" {
		t.Fatalf("no code in %v", q)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	alice, err := e.store.UserByIdentity(ctx, e.issuer, devoidc.Subject("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	c := userClaims(t, tok.AccessToken)
	if c["sub"] != alice.ID || c["client_id"] != a.project.ID || c["sub_type"] != "user" || c["scope"] != "orders:read" ||
		c["aud"] != a.api.Identifier || c["team"] != a.project.TeamID || c["auth_time"] == nil {
		t.Errorf("claims %v: want sub alice, client_id the project, sub_type user, scope orders:read, aud the API, the team, auth_time", c)
	}
	p, err := occVerifier(t, e, a.api.Identifier, verify.Accept(verify.KindAccessToken)).Verify(ctx, tok.AccessToken)
	if err != nil || p.SubjectType != verify.SubjectUser || p.Subject != alice.ID {
		t.Errorf("verify: %+v %v, want a user's token", p, err)
	}

	// Remembered: the next request for the same scope gets a code at once.
	v2 := oauth2.GenerateVerifier()
	q = a.callback(t, b.get(a.authURL(cfg, "st-2", v2)), redirect, "st-2")
	if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v2)); err != nil {
		t.Errorf("remembered consent: %v", err)
	}
	// prompt=consent asks again; so does a wider scope. Deny is access_denied.
	for name, u := range map[string]string{
		"prompt=consent": a.authURL(cfg, "st-3", v2, oauth2.SetAuthURLParam("prompt", "consent")),
		"wider scope":    a.authURL(a.config(redirect, "orders:read", "orders:write"), "st-3", v2),
	} {
		form := consentForm(t, b.get(u))
		q := a.callback(t, allow(t, b, form, "deny"), redirect, "st-3")
		if q.Get("error") != "access_denied" || q.Get("code") != "" {
			t.Errorf("%s, denied: %v, want error=access_denied", name, q)
		}
	}
	// prompt=none: no consent for the wider scope → consent_required; signed out → login_required.
	q = a.callback(t, b.get(a.authURL(a.config(redirect, "orders:write"), "st-4", v2, oauth2.SetAuthURLParam("prompt", "none"))), redirect, "st-4")
	if q.Get("error") != "consent_required" {
		t.Errorf("prompt=none without consent: %v, want consent_required", q)
	}
	q = a.callback(t, e.browser().get(a.authURL(cfg, "st-5", v2, oauth2.SetAuthURLParam("prompt", "none"))), redirect, "st-5")
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none signed out: %v, want login_required", q)
	}
}

func mustGet(t *testing.T, b *browser, u string) *http.Response {
	t.Helper()
	return b.get(u)
}

// exchangeError returns the OAuth error code of a failed Exchange.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// Hostile requests at the authorization and token endpoints (SECURITY.md 54).
func TestAuthorizationCodeHostile(t *testing.T) {
	a := newACApp(t)
	ctx := context.Background()
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	cfg := a.config(acRedirect, "orders:read")

	// code runs the flow for alice and returns a fresh code and its verifier.
	code := func(t *testing.T, cfg *oauth2.Config) (string, string) {
		t.Helper()
		v := oauth2.GenerateVerifier()
		res := alice.get(a.authURL(cfg, "s", v))
		if res.StatusCode == http.StatusOK {
			res = allow(t, alice, consentForm(t, res), "allow")
		}
		return a.callback(t, res, cfg.RedirectURL, "s").Get("code"), v
	}

	t.Run("RedirectURIVariantsNeverRedirect", func(t *testing.T) {
		for _, r := range []string{"", acRedirect + "/", "https://app.example:8443/cb", acRedirect + "/x", "https://APP.example/cb",
			"https://app.example/CB", "https://app.example@evil.example/cb", "https://evil.example@app.example/cb", acRedirect + "#f",
			acRedirect + "?x=1", "http://app.example/cb", "https://evil.example/cb", "http://127.0.0.1:8080@evil.example/cb",
			"http://127.0.0.1.evil.example/cb", "http://localhost/cb", "http://127.0.0.1/cb/../evil", "HTTPS://app.example/cb"} {
			u := a.authURL(a.config(r, "orders:read"), "s", oauth2.GenerateVerifier())
			res := alice.get(u)
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("redirect_uri %q: %d to %q, want 400 and no redirect", r, res.StatusCode, res.Header.Get("Location"))
			}
		}
		if res := alice.get(a.authURL(cfg, strings.Repeat("s", 9000), oauth2.GenerateVerifier())); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Errorf("a 9000-character state: %d, want 400 and no redirect", res.StatusCode)
		}
		u := a.authURL(cfg, "s", oauth2.GenerateVerifier()) + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
		if res := alice.get(u); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Errorf("repeated redirect_uri: %d, want 400 and no redirect", res.StatusCode)
		}
		for name, id := range map[string]string{"unknown client": "prj_00000000000000000000000000", "no client": ""} {
			c := a.config(acRedirect)
			c.ClientID = id
			if res := alice.get(a.authURL(c, "s", oauth2.GenerateVerifier())); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("%s: %d, want 400 and no redirect", name, res.StatusCode)
			}
		}
	})
	t.Run("PKCERequired", func(t *testing.T) {
		for name, u := range map[string]string{
			"no PKCE":       cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("resource", a.api.Identifier)),
			"plain":         cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain")),
			"no method":     cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43))),
			"bad challenge": cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", "short"), oauth2.SetAuthURLParam("code_challenge_method", "S256")),
		} {
			q := a.callback(t, alice.get(u), acRedirect, "s")
			if q.Get("error") != "invalid_request" || q.Get("code") != "" {
				t.Errorf("%s: %v, want error=invalid_request", name, q)
			}
		}
		c, _ := code(t, cfg)
		if _, err := cfg.Exchange(ctx, c); exchangeError(err) != "invalid_request" {
			t.Errorf("exchange without code_verifier: %v, want invalid_request", err)
		}
	})
	t.Run("WrongVerifier", func(t *testing.T) {
		c, _ := code(t, cfg)
		if _, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier())); exchangeError(err) != "invalid_grant" {
			t.Errorf("wrong verifier: %v, want invalid_grant", err)
		}
	})
	t.Run("Replay", func(t *testing.T) {
		c, v := code(t, cfg)
		if _, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v)); err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v)); exchangeError(err) != "invalid_grant" {
			t.Errorf("replayed code: %v, want invalid_grant", err)
		}
	})
	t.Run("AnotherClientsCode", func(t *testing.T) {
		other, err := e.store.CreateProject(ctx, a.dev.actor, a.project.TeamID, "Other app", "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := e.store.CreateClientSecret(ctx, a.dev.actor, other.ID, "x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		uris := acRedirect
		if err := e.store.UpdateProject(ctx, a.dev.actor, other.ID, models.ProjectSettings{Name: other.Name, TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris}); err != nil {
			t.Fatal(err)
		}
		c, v := code(t, cfg)
		oc := a.config(acRedirect)
		oc.ClientID, oc.ClientSecret = other.ID, secret
		if _, err := oc.Exchange(ctx, c, oauth2.VerifierOption(v)); exchangeError(err) != "invalid_grant" {
			t.Errorf("another client's code: %v, want invalid_grant", err)
		}
		// Nor does a confidential client get by with its client_id alone.
		noSecret := a.config(acRedirect)
		noSecret.ClientSecret, noSecret.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
		if _, err := noSecret.Exchange(ctx, c, oauth2.VerifierOption(v)); exchangeError(err) != "invalid_client" {
			t.Errorf("confidential client without its secret: %v, want invalid_client", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		c, v := code(t, cfg)
		e.advance(models.AuthorizationCodeTTL + time.Second)
		if _, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v)); exchangeError(err) != "invalid_grant" {
			t.Errorf("code after 61 s: %v, want invalid_grant", err)
		}
	})
	t.Run("RedirectURIMustMatchAtTheTokenEndpoint", func(t *testing.T) {
		c, v := code(t, cfg)
		if _, err := a.config("http://127.0.0.1/cb").Exchange(ctx, c, oauth2.VerifierOption(v)); exchangeError(err) != "invalid_grant" {
			t.Errorf("another redirect_uri: %v, want invalid_grant", err)
		}
	})
	t.Run("ScopesBeyondGrantOrDelegation", func(t *testing.T) {
		for scope, want := range map[string]string{"admin": "invalid_scope", "orders:delete": "invalid_scope"} {
			q := a.callback(t, alice.get(a.authURL(a.config(acRedirect, scope), "s", oauth2.GenerateVerifier())), acRedirect, "s")
			if q.Get("error") != want || q.Get("code") != "" {
				t.Errorf("scope %s: %v, want %s", scope, q, want)
			}
		}
		q := a.callback(t, alice.get(a.authURL(cfg, "s", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("resource", "https://other.example"))), acRedirect, "s")
		if q.Get("error") != "invalid_target" {
			t.Errorf("resource without a grant: %v, want invalid_target", q)
		}
	})
	t.Run("PublicClient", func(t *testing.T) {
		uris, public := acRedirect, true
		if err := e.store.UpdateProject(ctx, a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name, TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public}); err != nil {
			t.Fatal(err)
		}
		pub := a.config(acRedirect, "orders:read")
		pub.ClientSecret, pub.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
		c, v := code(t, pub)
		tok, err := pub.Exchange(ctx, c, oauth2.VerifierOption(v))
		if err != nil || userClaims(t, tok.AccessToken)["sub_type"] != "user" {
			t.Errorf("public client with PKCE: %v", err)
		}
	})
}

// The metadata advertises the authorization endpoint (RFC 8414) and RFC 9207's iss.
func TestAuthorizationMetadata(t *testing.T) {
	e := newEnv(t)
	res := e.browser().get("/.well-known/oauth-authorization-server")
	body := readBody(res)
	for _, want := range []string{`"authorization_endpoint": "` + e.portal.URL + `/oauth/authorize"`, `"response_types_supported": [`,
		`"code_challenge_methods_supported": [`, `"authorization_response_iss_parameter_supported": true`} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s", want)
		}
	}
}

// prompt=login and a max_age the sign-in is older than send the signed-in user through
// the provider again (asked for prompt=login), and the token's auth_time is the new
// sign-in's.
func TestAuthorizationCodeReauth(t *testing.T) {
	a := newACApp(t)
	ctx := context.Background()
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	cfg := a.config(acRedirect, "orders:read")
	for name, opt := range map[string]oauth2.AuthCodeOption{
		"max_age": oauth2.SetAuthURLParam("max_age", "600"), "prompt=login": oauth2.SetAuthURLParam("prompt", "login"),
	} {
		t.Run(name, func(t *testing.T) {
			e.advance(30 * time.Minute) // within the session's idle timeout: still signed in
			if !alice.signedIn() {
				t.Fatal("signed out")
			}
			signIn := e.clock()
			v := oauth2.GenerateVerifier()
			res := alice.get(a.authURL(cfg, "s", v, opt))
			loc, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusSeeOther || loc.Path != "/login" {
				t.Fatalf("%d to %q, want sign-in again", res.StatusCode, loc)
			}
			returnTo := loc.Query().Get("return_to")
			provider, _ := url.Parse(alice.startLogin(returnTo))
			if provider.Query().Get("prompt") != "login" {
				t.Errorf("provider asked with %v, want prompt=login", provider.Query())
			}
			res = alice.get(alice.authorize(provider.String(), "alice@example.com"))
			if res.Header.Get("Location") != returnTo {
				t.Fatalf("after sign-in: to %q, want %q", res.Header.Get("Location"), returnTo)
			}
			res = alice.get(returnTo)
			if res.StatusCode == http.StatusOK {
				res = allow(t, alice, consentForm(t, res), "allow")
			}
			q := a.callback(t, res, acRedirect, "s")
			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			if at, _ := userClaims(t, tok.AccessToken)["auth_time"].(float64); int64(at) != signIn.Unix() {
				t.Errorf("auth_time %v, want the new sign-in %d", at, signIn.Unix())
			}
		})
	}
}

// The account page lists the apps the user allowed, and withdrawing one makes the app
// ask again; another user cannot withdraw it.
func TestConsentWithdrawn(t *testing.T) {
	a := newACApp(t)
	e := a.e
	alice := signedInMember(t, e, "alice@example.com")
	cfg := a.config(acRedirect, "orders:read")
	v := oauth2.GenerateVerifier()
	a.callback(t, allow(t, alice.b, consentForm(t, alice.b.get(a.authURL(cfg, "s", v))), "allow"), acRedirect, "s")
	d := doc(t, alice.b.get("/account"))
	row := d.Find(`[data-testid="consent-row"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), a.project.Name) || !strings.Contains(row.Text(), "orders:read") {
		t.Fatalf("account page lists %q, want the app with orders:read", row.Text())
	}
	form := url.Values{"_csrf": {alice.csrf}, "project": {a.project.ID}, "api": {a.api.ID}}
	// Bob's withdrawing Alice's consent finds nothing.
	bob := signedInMember(t, e, "bob@example.com")
	if res := bob.b.post("/account/consents/revoke", url.Values{"_csrf": {bob.csrf}, "project": {a.project.ID}, "api": {a.api.ID}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user withdrawing it: %d, want 404", res.StatusCode)
	}
	if res := alice.b.post("/account/consents/revoke", form, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", res.StatusCode, readBody(res))
	}
	if res := alice.b.get(a.authURL(cfg, "s", v)); res.StatusCode != http.StatusOK {
		t.Errorf("after withdrawing: %d, want the consent page again", res.StatusCode)
	}
	if n := doc(t, alice.b.get("/account")).Find(`[data-testid="consent-row"]`).Length(); n != 0 {
		t.Errorf("account page still lists %d apps", n)
	}
	// The app's team's audit log has both, by Alice, from where she was; Bob's refused
	// attempt is not there.
	events, _, err := e.store.AuditLog(context.Background(), a.dev.actor, a.project.TeamID, models.AuditFilter{Action: "consent."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.Action)
		if ev.ActorID != alice.actor.User.ID || ev.ProjectID != a.project.ID || ev.TargetID != a.api.ID || ev.IP == "" ||
			!strings.Contains(ev.Details, `"scopes":"orders:read"`) {
			t.Errorf("%s: %+v, want by Alice (with her IP) on the project and API, with orders:read", ev.Action, ev)
		}
	}
	if !slices.Equal(got, []string{"consent.withdraw", "consent.grant"}) {
		t.Errorf("consent events, newest first: %v, want consent.withdraw, consent.grant", got)
	}
}
