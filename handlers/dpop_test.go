package handlers_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// dpopKey is a client's DPoP key pair.
type dpopKey struct {
	priv crypto.Signer
	alg  jose.SignatureAlgorithm
	pub  jose.JSONWebKey
	jkt  string
}

func newDPoPKey(t testing.TB, alg jose.SignatureAlgorithm) *dpopKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	k := &dpopKey{priv: priv, alg: alg, pub: jose.JSONWebKey{Key: priv.Public()}}
	tp, err := k.pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	k.jkt = base64.RawURLEncoding.EncodeToString(tp)
	return k
}

// proofSpec is what a test proof says; zero values get the defaults of a good proof.
type proofSpec struct {
	method, htu, nonce, jti, ath string
	iat                          time.Time
	// headers override or add header members; claims override claims (nil deletes).
	headers map[jose.HeaderKey]any
	claims  map[string]any
	// signer signs instead of the key whose jwk the header carries.
	signer *dpopKey
}

// proof builds a DPoP proof JWT with go-jose.
func (k *dpopKey) proof(t testing.TB, s proofSpec) string {
	t.Helper()
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.jti == "" {
		s.jti = models.RandomToken(12)
	}
	claims := map[string]any{"jti": s.jti, "htm": s.method, "htu": s.htu, "iat": s.iat.Unix()}
	if s.nonce != "" {
		claims["nonce"] = s.nonce
	}
	if s.ath != "" {
		claims["ath"] = s.ath
	}
	for name, v := range s.claims {
		if v == nil {
			delete(claims, name)
		} else {
			claims[name] = v
		}
	}
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", k.pub)
	for name, v := range s.headers {
		opts = opts.WithHeader(name, v)
	}
	signer := k
	if s.signer != nil {
		signer = s.signer
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: signer.alg, Key: signer.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ath is the DPoP ath of an access token.
func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dpopTokenRequest asks for a client-credentials token with the given DPoP headers.
func dpopTokenRequest(t *testing.T, e *env, cl *oauthClient, proofs ...string) (*http.Response, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.portal.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cl.project.ID+":"+cl.secret)))
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw := readBody(res)
	var body map[string]any
	_ = json.Unmarshal([]byte(raw), &body)
	return res, body, raw
}

// tokenCnf reads an access token's cnf.jkt ("" when unbound); the token's signature is
// not the subject here.
func tokenCnf(t *testing.T, token string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c models.AccessTokenClaims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

// TestDPoPTokenEndpoint: a good proof of every algorithm binds the token (cnf.jkt, type
// DPoP); a request without one gets a bearer token.
func TestDPoPTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop@example.com")
	htu := e.portal.URL + "/oauth/token"
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256} {
		k := newDPoPKey(t, alg)
		res, body, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock()}))
		if res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
			t.Fatalf("%s: %d %s, want 200 with token_type DPoP", alg, res.StatusCode, raw)
		}
		if got := tokenCnf(t, body["access_token"].(string)); got != k.jkt {
			t.Errorf("%s: cnf.jkt = %q, want the key's thumbprint %q", alg, got, k.jkt)
		}
	}
	// §4.3 normalization: scheme and host case, the default port and the query do not matter.
	k := newDPoPKey(t, jose.ES256)
	u, _ := url.Parse(htu)
	odd := "HTTP://" + strings.ToUpper(u.Hostname()) + ":" + u.Port() + "/oauth/token?x=1#f"
	if res, body, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: odd, iat: e.clock()})); res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Errorf("htu %s: %d %s, want it to match the token endpoint", odd, res.StatusCode, raw)
	}
	res, body, raw := dpopTokenRequest(t, e, cl)
	if res.StatusCode != http.StatusOK || body["token_type"] != "Bearer" || tokenCnf(t, body["access_token"].(string)) != "" {
		t.Errorf("no proof: %d %s, want an unbound Bearer token", res.StatusCode, raw)
	}
	// Introspection tells a bound token by its cnf and token_type (RFC 9449 §6.2).
	_, bound, _ := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock()}))
	_, in, raw := oauthPost(t, e, "/oauth/introspect", url.Values{"token": {bound["access_token"].(string)}}, cl.project.ID, cl.secret)
	if cnf, _ := in["cnf"].(map[string]any); in["active"] != true || in["token_type"] != "DPoP" || cnf["jkt"] != k.jkt {
		t.Errorf("introspection of a bound token: %s", raw)
	}
	_, in, raw = oauthPost(t, e, "/oauth/introspect", url.Values{"token": {body["access_token"].(string)}}, cl.project.ID, cl.secret)
	if in["token_type"] != "Bearer" || in["cnf"] != nil {
		t.Errorf("introspection of a bearer token: %s", raw)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(readBody(e.browser().get("/.well-known/oauth-authorization-server"))), &meta); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(meta["dpop_signing_alg_values_supported"]); string(got) != `["ES256","ES384","EdDSA","RS256","PS256"]` {
		t.Errorf("dpop_signing_alg_values_supported = %s", got)
	}
}

