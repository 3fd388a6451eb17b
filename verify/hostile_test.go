package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Helpers of this file are prefixed hx so that they cannot collide with other test files
// of the package.

// hxPayload turns claims (a string, bytes or anything JSON-encodable) into payload bytes.
func hxPayload(claims any) []byte {
	switch c := claims.(type) {
	case string:
		return []byte(c)
	case []byte:
		return c
	default:
		b, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		return b
	}
}

// hxES256 signs input as JWS ES256 does: R‖S, 32 bytes each.
func hxES256(key *ecdsa.PrivateKey, input string) []byte {
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		panic(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// hxSignRaw signs a compact JWS with an exact header text (duplicate members, odd cases).
func hxSignRaw(key *ecdsa.PrivateKey, header string, claims any) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(hxPayload(claims))
	return in + "." + b64.EncodeToString(hxES256(key, in))
}

// hxSign signs a compact JWS with ES256 whatever the header says.
func hxSign(key *ecdsa.PrivateKey, header map[string]any, claims any) string {
	h, err := json.Marshal(header)
	if err != nil {
		panic(err)
	}
	return hxSignRaw(key, string(h), claims)
}

// hxHS256 builds an HMAC-SHA256 token keyed with secret.
func hxHS256(secret []byte, header map[string]any, claims any) string {
	h, _ := json.Marshal(header)
	in := b64.EncodeToString(h) + "." + b64.EncodeToString(hxPayload(claims))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

// hxUnsigned builds header.payload.sig from raw parts.
func hxUnsigned(header map[string]any, claims any, sig []byte) string {
	h, _ := json.Marshal(header)
	return b64.EncodeToString(h) + "." + b64.EncodeToString(hxPayload(claims)) + "." + b64.EncodeToString(sig)
}

func hxParts(tok string) []string { return strings.Split(tok, ".") }

// hxSigOf decodes a token's signature.
func hxSigOf(tok string) []byte {
	s, err := b64.DecodeString(hxParts(tok)[2])
	if err != nil {
		panic(err)
	}
	return s
}

// hxWithSig replaces a token's signature.
func hxWithSig(tok string, sig []byte) string {
	p := hxParts(tok)
	return p[0] + "." + p[1] + "." + b64.EncodeToString(sig)
}

// hxFlip flips one bit of a token's signature.
func hxFlip(tok string) string {
	s := hxSigOf(tok)
	s[len(s)/2+3] ^= 0x01
	return hxWithSig(tok, s)
}

// hxSigningKey is the fake issuer's current signing key.
func hxSigningKey(f *fakeIssuer) (string, *ecdsa.PrivateKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signKID, f.keys[f.signKID]
}

// hxCounting is a server an attacker controls: it counts requests and would serve a
// JWKS with the attacker's key if asked.
func hxCounting(t *testing.T, key *ecdsa.PrivateKey) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// hxListClaims are good status list claims for list id of the fake issuer.
func hxListClaims(f *fakeIssuer, id string, bits []byte, nbits int) map[string]any {
	now := f.clock.now()
	return map[string]any{"iss": f.url, "sub": f.url + "/statuslists/" + id, "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "ttl": 60,
		"status_list": map[string]any{"bits": nbits, "lst": b64.EncodeToString(zlibBytes(bits))}}
}

// hxServeList makes the fake issuer answer tok for list id.
func hxServeList(f *fakeIssuer, id, tok string) {
	f.mu.Lock()
	f.listTok[id] = tok
	f.mu.Unlock()
}

// hxKeyOn mints a good API key whose status entry is idx in the list at uri.
func hxKeyOn(f *fakeIssuer, uri string, idx any) string {
	return f.apiKey(func(c map[string]any) {
		c["status"] = map[string]any{"status_list": map[string]any{"idx": idx, "uri": uri}}
	})
}

// hxAccessClaims are good access token claims, edited.
func hxAccessClaims(f *fakeIssuer, edit func(map[string]any)) map[string]any {
	c := f.claims()
	delete(c, "status")
	delete(c, "team")
	c["client_id"] = c["sub"]
	c["jti"] = "at_1"
	if edit != nil {
		edit(c)
	}
	return c
}

// hxZlibZeros compresses n zero bytes without holding them: a decompression bomb.
func hxZlibZeros(n, level int) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, level)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		m := min(n, len(chunk))
		_, _ = zw.Write(chunk[:m])
		n -= m
	}
	_ = zw.Close()
	return buf.Bytes()
}

// hxAllocPer is the heap allocated per call of fn, over n calls.
func hxAllocPer(n int, fn func()) uint64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for i := 0; i < n; i++ {
		fn()
	}
	runtime.ReadMemStats(&b)
	return (b.TotalAlloc - a.TotalAlloc) / uint64(n)
}

// hxErrName names the package error err wraps, for messages.
func hxErrName(err error) string {
	if err == nil {
		return "nil (accepted)"
	}
	for _, e := range []struct {
		name string
		err  error
	}{{"ErrNoToken", ErrNoToken}, {"ErrMalformed", ErrMalformed}, {"ErrHeader", ErrHeader},
		{"ErrUnknownKey", ErrUnknownKey}, {"ErrSignature", ErrSignature}, {"ErrType", ErrType},
		{"ErrIssuer", ErrIssuer}, {"ErrAudience", ErrAudience}, {"ErrExpired", ErrExpired},
		{"ErrNotYetValid", ErrNotYetValid}, {"ErrClaims", ErrClaims}, {"ErrRevoked", ErrRevoked},
		{"ErrStatusUnavailable", ErrStatusUnavailable}} {
		if errors.Is(err, e.err) {
			return e.name + " (" + truncate(err.Error(), 160) + ")"
		}
	}
	return "unclassified error " + truncate(err.Error(), 160)
}

// hxCase is one hostile (or control) credential and what Verify must say about it.
type hxCase struct {
	name  string
	v     *Verifier // nil: the default verifier
	tok   func(t *testing.T) string
	want  error // nil: must be accepted
	check func(t *testing.T, p *Principal)
	after func(t *testing.T)
}

