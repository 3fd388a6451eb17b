package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// dpopAPICall calls an API with an Authorization header and DPoP proofs.
func dpopAPICall(t *testing.T, method, target, authorization string, proofs ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, target, nil)
	req.Header.Set("Authorization", authorization)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res, readBody(res)
}

// TestDPoPEndToEnd: the portal binds a token to the client's key; an API using verify
// accepts it only with a fresh proof of that key for this request, refuses a replayed
// proof, another key's proof, wrong htm/htu/ath, a stale proof, and the token sent as a
// bearer token, each with an RFC 9449 DPoP challenge.
func TestDPoPEndToEnd(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop-e2e@example.com")
	k, other := newDPoPKey(t, jose.ES256), newDPoPKey(t, jose.EdDSA)
	res, body, raw := dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: e.portal.URL + "/oauth/token", iat: e.clock()}))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", res.StatusCode, raw)
	}
	token := body["access_token"].(string)
	v := occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock))
	api := occAPI(t, v)
	target := api.URL + "/orders"
	good := k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock(), ath: ath(token)})

	res, raw = dpopAPICall(t, "GET", target, "DPoP "+token, good)
	var p verify.Principal
	if err := json.Unmarshal([]byte(raw), &p); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("good proof: %d %s", res.StatusCode, raw)
	}
	if !p.DPoPBound || p.DPoPThumbprint != k.jkt || p.Project != cl.project.ID {
		t.Errorf("principal: bound %v, thumbprint %q (want %q), project %q", p.DPoPBound, p.DPoPThumbprint, k.jkt, p.Project)
	}
	// A second request with a new proof is fine (the token is cached; the proof is not).
	if res, raw := dpopAPICall(t, "GET", target, "DPoP "+token, k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock(), ath: ath(token)})); res.StatusCode != http.StatusOK {
		t.Errorf("second proof: %d %s", res.StatusCode, raw)
	}
	cases := []struct {
		name, method, auth string
		proofs             []string
		code               string
	}{
		{"Replay", "GET", "DPoP " + token, []string{good}, "invalid_dpop_proof"},
		{"OtherKey", "GET", "DPoP " + token, []string{other.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock(), ath: ath(token)})}, "invalid_dpop_proof"},
		{"WrongHTM", "GET", "DPoP " + token, []string{k.proof(t, proofSpec{method: "POST", htu: target, iat: e.clock(), ath: ath(token)})}, "invalid_dpop_proof"},
		{"WrongHTU", "GET", "DPoP " + token, []string{k.proof(t, proofSpec{method: "GET", htu: api.URL + "/admin", iat: e.clock(), ath: ath(token)})}, "invalid_dpop_proof"},
		{"NoATH", "GET", "DPoP " + token, []string{k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock()})}, "invalid_dpop_proof"},
		{"WrongATH", "GET", "DPoP " + token, []string{k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock(), ath: ath("another token")})}, "invalid_dpop_proof"},
		{"StaleIat", "GET", "DPoP " + token, []string{k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock().Add(-5 * time.Minute), ath: ath(token)})}, "invalid_dpop_proof"},
		{"NoProof", "GET", "DPoP " + token, nil, "invalid_dpop_proof"},
		{"AsBearer", "GET", "Bearer " + token, nil, "invalid_token"},
		{"AsBearerWithProof", "GET", "Bearer " + token, []string{k.proof(t, proofSpec{method: "GET", htu: target, iat: e.clock(), ath: ath(token)})}, "invalid_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, raw := dpopAPICall(t, tc.method, target, tc.auth, tc.proofs...)
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(raw, `"error":"`+tc.code+`"`) {
				t.Errorf("%d %s, want 401 %s", res.StatusCode, raw, tc.code)
			}
			ch := res.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, `algs="ES256 ES384 EdDSA RS256 PS256"`) || !strings.Contains(ch, `error="`+tc.code+`"`) {
				t.Errorf("WWW-Authenticate %q, want a DPoP challenge with algs and %s", ch, tc.code)
			}
		})
	}
	if _, err := v.Verify(t.Context(), token); err == nil {
		t.Error("Verify (a bearer use) accepted a DPoP-bound token")
	}
}

// TestDPoPVerifierOptions: RequireDPoP refuses an unbound token; PublicURL is what htu
// names behind a proxy.
func TestDPoPVerifierOptions(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "dpop-opts@example.com")
	_, body, _ := dpopTokenRequest(t, e, cl)
	bearer := body["access_token"].(string)
	strict := occAPI(t, occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock), verify.RequireDPoP()))
	res, raw := dpopAPICall(t, "GET", strict.URL+"/orders", "Bearer "+bearer)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(raw, "DPoP-bound tokens only") ||
		!strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") {
		t.Errorf("unbound token under RequireDPoP: %d %s %q", res.StatusCode, raw, res.Header.Get("WWW-Authenticate"))
	}
	// Behind a proxy: the proof names the public URL, not the address the API listens on.
	k := newDPoPKey(t, jose.ES256)
	_, body, _ = dpopTokenRequest(t, e, cl, k.proof(t, proofSpec{htu: e.portal.URL + "/oauth/token", iat: e.clock()}))
	bound := body["access_token"].(string)
	proxied := occAPI(t, occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock), verify.PublicURL("https://api.example.com/")))
	public := k.proof(t, proofSpec{method: "GET", htu: "https://api.example.com/orders", iat: e.clock(), ath: ath(bound)})
	if res, raw := dpopAPICall(t, "GET", proxied.URL+"/orders", "DPoP "+bound, public); res.StatusCode != http.StatusOK {
		t.Errorf("proof for the public URL: %d %s", res.StatusCode, raw)
	}
	local := k.proof(t, proofSpec{method: "GET", htu: proxied.URL + "/orders", iat: e.clock(), ath: ath(bound)})
	if res, raw := dpopAPICall(t, "GET", proxied.URL+"/orders", "DPoP "+bound, local); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("proof for the listening address behind PublicURL: %d %s, want 401", res.StatusCode, raw)
	}
}
