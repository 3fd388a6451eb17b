package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// These tests run the README's HAProxy recipe ("API gateways: HAProxy") for real: the
// key-fetching script and haproxy.cfg are read from README.md between their marker
// comments, only the placeholders the README names are replaced, and haproxy runs in
// the foreground in front of a small backend. They skip when haproxy (2.5 or later),
// curl or awk is missing; GATEHOUSE_TEST_INTEROP=require turns the skip into a
// failure. Their helpers carry an "ha" prefix.

const (
	// haReadyTimeout bounds how long haproxy may take to answer its first request.
	haReadyTimeout = 10 * time.Second
	// haPropagation bounds how long a ring change made in the database takes to show
	// in the portal's jwks.pem (the portal polls every second).
	haPropagation = 15 * time.Second
	// haScriptTimeout bounds one run of the key-fetching script.
	haScriptTimeout = 30 * time.Second
)

// haExample are the README's placeholder values, replaced by the test's own.
const (
	haExampleIssuer  = "https://portal.example.com"
	haExampleAPI     = "orders-api"
	haExampleKeyDir  = "/etc/haproxy/gatehouse"
	haExampleBind    = "bind :8080"
	haExampleBackend = "server api1 127.0.0.1:9090"
	haExampleReload  = `RELOAD="systemctl reload haproxy"`
)

// haReadme returns the fenced code block of README.md that stands between the marker
// comments "<!-- name…-->" and "<!-- /name -->".
func haReadme(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	start := strings.Index(s, "<!-- "+name)
	end := strings.Index(s, "<!-- /"+name+" -->")
	if start < 0 || end < start {
		t.Fatalf("README.md: no block between <!-- %s … --> and <!-- /%s -->", name, name)
	}
	block := s[start:end]
	open := strings.Index(block, "\n```")
	if open < 0 {
		t.Fatalf("README.md: the %s markers hold no fenced code block", name)
	}
	block = block[open+4:]
	block = block[strings.IndexByte(block, '\n')+1:] // past the info string
	closing := strings.LastIndex(block, "```")
	if closing < 0 {
		t.Fatalf("README.md: the %s code block is not closed before <!-- /%s -->", name, name)
	}
	return block[:closing]
}

