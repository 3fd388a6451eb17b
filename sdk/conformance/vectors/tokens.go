package vectors

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// Helpers that make compact JWS the way an attacker would: exact header text, any
// algorithm name over an ES256 signature, signatures edited byte by byte. None of them
// checks what it makes.

// b64 is base64url without padding, as JWS uses.
var b64 = base64.RawURLEncoding

// p256N is the order of P-256.
var p256N = elliptic.P256().Params().N

// buildError is a setup failure; Build returns it.
type buildError struct{ error }

// failf stops Build with an error.
func failf(format string, args ...any) { panic(buildError{fmt.Errorf("vectors: "+format, args...)}) }

// must returns x, or stops Build on err.
func must[T any](x T, err error) T {
	if err != nil {
		failf("%v", err)
	}
	return x
}

// fixedKey is a P-256 key whose scalar is derived from label: the same key on every
// run, so that the file changes only when the cases do.
func fixedKey(label string) *ecdsa.PrivateKey {
	h := sha256.Sum256([]byte("gatehouse conformance vectors: " + label))
	d := new(big.Int).SetBytes(h[:])
	d.Mod(d, new(big.Int).Sub(p256N, big.NewInt(1)))
	d.Add(d, big.NewInt(1)) // in [1, n-1]
	return must(ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32))))
}

// fixedKey384 is fixedKey on P-384.
func fixedKey384(label string) *ecdsa.PrivateKey {
	h := sha512.Sum384([]byte("gatehouse conformance vectors: " + label))
	n := elliptic.P384().Params().N
	d := new(big.Int).SetBytes(h[:])
	d.Mod(d, new(big.Int).Sub(n, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	return must(ecdsa.ParseRawPrivateKey(elliptic.P384(), d.FillBytes(make([]byte, 48))))
}

// sign384 signs a compact JWS with a P-384 key (ES384: R‖S of 48 bytes each,
// deterministic as es256 is) whatever the header says.
func sign384(key *ecdsa.PrivateKey, header map[string]any, claims any) string {
	in := b64.EncodeToString(must(json.Marshal(header))) + "." + b64.EncodeToString(payload(claims))
	d := sha512.Sum384([]byte(in))
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(must(key.Sign(nil, d[:], crypto.SHA384)), &sig); err != nil {
		failf("%v", err)
	}
	out := make([]byte, 96)
	sig.R.FillBytes(out[:48])
	sig.S.FillBytes(out[48:])
	return in + "." + b64.EncodeToString(out)
}

// payload turns claims (a string, bytes or anything JSON-encodable) into payload bytes.
func payload(claims any) []byte {
	switch c := claims.(type) {
	case string:
		return []byte(c)
	case []byte:
		return c
	default:
		return must(json.Marshal(c))
	}
}

// rs is R‖S, 32 bytes each.
func rs(r, s *big.Int) []byte {
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// es256 signs input as JWS ES256 does: R‖S. The signature is deterministic (RFC 6979:
// crypto/ecdsa with a nil random source) and low-S (s ≤ n/2), so that only the twin
// cases carry a high S.
func es256(key *ecdsa.PrivateKey, input string) []byte {
	d := sha256.Sum256([]byte(input))
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(must(key.Sign(nil, d[:], crypto.SHA256)), &sig); err != nil {
		failf("%v", err)
	}
	if sig.S.Cmp(new(big.Int).Rsh(p256N, 1)) > 0 {
		sig.S.Sub(p256N, sig.S)
	}
	return rs(sig.R, sig.S)
}

// signRaw signs a compact JWS with an exact header text (duplicate members, odd cases).
func signRaw(key *ecdsa.PrivateKey, header string, claims any) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(payload(claims))
	return in + "." + b64.EncodeToString(es256(key, in))
}

// sign signs a compact JWS with ES256 whatever the header says.
func sign(key *ecdsa.PrivateKey, header map[string]any, claims any) string {
	return signRaw(key, string(must(json.Marshal(header))), claims)
}

// signTyp signs claims as the issuer does: {"alg":"ES256","kid":kid,"typ":typ}, no typ
// when typ is empty.
func signTyp(kid string, key *ecdsa.PrivateKey, typ string, claims any) string {
	h := map[string]any{"alg": "ES256", "kid": kid}
	if typ != "" {
		h["typ"] = typ
	}
	return sign(key, h, claims)
}

// hs256 builds an HMAC-SHA256 token keyed with secret.
func hs256(secret []byte, header map[string]any, claims any) string {
	in := b64.EncodeToString(must(json.Marshal(header))) + "." + b64.EncodeToString(payload(claims))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

// unsigned builds header.payload.sig from raw parts.
func unsigned(header map[string]any, claims any, sig []byte) string {
	return b64.EncodeToString(must(json.Marshal(header))) + "." + b64.EncodeToString(payload(claims)) + "." + b64.EncodeToString(sig)
}

// parts splits a token at its dots.
func parts(tok string) []string { return strings.Split(tok, ".") }

// sigOf decodes a token's signature.
func sigOf(tok string) []byte { return must(b64.DecodeString(parts(tok)[2])) }

// withSig replaces a token's signature.
func withSig(tok string, sig []byte) string {
	p := parts(tok)
	return p[0] + "." + p[1] + "." + b64.EncodeToString(sig)
}

// flip flips one bit of a token's signature (in S).
func flip(tok string) string {
	s := sigOf(tok)
	s[len(s)/2+3] ^= 0x01
	return withSig(tok, s)
}

// twin is the other valid ECDSA signature of the same input: (r, n−s). A verifier that
// remembers or refuses credentials by their exact text sees a new token.
func twin(tok string) string {
	sig := sigOf(tok)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return withSig(tok, rs(r, new(big.Int).Sub(p256N, s)))
}

// zlibBytes compresses b at the default level.
func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// zlibZeros compresses n zero bytes without holding them: a decompression bomb.
func zlibZeros(n int) []byte {
	var buf bytes.Buffer
	zw := must(zlib.NewWriterLevel(&buf, zlib.BestCompression))
	_ = must(io.CopyN(zw, zeros{}, int64(n)))
	_ = zw.Close()
	return buf.Bytes()
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// detSigner is a crypto.Signer that signs deterministically, whatever random source it
// is handed (for the x5c certificate).
type detSigner struct{ k *ecdsa.PrivateKey }

func (s detSigner) Public() crypto.PublicKey { return &s.k.PublicKey }

func (s detSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(nil, digest, opts)
}
