package handlers_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/models"
)

// pkClient is a project that accepts private_key_jwt (and client secrets) and the JWT
// bearer grant, with a registered EC P-256 public key whose private half it signs with.
type pkClient struct {
	*oauthClient
	e   *env
	key *ecdsa.PrivateKey
	kid string
}

func newPKClient(t *testing.T, e *env, email string) *pkClient {
	t.Helper()
	c := &pkClient{oauthClient: newOAuthClient(t, e, email), e: e, key: newP256(t)}
	c.configure(t, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}, models.GrantClientCredentials, models.GrantJWTBearer)
	k, err := e.store.AddClientKey(context.Background(), c.owner.actor, c.project.ID,
		models.ClientKeyInput{Name: "svc", Material: publicPEM(t, &c.key.PublicKey)}, "")
	if err != nil {
		t.Fatal(err)
	}
	c.kid = k.KID
	return c
}

// configure sets the project's accepted authentication methods and grant types.
func (c *pkClient) configure(t *testing.T, methods []string, grants ...string) {
	t.Helper()
	p := c.project
	if err := c.e.store.UpdateProject(context.Background(), c.owner.actor, p.ID, models.ProjectSettings{Name: p.Name,
		TokenTTLMinutes: 15, GrantTypes: grants, AuthMethods: methods}); err != nil {
		t.Fatal(err)
	}
}

// assertion signs a fresh assertion (new jti) for the project, aud the token endpoint;
// edit changes its claims.
func (c *pkClient) assertion(t *testing.T, edit func(claims map[string]any)) string {
	t.Helper()
	return c.signedBy(t, c.key, c.kid, edit)
}

