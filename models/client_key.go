package models

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Client authentication methods a project may accept.
const (
	AuthClientSecret  = "client_secret"   // client_secret_basic and client_secret_post
	AuthPrivateKeyJWT = "private_key_jwt" // a signed client assertion (RFC 7523 §2.2)
)

// AuthMethods are the methods a project can be set to accept.
var AuthMethods = []string{AuthClientSecret, AuthPrivateKeyJWT, AuthTLSClientAuth, AuthSelfSignedTLS}

// ClientAssertionAlgs are the algorithms accepted for client assertions.
var ClientAssertionAlgs = []string{"ES256", "EdDSA", "RS256", "PS256"}

// ClientKey is a public key a project registered for private_key_jwt and the JWT bearer
// grant: either one JWK (pasted as JWK or PEM) or a jwks_uri the portal fetches.
type ClientKey struct {
	ID        string `gorm:"primaryKey"`
	ProjectID string
	Name      string
	KID       string `gorm:"column:kid"`
	Alg       string
	JWK       string `gorm:"column:jwk"`
	JWKSURI   string `gorm:"column:jwks_uri"`
	CreatedBy *string
	CreatedAt time.Time
	ExpiresAt *time.Time
	// LastUsedAt is when a client assertion signed with it was last accepted; nil: never.
	LastUsedAt *time.Time
}

// ClientKeyInfo is a registered key with its creator's label.
type ClientKeyInfo struct {
	ClientKey
	CreatedByLabel string
}

// Expired reports whether the key is past its expiry at now.
func (k *ClientKey) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// ClientKeyAlg returns the algorithm a public key verifies: the JWK's alg when it names
// an allowed one that fits the key type, else the key type's default.
func ClientKeyAlg(k jose.JSONWebKey) (string, error) {
	var def string
	var fits []string
	switch key := k.Key.(type) {
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return "", errors.New("only P-256 EC keys (ES256) are accepted")
		}
		def, fits = "ES256", []string{"ES256"}
	case ed25519.PublicKey:
		def, fits = "EdDSA", []string{"EdDSA"}
	case *rsa.PublicKey:
		if key.N.BitLen() < 2048 {
			return "", errors.New("RSA keys must have at least 2048 bits")
		}
		def, fits = "RS256", []string{"RS256", "PS256"}
	default:
		return "", errors.New("unsupported key type: use an EC P-256, Ed25519 or RSA public key")
	}
	if k.Algorithm == "" {
		return def, nil
	}
	for _, a := range fits {
		if a == k.Algorithm {
			return a, nil
		}
	}
	return "", fmt.Errorf("the key's alg %q does not fit its type (want %s)", QuoteForError(k.Algorithm), strings.Join(fits, " or "))
}

// ParseClientKey reads a public key pasted as a JWK (or a JWKS holding one key) or as
// PEM ("PUBLIC KEY", "RSA PUBLIC KEY" or a certificate, which is kept as the JWK's x5c). A private key is refused and
// not kept. It returns the public JWK with its kid (the JWK's, else its RFC 7638
// thumbprint) and algorithm.
func ParseClientKey(material string) (jose.JSONWebKey, error) {
	material = strings.TrimSpace(material)
	var jwk jose.JSONWebKey
	switch {
	case material == "":
		return jwk, errors.New("paste a public key")
	case len(material) > 16<<10:
		return jwk, errors.New("the key is too large")
	case strings.HasPrefix(material, "{"):
		var set jose.JSONWebKeySet
		if json.Unmarshal([]byte(material), &set) == nil && len(set.Keys) > 0 {
			if len(set.Keys) != 1 {
				return jwk, errors.New("paste one key, or register the key set's URL as a jwks_uri")
			}
			jwk = set.Keys[0]
		} else if err := json.Unmarshal([]byte(material), &jwk); err != nil {
			if strings.Contains(material, `"d"`) {
				return jose.JSONWebKey{}, errors.New("this is a private key: paste only the public key")
			}
			return jwk, errors.New("not a valid JWK")
		}
		if !jwk.IsPublic() {
			return jose.JSONWebKey{}, errors.New("this is a private key: paste only the public key")
		}
	case strings.HasPrefix(material, "-----BEGIN"):
		block, rest := pem.Decode([]byte(material))
		if block == nil || strings.TrimSpace(string(rest)) != "" {
			return jwk, errors.New("not a single PEM block")
		}
		var pub crypto.PublicKey
		var certs []*x509.Certificate
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub, certs = cert.PublicKey, []*x509.Certificate{cert}
			}
		default:
			if strings.Contains(block.Type, "PRIVATE") {
				return jwk, errors.New("this is a private key: paste only the public key")
			}
			return jwk, fmt.Errorf("unsupported PEM block %q", QuoteForError(block.Type))
		}
		if err != nil {
			return jwk, errors.New("the PEM block does not hold a valid public key")
		}
		jwk = jose.JSONWebKey{Key: pub, Certificates: certs}
	default:
		return jwk, errors.New("paste a JWK (JSON) or a PEM public key")
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return jose.JSONWebKey{}, errors.New(`the key's "use" must be "sig"`)
	}
	alg, err := ClientKeyAlg(jwk)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	jwk.Algorithm = alg
	if jwk.KeyID == "" {
		thumb, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return jose.JSONWebKey{}, err
		}
		jwk.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	}
	// A certificate (PEM, or the JWK's x5c) is kept: the first is what a
	// self_signed_tls_client_auth client presents (RFC 8705 §2.2); the rest are dropped.
	if len(jwk.Certificates) > 1 {
		jwk.Certificates = jwk.Certificates[:1]
	}
	jwk.CertificateThumbprintSHA1, jwk.CertificateThumbprintSHA256, jwk.CertificatesURL = nil, nil, nil
	return jwk, nil
}

// ClientKeyInput is a key to register: Material (JWK or PEM) or JWKSURI, not both.
type ClientKeyInput struct {
	Name     string
	Material string
	JWKSURI  string
	TTL      time.Duration // 0: no expiry
}
