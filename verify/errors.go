package verify

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

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

// ErrInsufficientUserAuthentication: the credential is valid, but the user's
// authentication is older or weaker than the route requires (RFC 9470). Such an error
// is a *StepUpError, which says what would do.
var ErrInsufficientUserAuthentication = errors.New("insufficient user authentication")

// StepUpError is what Principal.CheckAuthTime and CheckACR return: the client must have
// the user authenticate again (within MaxAge, or with one of ACRValues) and retry.
// Verifier.WriteError, RequireAuthTime and RequireACR answer it 401 with an RFC 9470
// challenge: error="insufficient_user_authentication" and max_age or acr_values.
type StepUpError struct {
	// Reason is told to the client as the error_description.
	Reason string
	// MaxAge is set by CheckAuthTime: the oldest authentication the route accepts.
	MaxAge time.Duration
	// ACRValues is set (non-nil) by CheckACR: the authentication context classes the
	// route accepts, in order of preference. The challenge names acr_values when it is
	// non-nil, max_age otherwise.
	ACRValues []string
}

func (e *StepUpError) Error() string {
	return ErrInsufficientUserAuthentication.Error() + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInsufficientUserAuthentication) true.
func (e *StepUpError) Unwrap() error { return ErrInsufficientUserAuthentication }

// challenge is the WWW-Authenticate value (RFC 9470 §3).
func (e *StepUpError) challenge() string {
	h := `Bearer error="insufficient_user_authentication", error_description="` + quote(e.Reason) + `"`
	if e.ACRValues != nil {
		h += `, acr_values="` + quote(strings.Join(e.ACRValues, " ")) + `"`
	} else {
		h += `, max_age="` + strconv.FormatInt(int64(e.MaxAge/time.Second), 10) + `"`
	}
	return h
}
