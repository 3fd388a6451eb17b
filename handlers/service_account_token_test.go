package handlers_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// saFixture is a service account (developer) of a signed-in owner's team, with a
// fallback secret, a registered P-256 key and a trusted in-process workload issuer.
type saFixture struct {
	owner     *member
	team      string
	sa        *models.ServiceAccount
	secret    string
	key       *ecdsa.PrivateKey
	issuerKey *rsa.PrivateKey
	issuer    string
}

func newSAFixture(t testing.TB, e *env, email string) *saFixture {
	t.Helper()
	ctx := context.Background()
	f := &saFixture{owner: signedInMember(t, e, email), issuer: "https://ci.example"}
	team, err := e.store.CreateTeam(ctx, f.owner.actor, "Machines "+uuid.NewString()[:6], "")
	if err != nil {
		t.Fatal(err)
	}
	f.team = team.ID
	if f.sa, err = e.store.CreateServiceAccount(ctx, f.owner.actor, team.ID, models.ServiceAccountInput{Name: "deployer", Role: models.RoleDeveloper}, ""); err != nil {
		t.Fatal(err)
	}
	if _, f.secret, err = e.store.CreateServiceAccountSecret(ctx, f.owner.actor, team.ID, f.sa.ID, "fallback", 0, ""); err != nil {
		t.Fatal(err)
	}
	if f.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddServiceAccountKey(ctx, f.owner.actor, team.ID, f.sa.ID, models.ClientKeyInput{Name: "signer", Material: publicPEM(t, &f.key.PublicKey)}, ""); err != nil {
		t.Fatal(err)
	}
	if f.issuerKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.issuerKey.PublicKey, KeyID: "ci-1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) }))
	t.Cleanup(jwks.Close)
	e.store.SetJWKSFetcher(store.NewJWKSFetcher(true)) // the issuer serves on loopback
	if _, err := e.store.AddWorkloadIdentity(ctx, f.owner.actor, team.ID, f.sa.ID, models.WorkloadIdentityInput{Name: "ci",
		Issuer: f.issuer, JWKSURI: jwks.URL, Audience: "gatehouse", Subject: "pipeline:deploy:*"}, ""); err != nil {
		t.Fatal(err)
	}
	return f
}

