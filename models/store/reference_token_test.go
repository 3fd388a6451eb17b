package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// referenceFixture is the chain fixture with the user's app (f.p, Acme, on the orders
// API) issued reference tokens: A (Acme, behind orders) is the orders API's gateway,
// B (Bob's team) is another team's resource server.
type referenceFixture struct {
	*chainFixture
	app *models.Project // f.p reloaded, with its format
}

func newReferenceFixture(t *testing.T, s *store.Store) *referenceFixture {
	t.Helper()
	ctx := context.Background()
	f := &referenceFixture{chainFixture: newChainFixture(t, s)}
	set := models.ProjectSettings{Name: f.p.Name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantAuthorizationCode}, AccessTokenFormat: "opaque"}
	if err := s.UpdateProject(ctx, f.w.admin, f.p.ID, set); !isValidation(err, "access_token_format") {
		t.Fatalf("format opaque: %v, want a validation error on access_token_format", err)
	}
	set.AccessTokenFormat = models.AccessTokenFormatReference
	if err := s.UpdateProject(ctx, f.w.admin, f.p.ID, set); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.app, err = s.AuthorizationClient(ctx, f.p.ID); err != nil {
		t.Fatal(err)
	}
	if !f.app.IssuesReferenceTokens() {
		t.Fatalf("format after the change: %q", f.app.AccessTokenFormat)
	}
	return f
}

// isValidation reports whether err is a validation error naming field.
func isValidation(err error, field string) bool {
	var v *models.ValidationError
	return errors.As(err, &v) && v.Fields[field] != ""
}

