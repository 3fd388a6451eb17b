package e2e

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestCLIPoPKey: `gatehouse keys create --public-key FILE` binds the new key to the
// public key in FILE (the key's cnf.jkt and the listing's jkt are its thumbprint); a
// file holding a private key is refused and creates nothing.
func TestCLIPoPKey(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		vfSkip(t, "jq is not installed (apt-get install jq)")
	}
	p := startPortal(t)
	u := stressSignIn(t, p, "cli-pop@example.com", "CLI PoP")
	tok := createTokenOverHTTP(t, u, url.Values{"name": {"cli-pop"}, "scope": {"write"}, "expires_in_days": {"7"}})
	home := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	if err := os.WriteFile(filepath.Join(home, "pop.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "pop.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	jkt := base64.RawURLEncoding.EncodeToString(tp)
	script := `echo "$GATEHOUSE_TOKEN" | gatehouse login --url "$GATEHOUSE_URL" >/dev/null
PROJECT=$(gatehouse projects list --json | jq -r '.[0].id')
API=$(gatehouse apis list --team "$(gatehouse projects list --json | jq -r '.[0].team_id')" --json | jq -r '.[0].id')
if gatehouse keys create --project "$PROJECT" --name leaked --api "$API" --public-key pop.key 2>refused.txt; then exit 3; fi
grep -q "private key" refused.txt
echo "KEY $(gatehouse keys create --project "$PROJECT" --name bound --api "$API" --public-key pop.pub)"
gatehouse keys list --project "$PROJECT" --json | jq -r '.[] | "LISTED " + .name + " " + (.jkt // "")'
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-eu", "-c", script)
	cmd.Dir = home
	cmd.Env = childEnv("GATEHOUSE_URL="+p.URL, "GATEHOUSE_TOKEN="+tok, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"PATH="+filepath.Dir(gatehouseBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the CLI: %v\n%s", err, out)
	}
	var key string
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, ok := strings.CutPrefix(line, "KEY "); ok {
			key = k
		} else if l, ok := strings.CutPrefix(line, "LISTED "); ok {
			listed = append(listed, l)
		}
	}
	parts := strings.Split(key, ".")
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if len(parts) != 3 {
		t.Fatalf("keys create printed %q, want a key\n%s", key, out)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(raw, &claims) != nil || claims.Cnf.JKT != jkt {
		t.Errorf("the key's cnf.jkt is %q, want %s", claims.Cnf.JKT, jkt)
	}
	if len(listed) != 1 || listed[0] != "bound "+jkt {
		t.Errorf("keys list: %q, want only the bound key, with jkt %s", listed, jkt)
	}
}
