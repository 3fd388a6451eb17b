package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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

// hammerEach sends request(i) — i from 0 to b.N-1, each once — from 32 concurrent
// clients (16 × GOMAXPROCS 2) over loopback keep-alive connections and reports requests
// per second. An answer other than 200 fails the benchmark; check, when not nil, reads
// each 200 answer (else its body is drained).
func hammerEach(b *testing.B, request func(i int) *http.Request, check func(res *http.Response) error) {
	b.Helper()
	hammerEachWith(b, loopbackClient(), request, check)
}

// hammerEachWith is hammerEach through client (a TLS client, say); it returns the
// requests per second it reported.
func hammerEachWith(b *testing.B, client *http.Client, request func(i int) *http.Request, check func(res *http.Response) error) float64 {
	b.Helper()
	var next atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS concurrent requests
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Do(request(int(next.Add(1) - 1)))
			if err != nil {
				b.Error(err)
				return
			}
			if res.StatusCode != http.StatusOK {
				res.Body.Close()
				b.Errorf("status %d", res.StatusCode)
				return
			}
			if check != nil {
				err = check(res)
			} else {
				_, err = io.Copy(io.Discard, res.Body)
			}
			res.Body.Close()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "req/s")
	return rate
}

// hammer GETs url from parallel goroutines and reports requests per second.
func hammer(b *testing.B, url string) {
	b.Helper()
	hammerEach(b, func(int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		return req
	}, nil)
}

// formPOST is a form POST to target with Basic credentials (none when id is empty).
func formPOST(target, id, secret, body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return req
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
