package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// loopbackClient is a keep-alive client sized for parallel benchmarks.
func loopbackClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// hammer GETs url from parallel goroutines and reports requests per second.
func hammer(b *testing.B, url string) {
	b.Helper()
	client := loopbackClient()
	b.SetParallelism(16) // 16 × GOMAXPROCS concurrent requests
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkLoopbackFloor is the raw cost of an HTTP GET on loopback with this client: a
// bare net/http handler writing the same JWKS bytes and headers, no Echo, no middleware.
func BenchmarkLoopbackFloor(b *testing.B) {
	e := newEnv(b)
	body, etag := e.signer.JWKS()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	hammer(b, srv.URL+"/.well-known/jwks.json")
}

// BenchmarkJWKS is GET /.well-known/jwks.json through the real Echo instance with all
// middleware (request id, access log, secure headers, body limit, timeout).
func BenchmarkJWKS(b *testing.B) {
	e := newEnv(b)
	hammer(b, e.portal.URL+"/.well-known/jwks.json")
}

// BenchmarkStatusList is GET /statuslists/{id} through the real Echo instance.
func BenchmarkStatusList(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u, _, err := e.store.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "bench", Email: "b@example.com"})
	if err != nil {
		b.Fatalf("SignIn: %v", err)
	}
	a := models.Actor{User: u}
	projects, err := e.store.ProjectsOf(ctx, a)
	if err != nil {
		b.Fatalf("ProjectsOf: %v", err)
	}
	k, _, err := e.store.CreateAPIKey(ctx, a, projects[0].ID, models.APIKeyInput{Name: "b", API: firstAPIOf(b, e, &member{actor: a}, projects[0].TeamID).ID, TTL: time.Hour}, "")
	if err != nil {
		b.Fatal(err)
	}
	hammer(b, e.portal.URL+"/statuslists/"+k.StatusListID)
}
