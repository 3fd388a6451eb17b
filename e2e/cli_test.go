package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// createTokenOverHTTP creates a personal access token on the account page as u and
// returns the value the page showed.
func createTokenOverHTTP(t *testing.T, u *stressUser, form url.Values) string {
	t.Helper()
	form.Set("_csrf", u.csrf)
	req, err := http.NewRequest(http.MethodPost, u.base+"/account/tokens", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.base)
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /account/tokens: %d %.300s", res.StatusCode, body)
	}
	tok := strings.TrimSpace(stressDoc(t, string(body)).Find(`[data-testid="secret"]`).First().Text())
	if !strings.HasPrefix(tok, "ghpat_") {
		t.Fatalf("the page showed %q, want a ghpat_ token", tok)
	}
	return tok
}

// cliRun runs the built binary as the CLI with its own config directory.
func cliRun(t *testing.T, home, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatehouseBin, args...)
	cmd.Env = childEnv("HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("gatehouse %v: %v", args, err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// TestCLI drives `gatehouse login`, `projects` and `keys` against a running portal:
// credentials stored 0600, JSON and table output, and the exit codes scripts rely on.
func TestCLI(t *testing.T) {
	p := startPortal(t)
	u := stressSignIn(t, p, "cli@example.com", "CLI User")
	home := t.TempDir()

	// Not logged in: 3. Usage errors: 2.
	if _, errOut, code := cliRun(t, home, "", "projects", "list"); code != 3 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("projects list before login: exit %d, stderr %q; want 3", code, errOut)
	}
	if _, _, code := cliRun(t, home, "", "login"); code != 2 {
		t.Errorf("login without --url: exit %d, want 2", code)
	}
	if _, _, code := cliRun(t, home, "ghpat_nottoken\n", "login", "--url", p.URL); code != 3 {
		t.Errorf("login with garbage on stdin: exit %d, want 3", code)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "gatehouse", "credentials.json")); !os.IsNotExist(err) {
		t.Errorf("a failed login stored credentials: %v", err)
	}

	tok := createTokenOverHTTP(t, u, url.Values{"name": {"cli"}, "scope": {"write"}, "expires_in_days": {"30"}})
	out, errOut, code := cliRun(t, home, tok+"\n", "login", "--url", p.URL)
	if code != 0 {
		t.Fatalf("login: exit %d, stderr %q", code, errOut)
	}
	cred := filepath.Join(home, ".config", "gatehouse", "credentials.json")
	st, err := os.Stat(cred)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(out, "logged in") {
		t.Errorf("login said %q", out)
	}

	out, errOut, code = cliRun(t, home, "", "projects", "list", "--json")
	var projects []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &projects) != nil || len(projects) != 1 {
		t.Fatalf("projects list --json: exit %d, %q, stderr %q", code, out, errOut)
	}
	team := projects[0]["team_id"].(string)
	out, _, code = cliRun(t, home, "", "projects", "create", "--team", team, "--name", "From CLI", "--json")
	var created map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created["name"] != "From CLI" {
		t.Fatalf("projects create: exit %d, %q", code, out)
	}
	out, _, code = cliRun(t, home, "", "projects", "list")
	if code != 0 || !strings.HasPrefix(out, "ID") || !strings.Contains(out, "From CLI") {
		t.Errorf("projects list (table): exit %d\n%s", code, out)
	}
	// An API error: 1, the problem on stderr.
	_, errOut, code = cliRun(t, home, "", "projects", "create", "--team", "team_nope", "--name", "x")
	if code != 1 || !strings.Contains(errOut, "Not Found") {
		t.Errorf("create in an unknown team: exit %d, stderr %q", code, errOut)
	}

	// Keys: create (the value on stdout only), list, revoke.
	out, errOut, code = cliRun(t, home, "", "keys", "create", "--project", u.project, "--name", "cli-key", "--api", u.api, "--expires-in-days", "7")
	key := strings.TrimSpace(out)
	if code != 0 || strings.Count(key, ".") != 2 {
		t.Fatalf("keys create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = cliRun(t, home, "", "keys", "list", "--project", u.project, "--json")
	var keys []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || strings.Contains(out, key) {
		t.Fatalf("keys list: exit %d, %q", code, out)
	}
	out, _, code = cliRun(t, home, "", "keys", "revoke", "--project", u.project, "--key", keys[0]["id"].(string))
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("keys revoke: exit %d, %q", code, out)
	}
	if _, _, code := cliRun(t, home, "", "keys", "revoke", "--project", u.project); code != 2 {
		t.Errorf("keys revoke without --key: exit %d, want 2", code)
	}

	// A stored token that stops working: 3.
	if err := os.WriteFile(cred, []byte(`{"url":"`+p.URL+`","token":"ghpat_0000000000000000000000000000000000000000000000000"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cliRun(t, home, "", "keys", "list", "--project", u.project); code != 3 {
		t.Errorf("with an invalid stored token: exit %d, stderr %q; want 3", code, errOut)
	}
}
