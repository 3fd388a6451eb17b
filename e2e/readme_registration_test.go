package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestReadmeRegistrationExample runs the README's dynamic client registration example,
// exactly as written, with bash, curl and jq against a running portal and an initial
// access token made on a team's Settings page.
func TestReadmeRegistrationExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			vfSkip(t, "%s is not installed (the README's example needs it: apt-get install %s)", tool, tool)
		}
	}
	script := haReadme(t, "registration-example")
	p := startPortal(t)
	u := stressSignIn(t, p, "registrar@example.com", "Registrar")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A team, its policy and a token, through the pages.
	status, hdr, body, err := u.stressPost(ctx, "/teams", url.Values{"_csrf": {u.csrf}, "name": {"Agents"}})
	if err != nil || status != http.StatusSeeOther {
		t.Fatalf("create a team: %d %v %.300s", status, err, body)
	}
	team := strings.TrimPrefix(hdr.Get("Location"), "/teams/")
	status, _, body, err = u.stressPost(ctx, "/teams/"+team+"/registration-policy", url.Values{"_csrf": {u.csrf}, "registration_policy": {"token"}})
	if err != nil || status != http.StatusSeeOther {
		t.Fatalf("set the policy: %d %v %.300s", status, err, body)
	}
	status, _, body, err = u.stressPost(ctx, "/teams/"+team+"/registration-tokens", url.Values{"_csrf": {u.csrf}, "label": {"readme"},
		"expires_in_days": {"30"}})
	if err != nil || status != http.StatusOK {
		t.Fatalf("create a token: %d %v %.300s", status, err, body)
	}
	tok := strings.TrimSpace(stressDoc(t, string(body)).Find(`[data-testid="secret"]`).First().Text())
	if !strings.HasPrefix(tok, "ghiat_") {
		t.Fatalf("the page showed %q, want a ghiat_ token", tok)
	}

	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = childEnv("GATEHOUSE_URL="+p.URL, "INITIAL_ACCESS_TOKEN="+tok)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "prj_") || lines[1] != "Docs assistant" || lines[2] != "204" {
		t.Fatalf("the example printed:\n%s\nwant the client_id, its name, then 204", out)
	}
	// The client it registered and deleted is gone: its registration answers 401.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/oauth/register/"+lines[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the deleted client's registration: %d, want 401", res.StatusCode)
	}
}
