package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// DPoP (RFC 9449): a client proves, on each request, that it holds the private key a
// sender-constrained token is bound to (the token's cnf.jkt). The checks here are shared
// by the portal's token endpoint and by Verifier.VerifyRequest.

// DPoPAlgs are the algorithms a DPoP proof may be signed with: asymmetric only.
var DPoPAlgs = []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}

// MaxDPoPProofLen caps a proof before anything is decoded.
const MaxDPoPProofLen = 8 << 10

// DefaultDPoPWindow is how far a proof's iat may be from the checker's clock.
const DefaultDPoPWindow = 60 * time.Second

// ErrDPoPProof: the DPoP proof is missing where it is needed, malformed, or does not
// match the request, the key or the token. The error wraps the reason.
var ErrDPoPProof = errors.New("invalid DPoP proof")

// ErrDPoPBound: a DPoP-bound token was presented as a bearer token (or without a
// proof), or an unbound token where RequireDPoP asks for a bound one.
var ErrDPoPBound = errors.New("DPoP binding")

// ProofCheck is what a DPoP proof must match.
type ProofCheck struct {
	// Method is the request's HTTP method (htm).
	Method string
	// URL is the request's URL (htu is compared without query and fragment, with the
	// scheme and host in lower case and the default port dropped, RFC 9449 §4.3).
	URL string
	// AccessToken, when set, is the token the proof accompanies: ath must be the
	// base64url SHA-256 of it. At the token endpoint it is empty.
	AccessToken string
	// Now is the checker's clock; Window how far iat may be from it (0: 60 s).
	Now    time.Time
	Window time.Duration
}

// DPoPProof is a checked proof.
type DPoPProof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint (base64url) of the proof's public key.
	JKT string
	// JTI is the proof's unique id: a checker must accept it once.
	JTI string
	// IssuedAt is the proof's iat.
	IssuedAt time.Time
	// Nonce is the server-provided nonce the proof carries ("" when none).
	Nonce string
}

