package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// orderedSigner makes compact JWS whose protected header has its members in a fixed
// order — typ, alg, kid — rather than go-jose's (sorted by name: alg, kid, typ). JSON
// objects are unordered, so every JOSE library reads the header the same; only the
// bytes differ, and so an API key's base64url begins with models.APIKeyPrefix.
type orderedSigner struct {
	key    crypto.Signer
	alg    string
	header string // base64url of the protected header
}

// newOrderedSigner signs with key (of algorithm alg: ES256, EdDSA or RS256) under kid,
// with typ first in the header.
func newOrderedSigner(key crypto.Signer, alg, kid, typ string) (*orderedSigner, error) {
	switch alg {
	case "ES256", "EdDSA", "RS256":
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	// json.Marshal of each value escapes it exactly as a JSON string must be.
	member := func(name, value string) string {
		v, _ := json.Marshal(value)
		return `"` + name + `":` + string(v)
	}
	h := "{" + member("typ", typ) + "," + member("alg", alg) + "," + member("kid", kid) + "}"
	return &orderedSigner{key: key, alg: alg, header: base64.RawURLEncoding.EncodeToString([]byte(h))}, nil
}

// sign returns the compact JWS of payload.
func (o *orderedSigner) sign(payload []byte) (string, error) {
	input := o.header + "." + base64.RawURLEncoding.EncodeToString(payload)
	var sig []byte
	switch o.alg {
	case "EdDSA":
		s, err := o.key.Sign(rand.Reader, []byte(input), crypto.Hash(0))
		if err != nil {
			return "", err
		}
		sig = s
	default: // ES256, RS256: over the SHA-256 of the signing input
		d := sha256.Sum256([]byte(input))
		s, err := o.key.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			return "", err
		}
		sig = s
		if o.alg == "ES256" {
			// crypto/ecdsa answers in ASN.1 DER; JWS wants R‖S, 32 bytes each (RFC 7518 §3.4).
			var rs struct{ R, S *big.Int }
			if _, err := asn1.Unmarshal(s, &rs); err != nil {
				return "", err
			}
			sig = make([]byte, 64)
			rs.R.FillBytes(sig[:32])
			rs.S.FillBytes(sig[32:])
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
