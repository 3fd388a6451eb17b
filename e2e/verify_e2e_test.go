package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// These tests check that the keys the portal issues are accepted, and rejected, by the
// things developers verify them with: cmd/example-api (the verify package) as a real
// process, and the Node.js (jose) and Python (PyJWT) snippets the portal shows with a
// new key, run as scripts from testdata/interop. They sign in over plain HTTP, without
// a browser. Their helpers carry a "vf" prefix.
//
// The interop tests skip when their runtime is missing (node and a node_modules with
// jose named by GATEHOUSE_TEST_NODE_MODULES; a python3 that can import jwt and
// cryptography); GATEHOUSE_TEST_INTEROP=require turns those skips into failures.

const (
	// vfRequestTimeout bounds each HTTP request to the portal or the example API.
	vfRequestTimeout = 15 * time.Second
	// vfStatusTTL is the portal's status-list ttl in TestExampleAPIVerifiesPortalKeys:
	// short, so that a revocation reaches the example API within seconds.
	vfStatusTTL = 2 * time.Second
	// vfScriptTimeout bounds one run of an interop script.
	vfScriptTimeout = 30 * time.Second
	// vfProbeTimeout bounds the probe that a python3 can import jwt and cryptography.
	vfProbeTimeout = 20 * time.Second
)

// vfUser is a developer signed in over HTTP through the development provider.
type vfUser struct {
	base   string // the portal's URL
	client *http.Client
	csrf   string // the session's CSRF token
}

// vfProject is a project as its page shows it.
type vfProject struct {
	ID     string // prj_…, also its client_id and the sub of its keys
	Name   string
	TeamID string
	// API is the API the key form chooses by default (its id; "" when the project holds
	// no grant), and Audience its identifier, the aud of keys for it.
	API      string
	Audience string
}

// vfKey is an API key the portal showed once.
type vfKey struct {
	ID    string // key_…, the key's jti
	Token string
	// Snippets are the code boxes the new-key page shows, by data-testid.
	Snippets map[string]string
}

// vfSignIn signs email in at p the way a browser does: GET /login, the development
// provider's form, GET /auth/callback; then it reads the session's CSRF token.
func vfSignIn(t *testing.T, p *portal, email, name string) *vfUser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	u := &vfUser{base: p.URL, client: &http.Client{
		Jar: jar, Transport: tr, Timeout: vfRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}

	res, body := u.do(t, http.MethodGet, "/login", nil, http.StatusFound)
	loc, err := res.Location()
	if err != nil || !strings.Contains(loc.Path, "/authorize") {
		t.Fatalf("GET /login: redirected to %v (%v), want the development provider's authorize endpoint; body: %.300s", loc, err, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*vfRequestTimeout)
	defer cancel()
	cb, err := devoidc.Login(ctx, u.client, loc.String(), p.URL+"/auth/callback", email, name)
	if err != nil {
		t.Fatalf("signing in as %s at the development provider: %v", email, err)
	}
	if cb.Host != strings.TrimPrefix(p.URL, "http://") {
		t.Fatalf("the development provider redirected to %s, want the portal %s", cb.Redacted(), p.URL)
	}
	res, body = u.do(t, http.MethodGet, cb.RequestURI(), nil, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/" {
		t.Fatalf("GET /auth/callback: redirected to %q, want \"/\"; body: %.300s", got, body)
	}
	dash := u.page(t, "/")
	u.csrf, _ = dash.Find(`meta[name="csrf-token"]`).Attr("content")
	if u.csrf == "" {
		t.Fatalf("dashboard: got no <meta name=\"csrf-token\">, want one on a signed-in page")
	}
	return u
}

// do sends one request to the portal (a form when form is not nil) and fails the test
// unless the status is want. It returns the response and the whole body.
func (u *vfUser) do(t *testing.T, method, path string, form url.Values, want int) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: got %s, want %d; body: %.500s", method, path, res.Status, want, vfVisibleText(b))
	}
	return res, b
}

// page GETs an HTML page that must answer 200 and parses it.
func (u *vfUser) page(t *testing.T, path string) *goquery.Document {
	t.Helper()
	_, body := u.do(t, http.MethodGet, path, nil, http.StatusOK)
	return vfDoc(t, body)
}

