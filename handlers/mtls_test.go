package handlers_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// mtlsTokenBody is a token endpoint's answer.
type mtlsTokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

// b64 is standard base64, as RFC 9440's sf-binary carries a certificate.
func b64(der []byte) string { return base64.StdEncoding.EncodeToString(der) }

// mtlsEnv is a portal with its mutual-TLS alias, trusting one client CA.
func mtlsEnv(t *testing.T, ca *storetest.CA, more ...func(*envOptions)) *env {
	t.Helper()
	return newEnv(t, append([]func(*envOptions){func(o *envOptions) { o.mtls, o.clientCAs = true, ca.Pool() }}, more...)...)
}

// mtlsProject is a portal with its mutual-TLS alias trusting a new client CA, and the
// first project of a new user (email), set to tls_client_auth with the rule field=value.
func mtlsProject(t *testing.T, email, field, value string) (*env, *storetest.CA, *oauthClient) {
	t.Helper()
	ca := storetest.NewCA(t, "Clients CA")
	e := mtlsEnv(t, ca)
	cl := newOAuthClient(t, e, email)
	useCertificates(t, e, cl, []string{models.AuthTLSClientAuth}, field, value, false)
	return e, ca, cl
}

// useCertificates sets the project's client authentication methods, tls_client_auth
// rule and bound-token setting, as its admin would.
func useCertificates(t testing.TB, e *env, cl *oauthClient, methods []string, field, value string, bound bool) {
	t.Helper()
	p := cl.project
	err := e.store.UpdateProject(context.Background(), cl.owner.actor, p.ID, models.ProjectSettings{Name: p.Name,
		TokenTTLMinutes: p.AccessTokenTTL / 60, GrantTypes: p.GrantTypeList(), AuthMethods: methods,
		TLSAuth: &models.TLSAuthRule{Field: field, Value: value}, CertificateBoundTokens: &bound})
	if err != nil {
		t.Fatalf("UpdateProject: %v", err)
	}
}

// certClient is an HTTP client trusting the portal's mutual-TLS alias that presents
// leaf (none when nil).
func certClient(e *env, leaf *storetest.Leaf) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(e.mtls.Certificate())
	cfg := &tls.Config{RootCAs: roots}
	if leaf != nil {
		cfg.Certificates = []tls.Certificate{leaf.TLS()}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// postWith posts form to target with client, returning the response and its body.
func postWith(t *testing.T, client *http.Client, target string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// certBinding is the cnf.x5t#S256 of an access token ("" when unbound).
func certBinding(t *testing.T, accessToken string) string {
	t.Helper()
	cnf, _ := userClaims(t, accessToken)["cnf"].(map[string]any)
	s, _ := cnf["x5t#S256"].(string)
	return s
}

// issued posts form to target with client and returns the token answer; anything but
// 200 fails the test.
func issued(t *testing.T, client *http.Client, target string, form url.Values, what string) mtlsTokenBody {
	t.Helper()
	res, body := postWith(t, client, target, form, nil)
	var tok mtlsTokenBody
	if err := json.Unmarshal([]byte(body), &tok); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d, body %s", what, res.StatusCode, body)
	}
	return tok
}

// wantBoundTo checks that an access token's cnf.x5t#S256 is leaf's thumbprint, the
// base64url SHA-256 of its DER (nil leaf: that the token is not bound).
func wantBoundTo(t *testing.T, what, accessToken string, leaf *storetest.Leaf) {
	t.Helper()
	want := ""
	if leaf != nil {
		want = models.CertificateThumbprint(leaf.Cert)
	}
	if got := certBinding(t, accessToken); got != want {
		t.Errorf("%s: cnf.x5t#S256 = %q, want %q", what, got, want)
	}
}

// clientCredentialsForm asks for a client_credentials token naming only the client_id.
func clientCredentialsForm(clientID string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}}
}

