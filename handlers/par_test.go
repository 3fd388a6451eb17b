package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// pushForm is a pushed authorization request's parameters for the app: code flow with
// PKCE (S256 of verifier) for the API, to redirect with state and scope.
func (a *acApp) pushForm(redirect, scope, state, verifier string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {a.project.ID}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"resource": {a.api.Identifier}}
}

// push sends form to /oauth/par with the app's Basic credentials and returns the
// request_uri, failing unless it was 201 with the RFC 9126 body.
func (a *acApp) push(t *testing.T, form url.Values) string {
	t.Helper()
	res, body, raw := oauthPost(t, a.e, "/oauth/par", form, a.project.ID, a.secret)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("PAR: %d %s, want 201", res.StatusCode, raw)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("PAR Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}
	uri, _ := body["request_uri"].(string)
	if !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || body["expires_in"] != float64(60) || len(body) != 2 {
		t.Fatalf("PAR body %s: want exactly request_uri (urn:ietf:params:oauth:request_uri:…) and expires_in 60", raw)
	}
	return uri
}

// pushedURL is the authorization URL for a pushed request, with extra query parameters.
func (a *acApp) pushedURL(uri string, extra url.Values) string {
	q := url.Values{"client_id": {a.project.ID}, "request_uri": {uri}}
	for k, v := range extra {
		q[k] = v
	}
	return a.e.portal.URL + "/oauth/authorize?" + q.Encode()
}

// pushedRows counts the stored pushed requests.
func pushedRows(t *testing.T, e *env) int {
	t.Helper()
	db, err := e.store.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pushed_authorizations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantErrorPage checks that res is an error page that sends the browser nowhere.
func wantErrorPage(t *testing.T, res *http.Response, what string) {
	t.Helper()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: %d to %q (%s), want a 400 error page and no redirect", what, res.StatusCode, res.Header.Get("Location"), res.Header.Get("Content-Type"))
	}
}

// The whole flow with a pushed request (RFC 9126): the app pushes the request with its
// credentials, the anonymous user's browser brings only client_id and request_uri,
// signs in, allows on the consent page, and the code becomes a token verify accepts.
// The request_uri is single use.
func TestPushedAuthorizationFlow(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	cfg := a.config(acRedirect, "orders:read")
	verifier := oauth2.GenerateVerifier()
	uri := a.push(t, a.pushForm(acRedirect, "orders:read", "st-par", verifier))
	if n := pushedRows(t, e); n != 1 {
		t.Fatalf("%d pushed requests stored, want 1", n)
	}
	b := e.browser()
	res := b.get(a.pushedURL(uri, nil))
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/login" {
		t.Fatalf("anonymous: %d to %q, want sign-in", res.StatusCode, loc)
	}
	returnTo := loc.Query().Get("return_to")
	if res := b.signIn("alice@example.com", returnTo); res.Header.Get("Location") != returnTo {
		t.Fatalf("after sign-in: to %q, want %q", res.Header.Get("Location"), returnTo)
	}
	form := consentForm(t, b.get(returnTo))
	q := a.callback(t, allow(t, b, form, "allow"), acRedirect, "st-par")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	p, err := occVerifier(t, e, a.api.Identifier, verify.Accept(verify.KindAccessToken)).Verify(ctx, tok.AccessToken)
	if err != nil || p.SubjectType != verify.SubjectUser || p.ClientID != a.project.ID {
		t.Errorf("verify: %+v %v, want a user's token for the app", p, err)
	}
	if c := userClaims(t, tok.AccessToken); c["scope"] != "orders:read" {
		t.Errorf("scope %v, want orders:read", c["scope"])
	}
	// Used: the same request_uri again is an error page, signed in or not.
	wantErrorPage(t, b.get(a.pushedURL(uri, nil)), "request_uri used twice")
	if n := pushedRows(t, e); n != 0 {
		t.Errorf("%d pushed requests left after use, want 0", n)
	}
}