// workloadToken is a CI job's token for subject sub.
func (f *saFixture) workloadToken(t testing.TB, sub string) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.issuerKey}, (&jose.SignerOptions{}).WithHeader("kid", "ci-1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(sg).Claims(map[string]any{"iss": f.issuer, "sub": sub, "aud": "gatehouse",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// assertion is a private_key_jwt assertion of the account, for audience aud.
func (f *saFixture) assertion(t testing.TB, aud string) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(sg).Claims(map[string]any{"iss": f.sa.ID, "sub": f.sa.ID, "aud": aud, "jti": uuid.NewString(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestServiceAccountTokenEndpoint drives POST /oauth/token as a service account in every
// way it may authenticate, and the ways it may not, then uses the tokens on /api/v1.
func TestServiceAccountTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	f := newSAFixture(t, e, "sa-token@example.com")
	tokenURL := e.portal.URL + "/oauth/token"
	jwtBearer := "urn:ietf:params:oauth:grant-type:jwt-bearer"

	ok := map[string]struct {
		form        url.Values
		basic, pass string
	}{
		"fallback secret (Basic)": {form: url.Values{"grant_type": {"client_credentials"}}, basic: f.sa.ID, pass: f.secret},
		"fallback secret (post)":  {form: url.Values{"grant_type": {"client_credentials"}, "client_id": {f.sa.ID}, "client_secret": {f.secret}}},
		"private_key_jwt": {form: url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {models.ClientAssertionType},
			"client_assertion": {f.assertion(t, tokenURL)}}},
		"JWT bearer, its own key": {form: url.Values{"grant_type": {jwtBearer}, "assertion": {f.assertion(t, tokenURL)}}},
		"JWT bearer, a workload token": {form: url.Values{"grant_type": {jwtBearer}, "client_id": {f.sa.ID},
			"assertion": {f.workloadToken(t, "pipeline:deploy:main")}, "resource": {e.portal.URL + "/api/v1"}}},
	}
	for name, tc := range ok {
		res, body, raw := oauthPost(t, e, "/oauth/token", tc.form, tc.basic, tc.pass)
		if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %s", name, res.StatusCode, raw)
			continue
		}
		tok, _ := body["access_token"].(string)
		var claims map[string]any
		if err := jwtClaims(tok, &claims); err != nil || claims["sub"] != f.sa.ID || claims["sub_type"] != "service_account" ||
			claims["aud"] != e.portal.URL+"/api/v1" || body["expires_in"] != float64(900) {
			t.Errorf("%s: %v %v %v", name, claims, body, err)
		}
		// The token works on the management API with the account's role (developer):
		// it reads the team's projects, and may not create one.
		if code := apiCall(t, e, tok, http.MethodGet, "/api/v1/teams/"+f.team+"/projects", ""); code != http.StatusOK {
			t.Errorf("%s: listing projects: %d", name, code)
		}
		if code := apiCall(t, e, tok, http.MethodPost, "/api/v1/teams/"+f.team+"/projects", `{"name":"x"}`); code != http.StatusForbidden {
			t.Errorf("%s: a developer account creating a project: %d, want 403", name, code)
		}
	}

	refused := map[string]struct {
		form        url.Values
		basic, pass string
		status      int
		code, desc  string
	}{
		"wrong secret": {form: url.Values{"grant_type": {"client_credentials"}}, basic: f.sa.ID, pass: models.NewClientSecret(),
			status: 401, code: "invalid_client"},
		"a project's secret format, another account": {form: url.Values{"grant_type": {"client_credentials"}}, basic: "sa_" + strings.Repeat("a", 26), pass: f.secret,
			status: 401, code: "invalid_client"},
		"an assertion for another audience": {form: url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {models.ClientAssertionType},
			"client_assertion": {f.assertion(t, "https://elsewhere.example/token")}}, status: 401, code: "invalid_client", desc: "aud"},
		"a workload token with client authentication besides": {form: url.Values{"grant_type": {jwtBearer}, "client_id": {f.sa.ID},
			"assertion": {f.workloadToken(t, "pipeline:deploy:main")}}, basic: f.sa.ID, pass: f.secret, status: 400, code: "invalid_request"},
		"a workload of another pipeline": {form: url.Values{"grant_type": {jwtBearer}, "client_id": {f.sa.ID},
			"assertion": {f.workloadToken(t, "pipeline:test:main")}}, status: 400, code: "invalid_grant", desc: "sub"},
		"scopes": {form: url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}, basic: f.sa.ID, pass: f.secret,
			status: 400, code: "invalid_scope"},
		"another resource": {form: url.Values{"grant_type": {"client_credentials"}, "resource": {"https://orders.example"}}, basic: f.sa.ID, pass: f.secret,
			status: 400, code: "invalid_target"},
	}
	for name, tc := range refused {
		res, body, raw := oauthPost(t, e, "/oauth/token", tc.form, tc.basic, tc.pass)
		desc, _ := body["error_description"].(string)
		if res.StatusCode != tc.status || body["error"] != tc.code || !strings.Contains(desc, tc.desc) {
			t.Errorf("%s: %d %s, want %d %s (%q)", name, res.StatusCode, raw, tc.status, tc.code, tc.desc)
		}
	}

	// A project's access token is not a service account's, whatever API it is for.
	cl := newOAuthClient(t, e, "sa-project@example.com")
	_, body, _ := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, cl.project.ID, cl.secret)
	if tok, _ := body["access_token"].(string); tok == "" || apiCall(t, e, tok, http.MethodGet, "/api/v1/teams", "") != http.StatusUnauthorized {
		t.Error("a project's access token was accepted by the management API")
	}
}

// apiCall calls the management API with a bearer token and returns the status.
func apiCall(t testing.TB, e *env, token, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, e.portal.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode
}

// jwtClaims reads a JWT's claims without verifying it.
func jwtClaims(token string, out any) error {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		return err
	}
	return tok.UnsafeClaimsWithoutVerification(out)
}

// BenchmarkServiceAccountToken is POST /oauth/token for a service account: with a
// workload token (an RS256 signature checked against the issuer's cached key set,
// conditions matched) and with the fallback secret. Compare BenchmarkTokenEndpoint
// (a project's client credentials) in the same run.
func BenchmarkServiceAccountToken(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			f := newSAFixture(b, e, "sa-bench@example.com")
			b.Run("workload", func(b *testing.B) {
				hammerPOST(b, e.portal.URL+"/oauth/token", "", "", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
					"client_id": {f.sa.ID}, "assertion": {f.workloadToken(b, "pipeline:deploy:main")}})
			})
			b.Run("secret", func(b *testing.B) {
				hammerPOST(b, e.portal.URL+"/oauth/token", f.sa.ID, f.secret, url.Values{"grant_type": {"client_credentials"}})
			})
		})
	}
}

