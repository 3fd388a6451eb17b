package oauth

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/models"
)

// tokenExchange is OAuth 2.0 Token Exchange (RFC 8693 §2): a project that received an
// access token as an API's resource server presents it as subject_token and gets a
// token for another API (resource) for the same subject, naming itself in act. The
// client authenticates as the actor: actor_token is not supported.
type tokenExchange struct{}

func (tokenExchange) ClientAuthOptional() bool { return false }
func (tokenExchange) MetricLabel() string      { return "token_exchange" }

func (tokenExchange) Token(ctx context.Context, iss Issuer, req Request) (*Token, error) {
	q := req.Params
	invalid := func(desc string) error { return models.NewOAuthError(models.ErrCodeInvalidRequest, desc) }
	switch {
	case q.Get("subject_token") == "":
		return nil, invalid("the token-exchange grant needs a subject_token")
	case q.Get("subject_token_type") == "":
		return nil, invalid("the token-exchange grant needs a subject_token_type")
	case !acceptedTokenType(q.Get("subject_token_type")) && q.Get("subject_token_type") != models.TokenTypeDelegation:
		return nil, invalid("the subject_token_type " + models.QuoteForError(q.Get("subject_token_type")) +
			" is not supported (use " + models.TokenTypeAccessToken + ", or " + models.TokenTypeDelegation + " for a delegation kept in the vault)")
	case q.Get("requested_token_type") != "" && !acceptedTokenType(q.Get("requested_token_type")):
		return nil, invalid("the requested_token_type " + models.QuoteForError(q.Get("requested_token_type")) +
			" is not supported (this server issues " + models.TokenTypeAccessToken + ")")
	case q.Has("actor_token") || q.Has("actor_token_type"):
		return nil, invalid("actor_token is not supported: the client authenticates as the actor")
	case len(q["subject_token"]) > 1:
		return nil, invalid("send one subject_token")
	}
	var impersonate bool
	switch q.Get(models.ParamImpersonate) {
	case "", "false":
	case "true":
		impersonate = true
	default:
		return nil, invalid(models.ParamImpersonate + " must be true or false")
	}
	x := models.TokenExchange{SubjectToken: q.Get("subject_token"), Scope: q.Get("scope"), Resources: req.Resources(),
		Impersonate: impersonate, RequestedTokenType: q.Get("requested_token_type")}
	if q.Get("subject_token_type") == models.TokenTypeDelegation {
		// The credentials vault: a service acting for a user offline, always as itself.
		if impersonate {
			return nil, invalid("a delegation kept in the vault is used with an act claim naming the client: ask without " + models.ParamImpersonate)
		}
		tok, app, err := iss.ExchangeDelegation(ctx, req.Client, x)
		if err != nil {
			return nil, err
		}
		return &Token{IssuedToken: tok, Project: app}, nil
	}
	tok, err := iss.ExchangeToken(ctx, req.Client, x)
	if err != nil {
		return nil, err
	}
	return &Token{IssuedToken: tok, Project: req.Client}, nil
}

// acceptedTokenType: an access token this server issued, which is a JWT.
func acceptedTokenType(t string) bool {
	return t == models.TokenTypeAccessToken || t == models.TokenTypeJWT
}
