package verify

import "errors"

// Reasons a credential is rejected. Verify wraps them with detail; test with errors.Is.
var (
	// ErrNoToken: the request carried no credential.
	ErrNoToken = errors.New("no credential")
	// ErrMalformed: not a compact JWS of bounded size (also JWE, JSON serialization), or
	// a header or claims with a duplicate member name or a case variant of a name
	// verify reads (such an error also wraps a jsonstrict error).
	ErrMalformed = errors.New("malformed token")
	// ErrHeader: the JOSE header asks for something never accepted (embedded keys,
	// key URLs, crit, unencoded payload, an algorithm that is not allowed).
	ErrHeader = errors.New("unacceptable token header")
	// ErrUnknownKey: the kid is not in the issuer's JWKS (after at most one refetch).
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("bad signature")
	// ErrType: typ is not a credential type this API accepts.
	ErrType = errors.New("wrong token type")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("wrong issuer")
	// ErrAudience: aud does not contain this API's audience.
	ErrAudience = errors.New("wrong audience")
	// ErrExpired: exp is missing or past.
	ErrExpired = errors.New("expired")
	// ErrNotYetValid: nbf or iat is in the future.
	ErrNotYetValid = errors.New("not yet valid")
	// ErrClaims: a required claim is missing or has the wrong type.
	ErrClaims = errors.New("invalid claims")
	// ErrRevoked: the status list marks the credential revoked.
	ErrRevoked = errors.New("revoked")
	// ErrStatusUnavailable: the credential's status cannot be established (list
	// unreachable past its exp, invalid, out of range, or not under the issuer).
	ErrStatusUnavailable = errors.New("status unavailable")
	// ErrNotAllowed: the credential is valid, but this API narrowed who may call it
	// (Projects, Teams) and the credential's project or team is not listed, or Teams is
	// set and the credential carries no team claim. The error wraps the reason.
	ErrNotAllowed = errors.New("not allowed")
	// ErrInsufficientScope: the credential lacks a scope the route requires.
	ErrInsufficientScope = errors.New("insufficient scope")
)
