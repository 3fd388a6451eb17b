package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliJSON runs a CLI command that must succeed with --json output and decodes it.
func cliJSON[T any](t *testing.T, home string, args ...string) T {
	t.Helper()
	out, errOut, code := cliRun(t, home, "", append(args, "--json")...)
	var v T
	if code != 0 {
		t.Fatalf("gatehouse %v: exit %d, stderr %q", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("gatehouse %v --json printed %q: %v", args, out, err)
	}
	return v
}

// cliLogin logs a new CLI home in to p with a new write token of u.
func cliLogin(t *testing.T, p *portal, u *stressUser) (home string) {
	t.Helper()
	home = t.TempDir()
	token := createTokenOverHTTP(t, u, url.Values{"name": {"cli"}, "scope": {"write"}, "expires_in_days": {"30"}})
	if _, errOut, code := cliRun(t, home, token+"\n", "login", "--url", p.URL); code != 0 {
		t.Fatalf("login: exit %d, stderr %q", code, errOut)
	}
	return home
}

// TestCLIAccess drives `apis`, `secrets`, `grants` and `requests` against a running
// portal, two people in two teams: register an API, grant a project, rotate a secret,
// and decide another team's access request.
func TestCLIAccess(t *testing.T) {
	p := startPortal(t)
	owner := stressSignIn(t, p, "cli-owner@example.com", "CLI Owner")
	asker := stressSignIn(t, p, "cli-asker@example.com", "CLI Asker")
	home := cliLogin(t, p, owner)
	askerHome := cliLogin(t, p, asker)

	projects := cliJSON[[]map[string]any](t, home, "projects", "list")
	team := projects[0]["team_id"].(string)

	// APIs: register with scopes, show, list (and by team).
	api := cliJSON[map[string]any](t, home, "apis", "create", "--team", team, "--name", "Ledger", "--identifier", "https://ledger.cli.example",
		"--scope", "read=Read the ledger", "--scope", "write", "--listed")
	apiID := api["id"].(string)
	if scopes, _ := api["scopes"].([]any); len(scopes) != 2 || api["listed"] != true {
		t.Fatalf("apis create: %v", api)
	}
	out, _, code := cliRun(t, home, "", "apis", "show", "--api", apiID)
	if code != 0 || !strings.Contains(out, "read write") || !strings.Contains(out, "https://ledger.cli.example") {
		t.Errorf("apis show: exit %d\n%s", code, out)
	}
	if list := cliJSON[[]map[string]any](t, home, "apis", "list", "--team", team); !containsID(list, apiID) {
		t.Errorf("apis list --team %s lacks %s: %v", team, apiID, list)
	}
	if list := cliJSON[[]map[string]any](t, home, "apis", "list", "--team", "team_other"); len(list) != 0 {
		t.Errorf("apis list for another team: %v", list)
	}
	// The asker sees the listed API, not its grants.
	if _, _, code := cliRun(t, askerHome, "", "apis", "show", "--api", apiID); code != 0 {
		t.Errorf("a listed API, shown to another team: exit %d", code)
	}
	if _, errOut, code := cliRun(t, askerHome, "", "grants", "list", "--api", apiID); code != 1 || !strings.Contains(errOut, "Not Found") {
		t.Errorf("another team's grants: exit %d, stderr %q", code, errOut)
	}

	// Grants: create, list, revoke.
	g := cliJSON[map[string]any](t, home, "grants", "create", "--api", apiID, "--project", owner.project, "--scope", "read")
	if g["project_id"] != owner.project || str(g["scopes"]) != "read" {
		t.Fatalf("grants create: %v", g)
	}
	if gs := cliJSON[[]map[string]any](t, home, "grants", "list", "--api", apiID); len(gs) != 1 || !containsID(gs, g["id"].(string)) {
		t.Errorf("grants list: %v", gs)
	}

	// Secrets: the value alone on stdout, once; listed without it; revoked.
	out, errOut, code := cliRun(t, home, "", "secrets", "create", "--project", owner.project, "--name", "ci", "--expires-in-days", "30")
	value := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(value, "ghcs_") || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("secrets create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	secrets := cliJSON[[]map[string]any](t, home, "secrets", "list", "--project", owner.project)
	var secretID string
	for _, s := range secrets {
		if s["name"] == "ci" {
			secretID = s["id"].(string)
		}
	}
	if raw, _ := json.Marshal(secrets); secretID == "" || strings.Contains(string(raw), value) {
		t.Fatalf("secrets list: %s", raw)
	}
	out, _, code = cliRun(t, home, "", "secrets", "revoke", "--project", owner.project, "--secret", secretID)
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("secrets revoke: exit %d, %q", code, out)
	}

	// Access requests: the asker's project asks, the owner approves a narrower set; the
	// asker sees the decision; deciding twice is an API error; a second request is
	// withdrawn.
	asked := cliJSON[map[string]any](t, askerHome, "requests", "create", "--api", apiID, "--project", asker.project,
		"--scope", "read", "--scope", "write", "--note", "reports")
	if asked["status"] != "pending" || asked["note"] != "reports" {
		t.Fatalf("requests create: %v", asked)
	}
	pending := cliJSON[[]map[string]any](t, home, "requests", "list", "--api", apiID)
	if len(pending) != 1 || pending[0]["status"] != "pending" {
		t.Fatalf("requests list --api: %v", pending)
	}
	dec := cliJSON[map[string]any](t, home, "requests", "approve", "--api", apiID, "--request", asked["id"].(string), "--scope", "read", "--note", "read only")
	if dec["status"] != "approved" || str(dec["granted_scopes"]) != "read" {
		t.Errorf("requests approve: %v", dec)
	}
	if mine := cliJSON[[]map[string]any](t, askerHome, "requests", "list", "--project", asker.project); len(mine) != 1 || mine[0]["status"] != "approved" {
		t.Errorf("the asker's requests: %v", mine)
	}
	if _, errOut, code := cliRun(t, home, "", "requests", "deny", "--api", apiID, "--request", asked["id"].(string)); code != 1 || !strings.Contains(errOut, "409") {
		t.Errorf("deciding twice: exit %d, stderr %q", code, errOut)
	}
	if gs := cliJSON[[]map[string]any](t, home, "grants", "list", "--api", apiID); len(gs) != 2 {
		t.Errorf("after approval %d grants, want 2: %v", len(gs), gs)
	}
	again := cliJSON[map[string]any](t, askerHome, "requests", "create", "--api", apiID, "--project", asker.project, "--scope", "write")
	if w := cliJSON[map[string]any](t, askerHome, "requests", "withdraw", "--project", asker.project, "--request", again["id"].(string)); w["status"] != "withdrawn" {
		t.Errorf("requests withdraw: %v", w)
	}
	out, _, code = cliRun(t, home, "", "grants", "revoke", "--api", apiID, "--grant", g["id"].(string))
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("grants revoke: exit %d, %q", code, out)
	}
	if gs := cliJSON[[]map[string]any](t, home, "grants", "list", "--api", apiID); len(gs) != 1 || containsID(gs, g["id"].(string)) {
		t.Errorf("after revoking: %v", gs)
	}

	// Usage errors: 2.
	for _, args := range [][]string{
		{"apis", "create", "--team", team, "--name", "x"}, // no identifier
		{"apis", "list", "--project", owner.project},      // a flag this command does not take
		{"requests", "list"},                              // neither --api nor --project
		{"requests", "list", "--api", apiID, "--project", owner.project},
		{"grants", "revoke", "--api", apiID},
		{"secrets", "frobnicate"},
		{"completion"},
		{"completion", "tcsh"},
	} {
		if _, errOut, code := cliRun(t, home, "", args...); code != 2 {
			t.Errorf("gatehouse %v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
	}
}

// containsID reports whether a list holds an object with that id.
func containsID(list []map[string]any, id string) bool {
	for _, o := range list {
		if o["id"] == id {
			return true
		}
	}
	return false
}

// str joins a JSON list of strings with spaces.
func str(v any) string {
	list, _ := v.([]any)
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i], _ = x.(string)
	}
	return strings.Join(parts, " ")
}

