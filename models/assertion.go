package models

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// ClientAssertionType is the client_assertion_type of private_key_jwt (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

const (
	MaxAssertionLen = 8 << 10
)

const (
	MaxAssertionLifetime = 5 * time.Minute
)

// AssertionClaims are the claims RFC 7523 §3 requires.
type AssertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Jti string          `json:"jti"`
}

// assertionClaimNames are assertionClaims' JSON names: claims with a duplicate member or
// a case variant of one of them ("ISS", "ſub") are malformed.
var AssertionClaimNames = jsonstrict.NewNames("iss", "sub", "aud", "exp", "nbf", "iat", "jti")

// DecodeStrict decodes a JSON object into v after jsonstrict.Check with known.
func DecodeStrict(data []byte, known jsonstrict.Names, v any) error {
	if err := jsonstrict.Check(data, known); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// AssertionPurpose says what an assertion is used for, which decides the error code.
type AssertionPurpose int

// The two uses of a client-signed JWT.
const (
	// ForClientAuth is private_key_jwt client authentication: failures are invalid_client.
	ForClientAuth AssertionPurpose = iota
	// ForGrant is the JWT bearer grant: failures are invalid_grant.
	ForGrant
)

// AssertionIssuer returns the iss an assertion claims, unverified, when it looks like a
// client_id (a project's or a service account's) and the claims parse strictly ("" otherwise). For rate limiting only:
// nothing is trusted from it.
func AssertionIssuer(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(assertion) > MaxAssertionLen || len(parts) != 3 {
		return ""
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c AssertionClaims
	if err != nil || DecodeStrict(pb, AssertionClaimNames, &c) != nil || (!HasPrefixID(c.Iss, "prj") && !HasPrefixID(c.Iss, "sa")) {
		return ""
	}
	return c.Iss
}