// The request is the pushed one: parameters the browser adds beside request_uri (another
// registered redirect URI, a wider scope, another state or PKCE challenge) do not take
// effect (RFC 9126 §4). client_id must be sent and be the pushing client's.
func TestPushedAuthorizationIgnoresQuery(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	verifier := oauth2.GenerateVerifier()
	uri := a.push(t, a.pushForm(acRedirect, "orders:read", "pushed", verifier))
	extra := url.Values{"redirect_uri": {"http://127.0.0.1:5555/cb"}, "scope": {"orders:write"}, "state": {"evil"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "prompt": {"none"}}
	res := alice.get(a.pushedURL(uri, extra))
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "127.0.0.1:5555") {
		t.Errorf("CSP %q allows the query's redirect URI", csp)
	}
	text, form := consentPage(t, res) // prompt=none is ignored too: the page is shown
	if !strings.Contains(text, "orders:read") || strings.Contains(text, "orders:write") {
		t.Errorf("consent page %q: want orders:read only", text)
	}
	q := a.callback(t, allow(t, alice, form, "allow"), acRedirect, "pushed")
	if _, err := a.config(acRedirect).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("exchange with the pushed verifier: %v", err)
	}

	t.Run("ClientID", func(t *testing.T) {
		uri := a.push(t, a.pushForm(acRedirect, "orders:read", "s", verifier))
		q := url.Values{"request_uri": {uri}}
		wantErrorPage(t, alice.get(e.portal.URL+"/oauth/authorize?"+q.Encode()), "request_uri without client_id")
		other, err := e.store.CreateProject(ctx, a.dev.actor, a.project.TeamID, "Other app", "", "")
		if err != nil {
			t.Fatal(err)
		}
		q.Set("client_id", other.ID)
		wantErrorPage(t, alice.get(e.portal.URL+"/oauth/authorize?"+q.Encode()), "another client's request_uri")
		// Neither used it up: its own client's browser still can.
		if res := alice.get(a.pushedURL(uri, nil)); res.StatusCode != http.StatusFound {
			t.Errorf("own client after the others: %d, want a code (consent remembered)", res.StatusCode)
		}
	})
	t.Run("UnknownOrExpired", func(t *testing.T) {
		wantErrorPage(t, alice.get(a.pushedURL("urn:ietf:params:oauth:request_uri:nope", nil)), "unknown request_uri")
		wantErrorPage(t, alice.get(a.pushedURL("https://evil.example/request", nil)), "a URL as request_uri")
		uri := a.push(t, a.pushForm(acRedirect, "orders:read", "s", verifier))
		e.advance(models.PushedAuthorizationTTL + time.Second)
		wantErrorPage(t, alice.get(a.pushedURL(uri, nil)), "expired request_uri")
	})
}

// consentPage reads a consent page: its text and its form's hidden fields.
func consentPage(t *testing.T, res *http.Response) (string, url.Values) {
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
	return d.Text(), form
}

