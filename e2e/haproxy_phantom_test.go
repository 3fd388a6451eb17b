package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// TestHAProxyPhantomTokens runs the README's phantom-token recipe ("Gateway recipe:
// HAProxy with Lua"): the Lua script and haproxy-phantom.cfg are read from README.md,
// only the script's path and the bind and server addresses are replaced, and haproxy
// runs in front of a backend that records the Authorization header it receives.
//   - A reference token of a project set to reference tokens reaches the backend as
//     the JWT it stands for: signed by the portal's published key, typ at+jwt, the
//     API's aud, the project's client_id.
//   - No token, a JWT, a malformed or unknown reference token get 401 from haproxy
//     and never reach the backend.
//   - Once the project revokes the reference token at /oauth/revoke, the very next
//     request with it gets 401.
func TestHAProxyPhantomTokens(t *testing.T) {
	bin := haTools(t)
	t.Parallel()
	p := startPortal(t)
	u := vfSignIn(t, p, "phantom@example.com", "Phantom Developer")
	const api = "orders-api"
	app := haGrant(t, u, u.projectNamed(t, models.FirstProjectName), api)
	u.do(t, http.MethodPost, "/projects/"+app.ID+"/settings", url.Values{"_csrf": {u.csrf}, "name": {app.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {models.GrantClientCredentials}, "access_token_format": {"reference"}}, http.StatusSeeOther)
	appSecret := haClientSecret(t, u, app)
	gateway := u.createProject(t, app.TeamID, "Orders gateway")
	u.do(t, http.MethodPost, "/projects/"+gateway.ID+"/settings", url.Values{"_csrf": {u.csrf}, "name": {gateway.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {models.GrantTokenExchange}}, http.StatusSeeOther)
	gatewaySecret := haClientSecret(t, u, gateway)

	var (
		mu       sync.Mutex
		received []string
	)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.WriteString(w, "backend")
	}))
	t.Cleanup(backend.Close)
	hits := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(received)
	}

	script := filepath.Join(t.TempDir(), "gatehouse-phantom.lua")
	if err := os.WriteFile(script, []byte(haReadme(t, "gatehouse-phantom.lua")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := haReplace(t, "haproxy-phantom.cfg", haReadme(t, "haproxy-phantom.cfg"),
		"/etc/haproxy/gatehouse-phantom.lua", script,
		haExampleBackend, "server api1 "+strings.TrimPrefix(backend.URL, "http://"))
	gw := startHAProxy(t, bin, cfg, "GATEHOUSE_URL="+p.URL, "GATEHOUSE_CLIENT_ID="+gateway.ID, "GATEHOUSE_CLIENT_SECRET="+gatewaySecret)

	ref := haAccessToken(t, p, app.ID, appSecret, api)
	if !models.WellFormedReferenceToken(ref) {
		t.Fatalf("the token endpoint gave the reference project %q, want a ghat_ reference token", ref)
	}
	client := &http.Client{Timeout: vfRequestTimeout}
	if a := vfCall(t, client, http.MethodGet, gw.URL+"/orders", vfBearer(ref)...); a.status != http.StatusOK || string(a.body) != "backend" {
		t.Fatalf("a reference token through the gateway: got %s, want 200 from the backend", a)
	}
	mu.Lock()
	auth := received[len(received)-1]
	mu.Unlock()
	jwtTok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.Contains(jwtTok, "ghat_") {
		t.Fatalf("the backend got Authorization %q, want the JWT", auth)
	}
	claims := phantomVerify(t, p, jwtTok)
	if claims.ClientID != app.ID || len(claims.Audience) != 1 || claims.Audience[0] != api || claims.Issuer != p.URL {
		t.Errorf("the JWT behind the gateway: %+v", claims)
	}

	for name, token := range map[string]string{
		"no token":                  "",
		"the JWT itself":            jwtTok,
		"a malformed reference":     "ghat_nope",
		"an unknown reference":      models.NewReferenceToken(),
		"a reference with a suffix": ref + "x",
	} {
		before := hits()
		var a vfAnswer
		if token == "" {
			a = vfCall(t, client, http.MethodGet, gw.URL+"/orders")
		} else {
			a = vfCall(t, client, http.MethodGet, gw.URL+"/orders", vfBearer(token)...)
		}
		if a.status != http.StatusUnauthorized || hits() != before {
			t.Errorf("%s: got %s and %d backend requests, want 401 and none", name, a, hits()-before)
		}
	}

	// The project revokes its reference token: the next request is refused.
	req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/revoke", strings.NewReader(url.Values{"token": {ref}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ID, appSecret)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /oauth/revoke: %s", res.Status)
	}
	before := hits()
	if a := vfCall(t, client, http.MethodGet, gw.URL+"/orders", vfBearer(ref)...); a.status != http.StatusUnauthorized || hits() != before {
		t.Errorf("the revoked reference token: got %s, want 401 without reaching the backend", a)
	}
}

// phantomVerify verifies an access token against the portal's published JWKS.
func phantomVerify(t *testing.T, p *portal, token string) models.AccessTokenClaims {
	t.Helper()
	status, _, body := stressGet(t, p.URL+"/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	if status != http.StatusOK || json.Unmarshal(body, &set) != nil {
		t.Fatalf("GET /.well-known/jwks.json: %d", status)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("the backend's token is not a JWS: %v", err)
	}
	h := parsed.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != models.TypAccessToken {
		t.Errorf("typ %q, want %s", typ, models.TypAccessToken)
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", h.KeyID)
	}
	var c models.AccessTokenClaims
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return c
}
