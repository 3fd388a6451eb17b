package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// refreshFamilies is how many refresh families the rotation benchmark keeps in
// circulation: more than its 32 concurrent clients, so none waits for a family another
// holds.
const refreshFamilies = 256

// BenchmarkRefreshRotation is POST /oauth/token with grant_type=refresh_token through
// the real Echo instance, as BenchmarkTokenEndpoint's client credentials are: client
// authentication, the refresh token's lookup, the consent, grant and delegation checks,
// signing, and the rotation's transaction (the old token marked used, the new one
// inserted). Each iteration is one rotation; the families are prepared before the
// timer, and each client takes a family, rotates it and puts its new token back.
func BenchmarkRefreshRotation(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			pool := make(chan string, refreshFamilies)
			for _, rt := range benchRefreshTokens(b, e.store, cl, refreshFamilies) {
				pool <- rt
			}
			target := e.portal.URL + "/oauth/token"
			// Each client takes a family's token, rotates it, and puts the new one back.
			hammerEach(b, func(int) *http.Request {
				body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {<-pool}}.Encode()
				return formPOST(target, cl.project.ID, cl.secret, body)
			}, func(res *http.Response) error {
				var out struct {
					RefreshToken string `json:"refresh_token"`
				}
				if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.RefreshToken == "" {
					return fmt.Errorf("refresh answer: %v, refresh token %q", err, out.RefreshToken)
				}
				pool <- out.RefreshToken
				return nil
			})
		})
	}
}

// benchRefreshTokens makes the client an app acting for its owner (the authorization
// code grant, orders:read delegable, the owner's consent with offline_access) and
// returns n refresh tokens, each of its own family, through code redemptions (for a
// project in vault mode: the n delegations' ids).
func benchRefreshTokens(b *testing.B, s *store.Store, cl *oauthClient, n int) []string {
	b.Helper()
	ctx := context.Background()
	owner := cl.owner.actor
	if err := s.SetScopeDelegable(ctx, owner, cl.api.ID, "orders:read", true); err != nil {
		b.Fatal(err)
	}
	uris := "https://app.example/cb"
	err := s.UpdateProject(ctx, owner, cl.project.ID, models.ProjectSettings{Name: cl.project.Name, TokenTTLMinutes: 15,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantAuthorizationCode}, RedirectURIs: &uris})
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.AuthorizationClient(ctx, cl.project.ID)
	if err != nil {
		b.Fatal(err)
	}
	a, err := s.PrepareAuthorization(ctx, p, nil, "orders:read offline_access")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SaveConsent(ctx, owner, p.ID, a.APIID, a.ConsentScopes()); err != nil {
		b.Fatal(err)
	}
	const verifier = "dBjftJeZ4CVP-mJ92K9m9TMDyl2Opy8vO9MZzd0yGVE1"
	req := &models.AuthorizationRequest{RedirectURI: uris, CodeChallenge: store.S256Challenge(verifier)}
	out := make([]string, n)
	for i := range out {
		code, err := s.IssueAuthorizationCode(ctx, a, req, owner.User.ID, models.AuthContext{AuthTime: s.Now()})
		if err != nil {
			b.Fatal(err)
		}
		tok, err := s.RedeemAuthorizationCode(ctx, p, code, uris, verifier)
		if err != nil {
			b.Fatal(err)
		}
		// One or the other: a project in vault mode gets a delegation id instead.
		if out[i] = tok.RefreshToken + tok.Delegation; out[i] == "" {
			b.Fatal("no refresh token (or delegation) with offline_access")
		}
	}
	return out
}
