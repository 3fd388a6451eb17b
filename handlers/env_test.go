package handlers_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/handlers"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// env is a running portal (the real Echo instance on a loopback test server) and a real
// in-process OpenID provider on another, with hooks to tamper with the provider's answers.
type env struct {
	t      testing.TB
	store  *store.Store
	signer *signing.Signer
	h      *handlers.Handler
	portal *httptest.Server
	idp    *httptest.Server
	// mtls is the mutual-TLS alias of the portal (envOptions.mtls), else nil.
	mtls   *httptest.Server
	issuer string
	logs   *syncBuffer

	mu     sync.Mutex
	tamper func(w http.ResponseWriter, r *http.Request, next http.Handler)
	now    time.Time
}

// syncBuffer collects log output safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOptions struct {
	baseURL string // overrides the portal's public URL (e.g. https://…) for cookie tests
	store   *store.Store
	// trustedProxies are the addresses whose X-Forwarded-For the portal believes.
	trustedProxies []*net.IPNet
	// metricsToken serves /metrics to holders of this bearer token.
	metricsToken string
	// leakKeysURL and leakKeysFile hold GitHub's secret-scanning keys.
	leakKeysURL, leakKeysFile string
	// dpopNonce requires server nonces in DPoP proofs at the token endpoint.
	dpopNonce bool
	// twinOf starts another instance of that portal: a second store on its database,
	// signing with its keys, under its public URL.
	twinOf *env
	// statusEvents tunes the revocation feed.
	statusEvents signing.FeedConfig
	// masterKeys, when set, are the master keys (instances of one portal share them).
	masterKeys *models.MasterKeys
	// mtls starts the mutual-TLS alias too (env.mtls: HTTPS requesting client
	// certificates, advertised as mtls_endpoint_aliases), tls_client_auth certificates
	// chaining to clientCAs; clientCertHeader is the trusted proxies' certificate header.
	mtls             bool
	clientCAs        *x509.CertPool
	clientCertHeader string
}

