package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"

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

func BenchmarkSeenBeforeParallel(b *testing.B) {
	v, tok, _ := benchSetup(b)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