// tls_client_auth: a certificate from the operator's CA carrying the registered SAN
// authenticates the client and binds its token; a wrong SAN or subject, another CA's
// certificate, an expired one, or none at all, is invalid_client and issues nothing.
func TestTLSClientAuth(t *testing.T) {
	e, ca, cl := mtlsProject(t, "mtls@example.com", "san_dns", "billing.example.com")
	otherCA := storetest.NewCA(t, "Other CA")
	token := e.mtls.URL + "/oauth/token"

	good := ca.Issue(t, storetest.CertOptions{DNS: []string{"billing.example.com"}})
	tok := issued(t, certClient(e, good), token, clientCredentialsForm(cl.project.ID), "good certificate")
	wantBoundTo(t, "good certificate", tok.AccessToken, good)
	if tok.TokenType != "Bearer" {
		t.Errorf("token_type = %q, want Bearer", tok.TokenType)
	}
	// Introspection returns the binding.
	ires, ibody := postWith(t, certClient(e, good), e.mtls.URL+"/oauth/introspect",
		url.Values{"client_id": {cl.project.ID}, "token": {tok.AccessToken}}, nil)
	var intro struct {
		Active bool              `json:"active"`
		Cnf    map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal([]byte(ibody), &intro); err != nil || ires.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %d %s %v", ires.StatusCode, ibody, err)
	}
	if !intro.Active || intro.Cnf["x5t#S256"] != models.CertificateThumbprint(good.Cert) {
		t.Errorf("introspection %s, want active with cnf.x5t#S256", ibody)
	}

	subjectDN := storetest.CertOptions{Subject: pkix.Name{CommonName: "billing", Organization: []string{"Example"}}}
	for _, tc := range []struct {
		name string
		leaf *storetest.Leaf
		desc string
	}{
		{"WrongSAN", ca.Issue(t, storetest.CertOptions{DNS: []string{"shipping.example.com"}}), "does not match"},
		{"OtherCA", otherCA.Issue(t, storetest.CertOptions{DNS: []string{"billing.example.com"}}), "does not match"},
		{"Expired", ca.Issue(t, storetest.CertOptions{DNS: []string{"billing.example.com"},
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}), "does not match"},
		{"SelfSignedSameSAN", storetest.SelfSigned(t, storetest.CertOptions{DNS: []string{"billing.example.com"}}), "does not match"},
		{"WrongSubjectOnly", ca.Issue(t, subjectDN), "does not match"},
		{"NoCertificate", nil, "none was presented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := postWith(t, certClient(e, tc.leaf), token, clientCredentialsForm(cl.project.ID), nil)
			wantOAuthError(t, res, body, http.StatusUnauthorized, "invalid_client")
			if !strings.Contains(body, tc.desc) || strings.Contains(body, "access_token") {
				t.Errorf("body %s: want %q and no token", body, tc.desc)
			}
		})
	}

	// The subject DN rule, in RFC 4514 spelling with other spacing and case.
	useCertificates(t, e, cl, []string{models.AuthTLSClientAuth}, "subject_dn", "cn=billing, o=Example", false)
	if res, body := postWith(t, certClient(e, ca.Issue(t, subjectDN)), token, clientCredentialsForm(cl.project.ID), nil); res.StatusCode != http.StatusOK {
		t.Errorf("subject DN match: %d %s", res.StatusCode, body)
	}
	// A client secret still works for a project that accepts it, and is not bound.
	useCertificates(t, e, cl, []string{models.AuthClientSecret, models.AuthTLSClientAuth}, "subject_dn", "CN=billing,O=Example", false)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.project.ID}, "client_secret": {cl.secret}}
	tok = issued(t, certClient(e, good), token, form, "secret on the alias")
	wantBoundTo(t, "secret without bound tokens asked", tok.AccessToken, nil)
	// ... unless the project asks for bound tokens: then any certificate binds them, and
	// none is refused.
	useCertificates(t, e, cl, []string{models.AuthClientSecret}, "", "", true)
	anyCert := storetest.SelfSigned(t, storetest.CertOptions{})
	tok = issued(t, certClient(e, anyCert), token, form, "bound tokens with a secret")
	wantBoundTo(t, "bound-token project", tok.AccessToken, anyCert)
	res, body := postWith(t, certClient(e, nil), token, form, nil)
	wantOAuthError(t, res, body, http.StatusBadRequest, "invalid_request")
}

// Failed certificate authentications count toward the lockout like wrong secrets.
func TestTLSClientAuthLockout(t *testing.T) {
	e, ca, cl := mtlsProject(t, "mtls-lockout@example.com", "san_dns", "billing.example.com")
	wrong := certClient(e, ca.Issue(t, storetest.CertOptions{DNS: []string{"attacker.example.com"}}))
	var res *http.Response
	var body string
	for i := 0; i < 11; i++ {
		res, body = postWith(t, wrong, e.mtls.URL+"/oauth/token", clientCredentialsForm(cl.project.ID), nil)
	}
	wantThrottled(t, res, body)
}