// newEnv starts a portal and an identity provider for one test.
func newEnv(t testing.TB, opts ...func(*envOptions)) *env {
	t.Helper()
	var o envOptions
	for _, f := range opts {
		f(&o)
	}
	e := &env{t: t, logs: &syncBuffer{}, now: time.Now().UTC()}
	if o.twinOf != nil {
		o.store, o.baseURL = storetest.SameDatabase(t, o.twinOf.store), o.twinOf.signer.Config().Issuer
	}
	e.store = o.store
	if e.store == nil {
		e.store = storetest.SQLite(t)
	}
	e.store.SetClock(e.clock)

	e.portal = httptest.NewUnstartedServer(nil)
	portalURL := "http://" + e.portal.Listener.Addr().String()
	base := portalURL
	if o.baseURL != "" {
		base = o.baseURL
	}

	e.idp = httptest.NewUnstartedServer(nil)
	e.issuer = "http://" + e.idp.Listener.Addr().String()
	p, err := devoidc.New(devoidc.Config{
		Issuer:  e.issuer,
		Now:     e.clock, // the provider's auth_time is on the portal's clock
		Clients: []devoidc.Client{{ID: "portal", Secret: "portal-secret", RedirectURIs: []string{base + "/auth/callback"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	idpHandler := p.Handler()
	e.idp.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		tamper := e.tamper
		e.mu.Unlock()
		if tamper != nil {
			tamper(w, r, idpHandler)
			return
		}
		idpHandler.ServeHTTP(w, r)
	})
	e.idp.Start()
	t.Cleanup(e.idp.Close)

	baseURL, _ := url.Parse(base)
	var mtlsURL *url.URL
	if o.mtls {
		e.mtls = httptest.NewUnstartedServer(nil)
		mtlsURL, _ = url.Parse("https://" + e.mtls.Listener.Addr().String())
	}
	if o.twinOf != nil {
		if e.signer, err = store.NewSigner(context.Background(), e.store, o.twinOf.signer.Config()); err != nil {
			t.Fatal(err)
		}
	} else {
		if o.masterKeys == nil {
			o.masterKeys = storetest.MasterKeys(t)
		}
		e.signer = storetest.SignerWithKeys(t, e.store, base, o.masterKeys)
	}
	h, err := handlers.New(handlers.Config{
		BaseURL:           baseURL,
		OIDC:              handlers.OIDCConfig{Issuer: e.issuer, ClientID: "portal", ClientSecret: "portal-secret", DisplayName: "Test IdP"},
		SessionKeys:       [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
		Sessions:          models.SessionPolicy{Idle: time.Hour, Absolute: 24 * time.Hour, PreLogin: 10 * time.Minute, TouchEvery: time.Minute},
		Logger:            slog.New(slog.NewTextHandler(e.logs, nil)),
		Signer:            e.signer,
		AdminEmails:       []string{"ops@example.com"},
		TrustedProxies:    o.trustedProxies,
		MetricsToken:      o.metricsToken,
		LeakGitHubKeysURL: o.leakKeysURL, LeakGitHubKeysFile: o.leakKeysFile,
		DPoPNonce: o.dpopNonce, StatusEvents: o.statusEvents,
		ClientCAs: o.clientCAs, ClientCertHeader: o.clientCertHeader, MTLSBaseURL: mtlsURL,
	}, e.store)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.portal.Config.Handler = h.Echo()
	e.portal.Start()
	t.Cleanup(e.portal.Close)
	// First (cleanups run last-in first-out): end the feed's streams, which the
	// server's Close would otherwise wait for.
	t.Cleanup(h.Drain)
	if e.mtls != nil {
		e.mtls.Config.Handler = h.Echo()
		e.mtls.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		e.mtls.StartTLS()
		t.Cleanup(e.mtls.Close)
	}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the portal's clock forward.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// setTamper installs a wrapper around the identity provider (nil removes it).
func (e *env) setTamper(f func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	e.mu.Lock()
	e.tamper = f
	e.mu.Unlock()
}

// browser is a cookie-keeping client that does not follow redirects, so tests see each hop.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request to the portal (path relative) or to an absolute URL.
func (b *browser) do(method, target string, body io.Reader, hdr map[string]string) *http.Response {
	b.e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.e.portal.URL + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	b.e.t.Cleanup(func() { res.Body.Close() })
	return res
}

func (b *browser) get(target string) *http.Response { return b.do(http.MethodGet, target, nil, nil) }

// post sends a form; token "" sends none.
func (b *browser) post(path string, form url.Values, hdr map[string]string) *http.Response {
	if hdr == nil {
		hdr = map[string]string{}
	}
	hdr["Content-Type"] = "application/x-www-form-urlencoded"
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), hdr)
}

// startLogin opens /login and returns the provider's authorization URL.
func (b *browser) startLogin(returnTo string) string {
	b.e.t.Helper()
	path := "/login"
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	res := b.get(path)
	if res.StatusCode != http.StatusFound {
		b.e.t.Fatalf("GET %s = %d, want 302 to the provider", path, res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, b.e.issuer+"/authorize?") {
		b.e.t.Fatalf("login redirected to %q, want the provider's authorize endpoint", loc)
	}
	return loc
}

// authorize signs in at the provider and returns the callback URL it sends back.
func (b *browser) authorize(authURL, email string) string {
	b.e.t.Helper()
	cb, err := devoidc.Login(context.Background(), b.client, authURL, b.e.portal.URL+"/auth/callback", email, "")
	if err != nil {
		b.e.t.Fatalf("sign in at provider: %v", err)
	}
	return cb.String()
}

// signIn runs the whole flow and returns the portal's answer to the callback.
func (b *browser) signIn(email, returnTo string) *http.Response {
	b.e.t.Helper()
	return b.get(b.authorize(b.startLogin(returnTo), email))
}

// mustSignIn signs in and fails the test unless the portal accepted it.
func (b *browser) mustSignIn(email string) {
	b.e.t.Helper()
	res := b.signIn(email, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		b.e.t.Fatalf("callback = %d to %q, want 303 to /; body: %s", res.StatusCode, res.Header.Get("Location"), readBody(res))
	}
}

// cookie returns the portal's session cookie value in the jar, or "".
func (b *browser) cookie() string {
	u, _ := url.Parse(b.e.portal.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == b.e.h.SessionCookieName() {
			return c.Value
		}
	}
	return ""
}

// setCookie replaces the session cookie in the jar (to replay an old one).
func (b *browser) setCookie(v string) {
	u, _ := url.Parse(b.e.portal.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: b.e.h.SessionCookieName(), Value: v, Path: "/"}})
}

// csrf reads the CSRF token from a signed-in page's meta tag.
func (b *browser) csrf() string {
	b.e.t.Helper()
	res := b.get("/account")
	if res.StatusCode != http.StatusOK {
		b.e.t.Fatalf("GET /account = %d, want 200 (signed in)", res.StatusCode)
	}
	tok, _ := doc(b.e.t, res).Find(`meta[name="csrf-token"]`).Attr("content")
	if tok == "" {
		b.e.t.Fatal("no CSRF token on a signed-in page")
	}
	return tok
}

// signedIn reports whether the browser's session is signed in, by asking for /account.
func (b *browser) signedIn() bool {
	b.e.t.Helper()
	res := b.get("/account")
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		if !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			b.e.t.Fatalf("anonymous /account redirected to %q, want /login", res.Header.Get("Location"))
		}
		return false
	}
	b.e.t.Fatalf("GET /account = %d", res.StatusCode)
	return false
}

func readBody(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func doc(t testing.TB, res *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rewriteJSON runs next and lets edit change the JSON object it answered with.
func rewriteJSON(w http.ResponseWriter, r *http.Request, next http.Handler, edit func(map[string]any)) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	edit(body)
	out, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
