package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeCLIExample runs the README's command-line example, exactly as written, with
// bash and jq, the built binary first on PATH, against a running portal and a token
// made on the account page.
func TestReadmeCLIExample(t *testing.T) {
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			vfSkip(t, "%s is not installed (the README's example needs it: apt-get install %s)", tool, tool)
		}
	}
	script := haReadme(t, "cli-example")
	p := startPortal(t)
	u := stressSignIn(t, p, "readme-cli@example.com", "Readme CLI")
	tok := createTokenOverHTTP(t, u, url.Values{"name": {"readme-cli"}, "scope": {"write"}, "expires_in_days": {"7"}})
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-euo", "pipefail", "-c", script)
	cmd.Env = childEnv("GATEHOUSE_URL="+p.URL, "GATEHOUSE_TOKEN="+tok, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"PATH="+filepath.Dir(gatehouseBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's CLI example failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"logged in to " + p.URL,
		"ledger-export  ledger:read", // grants create: the project and its scope
		"shown only now",             // keys create and secrets create, on stderr
		"nightly",                    // keys list
		"complete -F _gatehouse gatehouse",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the example's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(string(out), "shown only now") != 2 {
		t.Errorf("want the key and the secret each announced once:\n%s", out)
	}
}