// self_signed_tls_client_auth: the certificate registered as one of the project's
// client keys authenticates it; another project's registered certificate, or an
// unregistered one, does not.
func TestSelfSignedTLSClientAuth(t *testing.T) {
	e := mtlsEnv(t, storetest.NewCA(t, "Clients CA"))
	ctx := context.Background()
	a, b := newOAuthClient(t, e, "self-a@example.com"), newOAuthClient(t, e, "self-b@example.com")
	certA, certB := storetest.SelfSigned(t, storetest.CertOptions{Subject: pkix.Name{CommonName: "a"}}),
		storetest.SelfSigned(t, storetest.CertOptions{Subject: pkix.Name{CommonName: "b"}})
	for _, c := range []struct {
		cl   *oauthClient
		leaf *storetest.Leaf
	}{{a, certA}, {b, certB}} {
		useCertificates(t, e, c.cl, []string{models.AuthSelfSignedTLS}, "", "", false)
		if _, err := e.store.AddClientKey(ctx, c.cl.owner.actor, c.cl.project.ID,
			models.ClientKeyInput{Name: "tls", Material: string(c.leaf.CertPEM())}, ""); err != nil {
			t.Fatalf("AddClientKey: %v", err)
		}
	}
	token := e.mtls.URL + "/oauth/token"
	tok := issued(t, certClient(e, certA), token, clientCredentialsForm(a.project.ID), "registered certificate")
	wantBoundTo(t, "registered certificate", tok.AccessToken, certA)
	for name, leaf := range map[string]*storetest.Leaf{"OtherProjects": certB,
		"Unregistered": storetest.SelfSigned(t, storetest.CertOptions{Subject: pkix.Name{CommonName: "a"}})} {
		t.Run(name, func(t *testing.T) {
			res, body := postWith(t, certClient(e, leaf), token, clientCredentialsForm(a.project.ID), nil)
			wantOAuthError(t, res, body, http.StatusUnauthorized, "invalid_client")
		})
	}
}

// A real third-party client, golang.org/x/oauth2/clientcredentials, gets a token with
// tls_client_auth through an http.Client holding the certificate.
func TestTLSClientAuthWithOAuth2Library(t *testing.T) {
	e, ca, cl := mtlsProject(t, "mtls-lib@example.com", "san_uri", "spiffe://example.org/billing")
	leaf := ca.Issue(t, storetest.CertOptions{URIs: []string{"spiffe://example.org/billing"}})
	cfg := clientcredentials.Config{ClientID: cl.project.ID, TokenURL: e.mtls.URL + "/oauth/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"orders:read"}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, certClient(e, leaf))
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials: %v", err)
	}
	wantBoundTo(t, "golang.org/x/oauth2", tok.AccessToken, leaf)
}

// Behind a TLS-terminating proxy: the certificate in Client-Cert (RFC 9440) is believed
// from a trusted proxy only; the same header from anywhere else gets nothing.
func TestClientCertHeaderFromProxy(t *testing.T) {
	ca := storetest.NewCA(t, "Clients CA")
	leaf := ca.Issue(t, storetest.CertOptions{Emails: []string{"billing@example.com"}})
	header := map[string]string{"Client-Cert": ":" + b64(leaf.Cert.Raw) + ":"}
	for _, tc := range []struct {
		name    string
		proxies string
		status  int
	}{{"TrustedProxy", "127.0.0.0/8", http.StatusOK}, {"UntrustedAddress", "10.0.0.0/8", http.StatusUnauthorized}} {
		t.Run(tc.name, func(t *testing.T) {
			_, n, _ := net.ParseCIDR(tc.proxies)
			e := newEnv(t, func(o *envOptions) {
				o.trustedProxies, o.clientCAs, o.clientCertHeader = []*net.IPNet{n}, ca.Pool(), "Client-Cert"
			})
			cl := newOAuthClient(t, e, "proxied@example.com")
			useCertificates(t, e, cl, []string{models.AuthTLSClientAuth}, "san_email", "billing@example.com", false)
			res, body := postWith(t, http.DefaultClient, e.portal.URL+"/oauth/token", clientCredentialsForm(cl.project.ID), header)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, tc.status, body)
			}
			if tc.status != http.StatusOK {
				wantOAuthError(t, res, body, tc.status, "invalid_client")
				if !strings.Contains(body, "none was presented") {
					t.Errorf("forged header: body %s, want it treated as no certificate", body)
				}
			}
		})
	}
}

