package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
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

	"github.com/PuerkitoBio/goquery"

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
	// keySnippets are the snippets of the page that showed the live key;
	// revokedKeySnippets those of the page that showed the revoked one.
	keySnippets, revokedKeySnippets map[string]string
	// secretSnippet is the token request of the page that showed the secret (it runs
	// as shown), revokedSecretSnippet that of a secret revoked since.
	secretSnippet, revokedSecretSnippet string
	// startSnippet is a new project's getting-started token request (the secret comes
	// from the environment).
	startSnippet string
}

func newKitFixture(t *testing.T) *kitFixture {
	t.Helper()
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "kit@example.com", "Kit Owner")
	start := strings.TrimSpace(u.page(t, "/projects/"+pr.ID).Find(`[data-testid="getting-started"] code#snippet-token`).Text())
	if !strings.Contains(start, "$GATEHOUSE_CLIENT_SECRET") || !strings.Contains(start, "resource=") || !strings.Contains(start, pr.ID) {
		t.Fatalf("a new project's getting-started token request:\n%s", start)
	}
	secret, secretSnippet := kitCreateSecret(t, u, pr, "introspection")
	_, oldSnippet := kitCreateSecret(t, u, pr, "old")
	d := u.page(t, "/projects/"+pr.ID+"/credentials")
	var oldID string
	d.Find(`[data-testid="secret-row"]`).Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Find(`[data-testid="secret-row-name"]`).Text()) == "old" {
			oldID = s.AttrOr("data-secret-id", "")
		}
	})
	if oldID == "" {
		t.Fatal("the credentials page does not list the secret \"old\"")
	}
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets/"+oldID+"/revoke", url.Values{"_csrf": {u.csrf}}, http.StatusSeeOther)
	live := u.createKey(t, pr, "live", "orders:read")
	gone := u.createKey(t, pr, "gone", "orders:read")
	u.revokeKey(t, pr, gone.ID)
	d = u.page(t, "/apis/"+pr.API+"/verify")
	f := &kitFixture{p: p, snippets: map[string]string{}, secret: secret, live: live.Token, revoked: gone.Token, project: pr.ID,
		keySnippets: live.Snippets, revokedKeySnippets: gone.Snippets, secretSnippet: secretSnippet, revokedSecretSnippet: oldSnippet, startSnippet: start}
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