// Client authentication at /oauth/par is the token endpoint's: a confidential client
// without or with a wrong credential gets 401 invalid_client and nothing is stored; a
// public client sends its client_id alone; failures are throttled as at the token
// endpoint.
func TestPushedAuthorizationClientAuth(t *testing.T) {
	a := newACApp(t)
	e := a.e
	form := a.pushForm(acRedirect, "orders:read", "s", oauth2.GenerateVerifier())
	for name, c := range map[string]struct{ id, secret string }{
		"no credentials": {}, "wrong secret": {a.project.ID, a.secret + "x"}, "unknown client": {"prj_00000000000000000000000000", a.secret},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if c.id != "" {
			f.Set("client_id", c.id)
		}
		res, _, raw := oauthPost(t, e, "/oauth/par", f, c.id, c.secret)
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
		if t.Failed() {
			t.Logf("case %s", name)
		}
	}
	post := url.Values{}
	for k, v := range form {
		post[k] = v
	}
	post.Set("client_secret", "wrong")
	res, _, raw := oauthPost(t, e, "/oauth/par", post, "", "")
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	if n := pushedRows(t, e); n != 0 {
		t.Fatalf("%d pushed requests stored after failed authentication, want 0", n)
	}
	// client_secret_post works as Basic does.
	post.Set("client_secret", a.secret)
	if res, body, raw := oauthPost(t, e, "/oauth/par", post, "", ""); res.StatusCode != http.StatusCreated || body["request_uri"] == nil {
		t.Errorf("client_secret_post: %d %s, want 201", res.StatusCode, raw)
	}
	// A client authenticated as itself may not push for another.
	other := url.Values{}
	for k, v := range form {
		other[k] = v
	}
	other.Set("client_id", "prj_00000000000000000000000000")
	res, _, raw = oauthPost(t, e, "/oauth/par", other, a.project.ID, a.secret)
	wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")

	t.Run("PrivateKeyJWT", func(t *testing.T) {
		ctx := context.Background()
		key := newP256(t)
		k, err := e.store.AddClientKey(ctx, a.dev.actor, a.project.ID, models.ClientKeyInput{Name: "app", Material: publicPEM(t, &key.PublicKey)}, "")
		if err != nil {
			t.Fatal(err)
		}
		uris := acRedirect
		if err := e.store.UpdateProject(ctx, a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name, TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris,
			AuthMethods: []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}}); err != nil {
			t.Fatal(err)
		}
		pk := &pkClient{oauthClient: &oauthClient{project: a.project}, e: e, key: key, kid: k.KID}
		// RFC 9126 §2: the issuer, the token endpoint or the PAR endpoint as aud.
		for _, aud := range []string{e.portal.URL, e.portal.URL + "/oauth/token", e.portal.URL + "/oauth/par"} {
			f := pk.clientAuth(pk.assertion(t, func(c map[string]any) { c["aud"] = aud }), form)
			if res, body, raw := oauthPost(t, e, "/oauth/par", f, "", ""); res.StatusCode != http.StatusCreated || body["request_uri"] == nil {
				t.Errorf("private_key_jwt, aud %s: %d %s, want 201", aud, res.StatusCode, raw)
			}
		}
		f := pk.clientAuth(pk.assertion(t, func(c map[string]any) { c["aud"] = "https://evil.example" }), form)
		res, _, raw := oauthPost(t, e, "/oauth/par", f, "", "")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	})
	t.Run("Throttled", func(t *testing.T) {
		var last *http.Response
		var lastRaw string
		for range 11 {
			last, _, lastRaw = oauthPost(t, e, "/oauth/par", form, a.project.ID, "wrong")
		}
		wantOAuthError(t, last, lastRaw, http.StatusTooManyRequests, "temporarily_unavailable")
		if last.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// The right credential is still accepted: nobody else's failures lock the owner out.
		a.push(t, form)
	})
	t.Run("PublicClient", func(t *testing.T) {
		uris, public := acRedirect, true
		if err := e.store.UpdateProject(context.Background(), a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name,
			TokenTTLMinutes: 15, GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public}); err != nil {
			t.Fatal(err)
		}
		res, body, raw := oauthPost(t, e, "/oauth/par", form, "", "")
		if res.StatusCode != http.StatusCreated || body["request_uri"] == nil {
			t.Errorf("public client with its client_id: %d %s, want 201", res.StatusCode, raw)
		}
	})
}