// TestHostileTokens runs the hostile inputs of SECURITY.md §A against a verifier of the
// fake issuer: each must be rejected with its reason, and nothing hostile accepted.
func TestHostileTokens(t *testing.T) {
	ctx := context.Background()
	f := newIssuer(t)
	v := f.verifier()
	keysOnly := f.verifier(Accept(KindAPIKey))
	tokensOnly := f.verifier(Accept(KindAccessToken))
	kid, key := hxSigningKey(f)
	attackerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	atk, atkHits := hxCounting(t, attackerKey)
	now := f.clock.now()
	good := f.apiKey(nil)
	goodPayload := hxParts(good)[1]
	goodSig := hxSigOf(good)
	claims := f.claims()
	hdr := func(alg string) map[string]any { return map[string]any{"alg": alg, "typ": "apikey+jwt", "kid": kid} }
	withHdr := func(h map[string]any) map[string]any {
		out := hdr("ES256")
		for k, x := range h {
			out[k] = x
		}
		return out
	}
	prefix := f.url + "/statuslists/"
	n := elliptic.P256().Params().N
	noAttackerHits := func(t *testing.T) {
		if got := atkHits.Load(); got != 0 {
			t.Errorf("attacker server hits: got %d, want 0", got)
		}
	}
	tokenFor := func(tok string) func(*testing.T) string { return func(*testing.T) string { return tok } }

	var cases []hxCase
	add := func(c ...hxCase) { cases = append(cases, c...) }

	// Controls: the harness accepts good credentials, so rejections below mean something.
	add(hxCase{name: "control/good API key accepted", tok: tokenFor(good)},
		hxCase{name: "control/good access token accepted", tok: func(*testing.T) string { return f.accessToken() }})

	// §A.1 alg none and algorithms not from the key.
	for _, alg := range []string{"none", "None", "NONE"} {
		add(hxCase{name: "A1/alg " + alg + " with empty signature", want: ErrMalformed,
			tok: func(*testing.T) string { return hxUnsigned(hdr(alg), claims, nil) }},
			hxCase{name: "A1/alg " + alg + " with a copied real signature", want: ErrHeader,
				tok: func(*testing.T) string {
					h, _ := json.Marshal(hdr(alg))
					return b64.EncodeToString(h) + "." + goodPayload + "." + b64.EncodeToString(goodSig)
				}})
	}
	add(hxCase{name: "A1/alg none with a non-empty junk signature", want: ErrHeader,
		tok: func(*testing.T) string { return hxUnsigned(hdr("none"), claims, []byte{0}) }},
		hxCase{name: "A1/alg RS256 naming the ES256 key", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, hdr("RS256"), claims) }},
		hxCase{name: "A1/alg EdDSA naming the ES256 key", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, hdr("EdDSA"), claims) }},
		hxCase{name: "A1/alg es256 lowercase", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, hdr("es256"), claims) }},
		hxCase{name: "A1/alg ES384", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, hdr("ES384"), claims) }},
		hxCase{name: "A1/duplicate alg member, the last one none", want: ErrMalformed, // §F.53: any duplicate
			tok: func(*testing.T) string {
				return hxSignRaw(key, `{"alg":"ES256","typ":"apikey+jwt","kid":"`+kid+`","alg":"none"}`, claims)
			}},
		hxCase{name: "A1/alg missing", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, map[string]any{"typ": "apikey+jwt", "kid": kid}, claims) }})

	// §A.2 HS256 keyed with our public key's bytes.
	pub := &key.PublicKey
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkJSON, err := json.Marshal(jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	ecdhPub, err := pub.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name   string
		secret []byte
	}{{"PEM", pemBytes}, {"DER", der}, {"JWK JSON", jwkJSON}, {"uncompressed point", ecdhPub.Bytes()}} {
		add(hxCase{name: "A2/HS256 keyed with the public key as " + s.name, want: ErrHeader,
			tok: func(*testing.T) string { return hxHS256(s.secret, hdr("HS256"), claims) }})
	}

	// §A.3 embedded keys and key URLs: rejected, and nothing fetched.
	attackerJWK := jose.JSONWebKey{Key: &attackerKey.PublicKey, KeyID: "attacker", Algorithm: "ES256", Use: "sig"}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attackerKey.PublicKey, attackerKey)
	if err != nil {
		t.Fatal(err)
	}
	add(hxCase{name: "A3/embedded jwk (attacker's key, signed with it)", want: ErrHeader,
		tok: func(*testing.T) string {
			return hxSign(attackerKey, map[string]any{"alg": "ES256", "typ": "apikey+jwt", "kid": "attacker", "jwk": attackerJWK}, claims)
		}},
		hxCase{name: "A3/embedded jwk with our kid", want: ErrHeader,
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"jwk": attackerJWK}), claims)
			}},
		hxCase{name: "A3/embedded JWK member spelled Jwk", want: ErrMalformed, // §F.53: a case variant of jwk
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"Jwk": attackerJWK}), claims)
			}},
		hxCase{name: "A3/jku pointing at the attacker's server", want: ErrHeader, after: noAttackerHits,
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"kid": "attacker", "jku": atk.URL + "/jwks"}), claims)
			}},
		hxCase{name: "A3/jku with our kid", want: ErrHeader, after: noAttackerHits,
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"jku": atk.URL + "/jwks"}), claims)
			}},
		hxCase{name: "A3/x5u pointing at the attacker's server", want: ErrHeader, after: noAttackerHits,
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"kid": "attacker", "x5u": atk.URL + "/cert.pem"}), claims)
			}},
		hxCase{name: "A3/x5c with the attacker's certificate", want: ErrHeader,
			tok: func(*testing.T) string {
				return hxSign(attackerKey, withHdr(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(certDER)}}), claims)
			}})

	// §A.4 kid is only a map key.
	for _, k := range []struct{ name, kid string }{
		{"unknown kid", "k999"}, {"path-like kid", "../../../etc/passwd"}, {"SQL-like kid", "' OR '1'='1"},
		{"kid with a NUL after a real kid", kid + "\x00"}, {"kid of a real key with a space", kid + " "},
		{"kid as a URL", atk.URL + "/jwks"},
	} {
		add(hxCase{name: "A4/" + k.name, want: ErrUnknownKey, after: noAttackerHits,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"kid": k.kid}), claims) }})
	}
	add(hxCase{name: "A4/10 KB kid (token longer than MaxTokenLen)", want: ErrMalformed,
		tok: func(t *testing.T) string {
			tok := hxSign(key, withHdr(map[string]any{"kid": strings.Repeat("k", 10<<10)}), claims)
			if len(tok) <= MaxTokenLen {
				t.Fatalf("token length %d, want > MaxTokenLen", len(tok))
			}
			return tok
		}},
		hxCase{name: "A4/200-byte kid", want: ErrHeader,
			tok: func(*testing.T) string {
				return hxSign(key, withHdr(map[string]any{"kid": strings.Repeat("k", 200)}), claims)
			}},
		hxCase{name: "A4/empty kid", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"kid": ""}), claims) }},
		hxCase{name: "A4/kid missing", want: ErrHeader,
			tok: func(*testing.T) string {
				return hxSign(key, map[string]any{"alg": "ES256", "typ": "apikey+jwt"}, claims)
			}},
		hxCase{name: "A4/kid a number", want: ErrMalformed,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"kid": 1}), claims) }})

	// §A.5 crit and b64 (and zip).
	add(hxCase{name: `A5/crit ["exp"]`, want: ErrHeader,
		tok: func(*testing.T) string {
			return hxSign(key, withHdr(map[string]any{"crit": []string{"exp"}, "exp": 1}), claims)
		}},
		hxCase{name: "A5/crit empty array", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"crit": []string{}}), claims) }},
		hxCase{name: "A5/b64 false (unencoded payload)", want: ErrHeader,
			tok: func(*testing.T) string {
				return hxSign(key, withHdr(map[string]any{"b64": false, "crit": []string{"b64"}}), claims)
			}},
		hxCase{name: "A5/b64 false without crit", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"b64": false}), claims) }},
		hxCase{name: "A5/zip DEF", want: ErrHeader,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"zip": "DEF"}), claims) }})

	// §A.6 ES256 signature edge cases (CVE-2022-21449 and friends).
	fixed := func(r, s *big.Int) []byte {
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
	goodR, goodS := new(big.Int).SetBytes(goodSig[:32]), new(big.Int).SetBytes(goodSig[32:])
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	digest := sha256.Sum256([]byte(hxParts(good)[0] + "." + goodPayload))
	derSig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	otherKeySig := hxSigOf(hxSignRaw(attackerKey, string(hxMust(b64.DecodeString(hxParts(good)[0]))), claims))
	for _, s := range []struct {
		name string
		sig  []byte
	}{
		{"r=s=0 (64 zero bytes)", make([]byte, 64)},
		{"r=s=n", fixed(n, n)},
		{"r=n with a valid s", fixed(n, goodS)},
		{"r=2^256-1 with a valid s", fixed(max256, goodS)},
		{"valid r with s=n", fixed(goodR, n)},
		{"valid r with s=0", fixed(goodR, new(big.Int))},
		{"DER (ecdsa.SignASN1) of a valid signature", derSig},
		{"63 bytes (a valid signature truncated)", goodSig[:63]},
		{"65 bytes (a valid signature plus a zero byte)", append(append([]byte{}, goodSig...), 0)},
		{"65 bytes (a zero byte plus a valid signature)", append([]byte{0}, goodSig...)},
		{"64 bytes of 0xff", bytes.Repeat([]byte{0xff}, 64)},
		{"signed by another key under our kid", otherKeySig},
	} {
		add(hxCase{name: "A6/" + s.name, want: ErrSignature, tok: func(*testing.T) string { return hxWithSig(good, s.sig) }})
	}
	add(hxCase{name: "A6/empty payload segment (detached payload)", want: ErrSignature,
		tok: func(*testing.T) string { p := hxParts(good); return p[0] + ".." + p[2] }},
		hxCase{name: "A6/valid signature moved onto another payload", want: ErrSignature,
			tok: func(*testing.T) string {
				other := f.apiKey(func(c map[string]any) { c["scope"] = "orders:admin" })
				return hxWithSig(other, goodSig)
			}})

	// §A.7 malformed compact serialization.
	hp := hxParts(good)
	canonicalBreak := func() string { // a signature whose unused trailing bits are set
		s := []byte(hp[2])
		i := strings.IndexByte(hxB64Alphabet, s[len(s)-1])
		s[len(s)-1] = hxB64Alphabet[i|1]
		return hp[0] + "." + hp[1] + "." + string(s)
	}
	for _, m := range []struct{ name, tok string }{
		{"1 MB of dots", strings.Repeat(".", 1<<20)},
		{"100 dots", strings.Repeat(".", 100)},
		{"two segments", hp[0] + "." + hp[1]},
		{"two segments with a trailing dot", hp[0] + "." + hp[1] + "."},
		{"four segments", good + "." + hp[2]},
		{"empty header segment", "." + hp[1] + "." + hp[2]},
		{"JSON serialization (flattened)", `{"payload":"` + hp[1] + `","protected":"` + hp[0] + `","signature":"` + hp[2] + `"}`},
		{"JSON serialization (general)", `{"payload":"` + hp[1] + `","signatures":[{"protected":"` + hp[0] + `","signature":"` + hp[2] + `"}]}`},
		{"padding in the header", hp[0] + "=." + hp[1] + "." + hp[2]},
		{"padding in the payload", hp[0] + "." + hp[1] + "==." + hp[2]},
		{"padding in the signature", good + "=="},
		{"standard base64 '+' in the payload", hp[0] + "." + "+" + hp[1][1:] + "." + hp[2]},
		{"standard base64 '/' in the signature", hp[0] + "." + hp[1] + "." + "/" + hp[2][1:]},
		{"non-base64 '*' in the signature", hp[0] + "." + hp[1] + "." + hp[2][:10] + "*" + hp[2][11:]},
		{"leading space", " " + good},
		{"newline inside the header", hp[0][:5] + "\n" + hp[0][5:] + "." + hp[1] + "." + hp[2]},
		{"newline inside the payload", hp[0] + "." + hp[1][:5] + "\n" + hp[1][5:] + "." + hp[2]},
		{"newline inside the signature", hp[0] + "." + hp[1] + "." + hp[2][:5] + "\n" + hp[2][5:]},
		{"CR LF at the end of the signature", good + "\r\n"},
		{"non-canonical trailing bits in the signature", canonicalBreak()},
		{"header not a JSON object", b64.EncodeToString([]byte(`["ES256"]`)) + "." + hp[1] + "." + hp[2]},
		{"header not JSON", b64.EncodeToString([]byte(`alg=ES256`)) + "." + hp[1] + "." + hp[2]},
	} {
		add(hxCase{name: "A7/" + m.name, want: ErrMalformed, tok: tokenFor(m.tok)})
	}

	// §A.8 JWE.
	jweHeader := b64.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"` + kid + `"}`))
	rnd := func(n int) string { b := make([]byte, n); _, _ = rand.Read(b); return b64.EncodeToString(b) }
	add(hxCase{name: "A8/JWE (5 parts, RSA-OAEP/A256GCM)", want: ErrMalformed,
		tok: func(*testing.T) string {
			return jweHeader + "." + rnd(256) + "." + rnd(12) + "." + rnd(64) + "." + rnd(16)
		}},
		hxCase{name: "A8/JWE with alg dir (empty encrypted key)", want: ErrMalformed,
			tok: func(*testing.T) string {
				return b64.EncodeToString([]byte(`{"alg":"dir","enc":"A256GCM","kid":"`+kid+`"}`)) + ".." + rnd(12) + "." + rnd(64) + "." + rnd(16)
			}},
		hxCase{name: "A8/3-part token whose header has enc", want: ErrMalformed,
			tok: func(*testing.T) string { return hxSign(key, withHdr(map[string]any{"enc": "A256GCM"}), claims) }})

	// §A.9 claims and typ.
	apiKey := func(edit func(map[string]any)) func(*testing.T) string {
		return func(*testing.T) string { return f.apiKey(edit) }
	}
	set := func(k string, x any) func(map[string]any) { return func(c map[string]any) { c[k] = x } }
	del := func(k string) func(map[string]any) { return func(c map[string]any) { delete(c, k) } }
	idToken := map[string]any{"iss": f.url, "sub": "prj_orders", "aud": "orders-api", "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "auth_time": now.Unix(), "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "jti": "id_1"}
	add(hxCase{name: "A9/exp missing", want: ErrExpired, tok: apiKey(del("exp"))},
		hxCase{name: "A9/exp null", want: ErrExpired, tok: apiKey(set("exp", nil))},
		hxCase{name: "A9/exp an hour ago", want: ErrExpired, tok: apiKey(set("exp", now.Add(-time.Hour).Unix()))},
		hxCase{name: "A9/exp 31 s ago (beyond the 30 s leeway)", want: ErrExpired, tok: apiKey(set("exp", now.Add(-31*time.Second).Unix()))},
		hxCase{name: "A9/exp 10 s ago (within leeway) accepted", tok: apiKey(set("exp", now.Add(-10*time.Second).Unix()))},
		hxCase{name: `A9/exp as a string "9999999999"`, want: ErrClaims, tok: apiKey(set("exp", "9999999999"))},
		hxCase{name: "A9/exp as an object", want: ErrClaims, tok: apiKey(set("exp", map[string]any{"$numberLong": "9999999999"}))},
		hxCase{name: "A9/exp as a bool", want: ErrClaims, tok: apiKey(set("exp", true))},
		hxCase{name: "A9/nbf in 5 min", want: ErrNotYetValid, tok: apiKey(set("nbf", now.Add(5*time.Minute).Unix()))},
		hxCase{name: "A9/nbf 1e19 (beyond int64 seconds: out of range)", want: ErrClaims, tok: apiKey(set("nbf", 1e19))},
		hxCase{name: "A9/iat 1e19 (out of range)", want: ErrClaims, tok: apiKey(set("iat", 1e19))},
		hxCase{name: "A9/exp 1e19 (out of range)", want: ErrClaims, tok: apiKey(set("exp", 1e19))},
		hxCase{name: "A9/exp negative", want: ErrClaims, tok: apiKey(set("exp", -1))},
		hxCase{name: "A9/iat in 5 min", want: ErrNotYetValid, tok: apiKey(set("iat", now.Add(5*time.Minute).Unix()))},
		hxCase{name: "A9/nbf as a string", want: ErrClaims, tok: apiKey(set("nbf", "0"))},
		hxCase{name: "A9/wrong iss", want: ErrIssuer, tok: apiKey(set("iss", "https://evil.example"))},
		hxCase{name: "A9/iss with a trailing slash", want: ErrIssuer, tok: apiKey(set("iss", f.url+"/"))},
		hxCase{name: "A9/iss missing", want: ErrIssuer, tok: apiKey(del("iss"))},
		hxCase{name: "A9/aud string without orders-api", want: ErrAudience, tok: apiKey(set("aud", "billing-api"))},
		hxCase{name: "A9/aud array without orders-api", want: ErrAudience, tok: apiKey(set("aud", []string{"billing-api", "orders-api-v2"}))},
		hxCase{name: "A9/aud differing in case", want: ErrAudience, tok: apiKey(set("aud", []string{"Orders-API"}))},
		hxCase{name: "A9/aud missing", want: ErrAudience, tok: apiKey(del("aud"))},
		hxCase{name: "A9/aud empty array", want: ErrAudience, tok: apiKey(set("aud", []string{}))},
		hxCase{name: "A9/aud a number", want: ErrClaims, tok: apiKey(set("aud", 42))},
		hxCase{name: "A9/aud string orders-api accepted", tok: apiKey(set("aud", "orders-api"))},
		hxCase{name: "A9/sub missing", want: ErrClaims, tok: apiKey(del("sub"))},
		hxCase{name: "A9/jti missing", want: ErrClaims, tok: apiKey(del("jti"))},
		hxCase{name: "A9/API key without status", want: ErrClaims, tok: apiKey(del("status"))},
		hxCase{name: "A9/API key with status but no status_list", want: ErrClaims, tok: apiKey(set("status", map[string]any{}))},
		hxCase{name: "A9/API key status without idx", want: ErrClaims,
			tok: apiKey(set("status", map[string]any{"status_list": map[string]any{"uri": prefix + "sl_1"}}))},
		hxCase{name: "A9/API key status without uri", want: ErrClaims,
			tok: apiKey(set("status", map[string]any{"status_list": map[string]any{"idx": 3}}))},
		hxCase{name: "A9/typ JWT", want: ErrType, tok: func(*testing.T) string { return f.sign("JWT", f.claims()) }},
		hxCase{name: "A9/no typ", want: ErrType, tok: func(*testing.T) string { return f.sign("", f.claims()) }},
		hxCase{name: "A9/typ statuslist+jwt", want: ErrType, tok: func(*testing.T) string { return f.sign("statuslist+jwt", f.claims()) }},
		hxCase{name: "A9/the issuer's own status list token as a credential", want: ErrType,
			tok: func(*testing.T) string {
				return f.statusToken("sl_1", make([]byte, 16), 1, "statuslist+jwt", prefix+"sl_1")
			}},
		hxCase{name: "A9/typ application/jwt", want: ErrType, tok: func(*testing.T) string { return f.sign("application/jwt", f.claims()) }},
		hxCase{name: "A9/typ apikey+jwt with a suffix", want: ErrType, tok: func(*testing.T) string { return f.sign("apikey+jwt2", f.claims()) }},
		hxCase{name: "A9/OIDC ID token shape (typ JWT, nonce, at_hash)", want: ErrType, tok: func(*testing.T) string { return f.sign("JWT", idToken) }},
		hxCase{name: "A9/OIDC ID token shape without typ", want: ErrType, tok: func(*testing.T) string { return f.sign("", idToken) }},
		hxCase{name: "A9/access token where only API keys are accepted", v: keysOnly, want: ErrType,
			tok: func(*testing.T) string { return f.accessToken() }},
		hxCase{name: "A9/API key where only access tokens are accepted", v: tokensOnly, want: ErrType, tok: tokenFor(good)},
		hxCase{name: "A9/access token with client_id != sub", want: ErrClaims,
			tok: func(*testing.T) string { return f.sign("at+jwt", hxAccessClaims(f, set("client_id", "prj_other"))) }},
		hxCase{name: "A9/access token without client_id", want: ErrClaims,
			tok: func(*testing.T) string { return f.sign("at+jwt", hxAccessClaims(f, del("client_id"))) }},
		hxCase{name: "A9/typ application/at+jwt accepted as an access token",
			tok:   func(*testing.T) string { return f.sign("application/at+jwt", hxAccessClaims(f, nil)) },
			check: func(t *testing.T, p *Principal) { hxWantKind(t, p, KindAccessToken) }},
		hxCase{name: "A9/typ AT+JWT accepted as an access token",
			tok:   func(*testing.T) string { return f.sign("AT+JWT", hxAccessClaims(f, nil)) },
			check: func(t *testing.T, p *Principal) { hxWantKind(t, p, KindAccessToken) }},
		hxCase{name: "A9/typ application/at+jwt where only API keys are accepted", v: keysOnly, want: ErrType,
			tok: func(*testing.T) string { return f.sign("application/at+jwt", hxAccessClaims(f, nil)) }})

	// §A.10 a bad signature wins over every claim problem.
	add(hxCase{name: "A10/expired and a flipped signature bit", want: ErrSignature,
		tok: func(*testing.T) string { return hxFlip(f.apiKey(set("exp", now.Add(-time.Hour).Unix()))) }},
		hxCase{name: "A10/expired and signed by another key under our kid", want: ErrSignature,
			tok: func(*testing.T) string {
				c := f.claims()
				c["exp"] = now.Add(-time.Hour).Unix()
				return f.signWith(kid, attackerKey, "apikey+jwt", c)
			}},
		hxCase{name: "A10/wrong iss and aud and a flipped signature bit", want: ErrSignature,
			tok: func(*testing.T) string {
				return hxFlip(f.apiKey(func(c map[string]any) { c["iss"] = "https://evil.example"; c["aud"] = "x" }))
			}},
		hxCase{name: "A10/good claims and a flipped signature bit", want: ErrSignature,
			tok: func(*testing.T) string { return hxFlip(f.apiKey(set("jti", "key_flip"))) }})

	// §F.53 strict member names. Each token is validly signed by the issuer's key, so only
	// the JSON rule rejects it: a duplicate member anywhere, or a spelling of a member
	// name verify reads that encoding/json would take for it (case, Unicode folding).
	rawClaims := func(edit func(map[string]any), extra string) string {
		c := f.claims()
		if edit != nil {
			edit(c)
		}
		b := hxPayload(c)
		return string(b[:len(b)-1]) + "," + extra + "}"
	}
	strict := func(header, claims string) func(*testing.T) string {
		return func(*testing.T) string { return hxSignRaw(key, header, claims) }
	}
	goodHeader := `{"alg":"ES256","typ":"apikey+jwt","kid":"` + kid + `"}`
	expired, valid := fmt.Sprint(now.Add(-time.Hour).Unix()), fmt.Sprint(now.Add(time.Hour).Unix())
	statusOf := func(body string) func(map[string]any) {
		return func(c map[string]any) { c["status"] = json.RawMessage(body) }
	}
	add(hxCase{name: "F53/control: raw-signed good token accepted", tok: strict(goodHeader, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/control: other spellings of unknown claims accepted",
			tok: strict(goodHeader, rawClaims(nil, `"Foo":1,"foo":2,"FOO":{"sub":"x","aud":"y"}`))},
		hxCase{name: "F53/control: a known name written with escapes accepted",
			tok: strict(goodHeader, rawClaims(del("scope"), `"\u0073cope":"orders:read"`)),
			check: func(t *testing.T, p *Principal) {
				if got, want := strings.Join(p.Scopes, " "), "orders:read"; got != want {
					t.Errorf("scopes: got %q, want %q", got, want)
				}
			}},
		hxCase{name: "F53/AUD naming this API alongside aud naming another", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(set("aud", "billing-api"), `"AUD":"orders-api"`))},
		hxCase{name: "F53/AUD alone", want: ErrMalformed, tok: strict(goodHeader, rawClaims(del("aud"), `"AUD":"orders-api"`))},
		hxCase{name: "F53/duplicate aud, the last one naming this API", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(set("aud", "billing-api"), `"aud":"orders-api"`))},
		hxCase{name: "F53/duplicate aud, the first one naming this API", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, `"aud":"billing-api"`))},
		hxCase{name: "F53/duplicate aud written \\u0061ud", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(set("aud", "billing-api"), `"\u0061ud":"orders-api"`))},
		hxCase{name: "F53/duplicate exp, a later expired one", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, `"exp":`+expired))},
		hxCase{name: "F53/duplicate exp, a later valid one", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(set("exp", now.Add(-time.Hour).Unix()), `"exp":`+valid))},
		hxCase{name: "F53/EXP, a valid one, alongside an expired exp", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(set("exp", now.Add(-time.Hour).Unix()), `"EXP":`+valid))},
		hxCase{name: "F53/duplicate idx inside status.status_list", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(statusOf(`{"status_list":{"idx":5,"uri":"`+prefix+`sl_1","idx":3}}`), `"x":1`))},
		hxCase{name: "F53/URI inside status.status_list", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(statusOf(`{"status_list":{"idx":3,"URI":"`+prefix+`sl_1"}}`), `"x":1`))},
		hxCase{name: "F53/duplicate status_list", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(statusOf(`{"status_list":{"idx":5},"status_list":{"idx":3,"uri":"`+prefix+`sl_1"}}`), `"x":1`))},
		hxCase{name: "F53/duplicate unknown claim", want: ErrMalformed, tok: strict(goodHeader, rawClaims(nil, `"foo":1,"foo":2`))},
		hxCase{name: "F53/duplicate member deep inside an unknown claim", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, `"ext":[{"a":{"b":1,"b":2}}]`))},
		hxCase{name: "F53/ſub (long s) for sub", want: ErrMalformed, tok: strict(goodHeader, rawClaims(del("sub"), `"ſub":"prj_orders"`))},
		hxCase{name: "F53/\\u017fub (escaped long s) for sub", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(del("sub"), `"\u017fub":"prj_orders"`))},
		hxCase{name: "F53/ıss (dotless i) for iss", want: ErrMalformed, tok: strict(goodHeader, rawClaims(del("iss"), `"ıss":"`+f.url+`"`))},
		hxCase{name: "F53/SCOPE alongside scope", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, `"SCOPE":"orders:admin"`))},
		hxCase{name: "F53/access token with a duplicate client_id", want: ErrMalformed,
			tok: func(*testing.T) string {
				b := hxPayload(hxAccessClaims(f, set("client_id", "prj_other")))
				return hxSignRaw(key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(b[:len(b)-1])+`,"client_id":"prj_orders"}`)
			}},
		hxCase{name: "F53/header with a duplicate alg, the last one ES256", want: ErrMalformed,
			tok: strict(`{"alg":"none","typ":"apikey+jwt","kid":"`+kid+`","alg":"ES256"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with a duplicate kid, the last one ours", want: ErrMalformed,
			tok: strict(`{"alg":"ES256","typ":"apikey+jwt","kid":"k404","kid":"`+kid+`"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with a duplicate typ, the last one apikey+jwt", want: ErrMalformed,
			tok: strict(`{"alg":"ES256","typ":"JWT","kid":"`+kid+`","typ":"apikey+jwt"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with TYP", want: ErrMalformed,
			tok: strict(`{"alg":"ES256","TYP":"apikey+jwt","kid":"`+kid+`"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with Kid", want: ErrMalformed,
			tok: strict(`{"alg":"ES256","typ":"apikey+jwt","Kid":"`+kid+`"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with kid spelled with the Kelvin sign", want: ErrMalformed,
			tok: strict("{\"alg\":\"ES256\",\"typ\":\"apikey+jwt\",\"\u212aid\":\""+kid+"\"}", rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/header with a duplicate unknown member", want: ErrMalformed,
			tok: strict(`{"alg":"ES256","typ":"apikey+jwt","kid":"`+kid+`","cty":"a","cty":"b"}`, rawClaims(nil, `"x":1`))},
		hxCase{name: "F53/claims nested deeper than jsonstrict.MaxDepth", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, `"x":`+strings.Repeat("[", 65)+strings.Repeat("]", 65)))},
		hxCase{name: "F53/claims with a member name that is not UTF-8", want: ErrMalformed,
			tok: strict(goodHeader, rawClaims(nil, "\"\xff\":1"))})

	// §A.12 status lists fail closed.
	list := func(id string, tok func() string) func(*testing.T) string {
		return func(*testing.T) string {
			hxServeList(f, id, tok())
			return hxKeyOn(f, prefix+id, 3)
		}
	}
	listT := func(id string, tok func(*testing.T) string) func(*testing.T) string {
		return func(t *testing.T) string {
			hxServeList(f, id, tok(t))
			return hxKeyOn(f, prefix+id, 3)
		}
	}
	signList := func(typ string, c map[string]any) string { return f.sign(typ, c) }
	listClaims := func(id string, edit func(map[string]any)) map[string]any {
		c := hxListClaims(f, id, make([]byte, 16), 1)
		if edit != nil {
			edit(c)
		}
		return c
	}
	lstOf := func(lst string) func(map[string]any) {
		return func(c map[string]any) { c["status_list"] = map[string]any{"bits": 1, "lst": lst} }
	}
	atkHost := strings.TrimPrefix(atk.URL, "http://")
	for _, u := range []struct{ name, uri string }{
		{"on another host", atk.URL + "/statuslists/sl_1"},
		{"the issuer's host as userinfo of another host", f.url + "@" + atkHost + "/statuslists/sl_1"},
		{"another scheme and host", "https://" + atkHost + "/statuslists/sl_1"},
		{"prefix + ../x", prefix + "../x"},
		{"prefix + ..\\x", prefix + "..\\x"},
		{"prefix + sl_1?x=1", prefix + "sl_1?x=1"},
		{"prefix + sl_1/x", prefix + "sl_1/x"},
		{"prefix + sl_1#x", prefix + "sl_1#x"},
		{"the prefix without its slash", strings.TrimSuffix(prefix, "/")},
	} {
		add(hxCase{name: "A12/status uri " + u.name, want: ErrStatusUnavailable,
			tok: func(*testing.T) string { return hxKeyOn(f, u.uri, 3) },
			after: func(t *testing.T) {
				noAttackerHits(t)
				if got := f.hit("/x"); got != 0 {
					t.Errorf("issuer hits on /x: got %d, want 0", got)
				}
			}})
	}
	add(hxCase{name: "A12/index 100000 in a 16-byte list", want: ErrStatusUnavailable, tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_1", 100000) }},
		hxCase{name: "A12/index -1", want: ErrStatusUnavailable, tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_1", -1) }},
		hxCase{name: "A12/index 128 (one past a 16-byte list)", want: ErrStatusUnavailable, tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_1", 128) }},
		hxCase{name: "A12/index 127 (last of a 16-byte list) accepted", tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_1", 127) }},
		hxCase{name: "A12/index a string", want: ErrClaims, tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_1", "3") }},
		hxCase{name: "A12/list with bits 2", want: ErrStatusUnavailable,
			tok: list("sl_bits2", func() string {
				return f.statusToken("sl_bits2", make([]byte, 16), 2, "statuslist+jwt", prefix+"sl_bits2")
			})},
		hxCase{name: "A12/list with bits 0", want: ErrStatusUnavailable,
			tok: list("sl_bits0", func() string {
				return f.statusToken("sl_bits0", make([]byte, 16), 0, "statuslist+jwt", prefix+"sl_bits0")
			})},
		hxCase{name: "A12/list without status_list", want: ErrStatusUnavailable,
			tok: list("sl_nolist", func() string { return signList("statuslist+jwt", listClaims("sl_nolist", del("status_list"))) })},
		hxCase{name: "A12/list with typ JWT", want: ErrStatusUnavailable,
			tok: list("sl_typjwt", func() string { return f.statusToken("sl_typjwt", make([]byte, 16), 1, "JWT", prefix+"sl_typjwt") })},
		hxCase{name: "A12/list without typ", want: ErrStatusUnavailable,
			tok: list("sl_notyp", func() string { return f.statusToken("sl_notyp", make([]byte, 16), 1, "", prefix+"sl_notyp") })},
		hxCase{name: "A12/list with typ apikey+jwt", want: ErrStatusUnavailable,
			tok: list("sl_typkey", func() string {
				return f.statusToken("sl_typkey", make([]byte, 16), 1, "apikey+jwt", prefix+"sl_typkey")
			})},
		hxCase{name: "A12/list whose sub is another list's uri", want: ErrStatusUnavailable,
			tok: list("sl_sub", func() string { return f.statusToken("sl_sub", make([]byte, 16), 1, "statuslist+jwt", prefix+"sl_1") })},
		hxCase{name: "A12/list without sub", want: ErrStatusUnavailable,
			tok: list("sl_nosub", func() string { return signList("statuslist+jwt", listClaims("sl_nosub", del("sub"))) })},
		hxCase{name: "A12/list with another iss", want: ErrStatusUnavailable,
			tok: list("sl_iss", func() string {
				return signList("statuslist+jwt", listClaims("sl_iss", set("iss", "https://evil.example")))
			})},
		hxCase{name: "A12/list signed by an unknown key", want: ErrStatusUnavailable,
			tok: list("sl_unknownkey", func() string {
				return f.signWith("k404", attackerKey, "statuslist+jwt", listClaims("sl_unknownkey", nil))
			})},
		hxCase{name: "A12/list signed by another key under our kid", want: ErrStatusUnavailable,
			tok: list("sl_forged", func() string { return f.signWith(kid, attackerKey, "statuslist+jwt", listClaims("sl_forged", nil)) })},
		hxCase{name: "A12/list with a flipped signature bit", want: ErrStatusUnavailable,
			tok: list("sl_flipped", func() string { return hxFlip(signList("statuslist+jwt", listClaims("sl_flipped", nil))) })},
		hxCase{name: "A12/list with alg none", want: ErrStatusUnavailable,
			tok: list("sl_none", func() string {
				return hxUnsigned(map[string]any{"alg": "none", "typ": "statuslist+jwt", "kid": kid}, listClaims("sl_none", nil), []byte{0})
			})},
		hxCase{name: "A12/list with a jku header", want: ErrStatusUnavailable, after: noAttackerHits,
			tok: list("sl_jku", func() string {
				return hxSign(attackerKey, map[string]any{"alg": "ES256", "typ": "statuslist+jwt", "kid": "attacker", "jku": atk.URL}, listClaims("sl_jku", nil))
			})},
		hxCase{name: "A12/expired list", want: ErrStatusUnavailable,
			tok: list("sl_expired", func() string {
				return signList("statuslist+jwt", listClaims("sl_expired", set("exp", now.Add(-time.Minute).Unix())))
			})},
		hxCase{name: "A12/list with exp 1e19 (out of range)", want: ErrStatusUnavailable,
			tok: list("sl_exp1e19", func() string { return signList("statuslist+jwt", listClaims("sl_exp1e19", set("exp", 1e19))) })},
		hxCase{name: "A12/list response larger than 1 MiB", want: ErrStatusUnavailable,
			tok: listT("sl_huge", func(t *testing.T) string {
				noise := make([]byte, 900<<10) // incompressible: the token is over 1 MiB
				_, _ = rand.Read(noise)
				tok := signList("statuslist+jwt", listClaims("sl_huge", lstOf(b64.EncodeToString(noise))))
				if len(tok) <= maxDocument {
					t.Fatalf("token length %d, want > maxDocument", len(tok))
				}
				return tok
			})},
		hxCase{name: "A12/list without exp", want: ErrStatusUnavailable,
			tok: list("sl_noexp", func() string { return signList("statuslist+jwt", listClaims("sl_noexp", del("exp"))) })},
		hxCase{name: "A12/list with exp as a string", want: ErrStatusUnavailable,
			tok: list("sl_expstr", func() string { return signList("statuslist+jwt", listClaims("sl_expstr", set("exp", "9999999999"))) })},
		hxCase{name: "A12/lst not base64", want: ErrStatusUnavailable,
			tok: list("sl_notb64", func() string { return signList("statuslist+jwt", listClaims("sl_notb64", lstOf("!!not base64!!"))) })},
		hxCase{name: "A12/lst padded base64", want: ErrStatusUnavailable,
			tok: listT("sl_padded", func(t *testing.T) string {
				// zlib of 4 zero bytes is 16 bytes long, so its padded base64 ends in "==".
				lst := base64.URLEncoding.EncodeToString(zlibBytes(make([]byte, 4)))
				if !strings.HasSuffix(lst, "=") {
					t.Fatalf("lst %q has no padding", lst)
				}
				return signList("statuslist+jwt", listClaims("sl_padded", lstOf(lst)))
			})},
		hxCase{name: "A12/lst not zlib", want: ErrStatusUnavailable,
			tok: list("sl_notzlib", func() string {
				return signList("statuslist+jwt", listClaims("sl_notzlib", lstOf(b64.EncodeToString(make([]byte, 16)))))
			})},
		hxCase{name: "A12/lst truncated zlib", want: ErrStatusUnavailable,
			tok: list("sl_truncated", func() string {
				z := zlibBytes(bytes.Repeat([]byte{0x5a, 0xa5, 0x3c}, 100))
				return signList("statuslist+jwt", listClaims("sl_truncated", lstOf(b64.EncodeToString(z[:len(z)-6]))))
			})},
		hxCase{name: "A12/lst zlib with a bad checksum", want: ErrStatusUnavailable,
			tok: list("sl_adler", func() string {
				z := zlibBytes(make([]byte, 16))
				z[len(z)-1] ^= 0xff
				return signList("statuslist+jwt", listClaims("sl_adler", lstOf(b64.EncodeToString(z))))
			})},
		hxCase{name: "A12/decompression bomb that fits in MaxTokenLen (zlib of 4 MiB of zeros)", want: ErrStatusUnavailable,
			tok: func(t *testing.T) string {
				z := hxZlibZeros(4<<20, zlib.BestCompression)
				tok := signList("statuslist+jwt", listClaims("sl_smallbomb", lstOf(b64.EncodeToString(z))))
				if len(tok) > MaxTokenLen {
					t.Fatalf("bomb token length %d, want ≤ MaxTokenLen so the inflate limit is what rejects it", len(tok))
				}
				hxServeList(f, "sl_smallbomb", tok)
				return hxKeyOn(f, prefix+"sl_smallbomb", 3)
			}},
		hxCase{name: "F53/list with a duplicate bits, the last one 1", want: ErrStatusUnavailable,
			tok: list("sl_dupbits", func() string {
				c := listClaims("sl_dupbits", nil)
				lst := c["status_list"].(map[string]any)["lst"].(string)
				c["status_list"] = json.RawMessage(`{"bits":2,"lst":"` + lst + `","bits":1}`)
				return hxSignRaw(key, `{"alg":"ES256","typ":"statuslist+jwt","kid":"`+kid+`"}`, c)
			})},
		hxCase{name: "F53/list with LST for lst", want: ErrStatusUnavailable,
			tok: list("sl_lst", func() string {
				c := listClaims("sl_lst", nil)
				lst := c["status_list"].(map[string]any)["lst"].(string)
				c["status_list"] = json.RawMessage(`{"bits":1,"LST":"` + lst + `"}`)
				return hxSignRaw(key, `{"alg":"ES256","typ":"statuslist+jwt","kid":"`+kid+`"}`, c)
			})},
		hxCase{name: "F53/list with SUB naming it alongside sub naming another", want: ErrStatusUnavailable,
			tok: list("sl_sub2", func() string {
				b := hxPayload(listClaims("sl_sub2", set("sub", prefix+"sl_1")))
				return hxSignRaw(key, `{"alg":"ES256","typ":"statuslist+jwt","kid":"`+kid+`"}`,
					string(b[:len(b)-1])+`,"SUB":"`+prefix+`sl_sub2"}`)
			})},
		hxCase{name: "F53/list header with a duplicate typ, the last one statuslist+jwt", want: ErrStatusUnavailable,
			tok: list("sl_duptyp", func() string {
				return hxSignRaw(key, `{"alg":"ES256","typ":"JWT","kid":"`+kid+`","typ":"statuslist+jwt"}`, listClaims("sl_duptyp", nil))
			})},
		hxCase{name: "A12/list answered 404", want: ErrStatusUnavailable, tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_missing", 3) }},
		hxCase{name: "A12/list answered with garbage", want: ErrStatusUnavailable, tok: list("sl_garbage", func() string { return "hello" })},
		hxCase{name: "A12/list answered with a JWE", want: ErrStatusUnavailable,
			tok: list("sl_jwe", func() string { return jweHeader + "." + rnd(256) + "." + rnd(12) + "." + rnd(64) + "." + rnd(16) })},
		hxCase{name: "A12/revoked bit", want: ErrRevoked,
			tok: func(*testing.T) string {
				f.mu.Lock()
				f.lists["sl_rev"] = make([]byte, 16)
				f.mu.Unlock()
				f.revoke("sl_rev", 5)
				return hxKeyOn(f, prefix+"sl_rev", 5)
			}},
		hxCase{name: "A12/the revoked bit's neighbour accepted", tok: func(*testing.T) string { return hxKeyOn(f, prefix+"sl_rev", 4) }},
		hxCase{name: "A12/portal-sized list (16 KiB, 10% revoked) longer than MaxTokenLen accepted",
			tok: func(t *testing.T) string {
				// models.StatusListSize is 1<<17 entries; revocations accumulate (indexes are
				// never reused), so a real list's token can exceed MaxTokenLen.
				bits := make([]byte, 1<<17/8)
				rng := mrand.New(mrand.NewPCG(1, 2))
				for i := 0; i < 1<<17; i++ {
					if i != 7 && rng.IntN(10) == 0 {
						bits[i/8] |= 1 << (i % 8)
					}
				}
				f.mu.Lock()
				f.lists["sl_big"] = bits
				f.mu.Unlock()
				t.Logf("status list token length %d (MaxTokenLen %d)",
					len(f.statusToken("sl_big", bits, 1, "statuslist+jwt", prefix+"sl_big")), MaxTokenLen)
				return hxKeyOn(f, prefix+"sl_big", 7)
			}})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vv := v
			if c.v != nil {
				vv = c.v
			}
			tok := c.tok(t)
			p, err := vv.Verify(ctx, tok)
			switch {
			case c.want == nil && err != nil:
				t.Errorf("got %s, want accepted", hxErrName(err))
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("got %s, want %s", hxErrName(err), hxErrName(c.want))
			case c.want != nil && p != nil:
				t.Errorf("got principal %+v with the error, want nil", p)
			case c.want == nil && p == nil:
				t.Errorf("got nil principal, want one")
			}
			if c.check != nil && p != nil {
				c.check(t, p)
			}
			if c.want != nil {
				// A rejected credential is never remembered: a second try is rejected too.
				if p2, err2 := vv.Verify(ctx, tok); err2 == nil || p2 != nil {
					t.Errorf("second try: got %s, want rejected", hxErrName(err2))
				}
			}
			if c.after != nil {
				c.after(t)
			}
		})
	}

	t.Run("A3/no request ever reached the attacker's server", noAttackerHits)

	t.Run("A4/unknown kids refetch the JWKS at most once per cooldown", func(t *testing.T) {
		f := newIssuer(t)
		v := f.verifier()
		_, key := hxSigningKey(f)
		unknown := func(i int) error {
			_, err := v.Verify(ctx, f.signWith(fmt.Sprintf("unknown-%d", i), key, "apikey+jwt", f.claims()))
			return err
		}
		f.clock.advance(31 * time.Second) // past the cooldown of New's own fetch
		h0 := f.hit("/jwks")
		for i := 0; i < 20; i++ {
			if err := unknown(i); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("unknown kid %d: got %s, want ErrUnknownKey", i, hxErrName(err))
			}
		}
		if got := f.hit("/jwks") - h0; got > 1 {
			t.Errorf("JWKS fetches for 20 unknown kids within the cooldown: got %d, want at most 1", got)
		} else if got != 1 {
			t.Errorf("JWKS fetches for 20 unknown kids after the cooldown: got %d, want 1 (an unknown kid may be a new key)", got)
		}
		h1 := f.hit("/jwks")
		f.clock.advance(31 * time.Second)
		if err := unknown(100); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid after the cooldown: got %s, want ErrUnknownKey", hxErrName(err))
		}
		if err := unknown(101); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("second unknown kid after the cooldown: got %s, want ErrUnknownKey", hxErrName(err))
		}
		if got := f.hit("/jwks") - h1; got != 1 {
			t.Errorf("JWKS fetches for 2 unknown kids in the next cooldown window: got %d, want 1", got)
		}
		// The refetch is what lets a freshly published key in.
		newKID := f.addKey()
		f.mu.Lock()
		newKey := f.keys[newKID]
		f.mu.Unlock()
		tok := f.signWith(newKID, newKey, "apikey+jwt", f.claims())
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("new key within the cooldown: got %s, want ErrUnknownKey", hxErrName(err))
		}
		f.clock.advance(31 * time.Second)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("new key after the cooldown: got %s, want accepted", hxErrName(err))
		}
	})

	t.Run("A7/1 MB of dots is rejected with bounded memory", func(t *testing.T) {
		dots := strings.Repeat(".", 1<<20)
		var last error
		per := hxAllocPer(100, func() { _, last = v.Verify(ctx, dots) })
		if !errors.Is(last, ErrMalformed) {
			t.Errorf("got %s, want ErrMalformed", hxErrName(last))
		}
		if per >= 16<<10 {
			t.Errorf("allocated per call: got %d bytes, want < 16 KiB", per)
		}
		per = hxAllocPer(100, func() { _, last = parseCompact(dots) })
		if !errors.Is(last, ErrMalformed) || per >= 16<<10 {
			t.Errorf("parseCompact: got %s and %d bytes per call, want ErrMalformed and < 16 KiB", hxErrName(last), per)
		}
	})

	t.Run("A11/rotation: retired key verifies while published, never after", func(t *testing.T) {
		f := newIssuer(t)
		v := f.verifier()
		oldKID, oldKey := hxSigningKey(f)
		oldKeyTok := func(jti string) string {
			c := f.claims()
			c["jti"] = jti
			return f.signWith(oldKID, oldKey, "apikey+jwt", c)
		}
		cached := oldKeyTok("key_old_cached")
		if _, err := v.Verify(ctx, cached); err != nil {
			t.Fatalf("old key before rotation: got %s, want accepted", hxErrName(err))
		}
		// A next key is published a JWKS lifetime before it signs anything.
		newKID := f.addKey()
		f.clock.advance(301 * time.Second)
		if err := v.refreshJWKS(ctx); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		f.signKID = newKID
		f.mu.Unlock()
		newTok := f.apiKey(set("jti", "key_new"))
		h := f.hit("/jwks")
		if _, err := v.Verify(ctx, newTok); err != nil {
			t.Errorf("new key: got %s, want accepted", hxErrName(err))
		}
		if got := f.hit("/jwks") - h; got != 0 {
			t.Errorf("JWKS fetches for a key published in advance: got %d, want 0", got)
		}
		if _, err := v.Verify(ctx, cached); err != nil {
			t.Errorf("retired key, cached token: got %s, want accepted while the key is published", hxErrName(err))
		}
		fresh := oldKeyTok("key_old_fresh")
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Errorf("retired key, first sight: got %s, want accepted while the key is published", hxErrName(err))
		}
		unseen := oldKeyTok("key_old_unseen")
		// The retired key leaves the JWKS; the verifier's copy refreshes.
		f.mu.Lock()
		delete(f.keys, oldKID)
		f.mu.Unlock()
		f.clock.advance(301 * time.Second)
		if err := v.refreshJWKS(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, tok string }{
			{"cached before rotation", cached}, {"cached after rotation", fresh}, {"never seen", unseen}} {
			if p, err := v.Verify(ctx, c.tok); !errors.Is(err, ErrUnknownKey) || p != nil {
				t.Errorf("removed key, token %s: got %s, want ErrUnknownKey", c.name, hxErrName(err))
			}
		}
		if _, err := v.Verify(ctx, newTok); err != nil {
			t.Errorf("new key after the old one left: got %s, want accepted", hxErrName(err))
		}
	})

	t.Run("A12/decompression bomb of 64 MiB fails closed with bounded memory", func(t *testing.T) {
		z := hxZlibZeros(64<<20, zlib.BestSpeed)
		c := hxListClaims(f, "sl_bomb", nil, 1)
		c["status_list"] = map[string]any{"bits": 1, "lst": b64.EncodeToString(z)}
		bombTok := f.sign("statuslist+jwt", c)
		if len(bombTok) > maxDocument {
			t.Fatalf("bomb token length %d, want ≤ maxDocument so the inflate limit is what rejects it", len(bombTok))
		}
		hxServeList(f, "sl_bomb", bombTok)
		key := hxKeyOn(f, prefix+"sl_bomb", 3)
		var err error
		per := hxAllocPer(1, func() { _, err = v.Verify(ctx, key) })
		if !errors.Is(err, ErrStatusUnavailable) {
			t.Errorf("Verify: got %s, want ErrStatusUnavailable", hxErrName(err))
		}
		if per >= 8<<20 {
			t.Errorf("Verify allocated %d bytes, want < 8 MiB", per)
		}
		_, derr := v.decodeStatusList(ctx, prefix+"sl_bomb", bombTok)
		if !errors.Is(derr, ErrStatusUnavailable) {
			t.Errorf("decodeStatusList: got %s, want ErrStatusUnavailable", hxErrName(derr))
		}
		t.Logf("key on a %d-byte bomb list: Verify allocated %d bytes; decodeStatusList: %v", len(bombTok), per, derr)
		// And inflate itself stops at the limit, whatever the token size cap.
		// TotalAlloc counts every goroutine's allocations (earlier subtests' verifiers
		// and servers may still be winding down), so the least of three runs is
		// inflate's own figure.
		per = ^uint64(0)
		for i := 0; i < 3; i++ {
			var out []byte
			n := hxAllocPer(1, func() { out, err = inflate(z, maxStatusBytes) })
			if err == nil || out != nil {
				t.Errorf("inflate: got %d bytes and %v, want an error", len(out), err)
			}
			per = min(per, n)
		}
		if per >= 8<<20 {
			t.Errorf("inflate allocated %d bytes, want < 8 MiB", per)
		}
	})
}

// hxWantKind checks a principal's kind.
func hxWantKind(t *testing.T, p *Principal, want Kind) {
	t.Helper()
	if p.Kind != want {
		t.Errorf("kind: got %q, want %q", p.Kind, want)
	}
}

// hxB64Alphabet is the base64url alphabet, in order.
const hxB64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// hxMust panics on error (test setup only).
func hxMust[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}
