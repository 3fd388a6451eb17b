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
}

func newKitFixture(t *testing.T) *kitFixture {
	t.Helper()
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "kit@example.com", "Kit Owner")
	_, body := u.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets", url.Values{"_csrf": {u.csrf}, "name": {"introspection"},
		"expires_in_days": {"30"}, "form_token": {models.NewFormToken()}}, http.StatusOK)
	secret := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="secret"]`).Text())
	if !strings.HasPrefix(secret, "ghcs_") {
		t.Fatalf("new client secret: got %q", secret)
	}
	live := u.createKey(t, pr, "live", "orders:read")
	gone := u.createKey(t, pr, "gone", "orders:read")
	u.revokeKey(t, pr, gone.ID)
	d := u.page(t, "/apis/"+pr.API)
	f := &kitFixture{p: p, snippets: map[string]string{}, secret: secret, live: live.Token, revoked: gone.Token, project: pr.ID}
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

	t.Run("node", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			vfSkip(t, "node is not installed")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "verify.mjs"), []byte(f.snippets["kit-node"]), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runSnippet(t, dir, env, "node", "verify.mjs", f.live); r.code != 0 || !strings.Contains(r.stdout, "accepted: project "+f.project) {
			t.Errorf("node, live key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := runSnippet(t, dir, env, "node", "verify.mjs", f.revoked); r.code == 0 || !strings.Contains(r.stderr, "rejected") {
			t.Errorf("node, revoked key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("python", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			vfSkip(t, "python3 is not installed")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "verify.py"), []byte(f.snippets["kit-python"]), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runSnippet(t, dir, env, py, "verify.py", f.live); r.code != 0 || !strings.Contains(r.stdout, "accepted: project "+f.project) {
			t.Errorf("python, live key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := runSnippet(t, dir, env, py, "verify.py", f.revoked); r.code == 0 || !strings.Contains(r.stderr, "rejected") {
			t.Errorf("python, revoked key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
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
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(childEnv(), "PORT="+port)
		cmd.WaitDelay = 5 * time.Second
		setChildAttrs(cmd)
		var logs strings.Builder
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		base := "http://127.0.0.1:" + port + "/"
		call := func(token string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, base, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err.Error()
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		deadline := time.Now().Add(30 * time.Second)
		status, body := call(f.live)
		for status == 0 && time.Now().Before(deadline) { // poll until the program listens
			time.Sleep(50 * time.Millisecond)
			status, body = call(f.live)
		}
		if status != http.StatusOK || !strings.Contains(body, "hello "+f.project) {
			t.Fatalf("the Go snippet's API with a live key: %d %q\nlogs: %s", status, body, logs.String())
		}
		if status, body := call(f.revoked); status != http.StatusUnauthorized {
			t.Errorf("the Go snippet's API with a revoked key: %d %q, want 401", status, body)
		}
	})
}
