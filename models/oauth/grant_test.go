package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
)

// fakeIssuer records what grants ask of the store.
type fakeIssuer struct {
	assertionErr error
	asserted     string // expectClient of the last VerifyAssertion
	issuedFor    string
	scope        string
	resources    []string
	code         string // code, redirect_uri and verifier of the last redemption
	refresh      string // the refresh token of the last refresh
	exchange     *models.TokenExchange
	delegation   bool // the last exchange was of a vaulted delegation
}

func (f *fakeIssuer) VerifyAssertion(_ context.Context, assertion, expect string, _ []string, purpose models.AssertionPurpose) (*models.Project, error) {
	f.asserted = expect
	if purpose != models.ForGrant {
		return nil, errors.New("a grant verified an assertion as client authentication")
	}
	if f.assertionErr != nil {
		return nil, f.assertionErr
	}
	return &models.Project{ID: "prj_from_assertion"}, nil
}

func (f *fakeIssuer) IssueAccessToken(_ context.Context, p *models.Project, _, scope string, resources []string) (*models.IssuedToken, error) {
	f.issuedFor, f.scope, f.resources = p.ID, scope, resources
	return &models.IssuedToken{Token: "tok", ExpiresIn: 60, Scope: scope}, nil
}

func (f *fakeIssuer) PublicClient(_ context.Context, id string) (*models.Project, error) {
	if id != "prj_public" {
		return nil, models.NewOAuthError(models.ErrCodeInvalidClient, "client authentication failed")
	}
	return &models.Project{ID: id, PublicClient: true}, nil
}

func (f *fakeIssuer) RedeemAuthorizationCode(_ context.Context, p *models.Project, code, redirectURI, verifier string) (*models.IssuedToken, error) {
	f.issuedFor, f.code = p.ID, code+" "+redirectURI+" "+verifier
	return &models.IssuedToken{Token: "tok", ExpiresIn: 60}, nil
}

func (f *fakeIssuer) RefreshAccessToken(_ context.Context, p *models.Project, token, scope string) (*models.IssuedToken, error) {
	f.issuedFor, f.refresh, f.scope = p.ID, token, scope
	return &models.IssuedToken{Token: "tok", ExpiresIn: 60, RefreshToken: "ghr_next"}, nil
}

func (f *fakeIssuer) ExchangeToken(_ context.Context, p *models.Project, x models.TokenExchange) (*models.IssuedToken, error) {
	f.issuedFor, f.exchange = p.ID, &x
	return &models.IssuedToken{Token: "tok", ExpiresIn: 60, IssuedTokenType: models.TokenTypeAccessToken}, nil
}

func (f *fakeIssuer) ExchangeDelegation(_ context.Context, p *models.Project, x models.TokenExchange) (*models.IssuedToken, *models.Project, error) {
	f.issuedFor, f.exchange, f.delegation = p.ID, &x, true
	return &models.IssuedToken{Token: "tok", ExpiresIn: 60, IssuedTokenType: models.TokenTypeAccessToken}, &models.Project{ID: "app"}, nil
}