func (c *pkClient) signedBy(t *testing.T, key *ecdsa.PrivateKey, kid string, edit func(claims map[string]any)) string {
	t.Helper()
	now, id := c.e.clock(), c.project.ID
	claims := map[string]any{"iss": id, "sub": id, "aud": c.e.portal.URL + "/oauth/token", "iat": now.Unix(),
		"exp": now.Add(2 * time.Minute).Unix(), "jti": uuid.NewString()}
	if edit != nil {
		edit(claims)
	}
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// clientAuth is a form authenticating with assertion a (private_key_jwt).
func (c *pkClient) clientAuth(a string, extra url.Values) url.Values {
	f := url.Values{"client_id": {c.project.ID}, "client_assertion_type": {models.ClientAssertionType}, "client_assertion": {a}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func newP256(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// wantOAuthErrorDesc is wantOAuthError that also wants desc in the error_description.
func wantOAuthErrorDesc(t *testing.T, res *http.Response, raw string, status int, code, desc string) {
	t.Helper()
	wantOAuthError(t, res, raw, status, code)
	var body struct {
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal([]byte(raw), &body)
	if !strings.Contains(body.Description, desc) {
		t.Errorf("error_description %q, want it to mention %q", body.Description, desc)
	}
}

// wantToken checks a successful token response and returns the access token's claims.
func wantToken(t *testing.T, e *env, res *http.Response, body map[string]any, raw, project string) models.AccessTokenClaims {
	t.Helper()
	var claims models.AccessTokenClaims
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200: %s", res.StatusCode, raw)
		return claims
	}
	if body["token_type"] != "Bearer" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response %s, Cache-Control %q", raw, res.Header.Get("Cache-Control"))
	}
	if _, ok := body["refresh_token"]; ok {
		t.Error("a refresh_token was issued")
	}
	at, _ := body["access_token"].(string)
	verifyOverHTTP(t, e.browser(), at, models.TypAccessToken, &claims)
	if claims.Subject != project || claims.ClientID != project || claims.Issuer != e.portal.URL {
		t.Errorf("access token sub %q client_id %q iss %q, want the project %s from %s", claims.Subject, claims.ClientID, claims.Issuer, project, e.portal.URL)
	}
	return claims
}

// roundTripFunc records what a client library sends.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPrivateKeyJWTWithGoOAuth2(t *testing.T) {
	e := newEnv(t)
	c := newPKClient(t, e, "pkjwt-oauth2@example.com")
	id := c.project.ID

	var mu sync.Mutex
	var sent []url.Values
	var sentAuth []string
	recorder := &http.Client{Timeout: 10 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		_ = r.Body.Close()
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		sent, sentAuth = append(sent, form), append(sentAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		return http.DefaultTransport.RoundTrip(r)
	})}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, recorder)
	config := func(assertion string) *clientcredentials.Config {
		return &clientcredentials.Config{ClientID: id, TokenURL: e.portal.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
			Scopes:         []string{"orders:read"},
			EndpointParams: url.Values{"client_assertion_type": {models.ClientAssertionType}, "client_assertion": {assertion}}}
	}

	a := c.assertion(t, nil)
	tok, err := config(a).Token(ctx)
	if err != nil {
		t.Fatalf("x/oauth2 with private_key_jwt and no secret: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.Expiry.IsZero() {
		t.Errorf("token = %+v", tok)
	}
	var claims models.AccessTokenClaims
	verifyOverHTTP(t, e.browser(), tok.AccessToken, models.TypAccessToken, &claims)
	if claims.Subject != id || claims.ClientID != id || claims.Scope != "orders:read" || claims.Issuer != e.portal.URL {
		t.Errorf("access token claims = %+v, want the project's with scope orders:read", claims)
	}

	// What x/oauth2 put on the wire: the assertion, the client_id, and no secret at all.
	mu.Lock()
	if len(sent) != 1 {
		t.Fatalf("x/oauth2 sent %d requests, want 1", len(sent))
	}
	form, auth := sent[0], sentAuth[0]
	mu.Unlock()
	if _, has := form["client_secret"]; has || auth != "" {
		t.Errorf("x/oauth2 sent client_secret=%q Authorization=%q, want neither", form.Get("client_secret"), auth)
	}
	if form.Get("client_id") != id || form.Get("grant_type") != "client_credentials" || form.Get("client_assertion") != a ||
		form.Get("client_assertion_type") != models.ClientAssertionType {
		t.Errorf("x/oauth2 sent %v", form)
	}

	// A second token needs a fresh assertion; the used one is refused as invalid_client.
	if _, err := config(c.assertion(t, nil)).Token(ctx); err != nil {
		t.Errorf("second token with a fresh assertion: %v", err)
	}
	_, err = config(a).Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed assertion through x/oauth2: %v, want a 401 invalid_client RetrieveError", err)
	}
}

