// Package oauth is the token endpoint's grant registry: each grant type is one Grant in
// a file of its own, registered in Grants. Adding a grant type touches this registry and
// one new file. The endpoint (handlers) authenticates the client, looks the grant up
// and asks it for a token; grants reach the database only through Issuer.
package oauth

import (
	"context"
	"net/url"
	"sort"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Request is a token request as a grant sees it: its parameters, and the client the
// endpoint authenticated (nil when the grant's own credential identifies it).
type Request struct {
	GrantType string
	Params    url.Values
	Client    *models.Project
	// AssertionAudiences are the values an assertion's aud may take: the token
	// endpoint's URL and the issuer.
	AssertionAudiences []string
}

// Resources are the RFC 8707 resource values (repeatable) and the audience parameter
// some clients send instead: together they must name one API the project holds a
// grant for.
func (r Request) Resources() []string {
	out := append([]string{}, r.Params["resource"]...)
	if aud := r.Params.Get("audience"); aud != "" {
		out = append(out, aud)
	}
	return out
}

// Issuer is what grants need of the store.
type Issuer interface {
	// VerifyAssertion checks a JWT a client signed (RFC 7523) and returns its project.
	VerifyAssertion(ctx context.Context, assertion, expectClient string, audiences []string, purpose models.AssertionPurpose) (*models.Project, error)
	// IssueAccessToken mints an access token for the project through grantType.
	IssueAccessToken(ctx context.Context, p *models.Project, grantType, scope string, resources []string) (*models.IssuedToken, error)
	// PublicClient returns the public client named id (invalid_client for any other).
	PublicClient(ctx context.Context, id string) (*models.Project, error)
	// RedeemAuthorizationCode exchanges an authorization code for a user's access token.
	RedeemAuthorizationCode(ctx context.Context, p *models.Project, code, redirectURI, verifier string) (*models.IssuedToken, error)
	// RefreshAccessToken exchanges a refresh token for a user's new tokens, rotating it.
	RefreshAccessToken(ctx context.Context, p *models.Project, token, scope string) (*models.IssuedToken, error)
	// ExchangeToken exchanges a token the project received for a token for another API
	// (RFC 8693).
	ExchangeToken(ctx context.Context, p *models.Project, x models.TokenExchange) (*models.IssuedToken, error)
	// ExchangeDelegation exchanges a user's delegation kept in the credentials vault for
	// an access token for the service p, acting for the user; it returns the project the
	// token was issued to.
	ExchangeDelegation(ctx context.Context, p *models.Project, x models.TokenExchange) (*models.IssuedToken, *models.Project, error)
}

// Grant is one grant type of the token endpoint.
type Grant interface {
	// ClientAuthOptional reports whether the grant's own credential may stand in for
	// client authentication at the endpoint (RFC 7523 §3.1 for the JWT bearer grant).
	ClientAuthOptional() bool
	// Token issues the token the request asks for, or an error: a *models.OAuthError
	// for the client, a *RefusedCredential for a credential that failed (counted
	// against its client's lockout), anything else a server error.
	Token(ctx context.Context, iss Issuer, req Request) (*Token, error)
	// MetricLabel names the grant in metrics.
	MetricLabel() string
}

// Token is an issued access token and the project it was issued to.
type Token struct {
	*models.IssuedToken
	Project *models.Project
}

// RefusedCredential is a grant's credential that failed verification: ClientID is the
// client it named (for the lockout), Err what the client is told.
type RefusedCredential struct {
	ClientID string
	Err      error
}

func (e *RefusedCredential) Error() string { return e.Err.Error() }
func (e *RefusedCredential) Unwrap() error { return e.Err }

// Grants is the registry: every grant type the token endpoint implements.
var grants = map[string]Grant{
	models.GrantClientCredentials: clientCredentials{},
	models.GrantJWTBearer:         jwtBearer{},
	models.GrantAuthorizationCode: authorizationCode{},
	models.GrantRefreshToken:      refreshToken{},
	models.GrantTokenExchange:     tokenExchange{},
}

// Lookup finds the grant for grantType: an empty one is invalid_request, an unknown
// one unsupported_grant_type.
func Lookup(grantType string) (Grant, error) {
	if grantType == "" {
		return nil, &models.OAuthError{Code: models.ErrCodeInvalidRequest, Description: "grant_type is required"}
	}
	g, ok := grants[grantType]
	if !ok {
		return nil, &models.OAuthError{Code: models.ErrCodeUnsupportedGrantType,
			Description: "the grant type " + models.QuoteForError(grantType) + " is not supported"}
	}
	return g, nil
}

// ProjectGrantTypes lists the grant types a project's settings offer, sorted: every
// registered one but refresh_token, which comes with the authorization code grant and
// the project's refresh-token policy (a project may still list it: a dynamic client
// registration names it).
func ProjectGrantTypes() []string {
	var out []string
	for _, t := range GrantTypes() {
		if t != models.GrantRefreshToken {
			out = append(out, t)
		}
	}
	return out
}

// GrantTypes lists the registered grant types (for the metadata), sorted.
func GrantTypes() []string {
	out := make([]string, 0, len(grants))
	for t := range grants {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