// vfDoc parses an HTML page.
func vfDoc(t *testing.T, body []byte) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return d
}

// vfVisibleText shortens an HTML error page to its text, for failure messages.
func vfVisibleText(body []byte) string {
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return string(body)
	}
	d.Find("script, style, head").Remove()
	return strings.Join(strings.Fields(d.Text()), " ")
}

// projectNamed finds the project called name on the dashboard and reads its page.
func (u *vfUser) projectNamed(t *testing.T, name string) vfProject {
	t.Helper()
	var href string
	u.page(t, "/").Find(`[data-testid="project-card"] [data-testid="project-link"]`).EachWithBreak(func(_ int, a *goquery.Selection) bool {
		if strings.TrimSpace(a.Text()) == name {
			href, _ = a.Attr("href")
			return false
		}
		return true
	})
	if !strings.HasPrefix(href, "/projects/prj_") {
		t.Fatalf("dashboard: the link of project %q is %q, want /projects/prj_…", name, href)
	}
	return u.project(t, strings.TrimPrefix(href, "/projects/"))
}

// project reads a project's API keys page: its name, team and the key form's default API.
func (u *vfUser) project(t *testing.T, id string) vfProject {
	t.Helper()
	d := u.page(t, "/projects/"+id+"/keys")
	pr := vfProject{ID: id}
	pr.Name = strings.TrimSpace(d.Find(`[data-testid="project-name-heading"]`).Text())
	team := d.Find(`[data-testid="project-team-link"]`).AttrOr("href", "")
	if !strings.HasPrefix(team, "/teams/") {
		t.Fatalf("project page %s: the team link is %q, want /teams/…", id, team)
	}
	pr.TeamID = strings.TrimPrefix(team, "/teams/")
	opt := d.Find(`[data-testid="key-form"] select[name="api"] option[selected]`).First()
	pr.API, pr.Audience = opt.AttrOr("value", ""), opt.AttrOr("data-identifier", "")
	return pr
}

// registerAPI registers an API of team through the form, defining scopes, and returns
// its id.
func (u *vfUser) registerAPI(t *testing.T, teamID, name, identifier string, scopes ...string) string {
	t.Helper()
	res, _ := u.do(t, http.MethodPost, "/apis", url.Values{
		"_csrf": {u.csrf}, "team_id": {teamID}, "name": {name}, "identifier": {identifier},
		"scopes": {strings.Join(scopes, "\n")}, "accepts_api_keys": {"1"}, "accepts_access_tokens": {"1"},
		"max_token_ttl_minutes": {"0"}, "max_key_ttl_days": {"0"}, "form_token": {models.NewIdempotencyKey()},
	}, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/apis/api_") {
		t.Fatalf("POST /apis: redirected to %q, want /apis/api_…", loc)
	}
	return strings.TrimPrefix(loc, "/apis/")
}

// grant gives pr access to the API (of pr's team) with scopes, through the API's page,
// and returns pr with that API chosen for its keys.
func (u *vfUser) grant(t *testing.T, apiID string, pr vfProject, scopes ...string) vfProject {
	t.Helper()
	path := "/apis/" + apiID + "/grants"
	res, _ := u.do(t, http.MethodPost, path, url.Values{"_csrf": {u.csrf}, "project": {pr.ID}, "scopes": scopes}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/apis/"+apiID) {
		t.Fatalf("POST %s: redirected to %q, want the API", path, loc)
	}
	d := u.page(t, "/projects/"+pr.ID+"/keys")
	opt := d.Find(`[data-testid="key-form"] select[name="api"] option[value="` + apiID + `"]`)
	if opt.Length() != 1 {
		t.Fatalf("after the grant, the key form of %s does not offer the API %s", pr.ID, apiID)
	}
	var offered []string
	d.Find(`[data-testid="key-form"] fieldset[data-for-value="` + apiID + `"] input[name="scopes"]`).Each(func(_ int, s *goquery.Selection) {
		offered = append(offered, s.AttrOr("value", ""))
	})
	if !slices.Equal(offered, scopes) {
		t.Fatalf("after granting %q, the key form offers %q for the API", scopes, offered)
	}
	pr.API, pr.Audience = apiID, opt.AttrOr("data-identifier", "")
	return pr
}

