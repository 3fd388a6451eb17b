package handlers_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// pemKey is one key of /.well-known/jwks.pem with its comment lines.
type pemKey struct {
	kid, alg, state string
	key             crypto.PublicKey
}

// parsePEMKeys reads a jwks.pem body: every PUBLIC KEY block, each preceded by exactly
// the comment lines "# kid: …", "# alg: …", "# state: …" and nothing else.
func parsePEMKeys(t *testing.T, body []byte) []pemKey {
	t.Helper()
	var keys []pemKey
	rest := body
	for len(bytes.TrimSpace(rest)) > 0 {
		begin := bytes.Index(rest, []byte("-----BEGIN "))
		if begin < 0 {
			t.Fatalf("jwks.pem: trailing text %q after the last block", rest)
		}
		comments := strings.Split(strings.TrimSuffix(string(rest[:begin]), "\n"), "\n")
		block, after := pem.Decode(rest[begin:])
		if block == nil {
			t.Fatalf("jwks.pem: a block that does not decode at %q", rest[begin:min(len(rest), begin+80)])
		}
		rest = after
		if block.Type != "PUBLIC KEY" || len(block.Headers) != 0 {
			t.Errorf("jwks.pem: block type %q with headers %v, want PUBLIC KEY without headers", block.Type, block.Headers)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			t.Fatalf("jwks.pem: x509.ParsePKIXPublicKey: %v", err)
		}
		k := pemKey{key: pub}
		if len(comments) != 3 {
			t.Fatalf("jwks.pem: before a block the lines %q, want exactly # kid, # alg and # state", comments)
		}
		for i, f := range []struct {
			name string
			to   *string
		}{{"kid", &k.kid}, {"alg", &k.alg}, {"state", &k.state}} {
			v, ok := strings.CutPrefix(comments[i], "# "+f.name+": ")
			if !ok || v == "" {
				t.Fatalf("jwks.pem: comment line %d is %q, want \"# %s: …\"", i+1, comments[i], f.name)
			}
			*f.to = v
		}
		keys = append(keys, k)
	}
	return keys
}

// getPEM fetches /.well-known/jwks.pem and checks its status and headers.
func getPEM(t *testing.T, b *browser) ([]pemKey, string) {
	t.Helper()
	res := b.get("/.well-known/jwks.pem")
	body := readBody(res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.pem: got %d, want 200", res.StatusCode)
	}
	if got, want := res.Header.Get("Content-Type"), "application/x-pem-file"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := res.Header.Get("Cache-Control"), "public, max-age=300"; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	etag := res.Header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Errorf("ETag = %q, want a strong entity tag", etag)
	}
	if strings.Contains(body, "PRIVATE") {
		t.Error("jwks.pem holds a private key")
	}
	return parsePEMKeys(t, []byte(body)), etag
}

// checkPEMMatchesJWKS checks that the PEM keys are exactly the JWKS's keys, and that
// their states are the ring's, in the order active, next, retired (the most recently
// retired first).
func checkPEMMatchesJWKS(t *testing.T, e *env, b *browser, keys []pemKey) {
	t.Helper()
	set := fetchJWKS(t, b)
	if got, want := len(keys), len(set.Keys); got != want {
		t.Fatalf("jwks.pem has %d keys, the JWKS %d; want the same set", got, want)
	}
	for _, k := range keys {
		jwks := set.Key(k.kid)
		if len(jwks) != 1 {
			t.Errorf("jwks.pem kid %s: %d JWKS keys with that kid, want 1", k.kid, len(jwks))
			continue
		}
		jwk := jwks[0]
		eq, ok := jwk.Key.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(k.key) {
			t.Errorf("jwks.pem kid %s: the PEM key is not the JWKS key", k.kid)
		}
		if k.alg != jwk.Algorithm {
			t.Errorf("jwks.pem kid %s: # alg: %s, the JWKS says %s", k.kid, k.alg, jwk.Algorithm)
		}
	}
	ring, err := e.store.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	byKID := map[string]models.SigningKeyInfo{}
	for _, k := range ring {
		want = append(want, k.KID+" "+k.State)
		byKID[k.KID] = k
	}
	for _, k := range keys {
		got = append(got, k.kid+" "+k.state)
	}
	slices.Sort(want)
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Errorf("jwks.pem keys and states %q, want the ring's %q", got, want)
	}
	rank := map[string]int{models.KeyActive: 0, models.KeyNext: 1, models.KeyRetired: 2}
	for i := 1; i < len(keys); i++ {
		prev, cur := byKID[keys[i-1].kid], byKID[keys[i].kid]
		ordered := rank[prev.State] < rank[cur.State] || (prev.State == models.KeyRetired && cur.State == models.KeyRetired &&
			prev.RetiredAt != nil && cur.RetiredAt != nil && !prev.RetiredAt.Before(*cur.RetiredAt))
		if !ordered {
			t.Errorf("jwks.pem: %s (%s, retired %v) before %s (%s, retired %v); want active, next, then the most recently retired first",
				prev.KID, prev.State, prev.RetiredAt, cur.KID, cur.State, cur.RetiredAt)
		}
	}
}

