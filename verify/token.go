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
	"math/big"
	"strings"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// MaxTokenLen caps what is parsed at all: longer input is rejected before any decoding.
const MaxTokenLen = 8 << 10

// b64 is base64url without padding, rejecting non-canonical trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// joseHeader holds the header members we read, and those whose mere presence rejects
// the token. encoding/json matches names case-insensitively and keeps the last of
// duplicates, so the header is first checked against headerNames: every name exact,
// none twice.
type joseHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
	JWK  json.RawMessage `json:"jwk"`
	JKU  json.RawMessage `json:"jku"`
	X5U  json.RawMessage `json:"x5u"`
	X5C  json.RawMessage `json:"x5c"`
	Enc  json.RawMessage `json:"enc"`
	Zip  json.RawMessage `json:"zip"`
}

// headerNames are joseHeader's JSON names: a member spelled differently ("AlG", or
// "\u212aid" with the Kelvin sign) is rejected, not taken for them.
var headerNames = jsonstrict.NewNames("alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c", "enc", "zip")

// compact is a split compact JWS.
type compact struct {
	header       joseHeader
	signingInput string
	payload      []byte
	signature    []byte
}

// parseCompact parses a credential: parseCompactMax with MaxTokenLen.
func parseCompact(token string) (*compact, error) { return parseCompactMax(token, MaxTokenLen) }

// parseCompactMax splits and decodes a compact JWS of at most maxLen bytes and applies the
// header rules. It does not verify the signature. Anything that is not exactly
// header.payload.signature in the base64url alphabet — a JWE (5 parts), JSON
// serialization, 1 MB of dots, whitespace (which Go's base64 decoder would skip) — is
// ErrMalformed, and so is a header with a duplicate member or a case variant of a
// member name (jsonstrict.Check).
func parseCompactMax(token string, maxLen int) (*compact, error) {
	if len(token) == 0 || len(token) > maxLen {
		return nil, fmt.Errorf("%w: length %d", ErrMalformed, len(token))
	}
	for i := 0; i < len(token); i++ {
		if !isCompactByte[token[i]] {
			return nil, fmt.Errorf("%w: character %q at %d", ErrMalformed, token[i], i)
		}
	}
	i := strings.IndexByte(token, '.')
	j := strings.LastIndexByte(token, '.')
	if i <= 0 || j == i || strings.IndexByte(token[i+1:j], '.') >= 0 || j == len(token)-1 {
		return nil, fmt.Errorf("%w: not header.payload.signature", ErrMalformed)
	}
	hb, err := b64.DecodeString(token[:i])
	if err != nil {
		return nil, fmt.Errorf("%w: header encoding", ErrMalformed)
	}
	if err := jsonstrict.Check(hb, headerNames); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	c := &compact{signingInput: token[:j]}
	if err := json.Unmarshal(hb, &c.header); err != nil {
		return nil, fmt.Errorf("%w: header JSON", ErrMalformed)
	}
	h := &c.header
	switch {
	case h.Enc != nil:
		return nil, fmt.Errorf("%w: encrypted tokens (JWE) are not accepted", ErrMalformed)
	case h.JWK != nil || h.JKU != nil || h.X5U != nil || h.X5C != nil:
		return nil, fmt.Errorf("%w: embedded keys and key URLs are not accepted", ErrHeader)
	case h.Crit != nil || h.B64 != nil || h.Zip != nil:
		return nil, fmt.Errorf("%w: crit, b64 and zip are not accepted", ErrHeader)
	case h.Kid == "" || len(h.Kid) > 128:
		return nil, fmt.Errorf("%w: kid missing or too long", ErrHeader)
	}
	if c.payload, err = b64.DecodeString(token[i+1 : j]); err != nil {
		return nil, fmt.Errorf("%w: payload encoding", ErrMalformed)
	}
	if c.signature, err = b64.DecodeString(token[j+1:]); err != nil {
		return nil, fmt.Errorf("%w: signature encoding", ErrMalformed)
	}
	return c, nil
}

// isCompactByte is the base64url alphabet plus the dot.
var isCompactByte = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") {
		t[c] = true
	}
	return t
}()

// publicKey is a JWKS key reduced to what verification needs. Its algorithm is fixed
// by the JWKS, and only a token naming that same algorithm is checked against it.
type publicKey struct {
	kid, alg string
	ec       *ecdsa.PublicKey
	ed       ed25519.PublicKey
	rsa      *rsa.PublicKey
}

// verifySignature checks sig over input with k's algorithm only.
func (k *publicKey) verifySignature(input string, sig []byte) bool {
	switch k.alg {
	case "ES256":
		// Exactly R‖S, 32 bytes each: DER or any other length is rejected, and
		// ecdsa.Verify refuses r or s outside [1, n-1] (so r=s=0 fails).
		if len(sig) != 64 || k.ec == nil {
			return false
		}
		digest := sha256.Sum256(bytesOf(input))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.ec, digest[:], r, s)
	case "EdDSA":
		return len(sig) == ed25519.SignatureSize && k.ed != nil && ed25519.Verify(k.ed, bytesOf(input), sig)
	case "RS256":
		if k.rsa == nil || len(sig) != k.rsa.Size() {
			return false
		}
		digest := sha256.Sum256(bytesOf(input))
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest[:], sig) == nil
	case "PS256":
		// DPoP proofs only: the JWKS never yields a PS256 key for credentials.
		if k.rsa == nil || len(sig) != k.rsa.Size() {
			return false
		}
		digest := sha256.Sum256(bytesOf(input))
		return rsa.VerifyPSS(k.rsa, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	}
	return false
}

