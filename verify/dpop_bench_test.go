package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testDPoPKey is a client's DPoP key for the verify package's own tests.
type testDPoPKey struct {
	priv *ecdsa.PrivateKey
	jkt  string
}

func newTestDPoPKey(tb testing.TB) *testDPoPKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return &testDPoPKey{priv: priv, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proof signs a DPoP proof for method and htu at iat, for token (ath; none when "").
func (k *testDPoPKey) proof(tb testing.TB, method, htu, token, jti string, iat time.Time) string {
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: k.priv.Public()})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	c := map[string]any{"jti": jti, "htm": method, "htu": htu, "iat": iat.Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(c)
	jws, err := s.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// dpopBench is a verifier with a bearer access token and a DPoP-bound one, both already
// verified once (cached), and n proofs for the bound one (each is single use).
func dpopBench(b *testing.B, n int) (v *Verifier, bearer, bound string, proofs []string) {
	f := newIssuer(b)
	v = f.verifier()
	k := newTestDPoPKey(b)
	bearer = f.accessToken()
	bound = f.accessTokenWith(func(c map[string]any) { c["cnf"] = map[string]any{"jkt": k.jkt} })
	proofs = make([]string, n+1)
	for i := range proofs {
		proofs[i] = k.proof(b, "GET", "https://api.example.com/orders", bound, fmt.Sprint("p", i), f.clock.now())
	}
	return v, bearer, bound, proofs
}

func benchRequest(auth, proof string) *http.Request {
	r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
	r.Header.Set("Authorization", auth)
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return r
}

// BenchmarkRequestBearer is VerifyRequest of a cached (seen-before) bearer access token.
func BenchmarkRequestBearer(b *testing.B) {
	v, bearer, _, _ := dpopBench(b, 0)
	r := benchRequest("Bearer "+bearer, "")
	if _, err := v.VerifyRequest(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.VerifyRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestDPoP is VerifyRequest of the same kind of token, DPoP-bound and cached,
// with a fresh proof each time (prepared before the timer): the proof's signature check,
// its thumbprint and the replay cache come on top of the bearer cost.
func BenchmarkRequestDPoP(b *testing.B) {
	const max = 200000
	v, _, bound, proofs := dpopBench(b, min(b.N, max))
	if _, err := v.VerifyRequest(benchRequest("DPoP "+bound, proofs[len(proofs)-1])); err != nil {
		b.Fatal(err)
	}
	reqs := make([]*http.Request, len(proofs)-1)
	for i := range reqs {
		reqs[i] = benchRequest("DPoP "+bound, proofs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i >= len(reqs) {
			b.Fatal("benchmark asked for more proofs than prepared")
		}
		if _, err := v.VerifyRequest(reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstSightDPoPProof is the proof check alone (CheckDPoPProof), without the
// replay cache.
func BenchmarkFirstSightDPoPProof(b *testing.B) {
	k := newTestDPoPKey(b)
	now := time.Now()
	p := k.proof(b, "GET", "https://api.example.com/orders", "tok", "j", now)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := CheckDPoPProof(p, ProofCheck{Method: "GET", URL: "https://api.example.com/orders", AccessToken: "tok", Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestDPoPVsBearer interleaves, in one loop, the bare ES256 check of the
// token, VerifyRequest of the cached bearer token and VerifyRequest of the cached
// DPoP-bound token with a fresh proof, and reports each and their ratios, so that drift
// in the machine's speed (other work on it) affects all three alike.
func BenchmarkRequestDPoPVsBearer(b *testing.B) {
	const max = 200000
	v, bearer, bound, proofs := dpopBench(b, min(b.N, max))
	br := benchRequest("Bearer "+bearer, "")
	if _, err := v.VerifyRequest(br); err != nil {
		b.Fatal(err)
	}
	if _, err := v.VerifyRequest(benchRequest("DPoP "+bound, proofs[len(proofs)-1])); err != nil {
		b.Fatal(err)
	}
	reqs := make([]*http.Request, len(proofs)-1)
	for i := range reqs {
		reqs[i] = benchRequest("DPoP "+bound, proofs[i])
	}
	_, tok, pub := benchSetup(b)
	dot := strings.LastIndexByte(tok, '.')
	sig, _ := b64.DecodeString(tok[dot+1:])
	input := tok[:dot]
	var bare, bear, dpop time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i >= len(reqs) {
			b.Fatal("benchmark asked for more proofs than prepared")
		}
		t0 := time.Now()
		d := sha256.Sum256([]byte(input))
		ok := ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		t1 := time.Now()
		_, err1 := v.VerifyRequest(br)
		t2 := time.Now()
		_, err2 := v.VerifyRequest(reqs[i])
		t3 := time.Now()
		if !ok || err1 != nil || err2 != nil {
			b.Fatal(ok, err1, err2)
		}
		bare, bear, dpop = bare+t1.Sub(t0), bear+t2.Sub(t1), dpop+t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(bare.Nanoseconds())/n, "bare-es256-ns/op")
	b.ReportMetric(float64(bear.Nanoseconds())/n, "bearer-ns/op")
	b.ReportMetric(float64(dpop.Nanoseconds())/n, "dpop-ns/op")
	b.ReportMetric(float64(dpop)/float64(bare), "dpop-x-bare")
}
