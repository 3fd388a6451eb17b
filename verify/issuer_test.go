package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// clock is a settable time source shared by the fake issuer and the verifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeIssuer is a minimal Gatehouse: metadata, JWKS and status lists over HTTP, and a
// minter for good and hostile tokens.
type fakeIssuer struct {
	t     testing.TB
	srv   *httptest.Server
	url   string
	clock *clock

	mu       sync.Mutex
	keys     map[string]*ecdsa.PrivateKey // kid → key, all published
	signKID  string
	lists    map[string][]byte // id → raw bits
	listTok  map[string]string // id → override token (hostile lists)
	down     atomic.Bool
	hits     sync.Map // path → *atomic.Int64
	listTTL  int
	listLife time.Duration
}

func newIssuer(t testing.TB) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{t: t, clock: &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}, keys: map[string]*ecdsa.PrivateKey{},
		lists: map[string][]byte{}, listTok: map[string]string{}, listTTL: 60, listLife: time.Hour}
	f.signKID = f.addKey()
	f.lists["sl_1"] = make([]byte, 16)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL
	return f
}

// addKey publishes a new ES256 key and returns its kid.
func (f *fakeIssuer) addKey() string {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.mu.Lock()
	defer f.mu.Unlock()
	kid := fmt.Sprintf("k%d", len(f.keys)+1)
	f.keys[kid] = k
	return kid
}

func (f *fakeIssuer) hit(path string) int64 {
	v, _ := f.hits.LoadOrStore(path, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	v, _ := f.hits.LoadOrStore(r.URL.Path, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.URL.Path == "/.well-known/oauth-authorization-server":
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": f.url, "jwks_uri": f.url + "/jwks",
			"signing_alg_values_supported": []string{"ES256", "EdDSA", "RS256"}, "status_list_uri_prefix": f.url + "/statuslists/"})
	case r.URL.Path == "/jwks":
		f.mu.Lock()
		var set jose.JSONWebKeySet
		for kid, k := range f.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
		}
		f.mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(set)
	case strings.HasPrefix(r.URL.Path, "/statuslists/"):
		id := strings.TrimPrefix(r.URL.Path, "/statuslists/")
		f.mu.Lock()
		tok, override := f.listTok[id]
		bits, ok := f.lists[id]
		f.mu.Unlock()
		if override {
			_, _ = io.WriteString(w, tok)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/statuslist+jwt")
		_, _ = io.WriteString(w, f.statusToken(id, bits, 1, "statuslist+jwt", f.url+"/statuslists/"+id))
	default:
		http.NotFound(w, r)
	}
}

// zlibBytes compresses b.
func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// statusToken signs a status list with the given shape.
func (f *fakeIssuer) statusToken(id string, bits []byte, nbits int, typ, sub string) string {
	now := f.clock.now()
	return f.sign(typ, map[string]any{"iss": f.url, "sub": sub, "iat": now.Unix(), "exp": now.Add(f.listLife).Unix(),
		"ttl": f.listTTL, "status_list": map[string]any{"bits": nbits, "lst": b64.EncodeToString(zlibBytes(bits))}})
}

// revoke sets a bit in a list.
func (f *fakeIssuer) revoke(id string, idx int) {
	f.mu.Lock()
	f.lists[id][idx/8] |= 1 << (idx % 8)
	f.mu.Unlock()
}

// sign signs claims with the current signing key as typ.
func (f *fakeIssuer) sign(typ string, claims any) string {
	f.mu.Lock()
	kid, key := f.signKID, f.keys[f.signKID]
	f.mu.Unlock()
	return f.signWith(kid, key, typ, claims)
}

func (f *fakeIssuer) signWith(kid string, key *ecdsa.PrivateKey, typ string, claims any) string {
	opts := (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), kid)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

// claims returns good API key claims for audience "orders-api", editable by the caller.
func (f *fakeIssuer) claims() map[string]any {
	now := f.clock.now()
	return map[string]any{"iss": f.url, "sub": "prj_orders", "aud": []string{"orders-api"}, "iat": now.Unix(),
		"nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "key_1", "scope": "orders:read orders:write",
		"team": "team_1", "status": map[string]any{"status_list": map[string]any{"idx": 3, "uri": f.url + "/statuslists/sl_1"}}}
}

// apiKey mints a good API key, with edits applied to its claims.
func (f *fakeIssuer) apiKey(edit func(map[string]any)) string {
	c := f.claims()
	if edit != nil {
		edit(c)
	}
	return f.sign("apikey+jwt", c)
}

// accessToken mints a good access token without a team claim.
func (f *fakeIssuer) accessToken() string { return f.accessTokenWith(nil) }

// accessTokenWith mints a good access token (no team claim), with edits applied to its
// claims.
func (f *fakeIssuer) accessTokenWith(edit func(map[string]any)) string {
	c := f.claims()
	delete(c, "status")
	delete(c, "team")
	c["client_id"] = c["sub"]
	c["jti"] = "at_1"
	if edit != nil {
		edit(c)
	}
	return f.sign("at+jwt", c)
}

// verifier builds a verifier against the fake issuer on its clock.
func (f *fakeIssuer) verifier(opts ...Option) *Verifier {
	f.t.Helper()
	base := []Option{Audience("orders-api"), Clock(f.clock.now), Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	v, err := New(context.Background(), f.url, append(base, opts...)...)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	f.t.Cleanup(v.Close)
	return v
}