// audience is the aud claim: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*a = list
	return nil
}

// stringArray is a claim that must be an array of strings: unlike []string, a null
// element (which encoding/json would turn into "") is refused too.
type stringArray []string

func (a *stringArray) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		if len(r) == 0 || r[0] != '"' {
			return errors.New("an element is not a string")
		}
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return err
		}
	}
	*a = out
	return nil
}

// tokenClaims are the claims Gatehouse credentials carry. NumericDates must be JSON
// numbers: a string exp fails to decode and the token is rejected. The payload is first
// checked against claimNames.
type tokenClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	Aud      audience `json:"aud"`
	Exp      *float64 `json:"exp"`
	Nbf      *float64 `json:"nbf"`
	Iat      *float64 `json:"iat"`
	Jti      string   `json:"jti"`
	Scope    string   `json:"scope"`
	ClientID string   `json:"client_id"`
	Team     string   `json:"team"`
	SubType  string   `json:"sub_type"`
	// The user's authentication (RFC 9470), on access tokens issued for users.
	AuthTime *float64    `json:"auth_time"`
	ACR      string      `json:"acr"`
	AMR      stringArray `json:"amr"`
	// Act is the actor chain of a token issued by token exchange (RFC 8693 §4.1);
	// parseActors reads it. may_act is not read: it concerns the issuer only.
	Act json.RawMessage `json:"act"`
	// Cnf binds a sender-constrained token to a key: jkt is the RFC 7638 thumbprint of
	// the client's DPoP key (RFC 9449 §6), x5t#S256 the SHA-256 of the client's
	// certificate (RFC 8705 §3.1); readCnf reads it.
	Cnf    json.RawMessage `json:"cnf"`
	Status *struct {
		StatusList *struct {
			Idx *int   `json:"idx"`
			URI string `json:"uri"`
		} `json:"status_list"`
	} `json:"status"`
}

// claimNames are tokenClaims' JSON names, nested ones included: a duplicate or a case
// variant of any of them ("AUD", "ſub") rejects the token.
var claimNames = jsonstrict.NewNames("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "team",
	"sub_type", "auth_time", "acr", "amr", "act", "may_act", "status", "status_list", "idx", "uri", "cnf", "jkt", "x5t#S256")

// normalizeTyp maps "application/at+jwt" to "at+jwt" (RFC 7515 §4.1.9) and lowercases.
func normalizeTyp(t string) string {
	t = strings.ToLower(t)
	return strings.TrimPrefix(t, "application/")
}

// MaxActors is the longest actor chain (act claims nested in act) a credential may
// carry; a longer one is ErrClaims.
const MaxActors = 10

// actClaim is one actor of an act claim: its sub (required), its sub_type, and the
// actor before it.
type actClaim struct {
	Sub     *string         `json:"sub"`
	SubType *string         `json:"sub_type"`
	Act     json.RawMessage `json:"act"`
}

// parseActors reads an act claim (RFC 8693 §4.1) into the actor chain, nearest first:
// absent or null is no actor; each actor must be an object with a non-empty string sub
// and, if present, a string sub_type; at most MaxActors. Other members are ignored.
func parseActors(raw json.RawMessage) ([]Actor, error) {
	var out []Actor
	for len(raw) > 0 && string(raw) != "null" {
		if raw[0] != '{' {
			return nil, errors.New("act is not an object")
		}
		if len(out) == MaxActors {
			return nil, fmt.Errorf("the actor chain is longer than %d", MaxActors)
		}
		var a actClaim
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("act: %v", err)
		}
		if a.Sub == nil || *a.Sub == "" {
			return nil, errors.New("an actor has no sub")
		}
		actor := Actor{Subject: *a.Sub}
		if a.SubType != nil {
			actor.SubjectType = SubjectType(*a.SubType)
		}
		out = append(out, actor)
		raw = a.Act
	}
	return out, nil
}

// readCnf reads the cnf claim into c and its Principal: absent or null is an unbound
// token; otherwise an object with jkt (a DPoP key's thumbprint) and/or x5t#S256 (a
// certificate's SHA-256, 32 bytes in base64url), both strings, and no other member: a
// binding this verifier does not understand is refused (ErrClaims), never ignored.
func readCnf(raw json.RawMessage, c *cached) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var members map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &members) != nil {
		return fmt.Errorf("%w: cnf is not an object", ErrClaims)
	}
	if len(members) == 0 {
		return fmt.Errorf("%w: cnf must carry a jkt or an x5t#S256", ErrClaims)
	}
	for name, v := range members {
		var s string
		if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return fmt.Errorf("%w: cnf.%s is not a string", ErrClaims, truncate(name, 20))
		}
		switch name {
		case "jkt":
			if s == "" || len(s) > 100 {
				return fmt.Errorf("%w: cnf must carry a jkt", ErrClaims)
			}
			c.jkt, c.p.DPoPBound, c.p.DPoPThumbprint = s, true, s
		case "x5t#S256":
			x5t, ok := parseX5t(s)
			if !ok {
				return fmt.Errorf("%w: cnf.x5t#S256 is not a base64url SHA-256", ErrClaims)
			}
			c.x5t, c.certBound, c.p.CertBound, c.p.CertThumbprint = x5t, true, true, s
		default:
			return fmt.Errorf("%w: cnf.%q is a binding this verifier does not understand", ErrClaims, truncate(name, 20))
		}
	}
	return nil
}
