package store_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// workloadIssuer is an in-process token issuer of the kind a platform runs: a key pair,
// its key set served over HTTP, and tokens with the platform's claims.
type workloadIssuer struct {
	iss  string
	key  *rsa.PrivateKey
	kid  string
	jwks *jwksServer
}

func newWorkloadIssuer(t *testing.T, iss string) *workloadIssuer {
	t.Helper()
	w := &workloadIssuer{iss: iss, key: newRSAKey(t, 2048), kid: uuid.NewString()[:8], jwks: newJWKSServer(t, false)}
	w.jwks.setKeys(jwkJSON(t, &w.key.PublicKey, w.kid, "RS256", "sig"))
	return w
}

// token is a workload token with the issuer's iss, a 10-minute life from now and claims.
func (w *workloadIssuer) token(t *testing.T, now time.Time, claims map[string]any) string {
	t.Helper()
	c := map[string]any{"iss": w.iss, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": uuid.NewString()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return signJWS(t, w.key, jose.RS256, w.kid, c, nil, false)
}

// githubClaims are the claims GitHub Actions puts in an ID token for a workflow run.
func githubClaims(repo, ref string) map[string]any {
	owner := repo[:len(repo)-len("/deploy")]
	return map[string]any{"sub": "repo:" + repo + ":ref:" + ref, "aud": "https://portal.test", "repository": repo,
		"repository_owner": owner, "ref": ref, "workflow": "deploy", "event_name": "push", "runner_environment": "github-hosted"}
}

// kubernetesClaims are those of a projected service-account token.
func kubernetesClaims(namespace, account string) map[string]any {
	return map[string]any{"sub": "system:serviceaccount:" + namespace + ":" + account, "aud": []string{"gatehouse"},
		"kubernetes.io": map[string]any{"namespace": namespace, "serviceaccount": map[string]any{"name": account, "uid": uuid.NewString()}}}
}

func TestWorkloadIdentityFederation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.SignerFor(t, s, ckIssuer)
		prev := s.JWKSFetcher()
		s.SetJWKSFetcher(store.NewJWKSFetcher(true)) // the issuers below serve on loopback
		defer s.SetJWKSFetcher(prev)
		clock := newCKClock(s)
		h := newSATeam(t, s)
		deployer := createSA(t, s, h.admin, h.team.ID, "deployer", models.RoleDeveloper)
		cluster := createSA(t, s, h.admin, h.team.ID, "cluster", models.RoleViewer)

		github := newWorkloadIssuer(t, "https://token.actions.githubusercontent.com")
		k8s := newWorkloadIssuer(t, "https://oidc.cluster.example")

		// Adding a trusted issuer: who may, and what is refused.
		good := models.WorkloadIdentityInput{Name: "main branch", Issuer: github.iss, JWKSURI: github.jwks.URL, Audience: "https://portal.test",
			Subject: "repo:acme/deploy:ref:refs/heads/main", Claims: "repository_owner=acme\nevent_name=push"}
		if _, err := s.AddWorkloadIdentity(ctx, h.developer, h.team.ID, deployer.ID, models.WorkloadIdentityInput{}, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a developer (with an empty form) added a trusted issuer: %v", err)
		}
		if _, err := s.AddWorkloadIdentity(ctx, h.stranger, h.team.ID, deployer.ID, good, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a stranger added a trusted issuer: %v", err)
		}
		for field, in := range map[string]models.WorkloadIdentityInput{
			"subject":  {Name: "any", Issuer: github.iss, JWKSURI: github.jwks.URL, Audience: "a", Subject: "**"},
			"claims":   {Name: "sub twice", Issuer: github.iss, JWKSURI: github.jwks.URL, Audience: "a", Subject: "repo:acme/*", Claims: "sub=x"},
			"issuer":   {Name: "no issuer", Issuer: "not a url", JWKSURI: github.jwks.URL, Audience: "a", Subject: "x"},
			"audience": {Name: "no aud", Issuer: github.iss, JWKSURI: github.jwks.URL, Subject: "x"},
			"jwks_uri": {Name: "dead keys", Issuer: github.iss, JWKSURI: github.jwks.URL + "/keys", Audience: "a", Subject: "x"},
		} {
			if field == "jwks_uri" {
				github.jwks.setStatus(404)
			}
			_, err := s.AddWorkloadIdentity(ctx, h.admin, h.team.ID, deployer.ID, in, "")
			if _, ok := validationField(err, field); !ok {
				t.Errorf("%s: %v, want a validation error on %s", in.Name, err, field)
			}
			github.jwks.setStatus(200)
		}
		if _, err := s.AddWorkloadIdentity(ctx, h.admin, h.team.ID, deployer.ID, good, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddWorkloadIdentity(ctx, h.admin, h.team.ID, cluster.ID, models.WorkloadIdentityInput{Name: "payments namespace",
			Issuer: k8s.iss, JWKSURI: k8s.jwks.URL, Audience: "gatehouse", Subject: "system:serviceaccount:payments:*"}, ""); err != nil {
			t.Fatal(err)
		}

		now := clock.Now()
		// A GitHub Actions run on acme/deploy's main branch gets the deployer.
		sa, err := s.ServiceAccountByWorkloadToken(ctx, github.token(t, now, githubClaims("acme/deploy", "refs/heads/main")), deployer.ID)
		if err != nil || sa.ID != deployer.ID {
			t.Fatalf("GitHub workload: %v %v", sa, err)
		}
		// A Kubernetes pod in the payments namespace gets the cluster account.
		sa, err = s.ServiceAccountByWorkloadToken(ctx, k8s.token(t, now, kubernetesClaims("payments", "api")), cluster.ID)
		if err != nil || sa.ID != cluster.ID {
			t.Fatalf("Kubernetes workload: %v %v", sa, err)
		}

		// Everything else is invalid_grant, naming the failed condition only after the
		// signature holds.
		attacker := newRSAKey(t, 2048)
		forged := signJWS(t, attacker, jose.RS256, github.kid, map[string]any{"iss": github.iss, "exp": now.Add(time.Minute).Unix(),
			"sub": "repo:acme/deploy:ref:refs/heads/main", "aud": "https://portal.test", "repository_owner": "acme", "event_name": "push"}, nil, false)
		embedded := signJWS(t, attacker, jose.RS256, "", map[string]any{"iss": github.iss, "exp": now.Add(time.Minute).Unix(),
			"sub": "repo:acme/deploy:ref:refs/heads/main", "aud": "https://portal.test"}, nil, true)
		otherTeam := newSATeam(t, s)
		theirs := createSA(t, s, otherTeam.owner, otherTeam.team.ID, "theirs", models.RoleAdmin)
		for _, tc := range []struct {
			name, token, sa, want string
		}{
			{"another branch", github.token(t, now, githubClaims("acme/deploy", "refs/heads/feature")), deployer.ID, "sub"},
			{"another owner's repository", github.token(t, now, githubClaims("evil/deploy", "refs/heads/main")), deployer.ID, "sub"},
			{"a pull request", github.token(t, now, merge(githubClaims("acme/deploy", "refs/heads/main"), map[string]any{"event_name": "pull_request"})), deployer.ID, "event_name"},
			{"a missing claim", github.token(t, now, merge(githubClaims("acme/deploy", "refs/heads/main"), map[string]any{"repository_owner": nil})), deployer.ID, "repository_owner"},
			{"another audience", github.token(t, now, merge(githubClaims("acme/deploy", "refs/heads/main"), map[string]any{"aud": "sts.amazonaws.com"})), deployer.ID, "aud"},
			{"expired", github.token(t, now.Add(-20*time.Minute), githubClaims("acme/deploy", "refs/heads/main")), deployer.ID, "expired"},
			{"no exp", github.token(t, now, merge(githubClaims("acme/deploy", "refs/heads/main"), map[string]any{"exp": nil})), deployer.ID, "no exp"},
			{"not yet valid", github.token(t, now.Add(time.Hour), githubClaims("acme/deploy", "refs/heads/main")), deployer.ID, "not valid yet"},
			{"forged with the issuer's kid", forged, deployer.ID, "not signed"},
			{"an embedded key", embedded, deployer.ID, "carries keys"},
			{"another namespace", k8s.token(t, now, kubernetesClaims("default", "api")), cluster.ID, "sub"},
			{"an issuer this account does not trust", k8s.token(t, now, kubernetesClaims("payments", "api")), deployer.ID, "does not trust"},
			{"another team's account", github.token(t, now, githubClaims("acme/deploy", "refs/heads/main")), theirs.ID, "does not trust"},
			{"no client_id", github.token(t, now, githubClaims("acme/deploy", "refs/heads/main")), "", "client_id"},
			{"garbage", "a.b.c", deployer.ID, "malformed"},
		} {
			sa, err := s.ServiceAccountByWorkloadToken(ctx, tc.token, tc.sa)
			wantOAuthErr(t, tc.name, nil, err, models.ErrCodeInvalidGrant, tc.want)
			if sa != nil {
				t.Errorf("%s: got service account %s", tc.name, sa.ID)
			}
		}

		// The issuer rotates its key: the new kid is fetched once and accepted.
		clock.Advance(2 * time.Minute) // past the fetcher's refetch throttle
		s.JWKSFetcher().SetClock(clock.Now)
		old := github.key
		github.key, github.kid = newRSAKey(t, 2048), "rotated"
		github.jwks.setKeys(jwkJSON(t, &github.key.PublicKey, github.kid, "RS256", "sig"), jwkJSON(t, &old.PublicKey, "old", "RS256", "sig"))
		if _, err := s.ServiceAccountByWorkloadToken(ctx, github.token(t, clock.Now(), githubClaims("acme/deploy", "refs/heads/main")), deployer.ID); err != nil {
			t.Errorf("after the issuer's key rotation: %v", err)
		}

		// Removing the trust ends it.
		_, creds, err := s.ServiceAccountFor(ctx, h.viewer(t, s), h.team.ID, deployer.ID)
		if err != nil || len(creds) != 1 || creds[0].Kind != models.CredentialWorkload || len(creds[0].ClaimConditions()) != 2 {
			t.Fatalf("credentials: %+v %v", creds, err)
		}
		if err := s.RemoveServiceAccountCredential(ctx, h.admin, h.team.ID, deployer.ID, creds[0].ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = s.ServiceAccountByWorkloadToken(ctx, github.token(t, clock.Now(), githubClaims("acme/deploy", "refs/heads/main")), deployer.ID)
		wantOAuthErr(t, "after removal", nil, err, models.ErrCodeInvalidGrant, "does not trust")
	})
}

