package handlers_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// BenchmarkTokenExchange is RFC 8693 token exchange at POST /oauth/token through the
// real Echo instance, with the concurrency of BenchmarkTokenEndpoint: the resource
// server of orders-api (a project of its team) exchanges a user's token for orders-api
// for a token for another team's billing API. Beyond client credentials it verifies the
// subject token and reads the database twice (the token's API is the client team's; its
// client still exists).
func BenchmarkTokenExchange(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			if err := e.store.UpdateProject(ctx, cl.owner.actor, cl.project.ID, models.ProjectSettings{Name: cl.project.Name, TokenTTLMinutes: 15,
				GrantTypes: []string{models.GrantClientCredentials, models.GrantTokenExchange}}); err != nil {
				b.Fatal(err)
			}
			other := signedInMember(b, e, "bench-billing@example.com")
			list, err := e.store.ProjectsOf(ctx, other.actor)
			if err != nil || len(list) == 0 {
				b.Fatalf("ProjectsOf: %v", err)
			}
			billing, err := e.store.CreateAPI(ctx, other.actor, list[0].TeamID, models.APIInput{Name: "Billing", Identifier: "https://billing.bench.example",
				AcceptsAccessTokens: true, Listed: true, Scopes: []models.ScopeInput{{Name: "orders:read"}}}, "")
			if err != nil {
				b.Fatal(err)
			}
			req, err := e.store.RequestAccess(ctx, cl.owner.actor, billing.ID, cl.project.ID, []string{"orders:read"}, "bench", "")
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := e.store.DecideRequest(ctx, other.actor, billing.ID, req.ID, models.Decision{Approve: true}); err != nil {
				b.Fatal(err)
			}
			// A user's token for orders-api, issued to the project (as the authorization
			// code grant would), valid for the whole run.
			now := e.clock()
			subject, _, err := e.store.Signer().Sign(models.TypAccessToken, models.AccessTokenClaims{
				Claims: jwt.Claims{Issuer: e.store.Signer().Config().Issuer, Subject: other.actor.User.ID, Audience: jwt.Audience{cl.api.Identifier},
					IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour)), ID: "at_bench"},
				ClientID: cl.project.ID, Scope: "orders:read", SubType: models.SubjectUser, Team: cl.project.TeamID})
			if err != nil {
				b.Fatal(err)
			}
			hammerPOST(b, e.portal.URL+"/oauth/token", cl.project.ID, cl.secret, url.Values{"grant_type": {models.GrantTokenExchange},
				"subject_token": {subject}, "subject_token_type": {models.TokenTypeAccessToken}, "resource": {billing.Identifier}})
		})
	}
}
