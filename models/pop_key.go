package models

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// MaxPoPPublicKeyLen bounds a public key pasted to bind an API key (an RSA 8192-bit key
// in PEM is under 1,500 characters).
const MaxPoPPublicKeyLen = 8 << 10

// PoPKeyAlgs are the DPoP proof algorithms a key bound to an API key may sign with, by
// key type: EC P-256 (ES256), EC P-384 (ES384), Ed25519 (EdDSA), RSA of at least 2048
// bits (RS256, PS256).
var PoPKeyAlgs = []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}

// PoPKey is a public key registered to bind an API key to.
type PoPKey struct {
	// JKT is its RFC 7638 SHA-256 thumbprint (base64url): the key's cnf.jkt.
	JKT string
	// Alg is the algorithm its proofs are signed with in the snippets: ES256 (P-256),
	// ES384 (P-384), EdDSA (Ed25519) or RS256 (RSA; PS256 works too).
	Alg string
}

// ParsePoPKey reads the public key a developer registers to bind an API key to (a JWK,
// or a PEM "PUBLIC KEY" or "RSA PUBLIC KEY"). Only asymmetric public keys of PoPKeyAlgs
// are accepted; anything else — a private key, a symmetric key, another curve, an RSA
// key under 2048 bits, trailing data — is a sentence saying what is wrong (msg).
func ParsePoPKey(text string) (key PoPKey, msg string) {
	jkt, alg, msg := parsePoPKey(text)
	return PoPKey{JKT: jkt, Alg: alg}, msg
}

func parsePoPKey(text string) (jkt, alg, msg string) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", "", "paste a public key"
	case len(text) > MaxPoPPublicKeyLen:
		return "", "", "a public key is at most 8 KiB"
	case strings.Contains(text, "PRIVATE KEY"), strings.HasPrefix(text, "{") && jwkHas(text, "d", "p", "q", "dp", "dq", "qi", "oth"):
		return "", "", "this is a private key: paste the public key only (the private key stays with the client; nothing was stored)"
	case strings.HasPrefix(text, "{") && jwkHas(text, "k"):
		return "", "", "a symmetric key cannot be bound: register an asymmetric public key"
	}
	var pub crypto.PublicKey
	if strings.HasPrefix(text, "{") {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON([]byte(text)); err != nil {
			return "", "", "this is not a valid JWK"
		}
		if !k.IsPublic() || !k.Valid() {
			return "", "", "this JWK is not an asymmetric public key"
		}
		pub = k.Key
	} else {
		block, rest := pem.Decode([]byte(text))
		if block == nil || strings.TrimSpace(string(rest)) != "" {
			return "", "", "paste one public key: a JWK, or a PEM block starting with -----BEGIN PUBLIC KEY-----"
		}
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return "", "", "a PEM " + QuoteForError(block.Type) + " is not a public key: paste a PUBLIC KEY block"
		}
		if err != nil {
			return "", "", "this PEM public key cannot be read"
		}
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch n := k.Curve.Params().Name; n {
		case "P-256":
			alg = "ES256"
		case "P-384":
			alg = "ES384"
		default:
			return "", "", "EC keys must be on P-256 or P-384, not " + n
		}
	case ed25519.PublicKey:
		alg = "EdDSA"
	case *rsa.PublicKey:
		alg = "RS256"
		if k.N.BitLen() < 2048 {
			return "", "", "RSA keys need at least 2048 bits"
		}
		if k.N.BitLen() > 8192 {
			return "", "", "RSA keys of more than 8192 bits are not accepted"
		}
	default:
		return "", "", "only EC (P-256, P-384), Ed25519 and RSA public keys can be bound"
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", "", "this public key cannot be read"
	}
	return base64.RawURLEncoding.EncodeToString(tp), alg, ""
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
