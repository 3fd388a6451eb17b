package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// sampleClaims are claims shaped like an API key's.
func sampleClaims() models.APIKeyClaims {
	now := time.Now()
	c := models.APIKeyClaims{
		Claims: jwt.Claims{Issuer: "https://portal.example.com", Subject: "prj_abcdefghijklmnopqrstuvwxyz", Audience: jwt.Audience{"orders-api"},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour)),
			ID: "key_abcdefghijklmnopqrstuvwxyz"},
		Scope: "orders:read", Team: "team_abcdefghijklmnopqrstuvwxyz",
	}
	c.Status.StatusList.Idx, c.Status.StatusList.URI = 12345, "https://portal.example.com/statuslists/sl_abcdefghijklmnopqrstuvwxyz"
	return c
}

// BenchmarkSignRawES256 is the floor: one ECDSA P-256 signature over a SHA-256 digest.
func BenchmarkSignRawES256(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwcmpfYWJjIn0"))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ecdsa.Sign(rand.Reader, priv, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignGoJoseES256 is go-jose building and signing an API-key-shaped JWT.
func BenchmarkSignGoJoseES256(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithType("apikey+jwt"))
	claims := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwt.Signed(sig).Claims(claims).Serialize(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignerSign is the portal's signer (active key, typ header) on the same claims.
func BenchmarkSignerSign(b *testing.B) {
	s := storetest.SQLite(b)
	sg := storetest.Signer(b, s)
	claims := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := sg.Sign(models.TypAPIKey, claims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateAPIKey is a whole issuance through the store on a SQLite file: the
// permission check, status-list index allocation, signing, the key row and the audit
// event in one transaction.
func BenchmarkCreateAPIKey(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			storetest.Signer(b, s)
			ctx := context.Background()
			u, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "bench", Email: "bench@example.com"})
			if err != nil {
				b.Fatal(err)
			}
			actor := models.Actor{User: u, IP: "127.0.0.1", UserAgent: "bench"}
			projects, err := s.ProjectsOf(ctx, actor)
			if err != nil {
				b.Fatalf("ProjectsOf: %v", err)
			}
			p := projects[0]
			in := models.APIKeyInput{Name: "bench", API: firstAPI(b, s, actor, p.TeamID).ID, TTL: time.Hour}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.CreateAPIKey(ctx, actor, p.ID, in, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "keys/s")
		})
	}
}

// BenchmarkAuthenticateClient is client authentication as the token endpoint does it:
// the secret's checks and one indexed read of the project with its grants, from 32
// concurrent callers. BenchmarkAuthenticateClient/…/lookup is the same read without
// the grants (the floor of the database part).
func BenchmarkAuthenticateClient(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			storetest.Signer(b, s)
			ctx := context.Background()
			u, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "bench", Email: "bench@example.com"})
			if err != nil {
				b.Fatal(err)
			}
			actor := models.Actor{User: u}
			projects, err := s.ProjectsOf(ctx, actor)
			if err != nil {
				b.Fatalf("ProjectsOf: %v", err)
			}
			p := projects[0]
			_, secret, err := s.CreateClientSecret(ctx, actor, p.ID, "bench", 0, "")
			if err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					got, err := s.AuthenticateClient(ctx, p.ID, secret)
					if err != nil || len(got.Grants) != 1 {
						b.Errorf("AuthenticateClient: %v (%d grants)", err, len(got.Grants))
						return
					}
				}
			})
		})
	}
}
