package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// benchSetup returns a verifier, a realistic API key and the key that signed it, with
// the JWKS and the key's status list already cached (as on a running API).
func benchSetup(b *testing.B) (*Verifier, string, *ecdsa.PublicKey) {
	f := newIssuer(b)
	v := f.verifier()
	tok := f.apiKey(nil)
	if _, err := v.verifyFull(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	return v, tok, &f.keys[f.signKID].PublicKey
}

// BenchmarkBareES256 is the raw cost: the ES256 signature check of the same token
// (SHA-256 of the signing input and ecdsa.Verify), nothing else.
func BenchmarkBareES256(b *testing.B) {
	_, tok, pub := benchSetup(b)
	dot := strings.LastIndexByte(tok, '.')
	sig, _ := b64.DecodeString(tok[dot+1:])
	input := tok[:dot]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := sha256.Sum256([]byte(input))
		if !ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkGoJose is go-jose parsing and verifying the same token (no claim checks).
func BenchmarkGoJose(b *testing.B) {
	_, tok, pub := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			b.Fatal(err)
		}
		var m map[string]any
		if err := t.Claims(pub, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstSight is a key never seen before: parse, header rules, key lookup,
// signature, claims and the status bit (list cached) — everything but the cache.
func BenchmarkFirstSight(b *testing.B) {
	v, tok, _ := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.verifyFull(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeenBefore is Verify of a key in the cache: hash lookup, expiry, key still
// published, status bit.
func BenchmarkSeenBefore(b *testing.B) {
	v, tok, _ := benchSetup(b)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstSightParallel and BenchmarkSeenBeforeParallel show scaling with cores
// (run with -cpu 1,2).
func BenchmarkFirstSightParallel(b *testing.B) {
	v, tok, _ := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.verifyFull(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSeenBeforeParallel verifies a pool of 256 cached keys from every core, as an
// API serving many clients does.
func BenchmarkSeenBeforeParallel(b *testing.B) {
	f := newIssuer(b)
	v := f.verifier()
	ctx := context.Background()
	pool := make([]string, 256)
	for i := range pool {
		pool[i] = f.apiKey(func(c map[string]any) { c["jti"] = fmt.Sprintf("key_%d", i) })
		if _, err := v.Verify(ctx, pool[i]); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Uint32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(97))
		for pb.Next() {
			i++
			if _, err := v.Verify(ctx, pool[i%len(pool)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkFirstSightVsBare interleaves the bare ES256 check and a first-sight
// verification of the same token in one loop and reports their ratio, so that drift in
// the machine's speed affects both alike.
func BenchmarkFirstSightVsBare(b *testing.B) {
	v, tok, pub := benchSetup(b)
	ctx := context.Background()
	dot := strings.LastIndexByte(tok, '.')
	sig, _ := b64.DecodeString(tok[dot+1:])
	input := tok[:dot]
	var bare, full time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		d := sha256.Sum256([]byte(input))
		if !ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			b.Fatal("signature does not verify")
		}
		t1 := time.Now()
		if _, err := v.verifyFull(ctx, tok); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		bare += t1.Sub(t0)
		full += t2.Sub(t1)
	}
	b.ReportMetric(float64(full)/float64(bare), "x-bare")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "first-sight-ns/op")
}