// haReplace replaces each placeholder (old, new pairs) in text, failing the test when
// the README no longer has one of them: the test and the README must not drift apart.
func haReplace(t *testing.T, what, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("README %s: the placeholder %q is gone; update the README or this test", what, pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// haTools finds haproxy (at least 2.5, for jwt_verify), curl and awk, or skips.
func haTools(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin, err = exec.LookPath("/usr/sbin/haproxy") // Debian's, off a non-root PATH
	}
	if err != nil {
		vfSkip(t, "haproxy is not on PATH: the HAProxy recipe test needs it (apt-get install haproxy)")
	}
	for _, tool := range []string{"curl", "awk", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			vfSkip(t, "%s is not on PATH: the README's key script needs it", tool)
		}
	}
	out, err := exec.Command(bin, "-v").CombinedOutput()
	m := regexp.MustCompile(`version (\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		vfSkip(t, "haproxy -v: %v: %.200s", err, out)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 2 || (major == 2 && minor < 5) {
		vfSkip(t, "haproxy %s.%s has no jwt_verify; the recipe needs 2.5 or later", m[1], m[2])
	}
	t.Logf("%s", strings.SplitN(string(out), "\n", 2)[0])
	return bin
}

// haKeyScript is the README's key-fetching script for portal, writing into dir and
// "reloading" by creating dir/reloaded.
type haKeyScript struct {
	path, dir string
}

func newHAKeyScript(t *testing.T, portalURL, dir string) *haKeyScript {
	t.Helper()
	text := haReplace(t, "gatehouse-haproxy-keys", haReadme(t, "gatehouse-haproxy-keys"),
		"PORTAL="+haExampleIssuer, "PORTAL="+portalURL,
		"DIR="+haExampleKeyDir, "DIR="+dir,
		haExampleReload, `RELOAD="touch `+filepath.Join(dir, "reloaded")+`"`)
	path := filepath.Join(t.TempDir(), "gatehouse-haproxy-keys")
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return &haKeyScript{path: path, dir: dir}
}

// run runs the script and reports whether it asked for a reload.
func (s *haKeyScript) run(t *testing.T) bool {
	t.Helper()
	marker := filepath.Join(s.dir, "reloaded")
	if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	r := vfRunScript(t, filepath.Dir(s.path), "sh", s.path)
	if r.code != 0 {
		t.Fatalf("the README's key script: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	_, err := os.Stat(marker)
	return err == nil
}

// kids returns the kid comment of each slot file, key-1.pem to key-4.pem.
func (s *haKeyScript) kids(t *testing.T) []string {
	t.Helper()
	var kids []string
	for i := 1; i <= 4; i++ {
		b, err := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("key-%d.pem", i)))
		if err != nil {
			t.Fatalf("the key script wrote no key-%d.pem: %v", i, err)
		}
		kid, _, _ := strings.Cut(strings.TrimPrefix(string(b), "# kid: "), "\n")
		if !strings.HasPrefix(string(b), "# kid: ") || strings.Count(string(b), "BEGIN PUBLIC KEY") != 1 {
			t.Fatalf("key-%d.pem is %q, want one key after its # kid line", i, b)
		}
		kids = append(kids, kid)
	}
	return kids
}

// haGateway is a running haproxy.
type haGateway struct {
	URL     string
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{}
	waitErr error
}

// startHAProxy writes cfg (the README's, with placeholders replaced but the bind
// address) with a free port, checks it with haproxy -c, runs haproxy -db (both with env
// added to the environment) and waits until it answers a request without a token with
// 401. It is stopped when the test ends, or by stop.
func startHAProxy(t *testing.T, bin, cfg string, env ...string) *haGateway {
	t.Helper()
	for attempt := 1; ; attempt++ {
		g, err := launchHAProxy(t, bin, cfg, env...)
		if err == nil {
			return g
		}
		if attempt < 3 && strings.Contains(g.out.String(), "Address already in use") {
			t.Logf("port race, retrying: %v", err)
			continue
		}
		t.Fatalf("starting haproxy: %v\n%s", err, g.out.String())
	}
}

func launchHAProxy(t *testing.T, bin, cfg string, env ...string) (*haGateway, error) {
	addr := freeAddr(t)
	g := &haGateway{URL: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(haReplace(t, "haproxy.cfg", cfg, haExampleBind, "bind "+addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(bin, "-c", "-f", path)
	check.Env = childEnv(env...)
	if out, err := check.CombinedOutput(); err != nil {
		close(g.done)
		return g, fmt.Errorf("haproxy -c refuses the README's configuration: %v\n%s", err, out)
	}
	g.cmd = exec.Command(bin, "-f", path, "-db")
	g.cmd.Env = childEnv(env...)
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	setChildAttrs(g.cmd)
	if err := g.cmd.Start(); err != nil {
		close(g.done)
		return g, err
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", g.out.String())
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(haReadyTimeout)
	last := "no answer yet"
	for {
		res, err := client.Get(g.URL + "/")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusUnauthorized {
				return g, nil
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			g.stop()
			return g, fmt.Errorf("no 401 for a request without a token within %s (last: %s)", haReadyTimeout, last)
		}
		select {
		case <-g.done:
			return g, fmt.Errorf("haproxy exited before it was ready: %v", g.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends haproxy (SIGTERM, then SIGKILL after stopTimeout).
func (g *haGateway) stop() {
	select {
	case <-g.done:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(stopTimeout):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

// --- credentials: how a project gets tokens for an API ---

// haGrant lets pr get credentials for apis: it registers each as an API of pr's team
// (orders:read, orders:write) and grants pr access to it, as the API's owners do. It
// returns pr with the first API chosen for its keys.
func haGrant(t *testing.T, u *vfUser, pr vfProject, apis ...string) vfProject {
	t.Helper()
	out := pr
	for i, identifier := range apis {
		id := u.registerAPI(t, pr.TeamID, identifier, identifier, "orders:read", "orders:write")
		if g := u.grant(t, id, pr, "orders:read", "orders:write"); i == 0 {
			out = g // keys are for the first API
		}
	}
	return out
}

// haClientSecret creates a client secret for pr and reads it from the page that shows
// it once.
func haClientSecret(t *testing.T, u *vfUser, pr vfProject) string {
	t.Helper()
	path := "/projects/" + pr.ID + "/secrets"
	_, body := u.do(t, http.MethodPost, path, url.Values{
		"_csrf": {u.csrf}, "name": {"gateway test"}, "expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()},
	}, http.StatusOK)
	secret := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="secret"]`).Text())
	if secret == "" {
		t.Fatalf("POST %s: the page shows no secret", path)
	}
	return secret
}