// reference issues a client-credentials token to the app in its format.
func (f *referenceFixture) reference(t *testing.T, s *store.Store) (ref string, jwtTok *models.IssuedToken) {
	t.Helper()
	ctx := context.Background()
	jwtTok, err := s.IssueAccessToken(ctx, authenticated(t, s, f.w.admin, f.app), models.GrantClientCredentials, "orders:read", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.ApplyTokenFormat(ctx, f.app, jwtTok)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token, jwtTok
}

func TestReferenceTokenIssuance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReferenceFixture(t, s)
		isReference := func(name string, tok, jwtTok *models.IssuedToken) {
			t.Helper()
			if !models.WellFormedReferenceToken(tok.Token) || strings.Contains(tok.Token, ".") || tok.Token == jwtTok.Token {
				t.Errorf("%s: token %q, want a ghat_ reference token", name, tok.Token)
			}
			if tok.ExpiresIn != jwtTok.ExpiresIn || tok.Scope != jwtTok.Scope || !slices.Equal(tok.Audiences, jwtTok.Audiences) {
				t.Errorf("%s: %+v, want the JWT's expiry, scope and audience (%+v)", name, tok, jwtTok)
			}
		}
		// Client credentials.
		cc, err := s.IssueAccessToken(ctx, authenticated(t, s, f.w.admin, f.app), models.GrantClientCredentials, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.ApplyTokenFormat(ctx, f.app, cc)
		if err != nil {
			t.Fatal(err)
		}
		isReference("client credentials", tok, cc)
		// Authorization code (the user's token, with its ID token left as it is).
		code, err := s.RedeemAuthorizationCode(ctx, f.app, f.code(t, s, "orders:read"), testRedirect, testVerifier)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err = s.ApplyTokenFormat(ctx, f.app, code); err != nil {
			t.Fatal(err)
		}
		isReference("authorization code", tok, code)
		// The user's identity alone: the userinfo endpoint takes the reference token, until
		// it is revoked.
		if err := s.SaveConsent(ctx, f.user, f.app.ID, "", []string{"openid", "email"}); err != nil {
			t.Fatal(err)
		}
		a0, err := s.PrepareAuthorization(ctx, f.app, nil, "openid email")
		if err != nil {
			t.Fatal(err)
		}
		req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier)}
		idCode, err := s.IssueAuthorizationCode(ctx, a0, req, f.user.User.ID, models.AuthContext{AuthTime: f.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		idTok, err := s.RedeemAuthorizationCode(ctx, f.app, idCode, testRedirect, testVerifier)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err = s.ApplyTokenFormat(ctx, f.app, idTok); err != nil {
			t.Fatal(err)
		}
		isReference("identity", tok, idTok)
		if info, err := s.Userinfo(ctx, tok.Token); err != nil || info.Subject != f.user.User.ID || info.Email != f.user.User.Email {
			t.Errorf("userinfo with a reference token: %+v %v", info, err)
		}
		if revoked, err := s.RevokeAsClient(ctx, f.app, tok.Token); err != nil || !revoked {
			t.Fatalf("revoking the identity token: %v %v", revoked, err)
		}
		if _, err := s.Userinfo(ctx, tok.Token); !errors.Is(err, models.ErrBadToken) {
			t.Errorf("userinfo with a revoked reference token: %v, want ErrBadToken", err)
		}

		// Token exchange by a reference project: A's exchanged token for billing.
		a := authenticated(t, s, f.w.admin, f.a)
		if err := s.UpdateProject(ctx, f.w.admin, f.a.ID, models.ProjectSettings{Name: f.a.Name, TokenTTLMinutes: 60,
			GrantTypes: []string{models.GrantTokenExchange}, AccessTokenFormat: models.AccessTokenFormatReference}); err != nil {
			t.Fatal(err)
		}
		a = authenticated(t, s, f.w.admin, f.a)
		x, err := s.ExchangeToken(ctx, a, models.TokenExchange{SubjectToken: f.userToken, Resources: []string{f.billing.Identifier}})
		if err != nil {
			t.Fatal(err)
		}
		if tok, err = s.ApplyTokenFormat(ctx, a, x); err != nil {
			t.Fatal(err)
		}
		isReference("token exchange", tok, x)
		if tok.IssuedTokenType != models.TokenTypeAccessToken {
			t.Errorf("exchange issued_token_type %q", tok.IssuedTokenType)
		}
		// A JWT project's token, and the JWT a gateway asked for, pass unchanged.
		if same, err := s.ApplyTokenFormat(ctx, f.b, cc); err != nil || same.Token != cc.Token {
			t.Errorf("JWT project: %v %v", same, err)
		}
		asked := &models.IssuedToken{Token: cc.Token, IssuedTokenType: models.TokenTypeJWT}
		if same, err := s.ApplyTokenFormat(ctx, a, asked); err != nil || same.Token != cc.Token {
			t.Errorf("requested JWT: %v %v", same, err)
		}
	})
}