// createProject creates a project in team and returns it as its page shows it.
func (u *vfUser) createProject(t *testing.T, teamID, name string) vfProject {
	t.Helper()
	res, _ := u.do(t, http.MethodPost, "/projects", url.Values{
		"_csrf": {u.csrf}, "team_id": {teamID}, "name": {name}, "description": {"Another API."},
		"form_token": {models.NewIdempotencyKey()},
	}, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/projects/prj_") {
		t.Fatalf("POST /projects: redirected to %q, want /projects/prj_…", loc)
	}
	return u.project(t, strings.TrimPrefix(loc, "/projects/"))
}

// createKey creates an API key for pr's API with the given scopes and
// reads it from the page that shows it once.
func (u *vfUser) createKey(t *testing.T, pr vfProject, name string, scopes ...string) vfKey {
	t.Helper()
	path := "/projects/" + pr.ID + "/keys"
	_, body := u.do(t, http.MethodPost, path, url.Values{
		"_csrf": {u.csrf}, "name": {name}, "scopes": scopes, "api": {pr.API},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()},
	}, http.StatusOK)
	d := vfDoc(t, body)
	k := vfKey{
		ID:       strings.TrimSpace(d.Find(`[data-testid="new-key-id"]`).Text()),
		Token:    strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text()),
		Snippets: map[string]string{},
	}
	d.Find(`[data-testid^="snippet-"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-testid")
		k.Snippets[id] = s.Text()
	})
	var claims models.APIKeyClaims
	if err := vfPayload(k.Token, &claims); err != nil {
		t.Fatalf("POST %s: the page shows no readable key (id %q): %v", path, k.ID, err)
	}
	if !strings.HasPrefix(k.ID, "key_") || claims.ID != k.ID {
		t.Fatalf("POST %s: the page says key id %q, the key's jti is %q", path, k.ID, claims.ID)
	}
	if got, want := strings.Fields(claims.Scope), scopes; !slices.Equal(got, want) {
		t.Fatalf("key %s: scope claim %q, want %q", k.ID, claims.Scope, strings.Join(want, " "))
	}
	return k
}

// revokeKey revokes pr's key id and expects the 303 back to the project.
func (u *vfUser) revokeKey(t *testing.T, pr vfProject, id string) {
	t.Helper()
	path := "/projects/" + pr.ID + "/keys/" + id + "/revoke"
	res, _ := u.do(t, http.MethodPost, path, url.Values{"_csrf": {u.csrf}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/projects/"+pr.ID) {
		t.Fatalf("POST %s: redirected to %q, want the project", path, loc)
	}
}

// vfPayload decodes a JWT's payload into out without checking its signature.
func vfPayload(token string, out any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a compact JWT (%d parts)", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return json.Unmarshal(raw, out)
}

// vfTamper changes one character in the middle of token's signature, so that the
// decoded signature differs (the last character may carry only padding bits).
func vfTamper(t *testing.T, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig := token[i+1:]
	if len(sig) < 8 {
		t.Fatalf("token %q has no signature to tamper with", token)
	}
	b := []byte(sig)
	mid := len(b) / 2
	if b[mid] == 'A' {
		b[mid] = 'B'
	} else {
		b[mid] = 'A'
	}
	return token[:i+1] + string(b)
}

// vfSignInWithProject signs a developer in at p, registers the team's API "orders-api"
// (orders:read, orders:write), grants both to their "My first project" and returns the
// project with that API chosen for its keys.
func vfSignInWithProject(t *testing.T, p *portal, email, name string) (*vfUser, vfProject) {
	t.Helper()
	u := vfSignIn(t, p, email, name)
	pr := u.projectNamed(t, models.FirstProjectName)
	api := u.registerAPI(t, pr.TeamID, "Orders API", "orders-api", "orders:read", "orders:write")
	return u, u.grant(t, api, pr, "orders:read", "orders:write")
}

// --- the example API as a process ---

// vfExampleAPIBuild is the one `go build ./cmd/example-api` of a test binary run.
var vfExampleAPIBuild struct {
	once sync.Once
	bin  string
	err  error
}

// exampleAPIBinary builds ./cmd/example-api once, next to the gatehouse binary in
// TestMain's temporary directory (which TestMain removes), and returns its path.
func exampleAPIBinary(t *testing.T) string {
	t.Helper()
	b := &vfExampleAPIBuild
	b.once.Do(func() {
		start := time.Now()
		root, err := filepath.Abs("..")
		if err != nil {
			b.err = err
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			b.err = err
			return
		}
		bin := filepath.Join(filepath.Dir(gatehouseBin), "example-api")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/example-api")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./cmd/example-api: %v\n%s", err, out)
			return
		}
		b.bin = bin
		t.Logf("built ./cmd/example-api in %s", time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// exampleAPI is a running cmd/example-api process.
type exampleAPI struct {
	URL     string // http://127.0.0.1:PORT
	cmd     *exec.Cmd
	out     *syncBuffer
	ready   bool          // GET /healthz answered 200
	done    chan struct{} // closed when the process has exited and waitErr is set
	waitErr error
}

func (a *exampleAPI) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to stopTimeout, then kills the process.
func (a *exampleAPI) stop() error {
	if a.exited() {
		return a.waitErr
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-a.done:
		return a.waitErr
	case <-time.After(stopTimeout):
		_ = a.cmd.Process.Kill()
		<-a.done
		return fmt.Errorf("did not exit within %s of SIGTERM, killed", stopTimeout)
	}
}

// startExampleAPI runs the example API on a free loopback port against issuer and
// audience and waits until GET /healthz answers 200. It is stopped when the test ends.
func startExampleAPI(t *testing.T, issuer, audience string) *exampleAPI {
	t.Helper()
	bin := exampleAPIBinary(t)
	for attempt := 1; ; attempt++ {
		a, err := launchExampleAPI(t, bin, issuer, audience)
		if err == nil {
			return a
		}
		if attempt < 3 && a.exited() && strings.Contains(a.out.String(), "address already in use") {
			t.Logf("port race, retrying: %v", err)
			continue
		}
		t.Fatalf("starting the example API: %v\n%s", err, a.out.String())
	}
}

func launchExampleAPI(t *testing.T, bin, issuer, audience string) (*exampleAPI, error) {
	addr := freeAddr(t)
	a := &exampleAPI{URL: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
	var env []string
	for _, kv := range childEnv() {
		if !strings.HasPrefix(kv, "EXAMPLE_API_") {
			env = append(env, kv)
		}
	}
	a.cmd = exec.Command(bin)
	a.cmd.Env = append(env, "EXAMPLE_API_ADDR="+addr, "EXAMPLE_API_ISSUER="+issuer, "EXAMPLE_API_AUDIENCE="+audience)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	setChildAttrs(a.cmd)
	if err := a.cmd.Start(); err != nil {
		close(a.done)
		return a, err
	}
	go func() {
		a.waitErr = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		// A process that never became ready has been reported by startExampleAPI.
		if err := a.stop(); err != nil && a.ready {
			t.Errorf("stopping the example API: got %v, want a clean exit", err)
		}
		if t.Failed() {
			t.Logf("example API output:\n%s", a.out.String())
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	last := "no answer yet"
	for {
		res, err := client.Get(a.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				a.ready = true
				return a, nil
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			_ = a.stop()
			return a, fmt.Errorf("GET /healthz not 200 within %s (last: %s)", readyTimeout, last)
		}
		select {
		case <-a.done:
			return a, fmt.Errorf("the example API exited before it was ready: %v", a.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// vfAnswer is what the example API answered.
type vfAnswer struct {
	status    int
	challenge string            // WWW-Authenticate
	params    map[string]string // its auth-params
	body      []byte
}

func (a vfAnswer) String() string {
	return fmt.Sprintf("%d, WWW-Authenticate %q, body %.200s", a.status, a.challenge, bytes.TrimSpace(a.body))
}

var vfAuthParam = regexp.MustCompile(`([A-Za-z_]+)="([^"]*)"`)