// TestCLICompletion loads `gatehouse completion bash` into bash and completes as bash
// would on Tab: the function gets COMP_WORDS and COMP_CWORD and fills COMPREPLY. zsh and
// fish scripts are printed too; help lists every command the scripts complete.
func TestCLICompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		vfSkip(t, "bash is not installed")
	}
	home := t.TempDir()
	script, errOut, code := cliRun(t, home, "", "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: exit %d, stderr %q", code, errOut)
	}
	file := filepath.Join(home, "gatehouse.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	probe := `set -e
source "$1"
complete -p gatehouse
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _gatehouse; echo "${COMPREPLY[*]}"; }
comp gatehouse gr
comp gatehouse s
comp gatehouse apis ""
comp gatehouse secrets create --
comp gatehouse requests approve --n
comp gatehouse completion ""
comp gatehouse nothing ""
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", probe, "probe", file)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash with the completion script: %v\n%s%s", err, o.String(), e.String())
	}
	want := []string{
		"complete -F _gatehouse gatehouse",
		"grants",
		"serve signing-keys secrets",
		"list show create",
		"--project --name --expires-in-days --json",
		"--note",
		"bash zsh fish",
		"",
	}
	got := strings.Split(strings.TrimSuffix(o.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("bash completion printed %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %q, want %q", i, got[i], want[i])
		}
	}

	for shell, marker := range map[string]string{"zsh": "bashcompinit", "fish": "complete -c gatehouse -n '__fish_seen_subcommand_from grants; and __fish_seen_subcommand_from create' -l scope"} {
		out, _, code := cliRun(t, home, "", "completion", shell)
		if code != 0 || !strings.Contains(out, marker) {
			t.Errorf("completion %s: exit %d, lacks %q", shell, code, marker)
		}
	}
	help, _, code := cliRun(t, home, "", "help")
	for _, c := range []string{"apis create", "secrets revoke", "grants create", "requests approve", "completion bash|zsh|fish"} {
		if code != 0 || !strings.Contains(help, "gatehouse "+c) {
			t.Errorf("help (exit %d) does not list gatehouse %s", code, c)
		}
	}
}
