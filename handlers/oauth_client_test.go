package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// update rewrites golden files instead of comparing with them: go test -run X -update.
var update = flag.Bool("update", false, "rewrite golden files")

// stableBase replaces the test server's random base URL in golden files.
const stableBase = "https://portal.example"

// TestMetadataGolden pins the RFC 8414 document and checks that every endpoint it
// advertises is really served by the portal.
// checkGolden compares got with testdata/name, which -update rewrites.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestMetadataGolden(t *testing.T) {
	e := newEnv(t)
	base := e.portal.URL
	res, err := http.Get(base + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET metadata: got status %d, want 200; body: %s", res.StatusCode, body)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("metadata Content-Type: got %q, want application/json", res.Header.Get("Content-Type"))
	}

	// The golden file: the body with the random base URL replaced.
	checkGolden(t, "metadata.golden.json", append(bytes.ReplaceAll(body, []byte(base), []byte(stableBase)), '\n'))

	// RFC 8414 §2: members with no values are omitted, never published empty.
	var members map[string]any
	if err := json.Unmarshal(body, &members); err != nil {
		t.Fatal(err)
	}
	for k, v := range members {
		if list, ok := v.([]any); ok && len(list) == 0 {
			t.Errorf("metadata member %s is an empty array; omit it instead", k)
		}
	}

	var md struct {
		Issuer                            string   `json:"issuer"`
		TokenEndpoint                     string   `json:"token_endpoint"`
		JWKSURI                           string   `json:"jwks_uri"`
		IntrospectionEndpoint             string   `json:"introspection_endpoint"`
		RevocationEndpoint                string   `json:"revocation_endpoint"`
		GrantTypesSupported               []string `json:"grant_types_supported"`
		TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
		IntrospectionAuthMethods          []string `json:"introspection_endpoint_auth_methods_supported"`
		RevocationAuthMethods             []string `json:"revocation_endpoint_auth_methods_supported"`
		StatusListURIPrefix               string   `json:"status_list_uri_prefix"`
	}
	if err := json.Unmarshal(body, &md); err != nil {
		t.Fatalf("metadata is not JSON: %v", err)
	}
	if md.Issuer != base {
		t.Errorf("issuer: got %q, want %q", md.Issuer, base)
	}
	for name, u := range map[string]string{
		"token_endpoint": md.TokenEndpoint, "jwks_uri": md.JWKSURI, "introspection_endpoint": md.IntrospectionEndpoint,
		"revocation_endpoint": md.RevocationEndpoint, "status_list_uri_prefix": md.StatusListURIPrefix,
	} {
		if !strings.HasPrefix(u, base+"/") {
			t.Errorf("%s: got %q, want a URL under %q", name, u, base+"/")
		}
	}
	if !slices.Contains(md.GrantTypesSupported, "client_credentials") {
		t.Errorf("grant_types_supported: got %q, want it to contain client_credentials", md.GrantTypesSupported)
	}
	if !slices.Contains(md.GrantTypesSupported, "urn:ietf:params:oauth:grant-type:jwt-bearer") {
		t.Errorf("grant_types_supported: got %q, want it to contain the JWT bearer grant", md.GrantTypesSupported)
	}
	if !slices.Contains(md.GrantTypesSupported, "refresh_token") {
		t.Errorf("grant_types_supported: got %q, want it to contain refresh_token", md.GrantTypesSupported)
	}
	wantAuth := []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"}
	// "none" at the token endpoint (a public client redeeming a code with PKCE, or
	// refreshing) and the revocation endpoint (a public client revoking its refresh
	// token), never at introspection.
	withNone := append(append([]string{}, wantAuth...), "none")
	for name, tc := range map[string]struct{ got, want []string }{
		"token_endpoint_auth_methods_supported":         {md.TokenEndpointAuthMethodsSupported, withNone},
		"introspection_endpoint_auth_methods_supported": {md.IntrospectionAuthMethods, wantAuth},
		"revocation_endpoint_auth_methods_supported":    {md.RevocationAuthMethods, withNone},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}

	// Every advertised endpoint answers. The JWKS is a key set.
	jres, err := http.Get(md.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	defer jres.Body.Close()
	var set jose.JSONWebKeySet
	if jres.StatusCode != http.StatusOK {
		t.Errorf("GET jwks_uri %s: got status %d, want 200", md.JWKSURI, jres.StatusCode)
	} else if err := json.NewDecoder(jres.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Errorf("GET jwks_uri: got %d keys (err %v), want at least one", len(set.Keys), err)
	}

	// The POST endpoints, without client credentials: an OAuth error, never 404/405.
	for _, c := range []struct {
		name, url  string
		form       url.Values
		wantStatus int
		wantCode   string
	}{
		{"token without grant_type", md.TokenEndpoint, url.Values{}, http.StatusBadRequest, "invalid_request"},
		{"token without credentials", md.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}}, http.StatusUnauthorized, "invalid_client"},
		{"introspect without credentials", md.IntrospectionEndpoint, url.Values{"token": {"x"}}, http.StatusUnauthorized, "invalid_client"},
		{"revoke without credentials", md.RevocationEndpoint, url.Values{"token": {"x"}}, http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := http.PostForm(c.url, c.form)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
				t.Fatalf("POST %s: got status %d, want the endpoint to exist", c.url, res.StatusCode)
			}
			if res.StatusCode != c.wantStatus {
				t.Errorf("POST %s: got status %d, want %d; body: %s", c.url, res.StatusCode, c.wantStatus, raw)
			}
			if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
				t.Errorf("POST %s: got Content-Type %q, want application/json", c.url, res.Header.Get("Content-Type"))
			}
			var oe struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(raw, &oe); err != nil || oe.Error != c.wantCode {
				t.Errorf("POST %s: got error %q (body %s), want %q", c.url, oe.Error, raw, c.wantCode)
			}
			if c.wantStatus == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("POST %s: got WWW-Authenticate %q, want a Basic challenge", c.url, res.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// occClient is a signed-in owner's project configured for client credentials.
type occClient struct {
	e       *env
	owner   *member
	project models.Project
	secret  string
	orders  *models.API
}

// newOCCClient signs a user in and gives their first project grants on two APIs of its
// team — orders-api (orders:read orders:write) and billing-api (billing:read) — and a
// client secret.
func newOCCClient(t *testing.T) *occClient {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "occ-owner@example.com")
	projects, err := e.store.ProjectsOf(ctx, owner.actor)
	if err != nil || len(projects) == 0 {
		t.Fatalf("ProjectsOf: got %d projects (err %v), want at least one", len(projects), err)
	}
	p := projects[0].Project
	orders := onlyAPI(t, e, owner, &p, "orders-api", "orders:read", "orders:write")
	billing := registerAPI(t, e, owner.actor, p.TeamID, "billing-api", "billing:read")
	grantAPI(t, e, owner.actor, billing, p.ID, "billing:read")
	if orders.Identifier != "orders-api" || billing.Identifier != "billing-api" {
		t.Fatalf("identifiers %q %q, want orders-api and billing-api (a fresh portal)", orders.Identifier, billing.Identifier)
	}
	pv, err := e.store.ProjectFor(ctx, owner.actor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := &occClient{e: e, owner: owner, project: pv.Project, orders: orders}
	if c.secret, err = func() (string, error) {
		_, secret, err := e.store.CreateClientSecret(ctx, owner.actor, p.ID, "oauth2 client", 0, "")
		return secret, err
	}(); err != nil {
		t.Fatalf("CreateClientSecret: %v", err)
	}
	return c
}

// config is a golang.org/x/oauth2 client credentials configuration for the project.
func (c *occClient) config(style oauth2.AuthStyle, scope, resource string) *clientcredentials.Config {
	cfg := &clientcredentials.Config{
		ClientID: c.project.ID, ClientSecret: c.secret, TokenURL: c.e.portal.URL + "/oauth/token", AuthStyle: style,
	}
	if scope != "" {
		cfg.Scopes = strings.Fields(scope)
	}
	if resource != "" {
		cfg.EndpointParams = url.Values{"resource": {resource}}
	}
	return cfg
}

// token gets an access token through golang.org/x/oauth2.
func (c *occClient) token(t *testing.T, style oauth2.AuthStyle, scope, resource string) *oauth2.Token {
	t.Helper()
	tok, err := c.config(style, scope, resource).Token(context.Background())
	if err != nil {
		t.Fatalf("clientcredentials Token (scope %q, resource %q): %v", scope, resource, err)
	}
	return tok
}

// occVerifier is a verify.Verifier for the running portal, closed at the end of the test.
func occVerifier(t *testing.T, e *env, audience string, opts ...verify.Option) *verify.Verifier {
	t.Helper()
	opts = append([]verify.Option{verify.Audience(audience), verify.HTTPClient(http.DefaultClient)}, opts...)
	v, err := verify.New(context.Background(), e.portal.URL, opts...)
	if err != nil {
		t.Fatalf("verify.New: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// occAPI is an API protected by v (and RequireScope when scopes are given) that answers
// with the verified principal.
func occAPI(t *testing.T, v *verify.Verifier, scopes ...string) *httptest.Server {
	t.Helper()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(verify.FromContext(r.Context()))
	})
	if len(scopes) > 0 {
		h = verify.RequireScope(scopes...)(h)
	}
	srv := httptest.NewServer(v.Middleware(h))
	t.Cleanup(srv.Close)
	return srv
}

// occCall GETs url with client and returns the status and, on 200, the principal.
func occCall(t *testing.T, client *http.Client, url, bearer string) (int, *verify.Principal, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil, res.Header
	}
	var p verify.Principal
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatalf("GET %s: decode principal: %v", url, err)
	}
	return res.StatusCode, &p, res.Header
}

