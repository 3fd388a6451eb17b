package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// k8sIssuer is an in-process Kubernetes-style service-account token issuer: an RSA key
// whose public half it serves as a key set, and projected tokens with the claims a
// cluster puts in them.
type k8sIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	iss string
}

func newK8sIssuer(t *testing.T) *k8sIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k8s-1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return &k8sIssuer{srv: srv, key: key, iss: "https://oidc.cluster.example"}
}

// token is a projected service-account token for namespace/account with audience aud.
func (k *k8sIssuer) token(t *testing.T, namespace, account, aud string) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k8s-1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(sg).Claims(map[string]any{"iss": k.iss, "sub": "system:serviceaccount:" + namespace + ":" + account,
		"aud": []string{aud}, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"kubernetes.io": map[string]any{"namespace": namespace, "serviceaccount": map[string]any{"name": account}}}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestServiceAccountSnippetsRun creates a service account on its page, trusts a
// Kubernetes-style issuer and adds a fallback secret, then runs the page's commands
// exactly as shown: a pod's token, and the secret, each get an access token that the
// management API accepts as the account (with its role); a token from another namespace
// is refused; after the account is deleted its token is refused.
func TestServiceAccountSnippetsRun(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not on PATH")
	}
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "machines@example.com", "Mia Machines")
	k8s := newK8sIssuer(t)

	res, _ := u.do(t, http.MethodPost, "/teams/"+pr.TeamID+"/service-accounts", url.Values{"_csrf": {u.csrf},
		"name": {"payments-deployer"}, "role": {"developer"}, "description": {"Deploys from the payments namespace"}}, http.StatusSeeOther)
	saPage := res.Header.Get("Location")
	saID := saPage[strings.LastIndex(saPage, "/")+1:]
	if !strings.HasPrefix(saID, "sa_") {
		t.Fatalf("created service account page %q", saPage)
	}
	members := u.page(t, "/teams/"+pr.TeamID+"/members")
	if members.Find(`[data-testid="member-row"][data-user-id="`+saID+`"] [data-testid="member-service"]`).Length() != 1 {
		t.Error("the members list does not show the service account beside the people")
	}
	u.do(t, http.MethodPost, saPage+"/workloads", url.Values{"_csrf": {u.csrf}, "name": {"payments namespace"},
		"issuer": {k8s.iss}, "jwks_uri": {k8s.srv.URL}, "audience": {"gatehouse"},
		"subject": {"system:serviceaccount:payments:*"}, "claims": {""}}, http.StatusSeeOther)
	_, body := u.do(t, http.MethodPost, saPage+"/secrets", url.Values{"_csrf": {u.csrf}, "name": {"fallback"}, "expires_in": {"30"}}, http.StatusOK)
	secret := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="secret"]`).Text())
	if !strings.HasPrefix(secret, "ghcs_") {
		t.Fatalf("the new secret: %q", secret)
	}

	d := u.page(t, saPage)
	if got := strings.TrimSpace(d.Find(`[data-testid="workload-subject"]`).Text()); got != "system:serviceaccount:payments:*" {
		t.Errorf("the trusted issuer's subject on the page: %q", got)
	}
	snippets := map[string]string{}
	for _, id := range []string{"snippet-workload", "snippet-secret", "snippet-call"} {
		snippets[id] = d.Find(`code[data-testid="` + id + `"]`).Text()
		if !strings.Contains(snippets[id], p.URL) {
			t.Fatalf("%s does not name this portal:\n%s", id, snippets[id])
		}
	}

	dir := t.TempDir()
	token := func(snippet string, env ...string) (string, string) {
		t.Helper()
		r := runSnippet(t, dir, env, "bash", "-c", snippet)
		var tok struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tok); r.code != 0 || err != nil {
			t.Fatalf("exit %d, %v:\n%s\n%s%s", r.code, err, snippet, r.stdout, r.stderr)
		}
		return tok.AccessToken, tok.Error
	}
	call := func(tok string) (int, string) {
		t.Helper()
		r := runSnippet(t, dir, []string{"GATEHOUSE_TOKEN=" + tok}, "bash", "-c", snippets["snippet-call"]+` -o /dev/stderr -w '%{http_code}'`)
		code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if err != nil {
			t.Fatalf("the call printed no status: %q %s", r.stdout, r.stderr)
		}
		return code, r.stderr
	}

	fromPod, _ := token(snippets["snippet-workload"], "WORKLOAD_TOKEN="+k8s.token(t, "payments", "api", "gatehouse"))
	var claims map[string]any
	if err := vfPayload(fromPod, &claims); err != nil || claims["sub"] != saID || claims["sub_type"] != "service_account" {
		t.Fatalf("the pod's access token: %v %v", claims, err)
	}
	if code, out := call(fromPod); code != http.StatusOK || !strings.Contains(out, pr.ID) {
		t.Errorf("the management API with the pod's token: %d\n%s", code, out)
	}
	// The CLI in a pipeline: the portal and the account's token from the environment.
	cliEnv := []string{"HOME=" + t.TempDir(), "GATEHOUSE_URL=" + p.URL, "GATEHOUSE_TOKEN=" + fromPod}
	if r := runSnippet(t, dir, cliEnv, gatehouseBin, "projects", "list", "--team", pr.TeamID, "--json"); r.code != 0 || !strings.Contains(r.stdout, pr.ID) {
		t.Errorf("gatehouse projects list with the account's token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runSnippet(t, dir, cliEnv, gatehouseBin, "projects", "create", "--team", pr.TeamID, "--name", "by a pipeline"); r.code != 1 || !strings.Contains(r.stderr, "403") && !strings.Contains(strings.ToLower(r.stderr), "forbidden") {
		t.Errorf("gatehouse projects create as a developer account: exit %d, want 1 (refused)\n%s%s", r.code, r.stdout, r.stderr)
	}
	fromSecret, _ := token(snippets["snippet-secret"], "GATEHOUSE_CLIENT_SECRET="+secret)
	if code, _ := call(fromSecret); code != http.StatusOK {
		t.Errorf("the management API with the secret's token: %d", code)
	}
	// A developer may not create projects: the account's role decides.
	r := runSnippet(t, dir, []string{"GATEHOUSE_TOKEN=" + fromPod}, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Authorization: Bearer "+fromPod, "-H", "Content-Type: application/json", "-d", `{"name":"by a machine"}`,
		p.URL+"/api/v1/teams/"+pr.TeamID+"/projects")
	if r.stdout != "403" {
		t.Errorf("a developer service account creating a project: %s, want 403", r.stdout)
	}
	// Another namespace's pod, and a token for another audience, are refused.
	for name, tok := range map[string]string{"another namespace": k8s.token(t, "default", "api", "gatehouse"),
		"another audience": k8s.token(t, "payments", "api", "vault")} {
		if got, errCode := token(snippets["snippet-workload"], "WORKLOAD_TOKEN="+tok); got != "" || errCode != "invalid_grant" {
			t.Errorf("%s: token %q, error %q; want invalid_grant", name, got, errCode)
		}
	}

	u.do(t, http.MethodPost, saPage+"/delete", url.Values{"_csrf": {u.csrf}}, http.StatusSeeOther)
	if code, _ := call(fromPod); code != http.StatusUnauthorized {
		t.Errorf("the deleted account's token: %d, want 401", code)
	}
}

// TestReadmeServiceAccountExample runs the README's service-account examples (the JWT
// bearer grant and token exchange) exactly as written: a pod's token for a service account of the signed-in user's team lists the
// teams the account is in — that team only.
func TestReadmeServiceAccountExample(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (the README's example needs it)", tool)
		}
	}
	script := haReadme(t, "service-account-example")
	p := startPortal(t)
	u, pr := vfSignInWithProject(t, p, "readme-sa@example.com", "Rita Readme")
	k8s := newK8sIssuer(t)
	res, _ := u.do(t, http.MethodPost, "/teams/"+pr.TeamID+"/service-accounts", url.Values{"_csrf": {u.csrf},
		"name": {"lister"}, "role": {"viewer"}}, http.StatusSeeOther)
	saPage := res.Header.Get("Location")
	u.do(t, http.MethodPost, saPage+"/workloads", url.Values{"_csrf": {u.csrf}, "name": {"cluster"},
		"issuer": {k8s.iss}, "jwks_uri": {k8s.srv.URL}, "audience": {p.URL},
		"subject": {"system:serviceaccount:tools:lister"}}, http.StatusSeeOther)
	teamName := strings.TrimSpace(u.page(t, "/teams/"+pr.TeamID).Find(`[data-testid="team-name-heading"]`).Text())
	for name, script := range map[string]string{"JWT bearer": script, "token exchange": haReadme(t, "service-account-exchange-example")} {
		r := runSnippet(t, t.TempDir(), []string{"GATEHOUSE_URL=" + p.URL, "SA=" + saPage[strings.LastIndex(saPage, "/")+1:],
			"WORKLOAD_TOKEN=" + k8s.token(t, "tools", "lister", p.URL)}, "bash", "-euo", "pipefail", "-c", script)
		if r.code != 0 || strings.TrimSpace(r.stdout) != teamName {
			t.Errorf("the README's %s example: exit %d, printed %q, want the one team %q\n%s", name, r.code, r.stdout, teamName, r.stderr)
		}
	}
}
