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
	"encoding/json"
	"errors"
	"fmt"
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
		{"ErrStatusUnavailable", ErrStatusUnavailable}, {"ErrNotAllowed", ErrNotAllowed},
		{"ErrInsufficientScope", ErrInsufficientScope}} {
		if errors.Is(err, e.err) {
			return e.name + " (" + truncate(err.Error(), 160) + ")"
		}
	}
	return "unclassified error " + truncate(err.Error(), 160)
}

// hxCase is one hostile credential and the reason Verify must give for refusing it.
type hxCase struct {
	name string
	tok  func(t *testing.T) string
	want error
}

// TestHostileTokens runs the Go-only hostile inputs of SECURITY.md §A against a verifier
// of the fake issuer. Every hostile credential that is static data (a token, the
// documents an issuer serves, options, an expected answer) is a conformance vector that
// the Go, Node and Python verifiers all run (sdk/conformance/vectors.json, generated by
// sdk/conformance/vectors; TestConformanceVectors here). What stays is what vectors
// cannot say: inputs too large for the vectors file, a real attacker server that must
// see no request, fetches counted over time, memory measured, keys rotated.
func TestHostileTokens(t *testing.T) {
	ctx := context.Background()
	f := newIssuer(t)
	v := f.verifier()
	kid, key := hxSigningKey(f)
	prefix := f.url + "/statuslists/"

	// Too large for the vectors file (each alone would be three times its size).
	cases := []hxCase{
		{name: "A7/1 MB of dots", want: ErrMalformed,
			tok: func(*testing.T) string { return strings.Repeat(".", 1<<20) }},
		{name: "A12/list response larger than 1 MiB", want: ErrStatusUnavailable,
			tok: func(t *testing.T) string {
				noise := make([]byte, 900<<10) // incompressible: the token is over 1 MiB
				_, _ = rand.Read(noise)
				c := hxListClaims(f, "sl_huge", make([]byte, 16), 1)
				c["status_list"] = map[string]any{"bits": 1, "lst": b64.EncodeToString(noise)}
				tok := f.sign("statuslist+jwt", c)
				if len(tok) <= maxDocument {
					t.Fatalf("token length %d, want > maxDocument", len(tok))
				}
				hxServeList(f, "sl_huge", tok)
				return hxKeyOn(f, prefix+"sl_huge", 3)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := c.tok(t)
			p, err := v.Verify(ctx, tok)
			if !errors.Is(err, c.want) {
				t.Errorf("got %s, want %s", hxErrName(err), hxErrName(c.want))
			}
			if p != nil {
				t.Errorf("got principal %+v with the error, want nil", p)
			}
			// A rejected credential is never remembered: a second try is rejected too.
			if p2, err2 := v.Verify(ctx, tok); err2 == nil || p2 != nil {
				t.Errorf("second try: got %s, want rejected", hxErrName(err2))
			}
		})
	}

	t.Run("A3/no request ever reached the attacker's server", func(t *testing.T) {
		// The vectors check that embedded key URLs, URL-shaped kids and status URIs that
		// are not the issuer's are refused without a request through the verifier's
		// HTTPClient. Here the attacker's server is real and listening, and the issuer
		// counts its paths, so a fetch made any other way (http.DefaultClient, a
		// second client) is seen too.
		attackerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		atk, atkHits := hxCounting(t, attackerKey)
		atkHost := strings.TrimPrefix(atk.URL, "http://")
		claims := f.claims()
		withHdr := func(h map[string]any) map[string]any {
			out := map[string]any{"alg": "ES256", "typ": "apikey+jwt", "kid": kid}
			for k, x := range h {
				out[k] = x
			}
			return out
		}
		hxServeList(f, "sl_jku", hxSign(attackerKey, map[string]any{"alg": "ES256", "typ": "statuslist+jwt", "kid": "attacker",
			"jku": atk.URL}, hxListClaims(f, "sl_jku", make([]byte, 16), 1)))
		for _, c := range []struct {
			name string
			tok  string
			want error
		}{
			{"jku pointing at the attacker's server", hxSign(attackerKey, withHdr(map[string]any{"kid": "attacker", "jku": atk.URL + "/jwks"}), claims), ErrHeader},
			{"jku with our kid", hxSign(attackerKey, withHdr(map[string]any{"jku": atk.URL + "/jwks"}), claims), ErrHeader},
			{"x5u pointing at the attacker's server", hxSign(attackerKey, withHdr(map[string]any{"kid": "attacker", "x5u": atk.URL + "/cert.pem"}), claims), ErrHeader},
			{"kid as a URL", hxSign(key, withHdr(map[string]any{"kid": atk.URL + "/jwks"}), claims), ErrUnknownKey},
			{"status uri on another host", hxKeyOn(f, atk.URL+"/statuslists/sl_1", 3), ErrStatusUnavailable},
			{"status uri the issuer's host as userinfo of another host", hxKeyOn(f, f.url+"@"+atkHost+"/statuslists/sl_1", 3), ErrStatusUnavailable},
			{"status uri another scheme and host", hxKeyOn(f, "https://"+atkHost+"/statuslists/sl_1", 3), ErrStatusUnavailable},
			{"status uri prefix + ../x", hxKeyOn(f, prefix+"../x", 3), ErrStatusUnavailable},
			{"status uri prefix + ..\\x", hxKeyOn(f, prefix+"..\\x", 3), ErrStatusUnavailable},
			{"list with a jku header", hxKeyOn(f, prefix+"sl_jku", 3), ErrStatusUnavailable},
		} {
			if _, err := v.Verify(ctx, c.tok); !errors.Is(err, c.want) {
				t.Errorf("%s: got %s, want %s", c.name, hxErrName(err), hxErrName(c.want))
			}
		}
		if got := atkHits.Load(); got != 0 {
			t.Errorf("attacker server hits: got %d, want 0", got)
		}
		if got := f.hit("/x"); got != 0 {
			t.Errorf("issuer hits on /x: got %d, want 0", got)
		}
	})

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
		newTok := f.apiKey(func(c map[string]any) { c["jti"] = "key_new" })
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
