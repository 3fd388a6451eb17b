package handlers_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// BenchmarkVaultExchange is the credentials vault at POST /oauth/token through the real
// Echo instance, beside its yardstick in the same run: client_credentials is
// BenchmarkTokenEndpoint's request; vault is a service of the app's team exchanging one
// of 256 users' delegations (client authentication, the delegation with its credentials
// grant, the app's settings and grants, the consent, who may delegate, delegable scopes,
// signing, and the use's transaction: the family's idle expiry, the Connected-apps
// counter, the audit event).
func BenchmarkVaultExchange(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			owner := cl.owner.actor
			on := true
			if err := e.store.SetProjectVault(ctx, owner, cl.project.ID, &on); err != nil {
				b.Fatal(err)
			}
			delegations := benchRefreshTokens(b, e.store, cl, refreshFamilies)
			svc, err := e.store.CreateProject(ctx, owner, cl.project.TeamID, "Nightly sync", "", "")
			if err != nil {
				b.Fatal(err)
			}
			if err := e.store.UpdateProject(ctx, owner, svc.ID, models.ProjectSettings{Name: svc.Name, TokenTTLMinutes: 15,
				GrantTypes: []string{models.GrantClientCredentials, models.GrantTokenExchange}}); err != nil {
				b.Fatal(err)
			}
			_, secret, err := e.store.CreateClientSecret(ctx, owner, svc.ID, "bench", 0, "")
			if err != nil {
				b.Fatal(err)
			}
			grantAPI(b, e, owner, cl.api, svc.ID, "orders:read")
			if _, err := e.store.SaveCredentialGrant(ctx, owner, cl.project.ID, models.CredentialGrantInput{ServiceID: svc.ID, APIID: cl.api.ID,
				Scopes: []string{"orders:read"}}); err != nil {
				b.Fatal(err)
			}
			target := e.portal.URL + "/oauth/token"
			b.Run("client_credentials", func(b *testing.B) {
				hammerPOST(b, target, cl.project.ID, cl.secret, url.Values{"grant_type": {"client_credentials"}})
			})
			b.Run("vault", func(b *testing.B) {
				hammerPOSTEach(b, target, svc.ID, secret, func(i int) url.Values {
					return url.Values{"grant_type": {models.GrantTokenExchange}, "subject_token_type": {models.TokenTypeDelegation},
						"subject_token": {delegations[i%len(delegations)]}, "resource": {cl.api.Identifier}}
				})
			})
		})
	}
}
