package e2e

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestReadmeAPIExample runs the README's Management API example, exactly as written,
// with bash, curl and jq against a running portal and a token made on the account page.
func TestReadmeAPIExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			vfSkip(t, "%s is not installed (the README's example needs it: apt-get install %s)", tool, tool)
		}
	}
	script := haReadme(t, "api-example")
	p := startPortal(t)
	u := stressSignIn(t, p, "readme@example.com", "Readme")
	tok := createTokenOverHTTP(t, u, url.Values{"name": {"readme"}, "scope": {"write"}, "expires_in_days": {"7"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = childEnv("GATEHOUSE_URL="+p.URL, "GATEHOUSE_TOKEN="+tok)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 4 || lines[0] != "5" || !strings.HasPrefix(lines[1], "ghcs_") {
		t.Fatalf("the example printed:\n%s\nwant the new lifetime 5, a ghcs_ secret, then audit actions", out)
	}
	if !strings.Contains(string(out), "secret.create") {
		t.Errorf("the audit page lacks secret.create:\n%s", out)
	}
}