func TestJWKSPEM(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	ctx := context.Background()

	keys, etag := getPEM(t, b)
	if len(keys) != 1 || keys[0].state != models.KeyActive || keys[0].alg != "ES256" || keys[0].kid != e.signer.ActiveKID() {
		t.Fatalf("jwks.pem on a new portal: %+v, want the one active ES256 key %s", keys, e.signer.ActiveKID())
	}
	checkPEMMatchesJWKS(t, e, b, keys)
	first := keys[0].kid

	res := b.do(http.MethodGet, "/.well-known/jwks.pem", nil, map[string]string{"If-None-Match": etag})
	if body := readBody(res); res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("GET jwks.pem with If-None-Match: its ETag: got %d with %d bytes, want 304 without a body", res.StatusCode, len(body))
	}
	if got := res.Header.Get("ETag"); got != etag {
		t.Errorf("304 ETag = %q, want %q", got, etag)
	}

	// A rotation publishes the next key before it signs.
	if _, err := e.signer.Maintain(ctx, true); err != nil {
		t.Fatal(err)
	}
	keys, etag2 := getPEM(t, b)
	if etag2 == etag {
		t.Errorf("ETag %s unchanged after a next key was published", etag)
	}
	if len(keys) != 2 || keys[0].kid != first || keys[0].state != models.KeyActive || keys[1].state != models.KeyNext {
		t.Fatalf("jwks.pem after a rotation started: %+v, want the active key %s, then the next key", keys, first)
	}
	checkPEMMatchesJWKS(t, e, b, keys)
	next := keys[1].kid
	if res := b.do(http.MethodGet, "/.well-known/jwks.pem", nil, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusOK {
		t.Errorf("GET jwks.pem with the old ETag: got %d, want 200 with the new keys", res.StatusCode)
	}

	// At its activation time the next key signs, and the old one is retired.
	e.advance(11 * time.Minute)
	if _, err := e.signer.Maintain(ctx, false); err != nil {
		t.Fatal(err)
	}
	keys, _ = getPEM(t, b)
	if len(keys) != 2 || keys[0].kid != next || keys[0].state != models.KeyActive ||
		keys[1].kid != first || keys[1].state != models.KeyRetired {
		t.Fatalf("jwks.pem after the rotation: %+v, want %s active, then %s retired", keys, next, first)
	}
	checkPEMMatchesJWKS(t, e, b, keys)

	// Another rotation: the most recently retired key comes first.
	if _, err := e.signer.Maintain(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.advance(11 * time.Minute)
	if _, err := e.signer.Maintain(ctx, false); err != nil {
		t.Fatal(err)
	}
	keys, _ = getPEM(t, b)
	var states []string
	for _, k := range keys {
		states = append(states, k.state)
	}
	if want := []string{models.KeyActive, models.KeyRetired, models.KeyRetired}; !slices.Equal(states, want) ||
		keys[1].kid != next || keys[2].kid != first {
		t.Errorf("jwks.pem after two rotations: states %q with %s, %s retired; want %q with %s then %s", states, keys[1].kid, keys[2].kid,
			want, next, first)
	}
	checkPEMMatchesJWKS(t, e, b, keys)
}

// TestJWKSPEMKeyTypes checks the PEM encoding of every signing algorithm's keys: a
// change of algorithm rotates the ring, and the new key is published as PEM too.
func TestJWKSPEMKeyTypes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	keys, _ := getPEM(t, b)
	checkPEMMatchesJWKS(t, e, b, keys)
	for _, alg := range []string{"EdDSA", "RS256"} {
		res, err := e.store.MaintainSigningKeys(context.Background(), e.signer.Config().MasterKeys,
			models.RotationPolicy{Alg: alg, Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute}, false)
		if err != nil || len(res.Created) != 1 {
			t.Fatalf("rotating to %s: %+v, %v", alg, res, err)
		}
		if err := e.signer.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		keys, _ := getPEM(t, b)
		var found bool
		for _, k := range keys {
			if k.kid == res.Created[0] {
				found = k.alg == alg && k.state == models.KeyNext
			}
		}
		if !found {
			t.Errorf("after rotating to %s: jwks.pem %+v, want the new next %s key %s", alg, keys, alg, res.Created[0])
		}
		checkPEMMatchesJWKS(t, e, b, keys)
		e.advance(11 * time.Minute)
		if _, err := e.store.MaintainSigningKeys(context.Background(), e.signer.Config().MasterKeys,
			models.RotationPolicy{Alg: alg, Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute}, false); err != nil {
			t.Fatal(err)
		}
		if err := e.signer.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