// accessClaims are the claims the tests read from an access token.
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
}

func TestClientCredentialsWithGoOAuth2(t *testing.T) {
	c := newOCCClient(t)
	base := c.e.portal.URL
	ttl := c.project.TokenTTL()
	if ttl != 15*time.Minute {
		t.Fatalf("project token TTL: got %v, want the 15m default", ttl)
	}

	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"client_secret_basic", oauth2.AuthStyleInHeader}, {"client_secret_post", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			start := time.Now()
			tok := c.token(t, style.style, "orders:read", "orders-api")
			if tok.TokenType != "Bearer" {
				t.Errorf("token_type: got %q, want Bearer", tok.TokenType)
			}
			if tok.RefreshToken != "" {
				t.Errorf("refresh_token: got %q, want none for client credentials", tok.RefreshToken)
			}
			if got, _ := tok.Extra("scope").(string); got != "orders:read" {
				t.Errorf("response scope: got %q, want orders:read", got)
			}
			if d := tok.Expiry.Sub(start); d < ttl-time.Minute || d > ttl+time.Minute {
				t.Errorf("expiry: got %v ahead, want about %v", d.Round(time.Second), ttl)
			}

			parsed, err := jwt.ParseSigned(tok.AccessToken, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
			if err != nil {
				t.Fatalf("access token is not a JWS: %v", err)
			}
			if got, _ := parsed.Headers[0].ExtraHeaders[jose.HeaderType].(string); got != "at+jwt" {
				t.Errorf("header typ: got %q, want at+jwt", got)
			}
			if parsed.Headers[0].KeyID == "" {
				t.Error("header kid: got none, want the signing key's id")
			}
			// The signature is checked by verify below; here only the claims are read.
			var cl accessClaims
			if err := parsed.UnsafeClaimsWithoutVerification(&cl); err != nil {
				t.Fatal(err)
			}
			if cl.Issuer != base {
				t.Errorf("iss: got %q, want %q", cl.Issuer, base)
			}
			if cl.Subject != c.project.ID {
				t.Errorf("sub: got %q, want the project id %q", cl.Subject, c.project.ID)
			}
			if cl.ClientID != c.project.ID {
				t.Errorf("client_id: got %q, want the project id %q", cl.ClientID, c.project.ID)
			}
			if !slices.Equal([]string(cl.Audience), []string{"orders-api"}) {
				t.Errorf("aud: got %q, want [orders-api]", cl.Audience)
			}
			if cl.Scope != "orders:read" {
				t.Errorf("scope: got %q, want orders:read", cl.Scope)
			}
			if cl.ID == "" {
				t.Error("jti: got none, want one")
			}
			if cl.IssuedAt == nil || cl.Expiry == nil {
				t.Fatalf("iat/exp: got %v/%v, want both", cl.IssuedAt, cl.Expiry)
			}
			if got := cl.Expiry.Time().Sub(cl.IssuedAt.Time()); got != ttl {
				t.Errorf("exp-iat: got %v, want the project's TTL %v", got, ttl)
			}
		})
	}

	t.Run("two tokens have distinct jti", func(t *testing.T) {
		a := c.token(t, oauth2.AuthStyleInHeader, "orders:read", "orders-api")
		b := c.token(t, oauth2.AuthStyleInHeader, "orders:read", "orders-api")
		ja, jb := occJTI(t, a.AccessToken), occJTI(t, b.AccessToken)
		if ja == jb {
			t.Errorf("jti of two tokens: got %q twice, want distinct", ja)
		}
	})

	t.Run("errors surface as oauth2.RetrieveError", func(t *testing.T) {
		for _, x := range []struct {
			name       string
			cfg        *clientcredentials.Config
			wantStatus int
			wantCode   string
		}{
			{"wrong secret", func() *clientcredentials.Config {
				cfg := c.config(oauth2.AuthStyleInHeader, "orders:read", "orders-api")
				cfg.ClientSecret = models.NewClientSecret()
				return cfg
			}(), http.StatusUnauthorized, "invalid_client"},
			{"scope not granted", c.config(oauth2.AuthStyleInHeader, "orders:delete", "orders-api"), http.StatusBadRequest, "invalid_scope"},
			{"unknown resource", c.config(oauth2.AuthStyleInParams, "orders:read", "payments-api"), http.StatusBadRequest, "invalid_target"},
		} {
			_, err := x.cfg.Token(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Errorf("%s: got error %v, want an *oauth2.RetrieveError", x.name, err)
				continue
			}
			if re.Response.StatusCode != x.wantStatus || re.ErrorCode != x.wantCode {
				t.Errorf("%s: got %d %q, want %d %q", x.name, re.Response.StatusCode, re.ErrorCode, x.wantStatus, x.wantCode)
			}
		}
	})

	t.Run("cfg.Client calls an API protected by verify", func(t *testing.T) {
		v := occVerifier(t, c.e, "orders-api")
		api := occAPI(t, v, "orders:read")
		client := c.config(oauth2.AuthStyleInHeader, "orders:read", "orders-api").Client(context.Background())
		status, p, _ := occCall(t, client, api.URL+"/orders", "")
		if status != http.StatusOK {
			t.Fatalf("GET /orders through cfg.Client: got status %d, want 200", status)
		}
		if p.Kind != verify.KindAccessToken || p.Project != c.project.ID || !p.HasScope("orders:read") {
			t.Errorf("principal: got kind %q project %q scopes %q, want access_token %q [orders:read]", p.Kind, p.Project, p.Scopes, c.project.ID)
		}
		// The client caches its token: a second call carries the same one.
		status, p2, _ := occCall(t, client, api.URL+"/orders", "")
		if status != http.StatusOK {
			t.Fatalf("second GET /orders: got status %d, want 200", status)
		}
		if p2.KeyID != p.KeyID {
			t.Errorf("second call's jti: got %q, want the cached token's %q", p2.KeyID, p.KeyID)
		}
		// Without the client, the API refuses.
		if status, _, _ := occCall(t, http.DefaultClient, api.URL+"/orders", ""); status != http.StatusUnauthorized {
			t.Errorf("GET /orders without a token: got status %d, want 401", status)
		}
	})
}

