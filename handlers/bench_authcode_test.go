package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// hammerPOSTEach is hammerPOST with a form of its own for each request (form(i), i from
// 0 to b.N-1, each used once).
func hammerPOSTEach(b *testing.B, target, id, secret string, form func(i int) url.Values) {
	b.Helper()
	hammerEach(b, func(i int) *http.Request { return formPOST(target, id, secret, form(i).Encode()) }, nil)
}

// BenchmarkAuthorizationCodeRedeem is POST /oauth/token with grant_type=authorization_code
// through the real Echo instance: a confidential client (client_secret_basic, as
// BenchmarkTokenEndpoint's) redeems a fresh code with its redirect_uri and PKCE
// code_verifier (S256), and gets a user's access token: the secret lookup, the code's
// single-use transaction (read, mark used), the verifier check, the API's delegable
// scopes, signing. Each iteration redeems a code of its own. The codes are made before
// the timer starts, through Store.IssueAuthorizationCode directly (what the consent
// step ends with), so the figure is the redemption alone, without sign-in and consent.
// Compare BenchmarkTokenEndpoint (client credentials) in the same run, at the same
// concurrency.
func BenchmarkAuthorizationCodeRedeem(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			a := benchCodeAuthorization(b, e.store, cl)
			verifier := oauth2.GenerateVerifier()
			req := &models.AuthorizationRequest{ClientID: cl.project.ID, RedirectURI: acRedirect, CodeChallenge: store.S256Challenge(verifier),
				Scope: "orders:read", Resources: []string{cl.api.Identifier}}
			how := models.AuthContext{AuthTime: time.Now().Add(-time.Minute)}
			// Each code lives models.AuthorizationCodeTTL (60 s) from its making: made
			// just before the timed loop, they are all fresh when redeemed.
			codes := make([]string, b.N)
			for i := range codes {
				c, err := e.store.IssueAuthorizationCode(context.Background(), a, req, cl.owner.actor.User.ID, how)
				if err != nil {
					b.Fatal(err)
				}
				codes[i] = c
			}
			hammerPOSTEach(b, e.portal.URL+"/oauth/token", cl.project.ID, cl.secret, func(i int) url.Values {
				return url.Values{"grant_type": {models.GrantAuthorizationCode}, "code": {codes[i]},
					"redirect_uri": {acRedirect}, "code_verifier": {verifier}}
			})
		})
	}
}

// benchCodeAuthorization lets the client use the authorization code grant with the
// redirect URI acRedirect, lets users delegate orders:read of its API, and returns what
// a user consenting to orders:read allows.
func benchCodeAuthorization(b *testing.B, s *store.Store, cl *oauthClient) *models.Authorization {
	b.Helper()
	ctx := context.Background()
	if err := s.SetScopeDelegable(ctx, cl.owner.actor, cl.api.ID, "orders:read", true); err != nil {
		b.Fatal(err)
	}
	uris := acRedirect
	err := s.UpdateProject(ctx, cl.owner.actor, cl.project.ID, models.ProjectSettings{Name: cl.project.Name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantAuthorizationCode}, RedirectURIs: &uris})
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.AuthorizationClient(ctx, cl.project.ID)
	if err != nil {
		b.Fatal(err)
	}
	a, err := s.PrepareAuthorization(ctx, p, []string{cl.api.Identifier}, "orders:read")
	if err != nil {
		b.Fatal(err)
	}
	return a
}