func TestJWTBearerGrant(t *testing.T) {
	e := newEnv(t)
	c := newPKClient(t, e, "bearer@example.com")
	id := c.project.ID
	bearer := func(a string) url.Values {
		return url.Values{"grant_type": {models.GrantJWTBearer}, "assertion": {a}}
	}

	a := c.assertion(t, nil)
	t.Run("NoClientAuthentication", func(t *testing.T) {
		res, body, raw := oauthPost(t, e, "/oauth/token", bearer(a), "", "")
		claims := wantToken(t, e, res, body, raw, id)
		if len(claims.Audience) != 1 || claims.Audience[0] != c.api.Identifier || body["expires_in"] != float64(900) {
			t.Errorf("aud %v expires_in %v, want the project's one API [%s] and 900", claims.Audience, body["expires_in"], c.api.Identifier)
		}
	})
	t.Run("Replay", func(t *testing.T) {
		res, _, raw := oauthPost(t, e, "/oauth/token", bearer(a), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_grant", "already been used")
	})
	t.Run("AudIsTheIssuer", func(t *testing.T) {
		res, body, raw := oauthPost(t, e, "/oauth/token", bearer(c.assertion(t, func(cl map[string]any) { cl["aud"] = e.portal.URL })), "", "")
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("ScopeAndResource", func(t *testing.T) {
		f := bearer(c.assertion(t, nil))
		f.Set("scope", "orders:read")
		f.Set("resource", c.api.Identifier)
		res, body, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		claims := wantToken(t, e, res, body, raw, id)
		if claims.Scope != "orders:read" || len(claims.Audience) != 1 || claims.Audience[0] != c.api.Identifier {
			t.Errorf("scope %q aud %v", claims.Scope, claims.Audience)
		}
	})
	t.Run("WithOwnClientSecret", func(t *testing.T) {
		res, body, raw := oauthPost(t, e, "/oauth/token", bearer(c.assertion(t, nil)), id, c.secret)
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("WithOwnPrivateKeyJWT", func(t *testing.T) {
		f := c.clientAuth(c.assertion(t, nil), bearer(c.assertion(t, nil)))
		res, body, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("AnotherProjectsSecret", func(t *testing.T) {
		other := newOAuthClient(t, e, "bearer-other@example.com")
		res, _, raw := oauthPost(t, e, "/oauth/token", bearer(c.assertion(t, nil)), other.project.ID, other.secret)
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("BadAssertions", func(t *testing.T) {
		res, _, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {models.GrantJWTBearer}}, "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")
		res, _, raw = oauthPost(t, e, "/oauth/token", bearer(c.signedBy(t, newP256(t), c.kid, nil)), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_grant", "not signed")
		res, _, raw = oauthPost(t, e, "/oauth/token", bearer(c.assertion(t, func(cl map[string]any) { cl["aud"] = "https://elsewhere.test/token" })), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_grant", "aud")
		res, _, raw = oauthPost(t, e, "/oauth/token", bearer("not.a.jwt"), "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("GrantNotAllowed", func(t *testing.T) {
		c.configure(t, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}, models.GrantClientCredentials)
		defer c.configure(t, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}, models.GrantClientCredentials, models.GrantJWTBearer)
		res, _, raw := oauthPost(t, e, "/oauth/token", bearer(c.assertion(t, nil)), "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "unauthorized_client")
	})
}

func TestPrivateKeyJWTClientAuthentication(t *testing.T) {
	e := newEnv(t)
	c := newPKClient(t, e, "pkjwt-auth@example.com")
	id := c.project.ID
	cc := url.Values{"grant_type": {"client_credentials"}}

	t.Run("OK", func(t *testing.T) {
		res, body, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), cc), "", "")
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("WithoutClientID", func(t *testing.T) {
		f := c.clientAuth(c.assertion(t, nil), cc)
		f.Del("client_id")
		res, body, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("TwoMethods", func(t *testing.T) {
		res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), cc), id, c.secret)
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_request", "one client authentication method")
		res, _, raw = oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), url.Values{"grant_type": {"client_credentials"}, "client_secret": {c.secret}}), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_request", "one client authentication method")
	})
	t.Run("AssertionType", func(t *testing.T) {
		f := c.clientAuth(c.assertion(t, nil), cc)
		f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		res, _, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusBadRequest, "invalid_request", models.ClientAssertionType)
		f = c.clientAuth("", cc)
		res, _, raw = oauthPost(t, e, "/oauth/token", f, "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")
		f = c.clientAuth(c.assertion(t, nil), cc)
		f.Del("client_assertion_type")
		res, _, raw = oauthPost(t, e, "/oauth/token", f, "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")
	})
	t.Run("Replay", func(t *testing.T) {
		a := c.assertion(t, nil)
		if res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(a, cc), "", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("first use: %d %s", res.StatusCode, raw)
		}
		res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(a, cc), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusUnauthorized, "invalid_client", "already been used")
	})
	t.Run("ClientIDMismatch", func(t *testing.T) {
		other := newOAuthClient(t, e, "pkjwt-auth-other@example.com")
		f := c.clientAuth(c.assertion(t, nil), cc)
		f.Set("client_id", other.project.ID)
		res, _, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	})
	t.Run("UnregisteredKey", func(t *testing.T) {
		res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.signedBy(t, newP256(t), c.kid, nil), cc), "", "")
		wantOAuthErrorDesc(t, res, raw, http.StatusUnauthorized, "invalid_client", "not signed")
	})
	t.Run("SecretsDisabled", func(t *testing.T) {
		c.configure(t, []string{models.AuthPrivateKeyJWT}, models.GrantClientCredentials, models.GrantJWTBearer)
		defer c.configure(t, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}, models.GrantClientCredentials, models.GrantJWTBearer)
		res, _, basicRaw := oauthPost(t, e, "/oauth/token", cc, id, c.secret)
		wantOAuthError(t, res, basicRaw, http.StatusUnauthorized, "invalid_client")
		res, _, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {c.secret}}, "", "")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
		// The refusal looks like any wrong secret.
		_, _, wrongRaw := oauthPost(t, e, "/oauth/token", cc, id, models.NewClientSecret())
		if basicRaw != wrongRaw {
			t.Errorf("disabled secret answers %s, a wrong secret %s: want the same", basicRaw, wrongRaw)
		}
		res, body, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), cc), "", "")
		wantToken(t, e, res, body, raw, id)
	})
	t.Run("PrivateKeyJWTDisabled", func(t *testing.T) {
		c.configure(t, []string{models.AuthClientSecret}, models.GrantClientCredentials, models.GrantJWTBearer)
		defer c.configure(t, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}, models.GrantClientCredentials, models.GrantJWTBearer)
		res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), cc), "", "")
		// The same words as an unknown client's (TestAssertionAnswersNoOracle).
		wantOAuthErrorDesc(t, res, raw, http.StatusUnauthorized, "invalid_client", "not signed")
		res, _, raw = oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {models.GrantJWTBearer}, "assertion": {c.assertion(t, nil)}}, "", "")
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_grant")
		if res, _, raw := oauthPost(t, e, "/oauth/token", cc, id, c.secret); res.StatusCode != http.StatusOK {
			t.Errorf("the secret with private_key_jwt disabled: %d %s", res.StatusCode, raw)
		}
	})
	t.Run("KeyRemoved", func(t *testing.T) {
		ctx := context.Background()
		keys, err := e.store.ClientKeys(ctx, c.owner.actor, id)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys: %v %v", keys, err)
		}
		a := c.assertion(t, nil)
		if err := e.store.RemoveClientKey(ctx, c.owner.actor, id, keys[0].ID); err != nil {
			t.Fatal(err)
		}
		res, _, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(a, cc), "", "")
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	})
}

