package oauth

import (
	"context"
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
)

// jwtBearer is RFC 7523 §2.1: the client presents a JWT it signed with one of its
// registered keys; the assertion alone may authenticate it.
type jwtBearer struct{}

func (jwtBearer) ClientAuthOptional() bool { return true }
func (jwtBearer) MetricLabel() string      { return "jwt_bearer" }

func (jwtBearer) Token(ctx context.Context, iss Issuer, req Request) (*Token, error) {
	assertion := req.Params.Get("assertion")
	if assertion == "" {
		return nil, &models.OAuthError{Code: models.ErrCodeInvalidRequest, Description: "the jwt-bearer grant needs an assertion"}
	}
	expect := ""
	if req.Client != nil {
		expect = req.Client.ID
	}
	p, err := iss.VerifyAssertion(ctx, assertion, expect, req.AssertionAudiences, models.ForGrant)
	if err != nil {
		var oe *models.OAuthError
		if errors.As(err, &oe) {
			claimed := expect
			if claimed == "" {
				claimed = models.AssertionIssuer(assertion)
			}
			return nil, &RefusedCredential{ClientID: claimed, Err: err}
		}
		return nil, err
	}
	tok, err := iss.IssueAccessToken(ctx, p, req.GrantType, req.Params.Get("scope"), req.Resources())
	if err != nil {
		return nil, err
	}
	return &Token{IssuedToken: tok, Project: p}, nil
}
