package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Node.js and Python verifier SDKs (sdk/node, sdk/python) each ship a tiny API in
// examples/: it verifies Gatehouse credentials with the SDK's middleware and answers
// GET /orders (any scope) and POST /orders (orders:write). These tests run each one
// against a real portal.

const (
	// sdkStatusTTL and sdkStatusValidity are the portal's status-list ttl and exp for
	// these tests: short, so that a revocation and the end of a list's validity arrive
	// within seconds.
	sdkStatusTTL      = 1 * time.Second
	sdkStatusValidity = 6 * time.Second
)

// sdkAPI is a running example API of an SDK.
type sdkAPI struct {
	URL  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// sdkRoot is the absolute path of sdk/ in this checkout.
func sdkRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sdkPython returns a python3 that imports jwt and cryptography (Debian's
// python3-jwt and python3-cryptography), or skips.
func sdkPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import jwt, cryptography").Run() == nil {
			return path
		}
	}
	vfSkip(t, "no python3 that imports jwt and cryptography (apt-get install python3-jwt python3-cryptography)")
	return ""
}

// sdkNode returns node, or skips, when sdk/node's dependencies are not installed.
func sdkNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		vfSkip(t, "node is not on PATH")
	}
	for _, dep := range []string{"jose", "express", "fastify"} {
		if _, err := os.Stat(filepath.Join(sdkRoot(t), "node", "node_modules", dep, "package.json")); err != nil {
			vfSkip(t, "sdk/node/node_modules has no %s: run npm ci --prefix sdk/node", dep)
		}
	}
	return node
}

var sdkListening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// startSDKAPI runs an SDK's example API (name args…) for issuer and audience and waits
// for the line that says where it listens. It is stopped when the test ends.
func startSDKAPI(t *testing.T, issuer, audience string, env []string, name string, args ...string) *sdkAPI {
	t.Helper()
	a := &sdkAPI{out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(name, args...)
	a.cmd.Env = append(childEnv(env...), "GATEHOUSE_ISSUER="+issuer, "GATEHOUSE_AUDIENCE="+audience, "PORT=0")
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stderr = a.out
	setChildAttrs(a.cmd)
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting %s %v: %v", name, args, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(a.out, line)
			if m := sdkListening.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		if err := a.stop(); err != nil {
			t.Errorf("stopping %s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, a.out.String())
		}
	})
	select {
	case a.URL = <-found:
		return a
	case <-a.done:
		t.Fatalf("%s %v exited before listening: %v\n%s", name, args, a.err, a.out.String())
	case <-time.After(readyTimeout):
		t.Fatalf("%s %v: no \"listening on\" line within %s\n%s", name, args, readyTimeout, a.out.String())
	}
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (a *sdkAPI) stop() error {
	select {
	case <-a.done:
		return nil // exited already; the test reported it if it mattered
	default:
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-a.done:
		var exit *exec.ExitError
		if errors.As(a.err, &exit) && exit.ExitCode() > 0 {
			return fmt.Errorf("exit code %d after SIGTERM", exit.ExitCode())
		}
		return nil
	case <-time.After(stopTimeout):
		_ = a.cmd.Process.Kill()
		<-a.done
		return fmt.Errorf("did not exit within %s of SIGTERM, killed", stopTimeout)
	}
}

// sdkExample is one SDK's example API as the tests run it, unmodified.
type sdkExample struct {
	name string
	run  func(t *testing.T) (string, []string, []string) // command, args, env
}

// sdkExamples are the Node.js and Python SDKs' example APIs.
var sdkExamples = []sdkExample{
	{"node-express", func(t *testing.T) (string, []string, []string) {
		return sdkNode(t), []string{filepath.Join(sdkRoot(t), "node", "examples", "express.mjs")}, nil
	}},
	{"node-fastify", func(t *testing.T) (string, []string, []string) {
		return sdkNode(t), []string{filepath.Join(sdkRoot(t), "node", "examples", "fastify.mjs")}, nil
	}},
	{"python-wsgi", func(t *testing.T) (string, []string, []string) {
		return sdkPython(t), []string{filepath.Join(sdkRoot(t), "python", "examples", "wsgi_app.py")},
			[]string{"PYTHONPATH=" + filepath.Join(sdkRoot(t), "python", "src")}
	}},
}

// TestSDKExampleAPIs: for each SDK's example API, a real portal issues keys; the API
// accepts them with their scopes, refuses what it must with RFC 6750 answers, rejects
// a key revoked in the portal within the status list's ttl while another key of the
// project keeps working; then the portal is stopped, and the API keeps accepting the
// live key from its cached list until the list's exp, and then fails closed
// ("status unavailable").
func TestSDKExampleAPIs(t *testing.T) {
	t.Parallel()
	for _, c := range sdkExamples {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name, args, env := c.run(t)
			p := startPortal(t, "GATEHOUSE_STATUS_LIST_TTL="+sdkStatusTTL.String(), "GATEHOUSE_STATUS_LIST_VALIDITY="+sdkStatusValidity.String())
			u, pr := vfSignInWithProject(t, p, "sdk@example.com", "SDK Developer")
			reader := u.createKey(t, pr, "reader", "orders:read")
			writer := u.createKey(t, pr, "writer", "orders:read", "orders:write")
			api := startSDKAPI(t, p.URL, pr.Audience, env, name, args...)
			sdkExercise(t, p, u, pr, api, reader, writer)
		})
	}
}

