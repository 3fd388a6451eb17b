package handlers_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// publicPEM is the PKIX PEM of a DPoP key's public key; privatePEM its PKCS#8 private key.
func (k *dpopKey) publicPEM(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (k *dpopKey) privatePEM(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// popKeyPage creates a key on the project page's form with a public key and returns
// the response.
func popKeyPage(t *testing.T, dev *member, projectID, apiID, name, publicKey string) *http.Response {
	t.Helper()
	return dev.b.post("/projects/"+projectID+"/keys", url.Values{"_csrf": {dev.csrf}, "name": {name}, "api": {apiID},
		"expires_in_days": {"30"}, "public_key": {publicKey}, "form_token": {models.NewIdempotencyKey()}}, nil)
}

// An API key bound to a public key on the key form: the new-key page names the binding
// and shows the proof snippets instead of the bearer curl call; the keys table says
// "Bound to key …". An API using verify accepts the key only with a fresh proof of that
// key (RFC 9449): as a bearer token, with another key's proof, a replayed proof, or a
// proof for another method or URL it is refused. A private key pasted by mistake is
// refused, creates nothing and is not shown back.
func TestPoPAPIKeyOverHTTP(t *testing.T) {
	e := newEnv(t)
	dev := signedInMember(t, e, "pop-keys@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), dev.actor)
	if err != nil {
		t.Fatal(err)
	}
	p := projects[0]
	api := firstAPIOf(t, e, dev, p.TeamID)
	k, other := newDPoPKey(t, jose.ES256), newDPoPKey(t, jose.ES256)

	res := popKeyPage(t, dev, p.ID, api.ID, "oops", k.privatePEM(t))
	body := readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "is a private key: paste only the public key") {
		t.Errorf("a private key: %d, want 422 saying it is a private key", res.StatusCode)
	}
	if strings.Contains(body, strings.Split(k.privatePEM(t), "\n")[1]) {
		t.Error("the refused private key is shown back on the page")
	}
	if keys, err := e.store.APIKeys(context.Background(), dev.actor, p.ID); err != nil || len(keys) != 0 {
		t.Fatalf("a refused public key created %d keys (%v)", len(keys), err)
	}

	res = popKeyPage(t, dev, p.ID, api.ID, "bound", k.publicPEM(t))
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create a bound key: %d (Cache-Control %q)", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	d := doc(t, res)
	key := strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text())
	if got := d.Find(`[data-testid="new-key-jkt"]`).Text(); got != k.jkt {
		t.Errorf("the new key's page says bound to %q, want %s", got, k.jkt)
	}
	for _, id := range []string{"snippet-pop-env", "snippet-pop-node", "snippet-pop-python", "snippet-go", "snippet-node", "snippet-python"} {
		if d.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("snippet %s missing", id)
		}
	}
	if d.Find(`[data-testid="snippet-curl"]`).Length() != 0 {
		t.Error("a bound key's page shows the bearer curl call, which it refuses")
	}
	row := doc(t, dev.b.get("/projects/"+p.ID+"/keys")).Find(`[data-testid="key-row"]`)
	binding := strings.Join(strings.Fields(row.Find(`[data-testid="key-binding"]`).Text()), " ")
	if want := "Bound to key " + k.jkt[:8] + "…: a leaked key is useless without the private key"; binding != want {
		t.Errorf("the key's row says %q, want %q", binding, want)
	}

	v := occVerifier(t, e, api.Identifier, verify.Clock(e.clock))
	srv := occAPI(t, v)
	target := srv.URL + "/orders"
	proof := func(k *dpopKey, method, htu string) string {
		return k.proof(t, proofSpec{method: method, htu: htu, iat: e.clock(), ath: ath(key)})
	}
	good := proof(k, "GET", target)
	res, raw := dpopAPICall(t, "GET", target, "DPoP "+key, good)
	var pr verify.Principal
	if err := json.Unmarshal([]byte(raw), &pr); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the bound key with its proof: %d %s", res.StatusCode, raw)
	}
	if pr.Kind != verify.KindAPIKey || !pr.DPoPBound || pr.DPoPThumbprint != k.jkt {
		t.Errorf("principal: kind %s, bound %v, thumbprint %q; want an API key bound to %s", pr.Kind, pr.DPoPBound, pr.DPoPThumbprint, k.jkt)
	}
	for _, tc := range []struct {
		name, auth string
		proofs     []string
		code       string
	}{
		{"AsBearer", "Bearer " + key, nil, "invalid_token"},
		{"AsBearerWithProof", "Bearer " + key, []string{proof(k, "GET", target)}, "invalid_token"},
		{"NoProof", "DPoP " + key, nil, "invalid_dpop_proof"},
		{"OtherKey", "DPoP " + key, []string{proof(other, "GET", target)}, "invalid_dpop_proof"},
		{"Replayed", "DPoP " + key, []string{good}, "invalid_dpop_proof"},
		{"WrongHTM", "DPoP " + key, []string{proof(k, "POST", target)}, "invalid_dpop_proof"},
		{"WrongHTU", "DPoP " + key, []string{proof(k, "GET", srv.URL+"/admin")}, "invalid_dpop_proof"},
	} {
		if res, raw := dpopAPICall(t, "GET", target, tc.auth, tc.proofs...); res.StatusCode != http.StatusUnauthorized ||
			!strings.Contains(raw, `"error":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, res.StatusCode, raw, tc.code)
		}
	}
	if _, err := v.Verify(t.Context(), key); err == nil {
		t.Error("Verify (a bearer use) accepted a bound API key")
	}
	events, _, err := e.store.AuditLog(context.Background(), dev.actor, p.TeamID, models.AuditFilter{Action: "key.create"})
	if err != nil || len(events) != 1 || !strings.Contains(events[0].Details, k.jkt) {
		t.Errorf("key.create events %+v %v, want one naming the thumbprint", events, err)
	}
}

// The Management API binds a key with public_key (a JWK object or a PEM string), says
// the thumbprint as jkt, and refuses a key it cannot bind with 422 on public_key.
func TestPoPAPIKeyManagementAPI(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "pop-api@example.com")
	c := &apiClient{t: t, e: e, doc: loadOpenAPI(t, e)}
	c.token = createPATViaPage(t, owner, url.Values{"name": {"pop"}, "scope": {"write"}, "expires_in_days": {"30"}})
	projects, err := e.store.ProjectsOf(context.Background(), owner.actor)
	if err != nil {
		t.Fatal(err)
	}
	p := projects[0]
	api := firstAPIOf(t, e, owner, p.TeamID)
	ed, rsaKey := newDPoPKey(t, jose.EdDSA), newDPoPKey(t, jose.RS256)
	for name, tc := range map[string]struct {
		publicKey any
		jkt       string
	}{"JWKObject": {ed.pub, ed.jkt}, "PEMString": {rsaKey.publicPEM(t), rsaKey.jkt}} {
		r := c.call("POST", "/projects/"+p.ID+"/keys", map[string]any{"name": name, "api": api.ID, "expires_in_days": 30,
			"public_key": tc.publicKey}, nil).want(t, http.StatusCreated).json(t)
		if r["jkt"] != tc.jkt {
			t.Errorf("%s: jkt %v, want %s", name, r["jkt"], tc.jkt)
		}
	}
	r := c.call("POST", "/projects/"+p.ID+"/keys", map[string]any{"name": "k", "api": api.ID, "expires_in_days": 30,
		"public_key": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}, nil).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), "public_key") {
		t.Errorf("a symmetric key: %s, want an error on public_key", r.body)
	}
	items := c.call("GET", "/projects/"+p.ID+"/keys", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d keys listed, want 2", len(items))
	}
	for _, it := range items {
		if jkt, _ := it.(map[string]any)["jkt"].(string); jkt != ed.jkt && jkt != rsaKey.jkt {
			t.Errorf("listed key %v: jkt %q", it.(map[string]any)["name"], jkt)
		}
	}
}

// pythonWithPyJWT is a python3 that imports jwt and cryptography, for the snippets that
// use them; without one the test skips (fails under GATEHOUSE_TEST_INTEROP=require).
func pythonWithPyJWT(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import jwt, cryptography").Run() == nil {
			return py
		}
	}
	if os.Getenv(storetest.InteropEnv) == "require" {
		t.Fatal("no python3 with PyJWT and cryptography")
	}
	t.Skip("no python3 with PyJWT and cryptography")
	return ""
}

// The new bound key's snippets run exactly as the page shows them: the shell lines set
// the key and the private key's file, then the Node.js (jose) and the Python (PyJWT)
// program each sign a proof and call an API protected by verify on 127.0.0.1, which
// accepts them — for each kind of key (the proof's alg follows it). For a P-256 key the
// programs run are the README's: the page's are the same text.
func TestPoPKeySnippetsRun(t *testing.T) {
	node, mods := storetest.NodePackage(t, "jose")
	python := pythonWithPyJWT(t)
	e := newEnv(t)
	dev := signedInMember(t, e, "pop-snippets@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), dev.actor)
	if err != nil {
		t.Fatal(err)
	}
	p := projects[0]
	api := firstAPIOf(t, e, dev, p.TeamID)
	srv := occAPI(t, occVerifier(t, e, api.Identifier))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := newDPoPKey(t, alg)
			res := popKeyPage(t, dev, p.ID, api.ID, "snippets "+string(alg), k.publicPEM(t))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("create: %d", res.StatusCode)
			}
			d := doc(t, res)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pop-key.pem"), []byte(k.privatePEM(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
				t.Fatal(err)
			}
			shell := d.Find(`[data-testid="snippet-pop-env"]`).Text()
			for file, id := range map[string]string{"call.mjs": "node", "call.py": "python"} {
				code := d.Find(`[data-testid="snippet-pop-` + id + `"]`).Text()
				id = "pop-key-" + id
				if alg == jose.ES256 {
					if readme := readmeBlock(t, id); readme != code {
						t.Errorf("the README's %s differs from the page's:\n%s\n---\n%s", id, readme, code)
					}
					code = readmeBlock(t, id)
				}
				if err := os.WriteFile(filepath.Join(dir, file), []byte(code), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for run, program := range map[string]string{"node": node + " call.mjs", "python": python + " call.py"} {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				cmd := exec.CommandContext(ctx, "bash", "-c", shell+program)
				cmd.Dir, cmd.Env = dir, append(os.Environ(), "PORT="+port)
				out, err := cmd.CombinedOutput()
				cancel()
				var pr verify.Principal
				status, principal, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
				if err != nil || status != "200" || json.Unmarshal([]byte(principal), &pr) != nil || pr.DPoPThumbprint != k.jkt {
					t.Errorf("%s snippet: %v\n%s\nwant 200 and a principal bound to %s", run, err, out, k.jkt)
				}
			}
		})
	}
}