// TestDPoPTokenEndpointRejects: every bad proof is 400 invalid_dpop_proof, and issues
// nothing.
func TestDPoPTokenEndpointRejects(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop-bad@example.com")
	htu := e.portal.URL + "/oauth/token"
	k, other := newDPoPKey(t, jose.ES256), newDPoPKey(t, jose.ES256)
	now := e.clock()
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")},
		(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", k.pub))
	hsJWS, _ := hs.Sign([]byte(`{"jti":"hs","htm":"POST","htu":"` + htu + `","iat":` + jsonNum(now) + `}`))
	hsProof, _ := hsJWS.CompactSerialize()
	pubJSON, _ := json.Marshal(k.pub)
	noneProof := b64url(`{"typ":"dpop+jwt","alg":"none","jwk":`+string(pubJSON)+`}`) + "." +
		b64url(`{"jti":"none","htm":"POST","htu":"`+htu+`","iat":`+jsonNum(now)+`}`) + "."
	good := k.proof(t, proofSpec{htu: htu, iat: now})
	cases := []struct {
		name   string
		proofs []string
		desc   string
	}{
		{"WrongTyp", []string{k.proof(t, proofSpec{htu: htu, iat: now, headers: map[jose.HeaderKey]any{"typ": "JWT"}})}, "typ"},
		{"HS256", []string{hsProof}, "alg"},
		{"None", []string{noneProof}, "compact JWS"},
		{"PrivateJWK", []string{k.proof(t, proofSpec{htu: htu, iat: now, headers: map[jose.HeaderKey]any{"jwk": jose.JSONWebKey{Key: k.priv}}})}, "private"},
		{"NoJWK", []string{k.proof(t, proofSpec{htu: htu, iat: now, headers: map[jose.HeaderKey]any{"jwk": nil}})}, "jwk"},
		{"OtherKeySigned", []string{k.proof(t, proofSpec{htu: htu, iat: now, signer: other})}, "signature"},
		{"WrongHTM", []string{k.proof(t, proofSpec{method: "GET", htu: htu, iat: now})}, "htm"},
		{"WrongHTU", []string{k.proof(t, proofSpec{htu: e.portal.URL + "/oauth/introspect", iat: now})}, "htu"},
		{"OtherHost", []string{k.proof(t, proofSpec{htu: "https://evil.example/oauth/token", iat: now})}, "htu"},
		{"StaleIat", []string{k.proof(t, proofSpec{htu: htu, iat: now.Add(-2 * time.Minute)})}, "iat"},
		{"FutureIat", []string{k.proof(t, proofSpec{htu: htu, iat: now.Add(2 * time.Minute)})}, "iat"},
		{"StringIat", []string{k.proof(t, proofSpec{htu: htu, iat: now, claims: map[string]any{"iat": jsonNum(now)}})}, "malformed"},
		{"NoJTI", []string{k.proof(t, proofSpec{htu: htu, iat: now, claims: map[string]any{"jti": nil}})}, "jti"},
		{"TwoProofs", []string{good, k.proof(t, proofSpec{htu: htu, iat: now})}, "exactly one"},
		{"Garbage", []string{"not.a.jwt"}, "header"},
		{"Oversized", []string{strings.Repeat("a", 9000) + ".b.c"}, "at most"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body, raw := dpopTokenRequest(t, e, cl, tc.proofs...)
			wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidDPoPProof)
			if d, _ := body["error_description"].(string); !strings.Contains(d, tc.desc) {
				t.Errorf("error_description %q does not mention %q", d, tc.desc)
			}
		})
	}
	// The good proof was not consumed by the two-proof request: it works once, then is
	// a replay.
	if res, _, raw := dpopTokenRequest(t, e, cl, good); res.StatusCode != http.StatusOK {
		t.Fatalf("good proof: %d %s", res.StatusCode, raw)
	}
	res, body, raw := dpopTokenRequest(t, e, cl, good)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidDPoPProof)
	if d, _ := body["error_description"].(string); !strings.Contains(d, "already been used") {
		t.Errorf("replay: %q, want it called a reuse", d)
	}
}

