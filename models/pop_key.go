package models

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// MaxPoPPublicKeyLen bounds a public key pasted to bind an API key (an RSA 8192-bit key
// in PEM is under 1,500 characters).
const MaxPoPPublicKeyLen = 8 << 10

// PoPKey is a public key registered to bind an API key to.
type PoPKey struct {
	// JKT is its RFC 7638 SHA-256 thumbprint (base64url): the key's cnf.jkt.
	JKT string
	// Alg is the algorithm its proofs are signed with in the snippets: ES256 (P-256),
	// ES384 (P-384), EdDSA (Ed25519) or RS256 (RSA; PS256 works too).
	Alg string
}

// ParsePoPKey reads the public key a developer registers to bind an API key to, as
// ReadPublicKey does (a JWK, or PEM), and accepts only the kinds a DPoP proof can be
// made with: EC P-256 or P-384, Ed25519, RSA of 2048 to 8192 bits. Anything else — a
// private key, a symmetric key, another curve, a short RSA key — is a sentence saying
// what is wrong (msg).
func ParsePoPKey(text string) (key PoPKey, msg string) {
	text = strings.TrimSpace(text)
	switch {
	case len(text) > MaxPoPPublicKeyLen:
		return key, "a public key is at most 8 KiB"
	case strings.HasPrefix(text, "{") && jwkHas(text, "k"):
		return key, "a symmetric key cannot be bound: register an asymmetric public key"
	}
	jwk, err := ReadPublicKey(text)
	if err != nil {
		return key, err.Error()
	}
	switch k := jwk.Key.(type) {
	case *ecdsa.PublicKey:
		switch n := k.Curve.Params().Name; n {
		case "P-256":
			key.Alg = "ES256"
		case "P-384":
			key.Alg = "ES384"
		default:
			return key, "EC keys must be on P-256 or P-384, not " + n
		}
	case ed25519.PublicKey:
		key.Alg = "EdDSA"
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 || k.N.BitLen() > 8192 {
			return key, "RSA keys must have 2048 to 8192 bits"
		}
		key.Alg = "RS256"
	default:
		return key, "only EC (P-256, P-384), Ed25519 and RSA public keys can be bound"
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return key, "this public key cannot be read"
	}
	key.JKT = base64.RawURLEncoding.EncodeToString(tp)
	return key, ""
}

// jwkHas reports whether a JSON object has one of the members names.
func jwkHas(text string, names ...string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &m) != nil {
		return false
	}
	for _, name := range names {
		if _, ok := m[name]; ok {
			return true
		}
	}
	return false
}
