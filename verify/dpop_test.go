package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestHTU(t *testing.T) {
	for in, want := range map[string]string{
		"https://API.Example.com:443/v1/orders?x=1#f": "https://api.example.com/v1/orders",
		"HTTP://api.example.com:80":                   "http://api.example.com/",
		"http://api.example.com:8080/a":               "http://api.example.com:8080/a",
		"https://[::1]:8443/a":                        "https://[::1]:8443/a",
		"ftp://api.example.com/a":                     "",
		"/relative":                                   "",
		"https://":                                    "",
	} {
		if got := HTU(in); got != want {
			t.Errorf("HTU(%q) = %q, want %q", in, got, want)
		}
	}
}

// signProof signs a DPoP proof with key (alg) for GET https://api.example.com/orders.
func signProof(t *testing.T, alg jose.SignatureAlgorithm, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: key.Public()})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// Every asymmetric algorithm of DPoPAlgs verifies; an RSA key under 2048 bits, and a
// jwk whose type does not fit alg, do not.
func TestCheckDPoPProofAlgorithms(t *testing.T) {
	now := time.Unix(1777636800, 0)
	claims := map[string]any{"jti": "j", "htm": "GET", "htu": "https://api.example.com/orders", "iat": now.Unix()}
	check := ProofCheck{Method: "GET", URL: "https://api.example.com/orders", Now: now}
	ecKey := newTestDPoPKey(t).priv
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{{jose.ES256, ecKey}, {jose.ES384, p384}, {jose.EdDSA, edKey}, {jose.RS256, rsaKey}, {jose.PS256, rsaKey}} {
		p, err := CheckDPoPProof(signProof(t, tc.alg, tc.key, claims), check)
		if err != nil {
			t.Errorf("%s: %v", tc.alg, err)
			continue
		}
		tp, _ := (&jose.JSONWebKey{Key: tc.key.Public()}).Thumbprint(crypto.SHA256)
		if p.JKT != base64.RawURLEncoding.EncodeToString(tp) || p.JTI != "j" || !p.IssuedAt.Equal(now) {
			t.Errorf("%s: %+v", tc.alg, p)
		}
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := CheckDPoPProof(signProof(t, jose.RS256, weak, claims), check); !errors.Is(err, ErrDPoPProof) || !strings.Contains(err.Error(), "2048") {
		t.Errorf("RSA 1024: %v, want refused", err)
	}
	// An ES256 header with an Ed25519 jwk; ES256 with a P-384 key and ES384 with a P-256 one.
	for _, m := range []struct {
		alg      jose.SignatureAlgorithm
		jwk, key crypto.Signer
	}{{jose.ES256, edKey, ecKey}, {jose.ES256, p384, ecKey}, {jose.ES384, ecKey, p384}} {
		opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: m.jwk.Public()})
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: m.alg, Key: m.key}, opts)
		b, _ := json.Marshal(claims)
		jws, _ := s.Sign(b)
		mixed, _ := jws.CompactSerialize()
		if _, err := CheckDPoPProof(mixed, check); !errors.Is(err, ErrDPoPProof) || !strings.Contains(err.Error(), "does not fit") {
			t.Errorf("%s with a %T jwk: %v", m.alg, m.jwk.Public(), err)
		}
	}
	// ath: required with an access token, and must be its hash.
	check.AccessToken = "tok"
	if _, err := CheckDPoPProof(signProof(t, jose.ES256, ecKey, claims), check); !errors.Is(err, ErrDPoPProof) {
		t.Errorf("no ath: %v", err)
	}
	sum := sha256.Sum256([]byte("tok"))
	claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	if _, err := CheckDPoPProof(signProof(t, jose.ES256, ecKey, claims), check); err != nil {
		t.Errorf("right ath: %v", err)
	}
}

// The replay cache refuses a seen jti, forgets it after its window, and when full of
// proofs still in their window fails closed rather than forgetting one.
func TestReplayCache(t *testing.T) {
	c := newReplayCache(2)
	now := time.Unix(1000, 0)
	keep := 2 * time.Minute
	if c.use("a", now, keep) != nil || c.use("b", now.Add(time.Second), keep) != nil {
		t.Fatal("first uses refused")
	}
	if err := c.use("a", now.Add(time.Minute), keep); !errors.Is(err, ErrDPoPProof) {
		t.Errorf("replay: %v", err)
	}
	if err := c.use("c", now.Add(time.Minute), keep); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("full: %v, want refused", err)
	}
	if err := c.use("c", now.Add(keep), keep); err != nil {
		t.Errorf("after a's window: %v", err)
	}
	if err := c.use("a", now.Add(keep+2*time.Second), keep); err != nil {
		t.Errorf("a after its window: %v", err)
	}
}

// With RequireDPoP an unbound token is refused with a DPoP challenge; Verify (a bearer
// use) refuses a bound one.
func TestRequireDPoPOption(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(RequireDPoP())
	tok := f.accessToken()
	r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, err := v.VerifyRequest(r)
	if !errors.Is(err, ErrDPoPBound) {
		t.Fatalf("unbound under RequireDPoP: %v", err)
	}
	w := httptest.NewRecorder()
	v.WriteError(w, err)
	if ch := w.Header().Get("WWW-Authenticate"); w.Code != 401 || !strings.HasPrefix(ch, `DPoP realm="orders-api", error="invalid_token"`) || !strings.Contains(ch, `algs="ES256 ES384 EdDSA RS256 PS256"`) {
		t.Errorf("answer %d %q", w.Code, ch)
	}
	w = httptest.NewRecorder()
	v.WriteError(w, ErrNoToken)
	if ch := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "DPoP ") || !strings.Contains(ch, "algs=") {
		t.Errorf("no token under RequireDPoP: %q, want a DPoP challenge", ch)
	}
	k := newTestDPoPKey(t)
	bound := f.accessTokenWith(func(c map[string]any) { c["cnf"] = map[string]any{"jkt": k.jkt}; c["jti"] = "at_2" })
	if _, err := f.verifier().Verify(t.Context(), bound); !errors.Is(err, ErrDPoPBound) {
		t.Errorf("Verify of a bound token: %v", err)
	}
}