// A refresh token issued over mutual TLS is bound to the certificate: refreshing
// without it, or with another, is invalid_grant; with it, the new tokens stay bound.
func TestCertificateBoundRefresh(t *testing.T) {
	ca := storetest.NewCA(t, "Clients CA")
	a := newACApp(t, func(o *envOptions) { o.mtls, o.clientCAs = true, ca.Pool() })
	e := a.e
	cl := &oauthClient{project: a.project, owner: a.dev}
	useCertificates(t, e, cl, []string{models.AuthTLSClientAuth}, "san_dns", "app.example", false)
	leaf := ca.Issue(t, storetest.CertOptions{DNS: []string{"app.example"}})
	cfg := &oauth2.Config{ClientID: a.project.ID, RedirectURL: acRedirect, Scopes: []string{"orders:read", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: e.portal.URL + "/oauth/authorize", TokenURL: e.mtls.URL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams}}
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	v := oauth2.GenerateVerifier()
	res := alice.get(a.authURL(cfg, "s", v))
	if res.StatusCode == http.StatusOK {
		res = allow(t, alice, consentForm(t, res), "allow")
	}
	q := a.callback(t, res, acRedirect, "s")
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, certClient(e, leaf))
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("Exchange over mutual TLS: %v", err)
	}
	wantBoundTo(t, "user token", tok.AccessToken, leaf)
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {a.project.ID}, "refresh_token": {tok.RefreshToken}}
	// Another client authentication (its secret, on the plain endpoint) without the
	// certificate: the binding refuses it, and the token is not used up.
	useCertificates(t, e, cl, []string{models.AuthClientSecret, models.AuthTLSClientAuth}, "san_dns", "app.example", false)
	withSecret := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		"client_id": {a.project.ID}, "client_secret": {a.secret}}
	res, body := postWith(t, http.DefaultClient, e.portal.URL+"/oauth/token", withSecret, nil)
	wantOAuthError(t, res, body, http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(body, "bound to a TLS client certificate") {
		t.Errorf("body %s, want the binding named", body)
	}
	res, body = postWith(t, certClient(e, ca.Issue(t, storetest.CertOptions{DNS: []string{"app.example"}})), e.mtls.URL+"/oauth/token", refresh, nil)
	wantOAuthError(t, res, body, http.StatusBadRequest, "invalid_grant")
	next := issued(t, certClient(e, leaf), e.mtls.URL+"/oauth/token", refresh, "refresh with the same certificate")
	wantBoundTo(t, "refreshed token", next.AccessToken, leaf)

	// A bound token for the userinfo endpoint works only with its certificate.
	oidc := *cfg
	oidc.Scopes = []string{"openid", "profile"}
	res = alice.get(oidc.AuthCodeURL("s2", oauth2.S256ChallengeOption(v)))
	if res.StatusCode == http.StatusOK {
		res = allow(t, alice, consentForm(t, res), "allow")
	}
	q = a.callback(t, res, acRedirect, "s2")
	idTok, err := oidc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("openid Exchange over mutual TLS: %v", err)
	}
	userinfo := func(client *http.Client, base string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/oauth/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+idTok.AccessToken)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := userinfo(certClient(e, leaf), e.mtls.URL); got != http.StatusOK {
		t.Errorf("userinfo with the certificate: %d, want 200", got)
	}
	if got := userinfo(http.DefaultClient, e.portal.URL); got != http.StatusUnauthorized {
		t.Errorf("userinfo without the certificate: %d, want 401", got)
	}
}