func TestReferenceTokenIntrospection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReferenceFixture(t, s)
		ref, jwtTok := f.reference(t, s)
		want, err := s.Introspect(ctx, f.app, jwtTok.Token)
		if err != nil || !want.Active {
			t.Fatalf("the JWT itself: %+v %v", want, err)
		}
		gateway := authenticated(t, s, f.w.admin, f.a)
		// The issuing team (here the API's too) sees the JWT's claims.
		for _, caller := range []*models.Project{f.app, gateway} {
			got, err := s.Introspect(ctx, caller, " "+ref+"\n")
			if err != nil {
				t.Fatal(err)
			}
			w := *want
			w.CredentialType = "reference_token"
			if gj, wj := mustJSON(t, got), mustJSON(t, &w); gj != wj {
				t.Errorf("introspection by %s:\n got %s\nwant %s", caller.Name, gj, wj)
			}
		}
		// Another team's resource server, for another team's API: inactive.
		other := authenticated(t, s, f.bob, f.b)
		if got, err := s.Introspect(ctx, other, ref); err != nil || got.Active || mustJSON(t, got) != `{"active":false}` {
			t.Errorf("another team: %s %v", mustJSON(t, got), err)
		}
		// Garbage, a mistyped checksum, an unknown well-formed one: inactive.
		for _, bad := range []string{"ghat_", "ghat_x", ref[:len(ref)-1] + "0", models.NewReferenceToken()} {
			if got, err := s.Introspect(ctx, gateway, bad); err != nil || got.Active {
				t.Errorf("introspect %q: %+v %v", bad, got, err)
			}
		}

		// RFC 9701: the same answer signed, for the caller, verified against the JWKS.
		for _, res := range []*models.Introspection{want, {Active: false}} {
			signed, err := s.IntrospectionJWT(gateway, res)
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				jwt.Claims
				TokenIntrospection json.RawMessage `json:"token_introspection"`
			}
			verifyWithJWKS(t, s.Signer(), signed, "token-introspection+jwt", &claims)
			if claims.Issuer != storetest.TestIssuer || !slices.Equal(claims.Audience, jwt.Audience{gateway.ID}) ||
				claims.IssuedAt == nil || !claims.IssuedAt.Time().Equal(f.clock.Now()) || claims.Expiry != nil || claims.Subject != "" {
				t.Errorf("signed introspection claims %+v", claims.Claims)
			}
			if string(claims.TokenIntrospection) != mustJSON(t, res) {
				t.Errorf("token_introspection %s, want %s", claims.TokenIntrospection, mustJSON(t, res))
			}
		}

		// Expiry by the store's clock, then pruning.
		f.clock.Advance(15*time.Minute - time.Second)
		if got, err := s.Introspect(ctx, gateway, ref); err != nil || !got.Active {
			t.Errorf("a second before expiry: %+v %v", got, err)
		}
		f.clock.Advance(time.Second)
		if got, err := s.Introspect(ctx, gateway, ref); err != nil || got.Active {
			t.Errorf("at expiry: %+v %v", got, err)
		}
		if _, err := s.ExchangeToken(ctx, gateway, models.TokenExchange{SubjectToken: ref, RequestedTokenType: models.TokenTypeJWT}); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("exchanging an expired reference token: %v, want invalid_grant", err)
		}
		fresh, _ := f.reference(t, s)
		before, err := s.ReferenceTokenRows()
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		if err := s.PruneReferenceTokens(ctx); err != nil {
			t.Fatal(err)
		}
		if after, err := s.ReferenceTokenRows(); err != nil || after != before-1 {
			t.Errorf("rows after pruning: %d (%v), want %d", after, err, before-1)
		}
		if got, err := s.Introspect(ctx, gateway, fresh); err != nil || !got.Active {
			t.Errorf("the unexpired token after pruning: %+v %v", got, err)
		}
		// A deleted project's reference tokens are dead.
		if err := s.DeleteProject(ctx, f.w.admin, f.app.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Introspect(ctx, gateway, fresh); err != nil || got.Active {
			t.Errorf("after the project was deleted: %+v %v", got, err)
		}
	})
}

func TestReferenceTokenExchangeAndRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReferenceFixture(t, s)
		ref, jwtTok := f.reference(t, s)
		gateway := authenticated(t, s, f.w.admin, f.a)
		asJWT := models.TokenExchange{SubjectToken: ref, RequestedTokenType: models.TokenTypeJWT}

		f.clock.Advance(time.Minute)
		got, err := s.ExchangeToken(ctx, gateway, asJWT)
		if err != nil {
			t.Fatal(err)
		}
		if got.IssuedTokenType != models.TokenTypeJWT || got.ExpiresIn != jwtTok.ExpiresIn-60 || got.Scope != "orders:read" {
			t.Errorf("exchanged: type %q, expires_in %d (JWT's %d), scope %q", got.IssuedTokenType, got.ExpiresIn, jwtTok.ExpiresIn, got.Scope)
		}
		// The JWT it stands for: signed by the portal, with exactly the JWT's claims.
		var claims models.AccessTokenClaims
		if err := s.Signer().VerifyOwn(got.Token, models.TypAccessToken, &claims); err != nil {
			t.Fatal(err)
		}
		if gj, wj := mustJSON(t, jwtClaims(t, got.Token)), mustJSON(t, jwtClaims(t, jwtTok.Token)); gj != wj {
			t.Errorf("exchanged JWT claims\n got %s\nwant %s", gj, wj)
		}
		// Naming its own API is fine; any other is invalid_target.
		withRes := asJWT
		withRes.Resources = []string{f.api.Identifier + "/"}
		if _, err := s.ExchangeToken(ctx, gateway, withRes); err != nil {
			t.Errorf("with its own API as resource: %v", err)
		}
		withRes.Resources = []string{f.billing.Identifier}
		if _, err := s.ExchangeToken(ctx, gateway, withRes); !isOAuth(err, models.ErrCodeInvalidTarget) {
			t.Errorf("with another API as resource: %v, want invalid_target", err)
		}
		// The JWT's claims are as they are: no narrowing, no impersonation.
		narrowed := asJWT
		narrowed.Scope = "orders:read"
		if _, err := s.ExchangeToken(ctx, gateway, narrowed); !isOAuth(err, models.ErrCodeInvalidRequest) {
			t.Errorf("asking for the JWT with a scope: %v, want invalid_request", err)
		}
		narrowed.Scope, narrowed.Impersonate = "", true
		if _, err := s.ExchangeToken(ctx, gateway, narrowed); !isOAuth(err, models.ErrCodeInvalidRequest) {
			t.Errorf("asking for the JWT impersonating: %v, want invalid_request", err)
		}
		// The confused-deputy rule: B's team does not own orders.
		if _, err := s.ExchangeToken(ctx, authenticated(t, s, f.bob, f.b), asJWT); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("another team's gateway: %v, want invalid_grant", err)
		}
		// A client without the token-exchange grant type.
		if _, err := s.ExchangeToken(ctx, f.app, asJWT); !isOAuth(err, models.ErrCodeUnauthorizedClient) {
			t.Errorf("without the grant type: %v, want unauthorized_client", err)
		}
		for _, bad := range []string{"ghat_nope", models.NewReferenceToken()} {
			if _, err := s.ExchangeToken(ctx, gateway, models.TokenExchange{SubjectToken: bad, RequestedTokenType: models.TokenTypeJWT}); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("exchanging %q: %v, want invalid_grant", bad, err)
			}
		}
		// Without requested_token_type jwt, a reference token is a subject like any
		// access token: A calls billing for the app, named in act.
		del, err := s.ExchangeToken(ctx, gateway, models.TokenExchange{SubjectToken: ref, Resources: []string{f.billing.Identifier}})
		if err != nil {
			t.Fatal(err)
		}
		if c := jwtClaims(t, del.Token); c["sub"] != f.app.ID || c["aud"] != f.billing.Identifier || actClaim(t, c).Subject != f.a.ID {
			t.Errorf("delegated exchange of a reference token: %v", c)
		}

		// Revocation: another project's attempt changes nothing; the owner's ends it.
		if revoked, err := s.RevokeAsClient(ctx, gateway, ref); err != nil || revoked {
			t.Errorf("revoked by another project: %v %v", revoked, err)
		}
		if res, err := s.Introspect(ctx, gateway, ref); err != nil || !res.Active {
			t.Fatalf("after another project's revocation: %+v %v", res, err)
		}
		if revoked, err := s.RevokeAsClient(ctx, f.app, ref); err != nil || !revoked {
			t.Errorf("revoked by its project: %v %v", revoked, err)
		}
		if revoked, err := s.RevokeAsClient(ctx, f.app, ref); err != nil || revoked {
			t.Errorf("revoked twice: %v %v", revoked, err)
		}
		if res, err := s.Introspect(ctx, gateway, ref); err != nil || res.Active {
			t.Errorf("introspection after revocation: %+v %v", res, err)
		}
		if _, err := s.ExchangeToken(ctx, gateway, asJWT); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("exchange after revocation: %v, want invalid_grant", err)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