// sdkExercise runs the checks of TestSDKExampleAPIs against one running example API.
func sdkExercise(t *testing.T, p *portal, u *vfUser, pr vfProject, api *sdkAPI, reader, writer vfKey) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: vfRequestTimeout}
	orders := api.URL + "/orders"

	// Accepted, with the project, the kind and the scopes the key carries.
	a := vfCall(t, client, http.MethodGet, orders, vfBearer(reader.Token)...)
	var who struct {
		Project string   `json:"project"`
		Kind    string   `json:"kind"`
		Scopes  []string `json:"scopes"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &who) != nil {
		t.Fatalf("GET /orders with a live read-only key: got %s; want 200 with the principal", a)
	}
	if who.Project != pr.ID || who.Kind != "api_key" || !slices.Equal(who.Scopes, []string{"orders:read"}) {
		t.Errorf("GET /orders: principal %+v; want project %s, kind api_key, scopes [orders:read]", who, pr.ID)
	}
	a = vfCall(t, client, http.MethodPost, orders, vfBearer(reader.Token)...)
	if a.status != http.StatusForbidden || a.params["error"] != "insufficient_scope" {
		t.Errorf("POST /orders with a read-only key: got %s; want 403 error=\"insufficient_scope\"", a)
	}
	if a := vfCall(t, client, http.MethodPost, orders, vfBearer(writer.Token)...); a.status/100 != 2 {
		t.Errorf("POST /orders with a read-write key: got %s; want 2xx", a)
	}

	// Refused the RFC 6750 way.
	a = vfCall(t, client, http.MethodGet, orders)
	if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.challenge, "Bearer realm=") || a.params["error"] != "" {
		t.Errorf("GET /orders without a credential: got %s; want 401 with a bare Bearer realm challenge", a)
	}
	for _, bad := range []struct{ name, token, reason string }{
		{"garbage", "not-a-key", "malformed token"},
		{"a changed signature", vfTamper(t, reader.Token), "bad signature"},
	} {
		a := vfCall(t, client, http.MethodGet, orders, vfBearer(bad.token)...)
		if a.status != http.StatusUnauthorized || a.params["error"] != "invalid_token" || a.params["error_description"] != bad.reason {
			t.Errorf("GET /orders with %s: got %s; want 401 invalid_token %q", bad.name, a, bad.reason)
		}
	}

	// Revoked in the portal: rejected within the ttl (polled with a deadline), while
	// the other key keeps working.
	u.revokeKey(t, pr, reader.ID)
	revokedAt := time.Now()
	deadline := revokedAt.Add(3*sdkStatusTTL + 10*time.Second)
	for {
		a := vfCall(t, client, http.MethodGet, orders, vfBearer(reader.Token)...)
		if a.status == http.StatusUnauthorized && a.params["error_description"] == "revoked" {
			t.Logf("the revocation reached the API %s after the portal's answer (ttl %s)", time.Since(revokedAt).Round(time.Millisecond), sdkStatusTTL)
			break
		}
		if a.status != http.StatusOK {
			t.Fatalf("GET /orders with the key being revoked: got %s; want 200 until the revocation arrives, then 401 \"revoked\"", a)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /orders with a revoked key: still 200 %s after the revocation", time.Since(revokedAt).Round(time.Millisecond))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if a := vfCall(t, client, http.MethodGet, orders, vfBearer(writer.Token)...); a.status != http.StatusOK {
		t.Errorf("GET /orders with the other key after the revocation: got %s; want 200", a)
	}

	// The portal goes away: the API keeps verifying from its cached list (and JWKS)
	// until the list's exp, then fails closed.
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the portal: %v", err)
	}
	stoppedAt := time.Now()
	if res, err := client.Get(p.URL + "/healthz"); err == nil {
		res.Body.Close()
		t.Fatalf("the portal still answers after it stopped: %s", res.Status)
	}
	if a := vfCall(t, client, http.MethodGet, orders, vfBearer(writer.Token)...); a.status != http.StatusOK {
		t.Fatalf("GET /orders with a live key right after the portal stopped: got %s; want 200 from the cached list", a)
	}
	if a := vfCall(t, client, http.MethodGet, orders, vfBearer(reader.Token)...); a.status != http.StatusUnauthorized || a.params["error_description"] != "revoked" {
		t.Errorf("GET /orders with the revoked key while the portal is down: got %s; want 401 \"revoked\"", a)
	}
	deadline = stoppedAt.Add(sdkStatusValidity + 15*time.Second)
	oks := 0
	for {
		a := vfCall(t, client, http.MethodGet, orders, vfBearer(writer.Token)...)
		if a.status == http.StatusUnauthorized && a.params["error_description"] == "status unavailable" {
			t.Logf("failed closed %s after the portal stopped (list validity %s), after %d accepted requests",
				time.Since(stoppedAt).Round(time.Millisecond), sdkStatusValidity, oks)
			break
		}
		if a.status != http.StatusOK {
			t.Fatalf("GET /orders with a live key while the portal is down: got %s; want 200 until the list's exp, then 401 \"status unavailable\"", a)
		}
		oks++
		if time.Now().After(deadline) {
			t.Fatalf("GET /orders with a live key: still accepted %s after the portal stopped; want fail-closed after the list's exp (validity %s)",
				time.Since(stoppedAt).Round(time.Millisecond), sdkStatusValidity)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if oks == 0 {
		t.Error("no request was accepted between the portal stopping and the list's exp")
	}
}

// sdkNodeModules makes dir's node_modules resolve @gatehouse/verify to sdk/node (as
// `npm install @gatehouse/verify` would) and each of deps to sdk/node's copy, so that
// a snippet saved in dir runs as shown. ES modules ignore NODE_PATH.
func sdkNodeModules(t *testing.T, dir string, deps ...string) {
	t.Helper()
	node := filepath.Join(sdkRoot(t), "node")
	mods := filepath.Join(dir, "node_modules")
	if err := os.MkdirAll(filepath.Join(mods, "@gatehouse"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{filepath.Join(mods, "@gatehouse", "verify"): node}
	for _, d := range deps {
		links[filepath.Join(mods, d)] = filepath.Join(node, "node_modules", d)
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadmeSDKSnippets runs the README's Node.js (Express) and Python (WSGI, FastAPI)
// APIs exactly as shown, with only the portal URL and the API identifier replaced: a
// read-only key reads, may not write (403), a read-write key writes, a revoked key and
// no credential get 401.
func TestReadmeSDKSnippets(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "readme-sdk@example.com", "README Reader")
	reader := u.createKey(t, pr, "reader", "orders:read")
	writer := u.createKey(t, pr, "writer", "orders:read", "orders:write")
	gone := u.createKey(t, pr, "gone", "orders:read")
	u.revokeKey(t, pr, gone.ID)
	for _, c := range []struct{ block, file string }{
		{"readme:node-express", "api.mjs"},
		{"readme:python-wsgi", "api.py"},
		{"readme:python-fastapi", "api.py"},
	} {
		t.Run(c.block, func(t *testing.T) {
			q := `"` // Python quotes strings with ", the Node.js snippet with '
			if strings.HasSuffix(c.file, ".mjs") {
				q = "'"
			}
			code := haReplace(t, c.block, haReadme(t, c.block), haExampleIssuer, p.URL, q+haExampleAPI+q, q+pr.Audience+q)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(code), 0o600); err != nil {
				t.Fatal(err)
			}
			var (
				name string
				args = []string{c.file}
				env  []string
			)
			if strings.HasSuffix(c.file, ".mjs") {
				name = sdkNode(t)
				sdkNodeModules(t, dir, "express")
			} else {
				name = sdkPython(t)
				if c.block == "readme:python-fastapi" {
					if exec.Command(name, "-c", "import fastapi, uvicorn").Run() != nil {
						vfSkip(t, "%s cannot import fastapi and uvicorn (apt-get install python3-fastapi python3-uvicorn)", name)
					}
				}
				env = []string{"PYTHONPATH=" + filepath.Join(sdkRoot(t), "python", "src")}
			}
			call, logs, _ := kitServeAt(t, "/orders", dir, env, name, args...)
			if status, body := call(http.MethodGet, reader.Token); status != http.StatusOK || !strings.Contains(body, pr.ID) {
				t.Fatalf("GET /orders with a read-only key: %d %q, want 200 naming %s\nlogs: %s", status, body, pr.ID, logs.String())
			}
			if status, body := call(http.MethodPost, reader.Token); status != http.StatusForbidden || !strings.Contains(body, "insufficient_scope") {
				t.Errorf("POST /orders with a read-only key: %d %q, want 403 insufficient_scope", status, body)
			}
			if status, body := call(http.MethodPost, writer.Token); status != http.StatusCreated {
				t.Errorf("POST /orders with a read-write key: %d %q, want 201", status, body)
			}
			if status, body := call(http.MethodGet, gone.Token); status != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
				t.Errorf("GET /orders with a revoked key: %d %q, want 401 naming the revocation", status, body)
			}
			if status, body := call(http.MethodGet, ""); status != http.StatusUnauthorized {
				t.Errorf("GET /orders with no credential: %d %q, want 401", status, body)
			}
		})
	}
}

// TestSDKVersionsFollowThePortal: the SDKs are released with the portal, so
// sdk/node/package.json, sdk/python/pyproject.toml and gatehouse_verify.__version__
// carry the version in the repository's VERSION file.
func TestSDKVersionsFollowThePortal(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := strings.TrimSpace(read("VERSION"))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(want) {
		t.Fatalf("VERSION %q is not MAJOR.MINOR.PATCH", want)
	}
	var pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(read("sdk/node/package.json")), &pkg); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{"sdk/node/package.json": pkg.Version}
	for path, re := range map[string]string{
		"sdk/python/pyproject.toml":                   `(?m)^version = "([^"]+)"`,
		"sdk/python/src/gatehouse_verify/_version.py": `(?m)^__version__ = "([^"]+)"`,
	} {
		m := regexp.MustCompile(re).FindStringSubmatch(read(path))
		if m == nil {
			t.Fatalf("%s: no version found with %s", path, re)
		}
		found[path] = m[1]
	}
	for path, v := range found {
		if v != want {
			t.Errorf("%s: version %q, want %q (VERSION)", path, v, want)
		}
	}
}