// With a mutual-TLS host configured, the metadata names its endpoints there
// (mtls_endpoint_aliases, RFC 8705 §5); the golden file holds them.
func TestMetadataMTLSAliasesGolden(t *testing.T) {
	e := mtlsEnv(t, storetest.NewCA(t, "Clients CA"))
	res, err := http.Get(e.portal.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var md struct {
		Bound   bool            `json:"tls_client_certificate_bound_access_tokens"`
		Aliases json.RawMessage `json:"mtls_endpoint_aliases"`
	}
	if err := json.NewDecoder(res.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	if !md.Bound {
		t.Error("tls_client_certificate_bound_access_tokens = false, want true")
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, md.Aliases, "", "  "); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "metadata_mtls_aliases.golden.json",
		append(bytes.ReplaceAll(pretty.Bytes(), []byte(e.mtls.URL), []byte("https://mtls.portal.example")), '\n'))
	// Every alias answers on the mutual-TLS host (405 or 401/400, never 404).
	var aliases map[string]string
	if err := json.Unmarshal(md.Aliases, &aliases); err != nil {
		t.Fatal(err)
	}
	for name, u := range aliases {
		res, body := postWith(t, certClient(e, nil), u, url.Values{}, nil)
		if res.StatusCode == http.StatusNotFound {
			t.Errorf("%s %s: 404 %s", name, u, body)
		}
	}
}

// TestReadmeMutualTLS runs the README's curl example exactly as shown, in a directory
// holding client.crt, client.key and portal-ca.crt, against the mutual-TLS alias.
func TestReadmeMutualTLS(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the README's example needs it)", tool)
		}
	}
	e, ca, cl := mtlsProject(t, "mtls-readme@example.com", "subject_dn", "CN=billing,O=Example")
	leaf := ca.Issue(t, storetest.CertOptions{Subject: pkix.Name{CommonName: "billing", Organization: []string{"Example"}}})
	dir := t.TempDir()
	leaf.WriteFiles(t, dir, "client")
	portalCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.mtls.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "portal-ca.crt"), portalCA, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", readmeBlock(t, "mtls-example"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GATEHOUSE_MTLS_URL="+e.mtls.URL, "CLIENT_ID="+cl.project.ID)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	var tok mtlsTokenBody
	if err := json.Unmarshal(out, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("the example printed %s (%v), want a token response", out, err)
	}
	wantBoundTo(t, "the example's token", tok.AccessToken, leaf)
}

// Dynamic client registration (RFC 7591 with RFC 8705 §2.1.2 metadata): a client
// registers tls_client_auth with one tls_client_auth_* value, or
// self_signed_tls_client_auth with its certificate in jwks (x5c), gets no secret, and
// authenticates with its certificate once its team grants it an API. Two values, a
// value with another method, or self-signed keys without a certificate are refused.
func TestRegisterCertificateClients(t *testing.T) {
	ca := storetest.NewCA(t, "Clients CA")
	e := mtlsEnv(t, ca)
	rt := newRegTeam(t, e, "owner@mtls-register.example", models.RegistrationToken)
	api := registerAPI(t, e, rt.owner.actor, rt.team, "https://orders.example.com", "orders:read")
	self := storetest.SelfSigned(t, storetest.CertOptions{Subject: pkix.Name{CommonName: "agent"}})
	jwk, err := models.ParseClientKey(string(self.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	rawJWK, err := jwk.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.Issue(t, storetest.CertOptions{DNS: []string{"agent.example.com"}})
	for _, tc := range []struct {
		name, metadata string
		leaf           *storetest.Leaf
	}{
		{"tls_client_auth", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"tls_client_auth",
			"tls_client_auth_san_dns":"agent.example.com","tls_client_certificate_bound_access_tokens":true}`, leaf},
		{"self_signed_tls_client_auth", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"self_signed_tls_client_auth",
			"jwks":{"keys":[` + string(rawJWK) + `]}}`, self},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body, raw := register(t, e, rt.token, tc.metadata)
			if res.StatusCode != http.StatusCreated || body["client_secret"] != nil || body["token_endpoint_auth_method"] != tc.name {
				t.Fatalf("register: %d %s", res.StatusCode, raw)
			}
			id, _ := body["client_id"].(string)
			grantAPI(t, e, rt.owner.actor, api, id, "orders:read")
			tok := issued(t, certClient(e, tc.leaf), e.mtls.URL+"/oauth/token", clientCredentialsForm(id), "registered client")
			wantBoundTo(t, tc.name, tok.AccessToken, tc.leaf)
		})
	}
	for name, md := range map[string]string{
		"TwoValues": `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"tls_client_auth",
			"tls_client_auth_san_dns":"a.example.com","tls_client_auth_subject_dn":"CN=a"}`,
		"NoValue":         `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"tls_client_auth"}`,
		"ValueWithSecret": `{"grant_types":["client_credentials"],"tls_client_auth_san_dns":"a.example.com"}`,
		"BadIP":           `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"tls_client_auth","tls_client_auth_san_ip":"x"}`,
		"SelfSignedNoCertificate": `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"self_signed_tls_client_auth",
			"jwks":{"keys":[` + jwkJSONOf(t, &self.Key.PublicKey) + `]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			res, _, raw := register(t, e, rt.token, md)
			wantRegError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidClientMetadata)
		})
	}
}

// jwkJSONOf is a public key as a JWK without a certificate.
func jwkJSONOf(t *testing.T, pub any) string {
	t.Helper()
	raw, err := (&jose.JSONWebKey{Key: pub}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