// Every refusal at /oauth/par is an exact RFC 9126 §2.3 JSON error, and stores nothing.
func TestPushedAuthorizationErrors(t *testing.T) {
	a := newACApp(t)
	e := a.e
	v := oauth2.GenerateVerifier()
	with := func(k, val string) url.Values {
		f := a.pushForm(acRedirect, "orders:read", "s", v)
		if val == "" {
			f.Del(k)
		} else {
			f.Set(k, val)
		}
		return f
	}
	cases := map[string]struct {
		form url.Values
		code string
	}{
		"no redirect_uri":         {with("redirect_uri", ""), "invalid_request"},
		"unregistered redirect":   {with("redirect_uri", "https://evil.example/cb"), "invalid_request"},
		"redirect with a slash":   {with("redirect_uri", acRedirect+"/"), "invalid_request"},
		"no response_type":        {with("response_type", ""), "invalid_request"},
		"token response_type":     {with("response_type", "token"), "unsupported_response_type"},
		"no PKCE":                 {with("code_challenge", ""), "invalid_request"},
		"plain PKCE":              {with("code_challenge_method", "plain"), "invalid_request"},
		"scope not delegable":     {with("scope", "admin"), "invalid_scope"},
		"scope not granted":       {with("scope", "orders:delete"), "invalid_scope"},
		"resource without grant":  {with("resource", "https://other.example"), "invalid_target"},
		"bad prompt":              {with("prompt", "select_account"), "invalid_request"},
		"request object":          {with("request", "eyJhbGciOiJub25lIn0.e30."), "request_not_supported"},
		"request_uri in the body": {with("request_uri", "urn:ietf:params:oauth:request_uri:x"), "invalid_request"},
		"long state":              {with("state", strings.Repeat("s", 1100)), "invalid_request"},
		"too long to keep":        {with("login_hint", strings.Repeat("h", 9000)), "invalid_request"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, _, raw := oauthPost(t, e, "/oauth/par", c.form, a.project.ID, a.secret)
			wantOAuthError(t, res, raw, http.StatusBadRequest, c.code)
		})
	}
	t.Run("RepeatedParameter", func(t *testing.T) {
		body := a.pushForm(acRedirect, "orders:read", "s", v).Encode() + "&state=again"
		res := rawPost(t, e, "/oauth/par", body, "application/x-www-form-urlencoded", a)
		wantOAuthError(t, res.res, res.raw, http.StatusBadRequest, "invalid_request")
	})
	t.Run("NotAForm", func(t *testing.T) {
		res := rawPost(t, e, "/oauth/par", `{"response_type":"code"}`, "application/json", a)
		wantOAuthError(t, res.res, res.raw, http.StatusBadRequest, "invalid_request")
	})
	t.Run("QueryString", func(t *testing.T) {
		res := rawPost(t, e, "/oauth/par?state=x", a.pushForm(acRedirect, "orders:read", "s", v).Encode(), "application/x-www-form-urlencoded", a)
		wantOAuthError(t, res.res, res.raw, http.StatusBadRequest, "invalid_request")
	})
	t.Run("TooLarge", func(t *testing.T) {
		res := rawPost(t, e, "/oauth/par", a.pushForm(acRedirect, "orders:read", "s", v).Encode()+"&x="+strings.Repeat("a", 20000),
			"application/x-www-form-urlencoded", a)
		wantOAuthError(t, res.res, res.raw, http.StatusBadRequest, "invalid_request")
	})
	t.Run("NoAuthorizationCodeGrant", func(t *testing.T) {
		cl := newOAuthClient(t, e, "cc-only@example.com") // client credentials only
		f := a.pushForm(acRedirect, "orders:read", "s", v)
		f.Set("client_id", cl.project.ID)
		res, _, raw := oauthPost(t, e, "/oauth/par", f, cl.project.ID, cl.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "unauthorized_client")
	})
	if n := pushedRows(t, e); n != 0 {
		t.Errorf("%d pushed requests stored after refusals, want 0", n)
	}
}

// rawResult is a response and its body.
type rawResult struct {
	res *http.Response
	raw string
}

// rawPost posts body as is, with the app's Basic credentials.
func rawPost(t *testing.T, e *env, path, body, contentType string, a *acApp) rawResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.portal.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(url.QueryEscape(a.project.ID), url.QueryEscape(a.secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return rawResult{res: res, raw: readBody(res)}
}

// A project that requires pushed requests (set on its settings form) has a plain
// authorization request refused with invalid_request at its redirect URI, while a
// pushed one goes through.
func TestRequirePushedAuthorization(t *testing.T) {
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	res := a.dev.b.post("/projects/"+a.project.ID+"/settings", url.Values{"_csrf": {a.dev.csrf}, "name": {a.project.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {"client_credentials", "authorization_code"}, "auth_methods_shown": {"1"},
		"auth_methods": {"client_secret"}, "redirect_uris_shown": {"1"}, "redirect_uris": {acRedirect}, "require_par": {"on"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", res.StatusCode, readBody(res))
	}
	d := doc(t, a.dev.b.get("/projects/"+a.project.ID+"/settings"))
	if _, checked := d.Find(`[data-testid="settings-require-par"]`).Attr("checked"); !checked {
		t.Error("settings form: require PAR is not checked after saving it")
	}
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	cfg := a.config(acRedirect, "orders:read")
	q := a.callback(t, alice.get(a.authURL(cfg, "plain", oauth2.GenerateVerifier())), acRedirect, "plain")
	if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "/oauth/par") || q.Get("code") != "" {
		t.Errorf("plain request: %v, want invalid_request naming /oauth/par", q)
	}
	// An unregistered redirect URI is still an error page, never a redirect.
	wantErrorPage(t, alice.get(a.authURL(a.config("https://evil.example/cb", "orders:read"), "plain", oauth2.GenerateVerifier())),
		"unregistered redirect URI")
	v := oauth2.GenerateVerifier()
	uri := a.push(t, a.pushForm(acRedirect, "orders:read", "pushed", v))
	res = alice.get(a.pushedURL(uri, nil))
	if res.StatusCode == http.StatusOK {
		res = allow(t, alice, consentForm(t, res), "allow")
	}
	q = a.callback(t, res, acRedirect, "pushed")
	if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("pushed request on a project that requires them: %v", err)
	}
	// The metadata and the OpenID configuration say PAR is not required server-wide: it
	// is per client.
	for _, doc := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		body := readBody(alice.get(doc))
		for _, want := range []string{`"pushed_authorization_request_endpoint": "` + e.portal.URL + `/oauth/par"`, `"require_pushed_authorization_requests": false`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", doc, want)
			}
		}
	}
}