// vfCall sends one request to the example API with the given headers (name, value, …).
func vfCall(t *testing.T, client *http.Client, method, target string, headers ...string) vfAnswer {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	a := vfAnswer{status: res.StatusCode, challenge: res.Header.Get("WWW-Authenticate"), params: map[string]string{}, body: body}
	for _, m := range vfAuthParam.FindAllStringSubmatch(a.challenge, -1) {
		a.params[m[1]] = m[2]
	}
	return a
}

func vfBearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// TestExampleAPIVerifiesPortalKeys runs cmd/example-api against a real portal and
// checks that it enforces what the portal issued: a read-only key reads but may not
// write (403 insufficient_scope), a read-write key writes, X-API-Key works, a missing,
// garbage, tampered or other-audience credential gets 401 with the RFC 6750 challenge
// and the right reason, and a key revoked in the portal is rejected as "revoked" within
// the status list's ttl (measured), while another key of the project keeps working.
// The example API's verifier must never have failed closed.
func TestExampleAPIVerifiesPortalKeys(t *testing.T) {
	t.Parallel()
	exampleAPIBinary(t) // build first, so that the timing below is not the build's
	p := startPortal(t, "GATEHOUSE_STATUS_LIST_TTL="+vfStatusTTL.String())
	u, pr := vfSignInWithProject(t, p, "orders-dev@example.com", "Orders Developer")
	keyA := u.createKey(t, pr, "reader", "orders:read")
	keyB := u.createKey(t, pr, "writer", "orders:read", "orders:write")

	api := startExampleAPI(t, p.URL, pr.Audience)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: vfRequestTimeout}
	orders := api.URL + "/orders"

	t.Run("scopes", func(t *testing.T) {
		if a := vfCall(t, client, http.MethodGet, orders, vfBearer(keyA.Token)...); a.status != http.StatusOK {
			t.Errorf("GET /orders with read-only key A: got %s; want 200", a)
		} else {
			var got struct {
				Orders     []string `json:"orders"`
				ForProject string   `json:"for_project"`
			}
			if err := json.Unmarshal(a.body, &got); err != nil || got.ForProject != pr.ID || len(got.Orders) == 0 {
				t.Errorf("GET /orders with key A: body %s (%v), want orders for project %s", a.body, err, pr.ID)
			}
		}
		a := vfCall(t, client, http.MethodPost, orders, vfBearer(keyA.Token)...)
		if a.status != http.StatusForbidden || a.params["error"] != "insufficient_scope" {
			t.Errorf("POST /orders with read-only key A: got %s; want 403 with error=\"insufficient_scope\"", a)
		}
		if a.params["scope"] != "orders:write" {
			t.Errorf("POST /orders with key A: challenge scope %q, want \"orders:write\"", a.params["scope"])
		}
		if a := vfCall(t, client, http.MethodPost, orders, vfBearer(keyB.Token)...); a.status != http.StatusCreated {
			t.Errorf("POST /orders with read-write key B: got %s; want 201", a)
		}
	})

	t.Run("whoami with X-API-Key", func(t *testing.T) {
		a := vfCall(t, client, http.MethodGet, api.URL+"/whoami", "X-API-Key", keyB.Token)
		if a.status != http.StatusOK {
			t.Fatalf("GET /whoami with X-API-Key B: got %s; want 200", a)
		}
		var who verify.Principal
		if err := json.Unmarshal(a.body, &who); err != nil {
			t.Fatalf("GET /whoami: body %s is not a principal: %v", a.body, err)
		}
		if who.Project != pr.ID || who.Kind != verify.KindAPIKey || who.KeyID != keyB.ID {
			t.Errorf("GET /whoami: got Project %q, Kind %q, KeyID %q; want %q, %q, %q",
				who.Project, who.Kind, who.KeyID, pr.ID, verify.KindAPIKey, keyB.ID)
		}
		if want := []string{"orders:read", "orders:write"}; !slices.Equal(who.Scopes, want) {
			t.Errorf("GET /whoami: Scopes %q, want %q", who.Scopes, want)
		}
		if who.Team != pr.TeamID || !slices.Contains(who.Audience, pr.Audience) {
			t.Errorf("GET /whoami: Team %q, Audience %q; want %q and one containing %q", who.Team, who.Audience, pr.TeamID, pr.Audience)
		}
	})

	t.Run("rejected credentials", func(t *testing.T) {
		a := vfCall(t, client, http.MethodGet, orders)
		if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.challenge, `Bearer realm=`) {
			t.Errorf("GET /orders without a credential: got %s; want 401 with WWW-Authenticate: Bearer realm=…", a)
		}
		if _, ok := a.params["error"]; ok {
			// RFC 6750 §3.1: no error code when the request had no authentication.
			t.Errorf("GET /orders without a credential: challenge %q names an error, want none", a.challenge)
		}
		a = vfCall(t, client, http.MethodGet, orders, vfBearer("not-a-key")...)
		if a.status != http.StatusUnauthorized || a.params["error"] != "invalid_token" {
			t.Errorf("GET /orders with garbage: got %s; want 401 with error=\"invalid_token\"", a)
		}
		a = vfCall(t, client, http.MethodGet, orders, vfBearer(vfTamper(t, keyA.Token))...)
		if a.status != http.StatusUnauthorized || a.params["error"] != "invalid_token" {
			t.Errorf("GET /orders with key A's signature changed: got %s; want 401 with error=\"invalid_token\"", a)
		}
		if !strings.Contains(a.params["error_description"], "signature") {
			t.Errorf("GET /orders with key A's signature changed: error_description %q, want it to name the signature", a.params["error_description"])
		}
	})

	t.Run("another audience", func(t *testing.T) {
		billing := u.createProject(t, pr.TeamID, "Billing client")
		if billing.API != "" {
			t.Errorf("a new project %q can issue keys for %q before any grant", billing.Name, billing.Audience)
		}
		billing = u.grant(t, u.registerAPI(t, pr.TeamID, "Billing API", "billing-api"), billing)
		if billing.Audience != "billing-api" {
			t.Errorf("project %q: key audience %q, want \"billing-api\"", billing.Name, billing.Audience)
		}
		other := u.createKey(t, billing, "billing-key")
		a := vfCall(t, client, http.MethodGet, orders, vfBearer(other.Token)...)
		if a.status != http.StatusUnauthorized || a.params["error"] != "invalid_token" ||
			!strings.Contains(a.params["error_description"], "audience") {
			t.Errorf("GET /orders (audience %q) with a key for %q: got %s; want 401 invalid_token naming the audience",
				pr.Audience, billing.Audience, a)
		}
	})

	t.Run("revocation", func(t *testing.T) {
		u.revokeKey(t, pr, keyA.ID)
		revokedAt := time.Now()
		limit := 3*vfStatusTTL + 5*time.Second
		var (
			polls int
			last  vfAnswer
			seen  bool
		)
		for time.Since(revokedAt) <= limit {
			polls++
			last = vfCall(t, client, http.MethodGet, orders, vfBearer(keyA.Token)...)
			if last.status == http.StatusUnauthorized && last.params["error_description"] == "revoked" {
				seen = true
				break
			}
			if last.status != http.StatusOK {
				t.Fatalf("GET /orders with key A, %s after its revocation: got %s; want 200 until the revocation arrives, then 401 \"revoked\"",
					time.Since(revokedAt).Round(time.Millisecond), last)
			}
			time.Sleep(200 * time.Millisecond)
		}
		delay := time.Since(revokedAt)
		if !seen {
			t.Fatalf("GET /orders with key A: still %s %s after its revocation (%d polls); want 401 error_description=\"revoked\" within 3×ttl + 5s = %s",
				last, delay.Round(time.Millisecond), polls, limit)
		}
		if last.params["error"] != "invalid_token" {
			t.Errorf("GET /orders with revoked key A: got %s; want error=\"invalid_token\"", last)
		}
		t.Logf("revocation of key A reached the example API %s after the portal's 303 (%d polls every 200ms; ttl %s, limit %s)",
			delay.Round(time.Millisecond), polls, vfStatusTTL, limit)
		if a := vfCall(t, client, http.MethodGet, orders, vfBearer(keyB.Token)...); a.status != http.StatusOK {
			t.Errorf("GET /orders with key B after key A's revocation: got %s; want 200", a)
		}
		if a := vfCall(t, client, http.MethodGet, orders, vfBearer(keyA.Token)...); a.status != http.StatusUnauthorized {
			t.Errorf("GET /orders with revoked key A, again: got %s; want 401", a)
		}
	})

	a := vfCall(t, client, http.MethodGet, api.URL+"/stats")
	var stats verify.Stats
	if a.status != http.StatusOK || json.Unmarshal(a.body, &stats) != nil {
		t.Fatalf("GET /stats: got %s; want 200 with the verifier's counters", a)
	}
	t.Logf("example API stats: %+v", stats)
	if stats.FailClosed != 0 {
		t.Errorf("stats: FailClosed = %d, want 0 (the portal was up the whole time)", stats.FailClosed)
	}
	if stats.CacheHits == 0 {
		t.Errorf("stats: CacheHits = 0, want some (keys A and B were used repeatedly)")
	}
	if stats.StatusFetches == 0 || stats.JWKSFetches == 0 {
		t.Errorf("stats: StatusFetches %d, JWKSFetches %d; want both above 0", stats.StatusFetches, stats.JWKSFetches)
	}
	expectNoServerErrors(t, p)
}