// TestServiceAccountWorkloadExchange: a service account exchanges a workload token of an
// issuer it trusts by token exchange (RFC 8693, subject_token_type jwt), as a security
// token service expects; the answer is the account's own access token, and every other
// shape of the request is refused with RFC 8693's errors and issues nothing.
func TestServiceAccountWorkloadExchange(t *testing.T) {
	e := newEnv(t)
	f := newSAFixture(t, e, "sa-exchange@example.com")
	exchange := func(extra url.Values) url.Values {
		form := url.Values{"grant_type": {models.GrantTokenExchange}, "client_id": {f.sa.ID},
			"subject_token": {f.workloadToken(t, "pipeline:deploy:main")}, "subject_token_type": {models.TokenTypeJWT},
			"resource": {e.portal.URL + "/api/v1"}}
		for k, v := range extra {
			if v == nil {
				form.Del(k)
			} else {
				form[k] = v
			}
		}
		return form
	}
	res, body, raw := oauthPost(t, e, "/oauth/token", exchange(url.Values{"requested_token_type": {models.TokenTypeAccessToken}}), "", "")
	if res.StatusCode != http.StatusOK || body["issued_token_type"] != models.TokenTypeAccessToken || body["token_type"] != "Bearer" {
		t.Fatalf("exchange: %d %s", res.StatusCode, raw)
	}
	tok, _ := body["access_token"].(string)
	var claims map[string]any
	if err := jwtClaims(tok, &claims); err != nil || claims["sub"] != f.sa.ID || claims["sub_type"] != "service_account" ||
		claims["act"] != nil || claims["aud"] != e.portal.URL+"/api/v1" {
		t.Errorf("claims %v (%v)", claims, err)
	}
	if code := apiCall(t, e, tok, http.MethodGet, "/api/v1/teams/"+f.team+"/projects", ""); code != http.StatusOK {
		t.Errorf("the exchanged token on the management API: %d", code)
	}

	refused := map[string]struct {
		form        url.Values
		basic, pass string
		status      int
		code, desc  string
	}{
		"no subject_token":              {form: exchange(url.Values{"subject_token": nil}), status: 400, code: "invalid_request", desc: "subject_token"},
		"an access token type":          {form: exchange(url.Values{"subject_token_type": {models.TokenTypeAccessToken}}), status: 400, code: "invalid_request", desc: "subject_token_type"},
		"an actor":                      {form: exchange(url.Values{"actor_token": {f.workloadToken(t, "pipeline:deploy:main")}, "actor_token_type": {models.TokenTypeJWT}}), status: 400, code: "invalid_request", desc: "actor_token"},
		"impersonation":                 {form: exchange(url.Values{models.ParamImpersonate: {"true"}}), status: 400, code: "invalid_request", desc: "impersonation"},
		"a refresh token wanted":        {form: exchange(url.Values{"requested_token_type": {"urn:ietf:params:oauth:token-type:refresh_token"}}), status: 400, code: "invalid_request", desc: "requested_token_type"},
		"client authentication besides": {form: exchange(nil), basic: f.sa.ID, pass: f.secret, status: 400, code: "invalid_request", desc: "workload token alone"},
		"another pipeline":              {form: exchange(url.Values{"subject_token": {f.workloadToken(t, "pipeline:test:main")}}), status: 400, code: "invalid_grant", desc: "sub"},
		"the account's own assertion":   {form: exchange(url.Values{"subject_token": {f.assertion(t, e.portal.URL+"/oauth/token")}}), status: 400, code: "invalid_grant", desc: "issuer"},
		"a scope it lacks":              {form: exchange(url.Values{"scope": {"orders:read"}}), status: 400, code: "invalid_scope"},
		"another resource":              {form: exchange(url.Values{"resource": {"https://orders.example"}}), status: 400, code: "invalid_target"},
	}
	for name, tc := range refused {
		res, body, raw := oauthPost(t, e, "/oauth/token", tc.form, tc.basic, tc.pass)
		desc, _ := body["error_description"].(string)
		if res.StatusCode != tc.status || body["error"] != tc.code || !strings.Contains(desc, tc.desc) || body["access_token"] != nil {
			t.Errorf("%s: %d %s, want %d %s (%q)", name, res.StatusCode, raw, tc.status, tc.code, tc.desc)
		}
	}
}