func TestLookup(t *testing.T) {
	for grantType, code := range map[string]string{"": models.ErrCodeInvalidRequest, "password": models.ErrCodeUnsupportedGrantType,
		"implicit": models.ErrCodeUnsupportedGrantType} {
		_, err := oauth.Lookup(grantType)
		var oe *models.OAuthError
		if !errors.As(err, &oe) || oe.Code != code {
			t.Errorf("Lookup(%q) = %v, want %s", grantType, err, code)
		}
	}
	if got, want := oauth.GrantTypes(), []string{models.GrantAuthorizationCode, models.GrantClientCredentials, models.GrantRefreshToken,
		models.GrantJWTBearer, models.GrantTokenExchange}; !slices.Equal(got, want) {
		t.Errorf("GrantTypes() = %v, want %v", got, want)
	}
	// A project chooses every grant type but refresh_token, which its refresh policy rules.
	if got, want := oauth.ProjectGrantTypes(), []string{models.GrantAuthorizationCode, models.GrantClientCredentials,
		models.GrantJWTBearer, models.GrantTokenExchange}; !slices.Equal(got, want) {
		t.Errorf("ProjectGrantTypes() = %v, want %v", got, want)
	}
	for _, gt := range oauth.GrantTypes() {
		if _, err := oauth.Lookup(gt); err != nil {
			t.Errorf("Lookup(%q): %v", gt, err)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	g, err := oauth.Lookup(models.GrantClientCredentials)
	if err != nil {
		t.Fatal(err)
	}
	if g.ClientAuthOptional() {
		t.Error("client_credentials without client authentication")
	}
	f := &fakeIssuer{}
	form := url.Values{"scope": {"orders:read"}, "resource": {"https://a.example"}, "audience": {"https://b.example"}}
	tok, err := g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantClientCredentials, Params: form,
		Client: &models.Project{ID: "prj_client"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Project.ID != "prj_client" || f.issuedFor != "prj_client" || f.scope != "orders:read" ||
		!slices.Equal(f.resources, []string{"https://a.example", "https://b.example"}) {
		t.Errorf("issued %+v for %s, scope %q, resources %v", tok, f.issuedFor, f.scope, f.resources)
	}
}

func TestJWTBearer(t *testing.T) {
	g, err := oauth.Lookup(models.GrantJWTBearer)
	if err != nil {
		t.Fatal(err)
	}
	if !g.ClientAuthOptional() {
		t.Error("the JWT bearer grant requires client authentication besides its assertion")
	}
	ctx := context.Background()
	f := &fakeIssuer{}
	if _, err := g.Token(ctx, f, oauth.Request{GrantType: models.GrantJWTBearer, Params: url.Values{}}); !isCode(err, models.ErrCodeInvalidRequest) {
		t.Errorf("no assertion: %v, want invalid_request", err)
	}
	tok, err := g.Token(ctx, f, oauth.Request{GrantType: models.GrantJWTBearer, Params: url.Values{"assertion": {"x.y.z"}}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Project.ID != "prj_from_assertion" || f.issuedFor != "prj_from_assertion" || f.asserted != "" {
		t.Errorf("token for %s (issued for %s, expected client %q)", tok.Project.ID, f.issuedFor, f.asserted)
	}
	// An authenticated client's assertion must be its own; a refused one names the
	// client for the lockout.
	f.assertionErr = models.NewOAuthError(models.ErrCodeInvalidGrant, "bad signature")
	_, err = g.Token(ctx, f, oauth.Request{GrantType: models.GrantJWTBearer, Params: url.Values{"assertion": {"x.y.z"}},
		Client: &models.Project{ID: "prj_authenticated"}})
	var refused *oauth.RefusedCredential
	if !errors.As(err, &refused) || refused.ClientID != "prj_authenticated" || !isCode(err, models.ErrCodeInvalidGrant) {
		t.Errorf("refused assertion: %v, want a RefusedCredential for prj_authenticated carrying invalid_grant", err)
	}
	if f.asserted != "prj_authenticated" {
		t.Errorf("the assertion was not required to be the authenticated client's (expected %q)", f.asserted)
	}
	// A server error stays one.
	boom := errors.New("database gone")
	f.assertionErr = boom
	if _, err := g.Token(ctx, f, oauth.Request{GrantType: models.GrantJWTBearer, Params: url.Values{"assertion": {"x.y.z"}}}); !errors.Is(err, boom) || errors.As(err, &refused) {
		t.Errorf("server error: %v", err)
	}
}

func isCode(err error, code string) bool {
	var oe *models.OAuthError
	return errors.As(err, &oe) && oe.Code == code
}

// The authorization code grant redeems the code for the authenticated client, or for a
// public client named by client_id alone; any other client sending only its client_id
// is a refused credential (counted against its lockout).
func TestAuthorizationCode(t *testing.T) {
	g, err := oauth.Lookup(models.GrantAuthorizationCode)
	if err != nil {
		t.Fatal(err)
	}
	if !g.ClientAuthOptional() {
		t.Fatal("a public client sends no credential: client authentication must be optional")
	}
	params := url.Values{"code": {"c"}, "redirect_uri": {"https://app.example/cb"}, "code_verifier": {"v"}}
	f := &fakeIssuer{}
	tok, err := g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantAuthorizationCode, Params: params, Client: &models.Project{ID: "prj_conf"}})
	if err != nil || tok.Project.ID != "prj_conf" || f.code != "c https://app.example/cb v" {
		t.Fatalf("confidential: %v, %+v, redeemed %q", err, tok, f.code)
	}
	pub := url.Values{"client_id": {"prj_public"}}
	for k, v := range params {
		pub[k] = v
	}
	if tok, err := g.Token(context.Background(), f, oauth.Request{Params: pub}); err != nil || tok.Project.ID != "prj_public" {
		t.Fatalf("public: %v, %+v", err, tok)
	}
	for name, id := range map[string]string{"confidential client without credential": "prj_conf", "no client_id": ""} {
		q := url.Values{"client_id": {id}}
		_, err := g.Token(context.Background(), f, oauth.Request{Params: q})
		var refused *oauth.RefusedCredential
		var oe *models.OAuthError
		if !errors.As(err, &refused) || refused.ClientID != id || !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidClient {
			t.Errorf("%s: %v, want a refused invalid_client credential", name, err)
		}
	}
}

// The refresh token grant, like the code grant, serves the authenticated client or a
// public client named by client_id alone, and passes the token and scope on.
func TestRefreshToken(t *testing.T) {
	g, err := oauth.Lookup(models.GrantRefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !g.ClientAuthOptional() {
		t.Fatal("a public client sends no credential: client authentication must be optional")
	}
	f := &fakeIssuer{}
	params := url.Values{"refresh_token": {"ghr_x"}, "scope": {"orders:read"}}
	tok, err := g.Token(context.Background(), f, oauth.Request{Params: params, Client: &models.Project{ID: "prj_conf"}})
	if err != nil || tok.Project.ID != "prj_conf" || f.refresh != "ghr_x" || f.scope != "orders:read" || tok.RefreshToken != "ghr_next" {
		t.Fatalf("confidential: %v, %+v, refreshed %q scope %q", err, tok, f.refresh, f.scope)
	}
	params.Set("client_id", "prj_public")
	if tok, err := g.Token(context.Background(), f, oauth.Request{Params: params}); err != nil || tok.Project.ID != "prj_public" {
		t.Fatalf("public: %v, %+v", err, tok)
	}
	params.Set("client_id", "prj_conf")
	var refused *oauth.RefusedCredential
	if _, err := g.Token(context.Background(), f, oauth.Request{Params: params}); !errors.As(err, &refused) || refused.ClientID != "prj_conf" {
		t.Errorf("confidential client without credential: %v, want a refused credential", err)
	}
}
