package models

import "context"

// fingerprintKey is where a request's fingerprint travels in a context.
type fingerprintKey struct{}

// WithRequestFingerprint returns ctx carrying the fingerprint of the request being
// served (a hash of its method, route and body), for the store to record beside an
// Idempotency-Key so that the key's reuse for a different request is refused.
func WithRequestFingerprint(ctx context.Context, fingerprint string) context.Context {
	return context.WithValue(ctx, fingerprintKey{}, fingerprint)
}

// RequestFingerprint is the fingerprint ctx carries, or "" (a page's form token: the
// form decides what is sent).
func RequestFingerprint(ctx context.Context) string {
	fp, _ := ctx.Value(fingerprintKey{}).(string)
	return fp
}

// ErrIdempotencyKeyReused refuses an Idempotency-Key already used for a different
// request (another body or another route): the IETF Idempotency-Key draft answers 422.
var ErrIdempotencyKeyReused = invalid("idempotency_key",
	"was already used for a different request; send the first request again unchanged, or use a new key for a new request")