// viewer adds a viewer to the team and returns them.
func (h saTeam) viewer(t *testing.T, s *store.Store) models.Actor {
	t.Helper()
	v, _ := signUp(t, s, "Vic Viewer")
	addMember(t, s, h.owner, h.team.ID, v, models.RoleViewer)
	return v
}

// merge is claims with changes (nil deletes a claim).
func merge(claims, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range claims {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

func TestServiceAccountKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.SignerFor(t, s, ckIssuer)
		newCKClock(s)
		h := newSATeam(t, s)
		sa := createSA(t, s, h.admin, h.team.ID, "signer", models.RoleViewer)
		key := newECKey(t)
		if _, err := s.AddServiceAccountKey(ctx, h.developer, h.team.ID, sa.ID, models.ClientKeyInput{Name: "k", Material: "junk"}, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a developer added a key: %v", err)
		}
		if _, err := s.AddServiceAccountKey(ctx, h.admin, h.team.ID, sa.ID, models.ClientKeyInput{Name: "k", Material: pubPEM(t, &key.PublicKey)}, ""); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		assertion := signJWS(t, key, jose.ES256, "", assertionClaims(sa.ID, now), nil, false)
		got, err := s.ServiceAccountByAssertion(ctx, assertion, sa.ID, ckAudiences, models.ForClientAuth)
		if err != nil || got.ID != sa.ID {
			t.Fatalf("a key-signed assertion: %v %v", got, err)
		}
		_, err = s.ServiceAccountByAssertion(ctx, assertion, sa.ID, ckAudiences, models.ForClientAuth)
		wantOAuthErr(t, "replayed", nil, err, models.ErrCodeInvalidClient, "already been used")

		// Another key, another account, a project's id: refused.
		stranger := signJWS(t, newECKey(t), jose.ES256, "", assertionClaims(sa.ID, now), nil, false)
		_, err = s.ServiceAccountByAssertion(ctx, stranger, sa.ID, ckAudiences, models.ForGrant)
		wantOAuthErr(t, "an unregistered key", nil, err, models.ErrCodeInvalidGrant, "not signed by a key registered")
		other := createSA(t, s, h.admin, h.team.ID, "other", models.RoleViewer)
		_, err = s.ServiceAccountByAssertion(ctx, signJWS(t, key, jose.ES256, "", assertionClaims(other.ID, now), nil, false), other.ID, ckAudiences, models.ForGrant)
		wantOAuthErr(t, "the key of another account", nil, err, models.ErrCodeInvalidGrant, "not signed by a key registered")
		_, p := signUp(t, s, "Pat Project")
		_, err = s.ServiceAccountByAssertion(ctx, signJWS(t, key, jose.ES256, "", assertionClaims(p.ID, now), nil, false), "", ckAudiences, models.ForGrant)
		wantOAuthErr(t, "a project's client_id", nil, err, models.ErrCodeInvalidGrant, "iss and sub")
		// And a service account's assertion is not a project's.
		if _, err := s.VerifyAssertion(ctx, signJWS(t, key, jose.ES256, "", assertionClaims(sa.ID, now), nil, false), "", ckAudiences, models.ForGrant); err == nil {
			t.Error("a service account's assertion was accepted as a project's")
		}
	})
}