// Two tabs of one browser each start an authorization: both consent pages can be
// answered, in either order, each once; a sixth waiting request forgets the oldest.
func TestAuthorizationTwoTabs(t *testing.T) {
	a := newACApp(t)
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	cfg := a.config(acRedirect, "orders:read")
	tab1 := consentForm(t, alice.get(a.authURL(cfg, "tab-1", oauth2.GenerateVerifier())))
	tab2 := consentForm(t, alice.get(a.authURL(cfg, "tab-2", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("prompt", "consent"))))
	if tab1.Get("request") == tab2.Get("request") {
		t.Fatal("both tabs got the same request id")
	}
	if q := a.callback(t, allow(t, alice, tab2, "deny"), acRedirect, "tab-2"); q.Get("error") != "access_denied" {
		t.Errorf("tab 2: %v, want access_denied", q)
	}
	if q := a.callback(t, allow(t, alice, tab1, "allow"), acRedirect, "tab-1"); q.Get("code") == "" {
		t.Errorf("tab 1 after tab 2: %v, want a code", q)
	}
	for name, f := range map[string]url.Values{"tab 1": tab1, "tab 2": tab2} {
		if res := allow(t, alice, f, "allow"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s answered twice: %d, want 400", name, res.StatusCode)
		}
	}
	// Anonymous, in two tabs: both resume links survive one sign-in.
	b := e.browser()
	var links []string
	for _, st := range []string{"a", "b"} {
		res := b.get(a.authURL(cfg, st, oauth2.GenerateVerifier()))
		loc, _ := url.Parse(res.Header.Get("Location"))
		links = append(links, loc.Query().Get("return_to"))
	}
	b.signIn("bob@example.com", links[0])
	for i, st := range []string{"a", "b"} {
		res := b.get(links[i])
		if res.StatusCode == http.StatusOK {
			res = allow(t, b, consentForm(t, res), "allow")
		}
		if q := a.callback(t, res, acRedirect, st); q.Get("code") == "" {
			t.Errorf("tab %s after one sign-in: %v, want a code", st, q)
		}
	}
	// Six waiting requests: the oldest is forgotten, the other five still answer.
	var forms []url.Values
	for i := range 6 {
		forms = append(forms, consentForm(t, alice.get(a.authURL(cfg, "s"+string(rune('0'+i)), oauth2.GenerateVerifier(),
			oauth2.SetAuthURLParam("prompt", "consent")))))
	}
	if res := allow(t, alice, forms[0], "allow"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("the oldest of six: %d, want 400 (forgotten)", res.StatusCode)
	}
	for i, f := range forms[1:] {
		a.callback(t, allow(t, alice, f, "deny"), acRedirect, "s"+string(rune('1'+i)))
	}
	// A waiting request expires after 10 minutes.
	f := consentForm(t, alice.get(a.authURL(cfg, "late", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("prompt", "consent"))))
	e.advance(10*time.Minute + time.Second)
	if res := allow(t, alice, f, "allow"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("after 10 minutes: %d, want 400", res.StatusCode)
	}
}