func occJTI(t *testing.T, token string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var cl jwt.Claims
	if err := parsed.UnsafeClaimsWithoutVerification(&cl); err != nil {
		t.Fatal(err)
	}
	return cl.ID
}

func TestAccessTokensAndAPIKeysWithVerify(t *testing.T) {
	c := newOCCClient(t)
	e := c.e
	ctx := context.Background()
	both := occVerifier(t, e, "orders-api")
	keysOnly := occVerifier(t, e, "orders-api", verify.Accept(verify.KindAPIKey))
	tokensOnly := occVerifier(t, e, "orders-api", verify.Accept(verify.KindAccessToken))

	access := c.token(t, oauth2.AuthStyleInHeader, "orders:read", "orders-api").AccessToken
	key, apiKey, err := e.store.CreateAPIKey(ctx, c.owner.actor, c.project.ID,
		models.APIKeyInput{Name: "orders reader", Scopes: []string{"orders:read"}, API: c.orders.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}

	t.Run("access token", func(t *testing.T) {
		p, err := both.Verify(ctx, access)
		if err != nil {
			t.Fatalf("both-kinds verifier: got %v, want the access token accepted", err)
		}
		if p.Kind != verify.KindAccessToken {
			t.Errorf("Kind: got %q, want %q", p.Kind, verify.KindAccessToken)
		}
		if p.Project != c.project.ID {
			t.Errorf("Project: got %q, want %q", p.Project, c.project.ID)
		}
		if !p.HasScope("orders:read") || p.HasScope("orders:write") {
			t.Errorf("Scopes: got %q, want exactly [orders:read]", p.Scopes)
		}
		if !slices.Equal(p.Audience, []string{"orders-api"}) {
			t.Errorf("Audience: got %q, want [orders-api]", p.Audience)
		}
		if p2, err := tokensOnly.Verify(ctx, access); err != nil || p2.Kind != verify.KindAccessToken {
			t.Errorf("access-token-only verifier: got %v, %v, want the access token accepted", p2, err)
		}
		if _, err := keysOnly.Verify(ctx, access); !errors.Is(err, verify.ErrType) {
			t.Errorf("API-key-only verifier: got %v, want ErrType", err)
		}
	})

	t.Run("API key", func(t *testing.T) {
		p, err := keysOnly.Verify(ctx, apiKey)
		if err != nil {
			t.Fatalf("API-key-only verifier: got %v, want the key accepted", err)
		}
		if p.Kind != verify.KindAPIKey {
			t.Errorf("Kind: got %q, want %q", p.Kind, verify.KindAPIKey)
		}
		if p.Project != c.project.ID {
			t.Errorf("Project: got %q, want %q", p.Project, c.project.ID)
		}
		if p.Team != c.project.TeamID {
			t.Errorf("Team: got %q, want %q", p.Team, c.project.TeamID)
		}
		if p.KeyID != key.ID {
			t.Errorf("KeyID: got %q, want %q", p.KeyID, key.ID)
		}
		if !p.HasScope("orders:read") {
			t.Errorf("Scopes: got %q, want orders:read", p.Scopes)
		}
		if p2, err := both.Verify(ctx, apiKey); err != nil || p2.Kind != verify.KindAPIKey {
			t.Errorf("both-kinds verifier: got %v, %v, want the key accepted", p2, err)
		}
		if _, err := tokensOnly.Verify(ctx, apiKey); !errors.Is(err, verify.ErrType) {
			t.Errorf("access-token-only verifier: got %v, want ErrType", err)
		}
	})

	t.Run("audience", func(t *testing.T) {
		billing := c.token(t, oauth2.AuthStyleInParams, "billing:read", "billing-api").AccessToken
		if _, err := both.Verify(ctx, billing); !errors.Is(err, verify.ErrAudience) {
			t.Errorf("orders-api verifier, token for billing-api: got %v, want ErrAudience", err)
		}
		if p, err := occVerifier(t, e, "billing-api").Verify(ctx, billing); err != nil || p.Project != c.project.ID {
			t.Errorf("billing-api verifier, token for billing-api: got %v, %v, want accepted", p, err)
		}
		// No resource parameter with two grants: the client must name one API.
		_, err := c.config(oauth2.AuthStyleInParams, "orders:read", "").Token(ctx)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_target" || !strings.Contains(string(re.Body), "several APIs") {
			t.Errorf("token without resource for a client with two grants: got %v, want invalid_target asking for one", err)
		}
		// A scope of the other API is not granted for this one.
		_, err = c.config(oauth2.AuthStyleInParams, "billing:read", "orders-api").Token(ctx)
		if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
			t.Errorf("billing:read for orders-api: got %v, want invalid_scope", err)
		}
	})

	t.Run("RequireScope", func(t *testing.T) {
		api := occAPI(t, both, "orders:write")
		status, _, hdr := occCall(t, http.DefaultClient, api.URL+"/orders", access)
		if status != http.StatusForbidden {
			t.Errorf("orders:read token on an orders:write API: got status %d, want 403", status)
		}
		if got := hdr.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) {
			t.Errorf("WWW-Authenticate: got %q, want insufficient_scope", got)
		}
		status, _, _ = occCall(t, http.DefaultClient, api.URL+"/orders", apiKey)
		if status != http.StatusForbidden {
			t.Errorf("orders:read API key on an orders:write API: got status %d, want 403", status)
		}

		writer := c.config(oauth2.AuthStyleInHeader, "orders:write", "orders-api").Client(ctx)
		status, p, _ := occCall(t, writer, api.URL+"/orders", "")
		if status != http.StatusOK {
			t.Fatalf("orders:write token through cfg.Client: got status %d, want 200", status)
		}
		if p.Kind != verify.KindAccessToken || p.Project != c.project.ID || !p.HasScope("orders:write") {
			t.Errorf("principal: got kind %q project %q scopes %q, want access_token %q with orders:write", p.Kind, p.Project, p.Scopes, c.project.ID)
		}
	})
}