// haAccessToken gets an access token for api from the portal's token endpoint with
// the client credentials grant: the one place the test mints access tokens.
func haAccessToken(t *testing.T, p *portal, clientID, secret, api string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"client_credentials"}, "resource": {api},
	}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := (&http.Client{Timeout: vfRequestTimeout}).Do(req)
	if err != nil {
		t.Fatalf("POST /oauth/token: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("POST /oauth/token for %s: got %s %s, want 200 with an access token", api, res.Status, body)
	}
	return tok.AccessToken
}

// haStoreSigner opens the running portal's database and signing keys (with its master
// key), to sign tokens the token endpoint would not issue and to rotate the keys.
func haStoreSigner(t *testing.T, p *portal, masterKey string) (*store.Store, *signing.Signer) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+p.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	raw, err := base64.StdEncoding.DecodeString(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := models.NewMasterKeys([][]byte{raw})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := store.NewSigner(ctx, st, models.SignerConfig{
		Issuer: p.URL, MasterKeys: mk,
		Rotation:      models.RotationPolicy{Alg: "ES256", Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute},
		JWKSMaxAge:    5 * time.Minute,
		StatusListTTL: time.Minute, KeyMaxLifetime: 365 * 24 * time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("opening the portal's signing keys: %v", err)
	}
	return st, sg
}

// haSign signs access token claims with the portal's active key.
func haSign(t *testing.T, sg *signing.Signer, claims models.AccessTokenClaims) string {
	t.Helper()
	tok, _, err := sg.Sign(models.TypAccessToken, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// haHandmade builds a compact JWS from a header and claims, signed with HMAC-SHA256
// under key (or unsigned when key is nil).
func haHandmade(header, claims map[string]any, key []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	if key == nil {
		return in + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// haKID returns a token's kid without checking it.
func haKID(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	var h struct {
		Kid string `json:"kid"`
	}
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token %.40s…: unreadable header", token)
	}
	return h.Kid
}

// haEventually polls cond until it holds, failing the test after timeout.
func haEventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		<-tick.C
	}
}

// haPEMStates returns the kid and state of each key the portal's jwks.pem serves.
func haPEMStates(t *testing.T, p *portal) string {
	t.Helper()
	status, _, body := stressGet(t, p.URL+"/.well-known/jwks.pem")
	if status != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.pem: %d", status)
	}
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "# kid: "); ok {
			out = append(out, v)
		} else if v, ok := strings.CutPrefix(line, "# state: "); ok {
			out = append(out, v)
		}
	}
	return strings.Join(out, " ")
}

