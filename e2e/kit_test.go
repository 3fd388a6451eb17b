package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// kitFixture is a portal with an API "orders-api" of the user's team, granted to their
// first project, a live and a revoked API key for it, a client secret of that project
// (the kit introspects as the team's first project), and the API page's snippets.
type kitFixture struct {
	p        *portal
	snippets map[string]string // by data-testid: kit-go, kit-node, kit-python, kit-curl
	secret   string
	live     string
	revoked  string
	project  string
	// keySnippets are the snippets of the page that showed the live key.
	keySnippets map[string]string
}

func newKitFixture(t *testing.T) *kitFixture {
	t.Helper()
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "kit@example.com", "Kit Owner")
	_, body := u.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets", url.Values{"_csrf": {u.csrf}, "name": {"introspection"},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusOK)
	secret := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="secret"]`).Text())
	if !strings.HasPrefix(secret, "ghcs_") {
		t.Fatalf("new client secret: got %q", secret)
	}
	live := u.createKey(t, pr, "live", "orders:read")
	gone := u.createKey(t, pr, "gone", "orders:read")
	u.revokeKey(t, pr, gone.ID)
	d := u.page(t, "/apis/"+pr.API)
	f := &kitFixture{p: p, snippets: map[string]string{}, secret: secret, live: live.Token, revoked: gone.Token, project: pr.ID,
		keySnippets: live.Snippets}
	for _, id := range []string{"kit-go", "kit-node", "kit-python", "kit-curl"} {
		code := d.Find(`[data-testid="` + id + `"]`).Text()
		if code == "" {
			t.Fatalf("the API page shows no %s snippet", id)
		}
		if !strings.Contains(code, p.URL) || !strings.Contains(code, pr.Audience) {
			t.Errorf("%s does not name this portal (%s) and the API (%s):\n%s", id, p.URL, pr.Audience, code)
		}
		f.snippets[id] = code
	}
	return f
}

// runSnippet runs a snippet file with env added, bounded in time.
func runSnippet(t *testing.T, dir string, env []string, name string, args ...string) vfScriptResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), vfScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(childEnv(), env...)
	cmd.WaitDelay = 5 * time.Second
	setChildAttrs(cmd)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return vfScriptResult{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// TestVerificationKitSnippetsRun runs every snippet of an API's verification kit
// exactly as the page shows it, against the real portal: each accepts a live key and
// refuses a revoked one.
func TestVerificationKitSnippetsRun(t *testing.T) {
	t.Parallel()
	f := newKitFixture(t)
	env := []string{"GATEHOUSE_CLIENT_SECRET=" + f.secret}

	// The new-key page shows the same Node.js and Python programs, so running the kit's
	// runs those as shown.
	for kit, key := range map[string]string{"kit-node": "snippet-node", "kit-python": "snippet-python"} {
		if f.keySnippets[key] != f.snippets[kit] {
			t.Errorf("the new-key page's %s differs from the API page's %s:\n%s\n---\n%s", key, kit, f.keySnippets[key], f.snippets[kit])
		}
	}
	t.Run("node", func(t *testing.T) {
		node := sdkNode(t)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "api.mjs"), []byte(f.snippets["kit-node"]), 0o600); err != nil {
			t.Fatal(err)
		}
		sdkNodeModules(t, dir, "express")
		call, logs := kitServe(t, dir, nil, node, "api.mjs")
		kitCheckAPI(t, "Node.js", call, logs, f, `"project":"`+f.project+`"`)
	})
	t.Run("python", func(t *testing.T) {
		py := sdkPython(t)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "api.py"), []byte(f.snippets["kit-python"]), 0o600); err != nil {
			t.Fatal(err)
		}
		call, logs := kitServe(t, dir, []string{"PYTHONPATH=" + filepath.Join(sdkRoot(t), "python", "src")}, py, "api.py")
		kitCheckAPI(t, "Python", call, logs, f, `"project": "`+f.project+`"`)
	})
	t.Run("curl", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			vfSkip(t, "curl is not installed")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "check.sh"), []byte(f.snippets["kit-curl"]), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runSnippet(t, dir, append(env, "GATEHOUSE_TOKEN="+f.live), "bash", "check.sh")
		if r.code != 0 || !strings.Contains(r.stdout, `"active":true`) || !strings.Contains(r.stdout, f.project) {
			t.Errorf("curl, live key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = runSnippet(t, dir, append(env, "GATEHOUSE_TOKEN="+f.revoked), "bash", "check.sh")
		if r.code != 0 || strings.TrimSpace(r.stdout) != `{"active":false}` {
			t.Errorf("curl, revoked key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("go", func(t *testing.T) {
		goTool, err := exec.LookPath("go")
		if err != nil {
			t.Fatal("go is not on PATH")
		}
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		gomod := fmt.Sprintf("module example.com/api\n\ngo 1.26\n\nrequire github.com/gatehouse-dev/gatehouse v0.0.0\n\nreplace github.com/gatehouse-dev/gatehouse => %s\n", root)
		sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(f.snippets["kit-go"])} {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		bin := filepath.Join(dir, "api")
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		build := exec.Command(goTool, "build", "-mod=mod", "-o", bin, ".")
		build.Dir, build.Env = dir, childEnv()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("the Go snippet does not build as shown: %v\n%s", err, out)
		}
		call, logs := kitServe(t, dir, nil, bin)
		kitCheckAPI(t, "Go", call, logs, f, "hello "+f.project)
	})
}

// kitServe starts an API program (name args… in dir, with env added and PORT set to a
// free port) and returns a function that calls GET / on it with a bearer token, and
// the program's output. The first call polls until the program listens.
func kitServe(t *testing.T, dir string, env []string, name string, args ...string) (func(token string) (int, string), *syncBuffer) {
	t.Helper()
	call, logs := kitServeAt(t, "/", dir, env, name, args...)
	return func(token string) (int, string) { return call(http.MethodGet, token) }, logs
}

// kitServeAt is kitServe for requests to path with any method.
func kitServeAt(t *testing.T, path, dir string, env []string, name string, args ...string) (func(method, token string) (int, string), *syncBuffer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(childEnv(env...), "PORT="+port)
	cmd.WaitDelay = 5 * time.Second
	setChildAttrs(cmd)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	target := "http://127.0.0.1:" + port + path
	call := func(method, token string) (int, string) {
		req, err := http.NewRequest(method, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return 0, err.Error()
		}
		return res.StatusCode, string(b)
	}
	started := false
	return func(method, token string) (int, string) {
		status, body := call(method, token)
		for deadline := time.Now().Add(30 * time.Second); !started && status == 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond) // poll until the program listens
			status, body = call(method, token)
		}
		started = true
		return status, body
	}, logs
}

// kitCheckAPI checks a kit program's API: a live key is accepted (the answer contains
// want), a revoked key is refused with 401 "revoked", and no credential gets 401.
func kitCheckAPI(t *testing.T, lang string, call func(string) (int, string), logs *syncBuffer, f *kitFixture, want string) {
	t.Helper()
	if status, body := call(f.live); status != http.StatusOK || !strings.Contains(body, want) {
		t.Fatalf("the %s snippet's API with a live key: %d %q, want 200 with %s\nlogs: %s", lang, status, body, want, logs.String())
	}
	if status, body := call(f.revoked); status != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
		t.Errorf("the %s snippet's API with a revoked key: %d %q, want 401 naming the revocation", lang, status, body)
	}
	if status, body := call(""); status != http.StatusUnauthorized {
		t.Errorf("the %s snippet's API with no credential: %d %q, want 401", lang, status, body)
	}
}
