package oauth

import (
	"context"
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
)

// authorizationCode is RFC 6749 §4.1.3 with PKCE (RFC 7636): the client redeems the
// code the authorization endpoint gave the user's browser, once, with the same
// redirect_uri and the code_verifier. A confidential client authenticates as for any
// grant; a public client sends only its client_id, and the verifier is its proof.
type authorizationCode struct{}

func (authorizationCode) ClientAuthOptional() bool { return true }
func (authorizationCode) MetricLabel() string      { return "authorization_code" }

func (authorizationCode) Token(ctx context.Context, iss Issuer, req Request) (*Token, error) {
	p, err := userClient(ctx, iss, req)
	if err != nil {
		return nil, err
	}
	tok, err := iss.RedeemAuthorizationCode(ctx, p, req.Params.Get("code"), req.Params.Get("redirect_uri"), req.Params.Get("code_verifier"))
	if err != nil {
		return nil, err
	}
	return &Token{IssuedToken: tok, Project: p}, nil
}

// userClient is the client of a grant that acts for a user: the authenticated client,
// or else the public client its client_id names. Any other client sending only its
// client_id is a refused credential (counted against its lockout).
func userClient(ctx context.Context, iss Issuer, req Request) (*models.Project, error) {
	if req.Client != nil {
		return req.Client, nil
	}
	id := req.Params.Get("client_id")
	if id == "" {
		return nil, &RefusedCredential{Err: models.NewOAuthError(models.ErrCodeInvalidClient,
			"client authentication is required (a public client sends its client_id)")}
	}
	p, err := iss.PublicClient(ctx, id)
	if err != nil {
		var oe *models.OAuthError
		if errors.As(err, &oe) {
			return nil, &RefusedCredential{ClientID: id, Err: err}
		}
		return nil, err
	}
	return p, nil
}