// TestPrivateKeyJWTFailuresAreCountedPerClient: failed assertions sent without client_id
// must not lock out other clients that also omit it (client_id is optional with
// private_key_jwt, RFC 7523 §3.1).
func TestPrivateKeyJWTFailuresAreCountedPerClient(t *testing.T) {
	e := newEnv(t)
	victim := newPKClient(t, e, "pkjwt-victim@example.com")
	cc := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i < 10; i++ {
		f := victim.clientAuth("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", cc)
		f.Del("client_id")
		res, _, raw := oauthPost(t, e, "/oauth/token", f, "", "")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("garbage assertion %d: %d %s", i, res.StatusCode, raw)
		}
	}
	f := victim.clientAuth(victim.assertion(t, nil), cc)
	f.Del("client_id")
	res, body, raw := oauthPost(t, e, "/oauth/token", f, "", "")
	if res.StatusCode == http.StatusTooManyRequests {
		t.Errorf("another caller's 10 failed assertions without client_id block this client's valid one: %d %s", res.StatusCode, raw)
	} else {
		wantToken(t, e, res, body, raw, victim.project.ID)
	}
	// With client_id, it works either way.
	res, body, raw = oauthPost(t, e, "/oauth/token", victim.clientAuth(victim.assertion(t, nil), cc), "", "")
	wantToken(t, e, res, body, raw, victim.project.ID)
}

func TestPrivateKeyJWTIntrospectionAndRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := newPKClient(t, e, "pkjwt-intro@example.com")
	id := c.project.ID
	_, tb, raw := oauthPost(t, e, "/oauth/token", c.clientAuth(c.assertion(t, nil), url.Values{"grant_type": {"client_credentials"}}), "", "")
	at, _ := tb["access_token"].(string)
	if at == "" {
		t.Fatalf("no token: %s", raw)
	}
	res, body, raw := oauthPost(t, e, "/oauth/introspect", c.clientAuth(c.assertion(t, nil), url.Values{"token": {at}}), "", "")
	if res.StatusCode != http.StatusOK || body["active"] != true || body["client_id"] != id || body["credential_type"] != "access_token" {
		t.Errorf("introspection with private_key_jwt: %d %s", res.StatusCode, raw)
	}
	a := c.assertion(t, nil)
	if res, _, raw := oauthPost(t, e, "/oauth/introspect", c.clientAuth(a, url.Values{"token": {at}}), "", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %s", res.StatusCode, raw)
	}
	res, _, raw = oauthPost(t, e, "/oauth/introspect", c.clientAuth(a, url.Values{"token": {at}}), "", "")
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	res, _, raw = oauthPost(t, e, "/oauth/introspect", c.clientAuth(c.assertion(t, nil), url.Values{"token": {at}}), id, c.secret)
	wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")

	key, apiKey, err := e.store.CreateAPIKey(ctx, c.owner.actor, id, models.APIKeyInput{Name: "k", API: c.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, _, raw = oauthPost(t, e, "/oauth/revoke", c.clientAuth(c.assertion(t, nil), url.Values{"token": {apiKey}}), "", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revocation with private_key_jwt: %d %s", res.StatusCode, raw)
	}
	keys, err := e.store.APIKeys(ctx, c.owner.actor, id)
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if len(keys) != 1 || keys[0].ID != key.ID || keys[0].RevokedAt == nil {
		t.Error("the API key was not revoked")
	}
}

func TestClientKeysPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "client-keys-page@example.com")
	m, pid := cl.owner, cl.project.ID
	key := newP256(t)
	pubPEM := publicPEM(t, &key.PublicKey)
	thumb, _ := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	stored := func() []models.ClientKeyInfo {
		t.Helper()
		keys, err := e.store.ClientKeys(ctx, m.actor, pid)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	fieldErrors := func(res *http.Response) string {
		t.Helper()
		return doc(t, res).Find(`[data-testid="field-error"]`).Text()
	}
	addForm := func(k, uri string) url.Values {
		return url.Values{"_csrf": {m.csrf}, "name": {"billing"}, "key": {k}, "jwks_uri": {uri}, "expires_in_days": {"365"},
			"form_token": {models.NewIdempotencyKey()}}
	}

	res := m.b.post("/projects/"+pid+"/client-keys", addForm(pubPEM, ""), nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/projects/"+pid) {
		t.Fatalf("add a PEM key: %d to %q, want 303 to the project: %s", res.StatusCode, res.Header.Get("Location"), readBody(res))
	}
	keys := stored()
	if len(keys) != 1 || keys[0].KID != kid || keys[0].Alg != "ES256" || keys[0].ExpiresAt == nil ||
		keys[0].ExpiresAt.Sub(e.clock()) != 365*24*time.Hour {
		t.Fatalf("stored %+v, want one ES256 key with kid %s expiring in 365 days", keys, kid)
	}
	page := doc(t, m.b.get("/projects/"+pid+"/credentials"))
	row := page.Find(`[data-testid="client-key-row"]`)
	if id, _ := row.Attr("data-client-key-id"); row.Length() != 1 || id != keys[0].ID || !strings.Contains(row.Text(), kid) {
		t.Errorf("project page lists %d key rows (id %q, text %q), want the key with kid %s", row.Length(), id, row.Text(), kid)
	}

	t.Run("PrivateKeyRefused", func(t *testing.T) {
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		res := m.b.post("/projects/"+pid+"/client-keys", addForm(privPEM, ""), nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("private key: %d, want 422", res.StatusCode)
		}
		html := readBody(res)
		if msg := fieldErrors(&http.Response{Body: io.NopCloser(strings.NewReader(html))}); !strings.Contains(msg, "private") {
			t.Errorf("field errors %q, want a message about a private key", msg)
		}
		// The refused private key is not sent back into the page.
		b64 := base64.StdEncoding.EncodeToString(der)
		if strings.Contains(html, b64[:48]) || strings.Contains(html, "PRIVATE KEY") {
			t.Error("the 422 page echoes the pasted private key back into the form")
		}
		if n := len(stored()); n != 1 {
			t.Errorf("%d keys stored after a refused private key, want 1", n)
		}
	})
	t.Run("InternalJWKSURIRefused", func(t *testing.T) {
		res := m.b.post("/projects/"+pid+"/client-keys", addForm("", "https://127.0.0.1/jwks"), nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("internal jwks_uri: %d, want 422", res.StatusCode)
		}
		if msg := fieldErrors(res); !strings.Contains(msg, "internal address") {
			t.Errorf("field errors %q, want internal address", msg)
		}
		if n := len(stored()); n != 1 {
			t.Errorf("%d keys stored after a refused jwks_uri, want 1", n)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		res := m.b.post("/projects/"+pid+"/client-keys/"+keys[0].ID+"/remove", url.Values{"_csrf": {m.csrf}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove: %d, want 303: %s", res.StatusCode, readBody(res))
		}
		if n := len(stored()); n != 0 {
			t.Errorf("%d keys after remove, want 0", n)
		}
		if n := doc(t, m.b.get("/projects/"+pid+"/credentials")).Find(`[data-testid="client-key-row"]`).Length(); n != 0 {
			t.Errorf("the page still lists %d key rows", n)
		}
		res = m.b.post("/projects/"+pid+"/client-keys/"+keys[0].ID+"/remove", url.Values{"_csrf": {m.csrf}}, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("removing it again: %d, want 404", res.StatusCode)
		}
	})
	t.Run("AuthMethodsSetting", func(t *testing.T) {
		p := cl.project
		settings := func(methods ...string) url.Values {
			f := url.Values{"_csrf": {m.csrf}, "name": {p.Name}, "description": {""},
				"token_ttl_minutes": {"15"}, "grant_types": {models.GrantClientCredentials}, "auth_methods_shown": {"1"}}
			if len(methods) > 0 {
				f["auth_methods"] = methods
			}
			return f
		}
		res := m.b.post("/projects/"+pid+"/settings", settings(), nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("no auth method: %d, want 422", res.StatusCode)
		}
		if msg := fieldErrors(res); !strings.Contains(msg, "at least one") {
			t.Errorf("field errors %q, want at least one", msg)
		}
		pv, err := e.store.ProjectFor(ctx, m.actor, pid)
		if err != nil {
			t.Fatalf("ProjectFor: %v", err)
		}
		if pv.AuthMethods != models.AuthClientSecret {
			t.Errorf("auth methods after a refused update: %q", pv.AuthMethods)
		}
		res = m.b.post("/projects/"+pid+"/settings", settings(models.AuthPrivateKeyJWT, models.AuthClientSecret), nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("both methods: %d, want 303: %s", res.StatusCode, readBody(res))
		}
		pv, err = e.store.ProjectFor(ctx, m.actor, pid)
		if err != nil {
			t.Fatalf("ProjectFor: %v", err)
		}
		if !pv.AcceptsAuth(models.AuthPrivateKeyJWT) || !pv.AcceptsAuth(models.AuthClientSecret) {
			t.Errorf("auth methods = %q, want both", pv.AuthMethods)
		}
		// A form without the checkboxes leaves the methods as they are.
		f := settings()
		f.Del("auth_methods_shown")
		if res := m.b.post("/projects/"+pid+"/settings", f, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("settings without the checkboxes: %d", res.StatusCode)
		}
		if pv, err = e.store.ProjectFor(ctx, m.actor, pid); err != nil {
			t.Fatalf("ProjectFor: %v", err)
		} else if !pv.AcceptsAuth(models.AuthPrivateKeyJWT) || !pv.AcceptsAuth(models.AuthClientSecret) {
			t.Errorf("auth methods = %q after a form without them, want unchanged", pv.AuthMethods)
		}
		res = m.b.post("/projects/"+pid+"/settings", settings("password"), nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("unknown method: %d, want 422", res.StatusCode)
		}
	})
}

// TestMetadataAdvertisesAssertionAlgs: RFC 8414 §2 requires
// token_endpoint_auth_signing_alg_values_supported (and the introspection and revocation
// counterparts) whenever the endpoint lists private_key_jwt.
func TestMetadataAdvertisesAssertionAlgs(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.portal.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal([]byte(readBody(res)), &md); err != nil {
		t.Fatal(err)
	}
	for _, endpoint := range []string{"token", "introspection", "revocation"} {
		methods, _ := md[endpoint+"_endpoint_auth_methods_supported"].([]any)
		if !slices.Contains(methods, any(models.AuthPrivateKeyJWT)) {
			t.Errorf("%s endpoint does not list private_key_jwt: %v", endpoint, methods)
			continue
		}
		field := endpoint + "_endpoint_auth_signing_alg_values_supported"
		algs, ok := md[field].([]any)
		if !ok {
			t.Errorf("metadata lists private_key_jwt for the %s endpoint but has no %s", endpoint, field)
			continue
		}
		var got []string
		for _, a := range algs {
			s, _ := a.(string)
			got = append(got, s)
		}
		if !slices.Equal(got, models.ClientAssertionAlgs) {
			t.Errorf("%s = %v, want the accepted assertion algorithms %v", field, got, models.ClientAssertionAlgs)
		}
	}
}

// An assertion naming a client that has private_key_jwt off answers exactly like one
// naming no client at all: the endpoint confirms nothing about a client_id. The client's
// audit log records the attempt.
func TestAssertionAnswersNoOracle(t *testing.T) {
	e := newEnv(t)
	off := newPKClient(t, e, "pkjwt-off@example.com")
	off.configure(t, []string{models.AuthClientSecret}, models.GrantClientCredentials)
	cc := url.Values{"grant_type": {"client_credentials"}}

	res, _, rawOff := oauthPost(t, e, "/oauth/token", off.clientAuth(off.assertion(t, nil), cc), "", "")
	wantOAuthError(t, res, rawOff, http.StatusUnauthorized, "invalid_client")
	unknown := "prj_" + strings.Repeat("z", 26)
	f := off.clientAuth(off.assertion(t, func(c map[string]any) { c["iss"], c["sub"] = unknown, unknown }), cc)
	f.Set("client_id", unknown)
	res, _, rawUnknown := oauthPost(t, e, "/oauth/token", f, "", "")
	wantOAuthError(t, res, rawUnknown, http.StatusUnauthorized, "invalid_client")
	if rawOff != rawUnknown {
		t.Errorf("private_key_jwt off answers %s, an unknown client %s: want the same answer", rawOff, rawUnknown)
	}
	events, _, err := e.store.AuditEvents(context.Background(), off.owner.actor, off.project.TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Action != "client.auth_refused" || !strings.Contains(events[0].Details, "does not accept private_key_jwt") || events[0].IP == "" {
		t.Errorf("newest audit event = %+v, want client.auth_refused naming private_key_jwt, with the caller's address", events[0])
	}
}
