package models

import "context"

// OAuth error codes of DPoP (RFC 9449 §5, §8).
const (
	ErrCodeInvalidDPoPProof = "invalid_dpop_proof"
	ErrCodeUseDPoPNonce     = "use_dpop_nonce"
)

// TokenTypeDPoP is the token_type of a DPoP-bound access token (RFC 9449 §5).
const TokenTypeDPoP = "DPoP"

// Confirmation is the cnf claim (RFC 7800) of a sender-constrained token: JKT is the
// RFC 7638 SHA-256 thumbprint of the client's DPoP public key; X5TS256 the SHA-256
// thumbprint of its TLS client certificate (RFC 8705 §3.1).
type Confirmation struct {
	JKT     string `json:"jkt,omitempty"`
	X5TS256 string `json:"x5t#S256,omitempty"`
}

type dpopKeyCtx struct{}

// WithDPoPKey marks a token request as carrying a valid DPoP proof by the key of
// thumbprint jkt: the access tokens minted for it are bound to that key.
func WithDPoPKey(ctx context.Context, jkt string) context.Context {
	return context.WithValue(ctx, dpopKeyCtx{}, jkt)
}

// DPoPKey is the thumbprint WithDPoPKey set ("" for a bearer request).
func DPoPKey(ctx context.Context) string {
	jkt, _ := ctx.Value(dpopKeyCtx{}).(string)
	return jkt
}