// TestDPoPNonce: with nonces on, a proof without one gets use_dpop_nonce and the nonce
// to use; a proof with it works; a nonce two windows old or forged does not.
func TestDPoPNonce(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.dpopNonce = true })
	cl := newOAuthClient(t, e, "dpop-nonce@example.com")
	htu := e.portal.URL + "/oauth/token"
	k := newDPoPKey(t, jose.ES256)
	res, _, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock()}))
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeUseDPoPNonce)
	nonce := res.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	res, body, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock(), nonce: nonce}))
	if res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" || res.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("with the nonce: %d %s (DPoP-Nonce %q)", res.StatusCode, raw, res.Header.Get("DPoP-Nonce"))
	}
	for name, n := range map[string]string{"Forged": strings.Repeat("A", 43), "Empty": ""} {
		res, _, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock(), nonce: n}))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(raw, models.ErrCodeUseDPoPNonce) {
			t.Errorf("%s nonce: %d %s, want use_dpop_nonce", name, res.StatusCode, raw)
		}
	}
	e.advance(11 * time.Minute) // two 5-minute windows later
	res, _, raw = dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock(), nonce: nonce}))
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeUseDPoPNonce)
	if fresh := res.Header.Get("DPoP-Nonce"); fresh == "" || fresh == nonce {
		t.Errorf("after two windows the nonce %q should have changed (got %q)", nonce, fresh)
	}
}

// TestDPoPRequiredByProject: a project that requires DPoP (set on its settings form) gets
// no token without a proof, and a bound one with it.
func TestDPoPRequiredByProject(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop-req@example.com")
	htu := e.portal.URL + "/oauth/token"
	res := cl.owner.b.post("/projects/"+cl.project.ID+"/settings", url.Values{"_csrf": {cl.owner.csrf}, "name": {cl.project.Name},
		"token_ttl_minutes": {"15"}, "grant_types": {"client_credentials"}, "auth_methods_shown": {"1"},
		"auth_methods": {"client_secret"}, "dpop_shown": {"1"}, "require_dpop": {"on"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", res.StatusCode, readBody(res))
	}
	d := doc(t, cl.owner.b.get("/projects/"+cl.project.ID+"/settings"))
	if _, checked := d.Find(`[data-testid="settings-require-dpop"]`).Attr("checked"); !checked {
		t.Error("settings form: Require DPoP is not checked after saving it")
	}
	r, _, raw := dpopTokenRequest(t, e, cl)
	wantOAuthError(t, r, raw, http.StatusBadRequest, models.ErrCodeInvalidDPoPProof)
	k := newDPoPKey(t, jose.ES256)
	r, body, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: htu, iat: e.clock()}))
	if r.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("with a proof: %d %s", r.StatusCode, raw)
	}
	// Turned off again (the form without the box checked), a bearer request works.
	off := false
	if err := e.store.UpdateProject(context.Background(), cl.owner.actor, cl.project.ID, models.ProjectSettings{Name: cl.project.Name,
		TokenTTLMinutes: 15, GrantTypes: []string{"client_credentials"}, RequireDPoP: &off}); err != nil {
		t.Fatal(err)
	}
	if r, body, raw := dpopTokenRequest(t, e, cl); r.StatusCode != http.StatusOK || body["token_type"] != "Bearer" {
		t.Errorf("after turning it off: %d %s", r.StatusCode, raw)
	}
}

func jsonNum(t time.Time) string { return strings.TrimSpace(string(must(json.Marshal(t.Unix())))) }

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestReadmeDPoP runs the README's DPoP example exactly as shown, with bash and curl and
// a proof made here: the token comes back bound to the proof's key.
func TestReadmeDPoP(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the README's example needs it)", tool)
		}
	}
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop-readme@example.com")
	k := newDPoPKey(t, jose.ES256)
	script := readmeBlock(t, "dpop-example")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "GATEHOUSE_URL="+e.portal.URL, "CLIENT_ID="+cl.project.ID, "CLIENT_SECRET="+cl.secret,
		"DPOP_PROOF="+k.proof(t, proofSpec{htu: e.portal.URL + "/oauth/token", iat: e.clock()}))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(out, &body); err != nil || body.TokenType != "DPoP" || tokenCnf(t, body.AccessToken) != k.jkt {
		t.Fatalf("the example printed %s (%v), want a DPoP token bound to the key", out, err)
	}
}
