package handlers_test

import (
	"net/http"
	"testing"

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
	hammerEach(b, func(i int) *http.Request {
		req := formPOST(target, id, secret, "grant_type=client_credentials")
		req.Header.Set("DPoP", proofs[i])
		return req
	}, nil)
}