// TestHAProxyVerifiesAccessTokens runs the README's HAProxy recipe in front of a
// backend: the key script fetches the portal's jwks.pem into one file per key, haproxy
// runs the README's haproxy.cfg, and
//   - a valid access token for the API reaches the backend (200);
//   - no token, garbage, a tampered signature, an expired token, a token for another
//     API, one with two audiences, one of another issuer, an API key (typ apikey+jwt),
//     a status-list token, an alg "none" token and an HS256 token keyed with the key
//     file's path all get 401 from haproxy and never reach the backend (and without
//     the README's alg check, the HS256 forgery would pass: the check is needed);
//   - after a rotation, the script publishes the next key, then the new active key
//     and the retired one; after a reload, tokens signed by either verify; the script
//     asks for a reload only when a file changed, and a failed fetch changes nothing.
func TestHAProxyVerifiesAccessTokens(t *testing.T) {
	bin := haTools(t)
	t.Parallel()
	ctx := context.Background()
	masterKey := multiRandomKey(t)
	p := startPortal(t, "GATEHOUSE_MASTER_KEY="+masterKey)
	u := vfSignIn(t, p, "gateway@example.com", "Gateway Developer")
	pr := u.projectNamed(t, models.FirstProjectName)
	api, otherAPI := "orders-api", "billing-api"
	pr = haGrant(t, u, pr, api, otherAPI)
	secret := haClientSecret(t, u, pr)
	store, signer := haStoreSigner(t, p, masterKey)

	var backendHits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backendHits.Add(1)
		_, _ = io.WriteString(w, "backend")
	}))
	t.Cleanup(backend.Close)

	keys := newHAKeyScript(t, p.URL, filepath.Join(t.TempDir(), "gatehouse"))
	if !keys.run(t) {
		t.Error("first run of the key script: it did not ask for a reload, want one (every file is new)")
	}
	kids := keys.kids(t)
	active := signer.ActiveKID()
	for i, kid := range kids {
		if kid != active {
			t.Errorf("key-%d.pem holds kid %s, want the only key, the active %s", i+1, kid, active)
		}
	}
	if keys.run(t) {
		t.Error("second run with no change: the key script asked for a reload, want none")
	}

	cfg := haReplace(t, "haproxy.cfg", haReadme(t, "haproxy.cfg"),
		haExampleIssuer, p.URL,
		haExampleAPI, api,
		haExampleKeyDir, keys.dir,
		haExampleBackend, "server api1 "+strings.TrimPrefix(backend.URL, "http://"))
	gw := startHAProxy(t, bin, cfg)
	client := &http.Client{Timeout: vfRequestTimeout}
	call := func(t *testing.T, gw *haGateway, token string) vfAnswer {
		t.Helper()
		if token == "" {
			return vfCall(t, client, http.MethodGet, gw.URL+"/orders")
		}
		return vfCall(t, client, http.MethodGet, gw.URL+"/orders", vfBearer(token)...)
	}
	accepted := func(t *testing.T, gw *haGateway, name, token string) {
		t.Helper()
		before := backendHits.Load()
		if a := call(t, gw, token); a.status != http.StatusOK || string(a.body) != "backend" {
			t.Errorf("%s: got %s; want 200 from the backend", name, a)
		}
		if got := backendHits.Load() - before; got != 1 {
			t.Errorf("%s: the backend saw %d requests, want 1", name, got)
		}
	}
	refused := func(t *testing.T, gw *haGateway, name, token string) {
		t.Helper()
		before := backendHits.Load()
		a := call(t, gw, token)
		want := `Bearer realm="` + api + `", error="invalid_token"`
		if token == "" {
			want = `Bearer realm="` + api + `"`
		}
		if a.status != http.StatusUnauthorized || a.challenge != want {
			t.Errorf("%s: got %s; want 401 with WWW-Authenticate %s", name, a, want)
		}
		if got := backendHits.Load() - before; got != 0 {
			t.Errorf("%s: the backend saw %d requests, want none", name, got)
		}
	}

	valid := haAccessToken(t, p, pr.ID, secret, api)
	now := time.Now()
	claims := func(edit func(*models.AccessTokenClaims)) models.AccessTokenClaims {
		c := models.AccessTokenClaims{
			Claims: jwt.Claims{Issuer: p.URL, Subject: pr.ID, Audience: jwt.Audience{api}, IssuedAt: jwt.NewNumericDate(now),
				NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: "at_gateway_test"},
			ClientID: pr.ID, Scope: "orders:read",
		}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	apiKey := u.createKey(t, pr, "gateway key", "orders:read")
	var keyClaims models.APIKeyClaims
	if err := vfPayload(apiKey.Token, &keyClaims); err != nil || len(keyClaims.Audience) != 1 || keyClaims.Audience[0] != api {
		t.Fatalf("the API key's aud is %q (%v), want just %q: only its typ should set it apart", keyClaims.Audience, err, api)
	}
	status, _, statusList := stressGet(t, keyClaims.Status.StatusList.URI)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", keyClaims.Status.StatusList.URI, status)
	}
	goodClaims := map[string]any{"iss": p.URL, "sub": pr.ID, "client_id": pr.ID, "aud": api,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "at_forged"}
	hs256 := haHandmade(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": active}, goodClaims,
		[]byte(filepath.Join(keys.dir, "key-1.pem")))

	t.Run("accepted", func(t *testing.T) {
		accepted(t, gw, "access token from the token endpoint", valid)
		accepted(t, gw, "access token signed with the store's signer", haSign(t, signer, claims(nil)))
	})
	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct{ name, token string }{
			{"no token", ""},
			{"garbage", "not-a-jwt"},
			{"tampered signature", vfTamper(t, valid)},
			{"expired", haSign(t, signer, claims(func(c *models.AccessTokenClaims) {
				c.IssuedAt, c.NotBefore = jwt.NewNumericDate(now.Add(-time.Hour)), jwt.NewNumericDate(now.Add(-time.Hour))
				c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute))
			}))},
			{"another API's token", haAccessToken(t, p, pr.ID, secret, otherAPI)},
			{"two audiences", haSign(t, signer, claims(func(c *models.AccessTokenClaims) { c.Audience = jwt.Audience{api, otherAPI} }))},
			{"another issuer", haSign(t, signer, claims(func(c *models.AccessTokenClaims) { c.Issuer = "https://evil.example" }))},
			{"API key (typ apikey+jwt)", apiKey.Token},
			{"status-list token", strings.TrimSpace(string(statusList))},
			{"alg none", haHandmade(map[string]any{"alg": "none", "typ": "at+jwt"}, goodClaims, nil)},
			{"HS256 keyed with the key file's path", hs256},
		} {
			refused(t, gw, tc.name, tc.token)
		}
	})
	t.Run("the alg check is needed", func(t *testing.T) {
		// Without alg_ok, HAProxy takes the path of the key file for an HMAC secret.
		unchecked := strings.Replace(cfg, "unless alg_ok typ_ok", "unless typ_ok", 1)
		if unchecked == cfg {
			t.Fatal("haproxy.cfg: no \"unless alg_ok typ_ok\" to take the alg check out of")
		}
		weak := startHAProxy(t, bin, unchecked)
		before := backendHits.Load()
		if a := call(t, weak, hs256); a.status != http.StatusOK || backendHits.Load() != before+1 {
			t.Errorf("HS256 token keyed with the key file's path, no alg check: got %s; "+
				"want 200, the forgery the README's alg check stops", a)
		}
		weak.stop()
	})

	t.Run("rotation", func(t *testing.T) {
		// A rotation starts: the next key is published; the script fetches it.
		if _, err := signer.Maintain(ctx, true); err != nil {
			t.Fatal(err)
		}
		var next string
		haEventually(t, haPropagation, "the next key in the portal's jwks.pem", func() (bool, string) {
			s := haPEMStates(t, p)
			f := strings.Fields(s)
			if len(f) == 4 && f[0] == active && f[1] == models.KeyActive && f[3] == models.KeyNext {
				next = f[2]
				return true, s
			}
			return false, s
		})
		if !keys.run(t) {
			t.Error("key script after a next key was published: no reload asked, want one")
		}
		if got := keys.kids(t); got[0] != active || got[1] != next || got[2] != active || got[3] != active {
			t.Errorf("key files after a next key was published: %q, want %s, %s, then the first repeated", got, active, next)
		}
		gw.stop()
		gw = startHAProxy(t, bin, cfg) // what a reload does: read the files again
		accepted(t, gw, "token signed by the active key, next key published", valid)

		// The next key's activation time: it signs, the old key is retired.
		store.SetClock(func() time.Time { return time.Now().UTC().Add(11 * time.Minute) })
		if _, err := signer.Maintain(ctx, false); err != nil {
			t.Fatal(err)
		}
		haEventually(t, haPropagation, "the new active key in the portal's jwks.pem", func() (bool, string) {
			s := haPEMStates(t, p)
			return s == strings.Join([]string{next, models.KeyActive, active, models.KeyRetired}, " "), s
		})
		if !keys.run(t) {
			t.Error("key script after the rotation: no reload asked, want one")
		}
		if got := keys.kids(t); got[0] != next || got[1] != active {
			t.Errorf("key files after the rotation: %q, want %s (active) then %s (retired)", got, next, active)
		}
		gw.stop()
		gw = startHAProxy(t, bin, cfg)
		accepted(t, gw, "token signed by the retired key (key-2.pem)", valid)
		var fresh string
		haEventually(t, haPropagation, "the portal signing with the new key", func() (bool, string) {
			fresh = haAccessToken(t, p, pr.ID, secret, api)
			return haKID(t, fresh) == next, "kid " + haKID(t, fresh)
		})
		accepted(t, gw, "token signed by the new active key (key-1.pem)", fresh)
		refused(t, gw, "tampered token of the new key", vfTamper(t, fresh))
		if keys.run(t) {
			t.Error("key script with nothing changed since: asked for a reload, want none")
		}
	})

	t.Run("portal unreachable", func(t *testing.T) {
		before := keys.kids(t)
		down := newHAKeyScript(t, "http://"+freeAddr(t), keys.dir)
		if r := vfRunScript(t, filepath.Dir(down.path), "sh", down.path); r.code == 0 {
			t.Errorf("key script against a portal that does not answer: exit 0, want a failure")
		}
		if got := keys.kids(t); !slices.Equal(got, before) {
			t.Errorf("key files after a failed fetch: %q, want them unchanged %q", got, before)
		}
		if _, err := os.Stat(filepath.Join(keys.dir, "reloaded")); err == nil {
			t.Error("key script against a portal that does not answer: asked for a reload, want none")
		}
	})
	expectNoServerErrors(t, p)
}