// kitCreateSecret creates a client secret on the page and returns it with the token
// request the page shows for it.
func kitCreateSecret(t *testing.T, u *vfUser, pr vfProject, name string) (secret, snippet string) {
	t.Helper()
	_, body := u.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets", url.Values{"_csrf": {u.csrf}, "name": {name},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusOK)
	d := vfDoc(t, body)
	secret = strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text())
	if !strings.HasPrefix(secret, "ghcs_") {
		t.Fatalf("new client secret: got %q", secret)
	}
	// One token request per API granted (two here: the first project's starter API
	// and orders-api); the one for pr's API is used.
	sn := d.Find(`[data-testid="secret-snippets"] code[data-testid^="snippet-token"]`)
	if sn.Length() != 2 {
		t.Fatalf("the new secret's page shows %d token requests, want 2 (one per API granted)", sn.Length())
	}
	sn.Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "resource="+pr.Audience) {
			snippet = s.Text()
		}
	})
	if !strings.Contains(snippet, secret) || !strings.Contains(snippet, pr.ID) || !strings.Contains(snippet, pr.Audience) {
		t.Fatalf("the token request does not use the secret, the client id and the API:\n%s", snippet)
	}
	return secret, snippet
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

	// The new-key page shows the same Go, Node.js and Python programs, so running the
	// kit's runs those as shown; kitCheckAPI also runs its curl call against each.
	for kit, key := range map[string]string{"kit-go": "snippet-go", "kit-node": "snippet-node", "kit-python": "snippet-python"} {
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
		call, logs, port := kitServe(t, dir, nil, node, "api.mjs")
		kitCheckAPI(t, "Node.js", call, logs, port, f, `"project":"`+f.project+`"`)
	})
	t.Run("python", func(t *testing.T) {
		py := sdkPython(t)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "api.py"), []byte(f.snippets["kit-python"]), 0o600); err != nil {
			t.Fatal(err)
		}
		call, logs, port := kitServe(t, dir, []string{"PYTHONPATH=" + filepath.Join(sdkRoot(t), "python", "src")}, py, "api.py")
		kitCheckAPI(t, "Python", call, logs, port, f, `"project": "`+f.project+`"`)
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
		call, logs, port := kitServe(t, dir, nil, bin)
		kitCheckAPI(t, "Go", call, logs, port, f, "hello "+f.project)
		// The new secret's page: its token request, run as shown, gets a token this
		// API accepts; the same request with a revoked secret is refused.
		r := runSnippet(t, dir, nil, "bash", "-c", f.secretSnippet)
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tok); r.code != 0 || err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
			t.Fatalf("the new secret's token request: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if status, body := call(tok.AccessToken); status != http.StatusOK || !strings.Contains(body, "hello "+f.project) {
			t.Errorf("the Go API with the token from the secret's snippet: %d %q", status, body)
		}
		r = runSnippet(t, dir, []string{"GATEHOUSE_CLIENT_SECRET=" + f.secret}, "bash", "-c", f.startSnippet)
		tok.AccessToken = ""
		var claims struct {
			Sub string `json:"sub"`
			Aud any    `json:"aud"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tok); r.code != 0 || err != nil || tok.AccessToken == "" {
			t.Errorf("the getting-started token request with GATEHOUSE_CLIENT_SECRET set: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		} else if err := vfPayload(tok.AccessToken, &claims); err != nil || claims.Sub != f.project || claims.Aud == nil {
			t.Errorf("the getting-started token: sub %q aud %v (%v), want the project and the API it names", claims.Sub, claims.Aud, err)
		}
		r = runSnippet(t, dir, nil, "bash", "-c", f.revokedSecretSnippet)
		if r.code != 0 || !strings.Contains(r.stdout, `"invalid_client"`) {
			t.Errorf("the revoked secret's token request: exit %d, want invalid_client\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// kitServe starts an API program (name args… in dir, with env added and PORT set to a
// free port) and returns a function that calls GET / on it with a bearer token, and
// the program's output. The first call polls until the program listens.
func kitServe(t *testing.T, dir string, env []string, name string, args ...string) (func(token string) (int, string), *syncBuffer, string) {
	t.Helper()
	call, logs, port := kitServeAt(t, "/", dir, env, name, args...)
	return func(token string) (int, string) { return call(http.MethodGet, token) }, logs, port
}

// kitServeAt is kitServe for requests to path with any method.
func kitServeAt(t *testing.T, path, dir string, env []string, name string, args ...string) (func(method, token string) (int, string), *syncBuffer, string) {
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
	}, logs, port
}

// kitCheckAPI checks a kit program's API: a live key is accepted (the answer contains
// want), a revoked key is refused with 401 "revoked", and no credential gets 401. The
// new-key pages' curl calls, run as shown with the program's PORT, say the same.
func kitCheckAPI(t *testing.T, lang string, call func(string) (int, string), logs *syncBuffer, port string, f *kitFixture, want string) {
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
	dir := t.TempDir()
	if r := runSnippet(t, dir, []string{"PORT=" + port}, "bash", "-c", f.keySnippets["snippet-curl"]); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("the new key's curl call to the %s API: exit %d, want %s\n%s%s", lang, r.code, want, r.stdout, r.stderr)
	}
	if r := runSnippet(t, dir, []string{"PORT=" + port}, "bash", "-c", f.revokedKeySnippets["snippet-curl"]); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Errorf("the revoked key's curl call to the %s API: exit %d, want the revocation named\n%s%s", lang, r.code, r.stdout, r.stderr)
	}
}

// TestClientKeyRecipeRuns runs the client credentials page's private_key_jwt program as
// shown: with the private key of a registered PEM key it gets an access token for the
// project's API; once the key is removed, the same program is refused.
func TestClientKeyRecipeRuns(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on PATH")
	}
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "recipe@example.com", "Recipe Owner")
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/settings", url.Values{"_csrf": {u.csrf}, "name": {pr.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {"client_credentials"}, "auth_methods_shown": {"1"},
		"auth_methods": {"client_secret", "private_key_jwt"}}, http.StatusSeeOther)

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/client-keys", url.Values{"_csrf": {u.csrf}, "name": {"recipe"}, "key": {pubPEM},
		"expires_in_days": {"365"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusSeeOther)

	d := u.page(t, "/projects/"+pr.ID+"/credentials")
	recipe := d.Find(`[data-testid="recipe-go"]`).Text()
	keyID := d.Find(`[data-testid="client-key-row"]`).AttrOr("data-client-key-id", "")
	if !strings.Contains(recipe, "package main") || !strings.Contains(recipe, pr.ID) || keyID == "" {
		t.Fatalf("the credentials page: recipe %d bytes naming the client: %v, key row %q", len(recipe), strings.Contains(recipe, pr.ID), keyID)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/token\n\ngo 1.26\n\nrequire github.com/go-jose/go-jose/v4 v4.1.8\n"
	for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(recipe),
		"client-key.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "token")
	build := exec.Command(goTool, "build", "-mod=mod", "-o", bin, ".")
	build.Dir, build.Env = dir, childEnv()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the private_key_jwt program does not build as shown: %v\n%s", err, out)
	}
	r := runSnippet(t, dir, nil, bin)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &tok); r.code != 0 || err != nil || tok.TokenType != "Bearer" {
		t.Fatalf("the private_key_jwt program: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if err := vfPayload(tok.AccessToken, &claims); err != nil || claims.Sub != pr.ID {
		t.Errorf("the program's token: sub %q (%v), want %s", claims.Sub, err, pr.ID)
	}
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/client-keys/"+keyID+"/remove", url.Values{"_csrf": {u.csrf}}, http.StatusSeeOther)
	if r := runSnippet(t, dir, nil, bin); r.code != 0 || !strings.Contains(r.stdout, `"invalid_client"`) {
		t.Errorf("the program after the key's removal: exit %d, want invalid_client\n%s%s", r.code, r.stdout, r.stderr)
	}
}
