package handlers_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkDPoPToken is BenchmarkTokenEndpoint with a DPoP proof on every request: the
// proof's checks, its jti recorded in the database, and a token bound to the key. The
// proofs (single use) are made before the timer starts, one per request.
func BenchmarkDPoPToken(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			k := newDPoPKey(b, jose.ES256)
			target := e.portal.URL + "/oauth/token"
			proofs := make([]string, b.N)
			for i := range proofs {
				proofs[i] = k.proof(b, proofSpec{htu: target, iat: e.clock()})
			}
			hammerDPoP(b, target, cl.project.ID, cl.secret, proofs)
		})
	}
}

// hammerDPoP is hammerPOST (32 concurrent clients) of client_credentials requests, each
// with the next of proofs.
func hammerDPoP(b *testing.B, target, id, secret string, proofs []string) {
	b.Helper()
	client := loopbackClient()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			req.Header.Set("DPoP", proofs[next.Add(1)-1])
			res, err := client.Do(req)
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