// dpopHeaderJSON is what a proof's header may carry.
type dpopHeaderJSON struct {
	Typ  string          `json:"typ"`
	Alg  string          `json:"alg"`
	JWK  json.RawMessage `json:"jwk"`
	Kid  json.RawMessage `json:"kid"`
	JKU  json.RawMessage `json:"jku"`
	X5U  json.RawMessage `json:"x5u"`
	X5C  json.RawMessage `json:"x5c"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
	Enc  json.RawMessage `json:"enc"`
	Zip  json.RawMessage `json:"zip"`
}

var dpopHeaderNames = jsonstrict.NewNames("typ", "alg", "jwk", "kid", "jku", "x5u", "x5c", "crit", "b64", "enc", "zip")

// dpopClaims are a proof's claims; iat must be a JSON number.
type dpopClaims struct {
	JTI   string   `json:"jti"`
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	Iat   *float64 `json:"iat"`
	ATH   *string  `json:"ath"`
	Nonce *string  `json:"nonce"`
}

var dpopClaimNames = jsonstrict.NewNames("jti", "htm", "htu", "iat", "ath", "nonce")

// privateJWKMembers are members only a private key (or a symmetric one) has.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// CheckDPoPProof checks one DPoP proof JWT (RFC 9449 §4.3): a bounded compact JWS with
// typ dpop+jwt, an asymmetric algorithm of DPoPAlgs, a public jwk (no private members)
// that verifies the signature, htm and htu matching the request, iat within the window,
// a jti, and ath matching the access token when one is given. It does not check the jti
// for replay nor the nonce: the caller does (they need state).
func CheckDPoPProof(proof string, pc ProofCheck) (*DPoPProof, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrDPoPProof}, args...)...)
	}
	if len(proof) == 0 || len(proof) > MaxDPoPProofLen {
		return nil, fail("the proof must be a compact JWS of at most %d bytes", MaxDPoPProofLen)
	}
	for i := 0; i < len(proof); i++ {
		if !isCompactByte[proof[i]] {
			return nil, fail("the proof is not a compact JWS")
		}
	}
	parts := strings.Split(proof, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, fail("the proof is not a compact JWS")
	}
	hdr, err := dpopHeaderOf(parts[0])
	if err != nil {
		return nil, fail("%s", err.Error())
	}
	key, jkt := hdr.key, hdr.jkt
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !key.verifySignature(parts[0]+"."+parts[1], sig) {
		return nil, fail("the proof's signature does not verify with its jwk")
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil || jsonstrict.Check(pb, dpopClaimNames) != nil {
		return nil, fail("the proof's claims are malformed")
	}
	var c dpopClaims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, fail("the proof's claims are malformed")
	}
	window := pc.Window
	if window <= 0 {
		window = DefaultDPoPWindow
	}
	switch {
	case c.JTI == "" || len(c.JTI) > 256:
		return nil, fail("the proof needs a jti of at most 256 characters")
	case c.HTM != pc.Method:
		return nil, fail("the proof's htm is not this request's method (%s)", pc.Method)
	case !htuMatches(c.HTU, pc.URL):
		return nil, fail("the proof's htu is not this request's URL")
	case c.Iat == nil || !validNumericDate(*c.Iat):
		return nil, fail("the proof has no valid iat")
	}
	iat := unix(*c.Iat)
	if d := pc.Now.Sub(iat); d > window || d < -window {
		return nil, fail("the proof's iat is not within %d seconds of the server's clock", int(window/time.Second))
	}
	if pc.AccessToken != "" {
		sum := sha256.Sum256([]byte(pc.AccessToken))
		if c.ATH == nil {
			return nil, fail("the proof has no ath (the hash of the access token)")
		}
		if *c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return nil, fail("the proof's ath does not match the access token")
		}
	}
	out := &DPoPProof{JKT: jkt, JTI: c.JTI, IssuedAt: iat}
	if c.Nonce != nil {
		out.Nonce = *c.Nonce
	}
	return out, nil
}

// dpopHeader is a proof header that passed the rules, with its key.
type dpopHeader struct {
	key *publicKey
	jkt string
}

// dpopHeaders remembers accepted headers by their exact encoded segment: a client signs
// all its proofs with one key, so their headers (typ, alg, jwk) are the same bytes and
// most proofs skip parsing theirs. Bounded: emptied when it reaches dpopHeaderMemo.
var (
	dpopHeadersMu sync.Mutex
	dpopHeaders   = map[string]dpopHeader{}
)

const dpopHeaderMemo = 1024

// dpopHeaderOf applies the header rules to a proof's encoded header and reads its key.
func dpopHeaderOf(seg string) (dpopHeader, error) {
	dpopHeadersMu.Lock()
	h, ok := dpopHeaders[seg]
	dpopHeadersMu.Unlock()
	if ok {
		return h, nil
	}
	hb, err := b64.DecodeString(seg)
	if err != nil || jsonstrict.Check(hb, dpopHeaderNames) != nil {
		return h, errors.New("the proof's header is malformed")
	}
	var raw dpopHeaderJSON
	if err := json.Unmarshal(hb, &raw); err != nil {
		return h, errors.New("the proof's header is malformed")
	}
	switch {
	case !strings.EqualFold(raw.Typ, "dpop+jwt"):
		return h, errors.New("the proof's typ must be dpop+jwt")
	case !slices.Contains(DPoPAlgs, raw.Alg):
		return h, fmt.Errorf("the proof's alg must be one of %s", strings.Join(DPoPAlgs, ", "))
	case raw.JWK == nil:
		return h, errors.New("the proof's header must carry its public key (jwk)")
	case raw.JKU != nil || raw.X5U != nil || raw.X5C != nil || raw.Crit != nil || raw.B64 != nil || raw.Enc != nil || raw.Zip != nil:
		return h, errors.New("the proof's header carries key URLs, certificates, crit or encryption, which are not accepted")
	}
	key, jkt, err := dpopKey(raw.JWK, raw.Alg)
	if err != nil {
		return h, err
	}
	h = dpopHeader{key: key, jkt: jkt}
	dpopHeadersMu.Lock()
	if len(dpopHeaders) >= dpopHeaderMemo {
		clear(dpopHeaders)
	}
	dpopHeaders[seg] = h
	dpopHeadersMu.Unlock()
	return h, nil
}

// dpopKey reads a proof's jwk: a public key of a type matching alg (P-256 for ES256,
// P-384 for ES384, Ed25519 for EdDSA, RSA of at least 2048 bits for RS256 and PS256), without private
// members, and returns it with its RFC 7638 thumbprint.
func dpopKey(raw json.RawMessage, alg string) (*publicKey, string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, "", errors.New("the proof's jwk is not a JSON object")
	}
	for _, m := range privateJWKMembers {
		if _, ok := members[m]; ok {
			return nil, "", errors.New("the proof's jwk must be a public key: it has private members")
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil || !k.IsPublic() {
		return nil, "", errors.New("the proof's jwk is not a valid public key")
	}
	pk := &publicKey{alg: alg}
	switch key := k.Key.(type) {
	case *ecdsa.PublicKey:
		if !(alg == "ES256" && key.Curve.Params().Name == "P-256") && !(alg == "ES384" && key.Curve.Params().Name == "P-384") {
			return nil, "", errors.New("the proof's jwk does not fit its alg")
		}
		pk.ec = key
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return nil, "", errors.New("the proof's jwk does not fit its alg")
		}
		pk.ed = key
	case *rsa.PublicKey:
		if (alg != "RS256" && alg != "PS256") || key.N.BitLen() < 2048 {
			return nil, "", errors.New("the proof's jwk does not fit its alg (RSA keys need at least 2048 bits)")
		}
		pk.rsa = key
	default:
		return nil, "", errors.New("the proof's jwk is not a valid public key")
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", errors.New("the proof's jwk is not a valid public key")
	}
	return pk, base64.RawURLEncoding.EncodeToString(tp), nil
}

// JWKThumbprint is the RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: the
// value of cnf.jkt for tokens bound to it.
func JWKThumbprint(jwk json.RawMessage) (string, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(jwk); err != nil {
		return "", err
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// HTU is a URL as htu compares it (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3): without query
// and fragment, scheme and host in lower case, the scheme's default port dropped, an
// empty path as "/". "" for anything that is not an absolute http(s) URL.
func HTU(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// htuMatches compares a proof's htu with the request's URL after normalization.
func htuMatches(htu, requestURL string) bool {
	want := HTU(requestURL)
	return want != "" && HTU(htu) == want
}
