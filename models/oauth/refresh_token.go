package oauth

import (
	"context"
)

// refreshToken is RFC 6749 §6: the client exchanges a refresh token it was issued with a
// user's tokens for new ones, and gets the refresh token rotated (RFC 9700 §4.14.2).
// Clients authenticate as for the authorization code grant: a confidential client with
// its credential, a public client with its client_id only.
type refreshToken struct{}

func (refreshToken) ClientAuthOptional() bool { return true }
func (refreshToken) MetricLabel() string      { return "refresh_token" }

func (refreshToken) Token(ctx context.Context, iss Issuer, req Request) (*Token, error) {
	p, err := userClient(ctx, iss, req)
	if err != nil {
		return nil, err
	}
	tok, err := iss.RefreshAccessToken(ctx, p, req.Params.Get("refresh_token"), req.Params.Get("scope"))
	if err != nil {
		return nil, err
	}
	return &Token{IssuedToken: tok, Project: p}, nil
}
