package handlers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// hammerPOST posts form from 32 concurrent clients (16 × GOMAXPROCS 2) with Basic
// credentials (none when id is empty) and reports requests per second.
func hammerPOST(b *testing.B, target, id, secret string, form url.Values) {
	b.Helper()
	body := form.Encode()
	hammerEach(b, func(int) *http.Request { return formPOST(target, id, secret, body) }, nil)
}

// BenchmarkTokenFloor is the unavoidable work of a client-credentials token endpoint,
// in a bare net/http handler: Basic auth, one SHA-256 and constant-time compare, one
// ES256 JWT via go-jose, JSON out. Gatehouse's endpoint is measured against it.
func BenchmarkTokenFloor(b *testing.B) {
	const id, secret = "prj_floor", "ghcs_floorfloorfloorfloorfloorfloorfloorfloor"
	sum := sha256.Sum256([]byte(secret))
	want := hex.EncodeToString(sum[:])
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithType("at+jwt"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(p))
		if !ok || u != id || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(got[:])), []byte(want)) != 1 {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		now := time.Now()
		tok, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "https://portal", Subject: id, Audience: jwt.Audience{"orders-api"},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(15 * time.Minute)), ID: "at_x"}).Serialize()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 900})
	}))
	defer srv.Close()
	hammerPOST(b, srv.URL+"/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
}

// benchDBs are the databases the endpoint benchmarks run on (PostgreSQL when
// GATEHOUSE_TEST_POSTGRES_URL is set).
var benchDBs = []struct {
	name string
	open func(testing.TB) *store.Store
}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}

// BenchmarkTokenEndpoint is Gatehouse's POST /oauth/token through the real Echo
// instance: middleware, access log, failure rate limiter, secret lookup in the
// database, signing with the active key, usage counting.
func BenchmarkTokenEndpoint(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			hammerPOST(b, e.portal.URL+"/oauth/token", cl.project.ID, cl.secret, url.Values{"grant_type": {"client_credentials"}})
		})
	}
}

// BenchmarkIntrospect is POST /oauth/introspect of an API key by its own project.
func BenchmarkIntrospect(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			_, token, err := e.store.CreateAPIKey(b.Context(), cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
			if err != nil {
				b.Fatal(err)
			}
			hammerPOST(b, e.portal.URL+"/oauth/introspect", cl.project.ID, cl.secret, url.Values{"token": {token}})
		})
	}
}