// --- interop with the Node.js and Python snippets ---

// vfRequireInterop reports whether GATEHOUSE_TEST_INTEROP=require makes a missing
// interop runtime a failure rather than a skip.
func vfRequireInterop() bool { return os.Getenv("GATEHOUSE_TEST_INTEROP") == "require" }

// vfSkip skips the test, or fails it under GATEHOUSE_TEST_INTEROP=require.
func vfSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if vfRequireInterop() {
		t.Fatalf("GATEHOUSE_TEST_INTEROP=require: "+format, args...)
	}
	t.Skipf(format, args...)
}

// vfScriptResult is one run of an interop script.
type vfScriptResult struct {
	stdout, stderr string
	code           int
}

// vfRunScript runs name args… in dir, bounded by vfScriptTimeout.
func vfRunScript(t *testing.T, dir, name string, args ...string) vfScriptResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), vfScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.WaitDelay = 5 * time.Second
	setChildAttrs(cmd)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after %s (killed)\nstdout: %s\nstderr: %s", name, args[0], vfScriptTimeout, out.String(), errOut.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s %s: %v", name, args[0], err)
	}
	return vfScriptResult{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// vfInterop runs one snippet script against a real portal: a valid key must print
// claims with the project as sub, the key's scope and id; the key with its signature
// changed, and a status-list token (signed with the same key, typ statuslist+jwt), must
// make it exit non-zero naming the reason. run runs the script with portal URL,
// audience and key.
func vfInterop(t *testing.T, typReason string, run func(t *testing.T, base, aud, key string) vfScriptResult) {
	t.Helper()
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "interop@example.com", "Interop Developer")
	key := u.createKey(t, pr, "interop", "orders:read", "orders:write")

	start := time.Now()
	r := run(t, p.URL, pr.Audience, key.Token)
	t.Logf("valid key: exit %d in %s", r.code, time.Since(start).Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("valid key: exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	var claims struct {
		Iss   string   `json:"iss"`
		Sub   string   `json:"sub"`
		Aud   any      `json:"aud"`
		Scope string   `json:"scope"`
		Jti   string   `json:"jti"`
		Exp   *float64 `json:"exp"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &claims); err != nil {
		t.Fatalf("valid key: stdout %q is not the claims as JSON: %v", r.stdout, err)
	}
	if claims.Sub != pr.ID {
		t.Errorf("valid key: sub %q, want the project %q", claims.Sub, pr.ID)
	}
	if claims.Scope != "orders:read orders:write" {
		t.Errorf("valid key: scope %q, want \"orders:read orders:write\"", claims.Scope)
	}
	if claims.Jti != key.ID || claims.Iss != p.URL || claims.Exp == nil {
		t.Errorf("valid key: jti %q, iss %q, exp %v; want %q, %q and an expiry", claims.Jti, claims.Iss, claims.Exp, key.ID, p.URL)
	}

	r = run(t, p.URL, pr.Audience, vfTamper(t, key.Token))
	if r.code == 0 {
		t.Errorf("key with its signature changed: exit 0, want non-zero\nstdout: %s", r.stdout)
	} else if !strings.Contains(strings.ToLower(r.stderr), "signature") {
		t.Errorf("key with its signature changed: exit %d with stderr %q, want the signature named as the reason", r.code, r.stderr)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("key with its signature changed: printed %q, want no claims", r.stdout)
	}
	t.Logf("key with its signature changed: exit %d, %s", r.code, strings.TrimSpace(r.stderr))

	var ref models.APIKeyClaims
	if err := vfPayload(key.Token, &ref); err != nil {
		t.Fatal(err)
	}
	status, ctype, list := stressGet(t, ref.Status.StatusList.URI)
	if status != http.StatusOK || ctype != "application/statuslist+jwt" {
		t.Fatalf("GET %s: got %d %q, want 200 application/statuslist+jwt", ref.Status.StatusList.URI, status, ctype)
	}
	r = run(t, p.URL, pr.Audience, strings.TrimSpace(string(list)))
	if r.code == 0 {
		t.Errorf("status-list token (typ statuslist+jwt): exit 0, want non-zero\nstdout: %s", r.stdout)
	} else if !strings.Contains(r.stderr, typReason) {
		t.Errorf("status-list token: exit %d with stderr %q, want the typ check (%q) as the reason", r.code, r.stderr, typReason)
	}
	t.Logf("status-list token: exit %d, %s", r.code, strings.TrimSpace(r.stderr))
}

// vfScript returns the absolute path of testdata/interop/name.
func vfScript(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "interop", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInteropNodeJose verifies portal keys with the Node.js snippet (jose's
// createRemoteJWKSet and jwtVerify). It needs node on PATH and
// GATEHOUSE_TEST_NODE_MODULES naming a node_modules directory that holds jose; ES
// modules ignore NODE_PATH, so the script runs from a temporary directory with a copy
// of verify.mjs and a node_modules symlink to that directory.
func TestInteropNodeJose(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		vfSkip(t, "node is not on PATH: the Node.js (jose) interop test needs it")
	}
	mods := os.Getenv("GATEHOUSE_TEST_NODE_MODULES")
	if mods == "" {
		vfSkip(t, "GATEHOUSE_TEST_NODE_MODULES is not set: point it at a node_modules directory with jose (npm install jose)")
	}
	mods, err = filepath.Abs(mods)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mods, "jose", "package.json")); err != nil {
		vfSkip(t, "GATEHOUSE_TEST_NODE_MODULES=%s holds no jose package (%v)", mods, err)
	}
	src, err := os.ReadFile(vfScript(t, "verify.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "verify.mjs"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if r := vfRunScript(t, dir, node, "--version"); r.code == 0 {
		t.Logf("node %s, jose from %s", strings.TrimSpace(r.stdout), mods)
	}
	vfInterop(t, `"typ"`, func(t *testing.T, base, aud, key string) vfScriptResult {
		return vfRunScript(t, dir, node, "verify.mjs", base, aud, key)
	})
}

// TestInteropPyJWT verifies portal keys with the Python snippet (PyJWT's PyJWKClient,
// the typ check on the unverified header, jwt.decode). It needs a python3 that can
// import jwt and cryptography: /usr/bin/python3 (Debian's python3-jwt and
// python3-cryptography) is tried first, then python3 on PATH.
func TestInteropPyJWT(t *testing.T) {
	t.Parallel()
	var (
		python string
		tried  []string
	)
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err != nil {
			tried = append(tried, c+": "+err.Error())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), vfProbeTimeout)
		cmd := exec.CommandContext(ctx, c, "-c", "import jwt, cryptography; print(jwt.__version__, cryptography.__version__)")
		cmd.Env = childEnv()
		setChildAttrs(cmd)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			python = c
			t.Logf("%s: PyJWT and cryptography %s", c, strings.TrimSpace(string(out)))
			break
		}
		tried = append(tried, fmt.Sprintf("%s: %v: %s", c, err, bytes.TrimSpace(out)))
	}
	if python == "" {
		vfSkip(t, "no python3 that can import jwt and cryptography (apt-get install python3-jwt python3-cryptography); tried %q", tried)
	}
	script := vfScript(t, "verify.py")
	dir := t.TempDir()
	vfInterop(t, "not an API key", func(t *testing.T, base, aud, key string) vfScriptResult {
		return vfRunScript(t, dir, python, "-B", script, base, aud, key)
	})
}
