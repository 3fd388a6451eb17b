package oauth

import (
	"context"
)

// clientCredentials is RFC 6749 §4.4: an authenticated project asks for a token for
// itself.
type clientCredentials struct{}

func (clientCredentials) ClientAuthOptional() bool { return false }
func (clientCredentials) MetricLabel() string      { return "client_credentials" }

func (clientCredentials) Token(ctx context.Context, iss Issuer, req Request) (*Token, error) {
	tok, err := iss.IssueAccessToken(ctx, req.Client, req.GrantType, req.Params.Get("scope"), req.Resources())
	if err != nil {
		return nil, err
	}
	return &Token{IssuedToken: tok, Project: req.Client}, nil
}
