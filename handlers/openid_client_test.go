package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// openIDClient finds node and a node_modules holding openid-client (named by
// GATEHOUSE_TEST_NODE_MODULES, as .ci/run installs it); without them the test skips, or
// fails under GATEHOUSE_TEST_INTEROP=require.
func openIDClient(t *testing.T) (node, mods string) {
	t.Helper()
	return storetest.NodePackage(t, "openid-client")
}

// oidcCommand is one step of testdata/openid_client.mjs.
type oidcCommand struct {
	Step         string `json:"step"`
	Server       string `json:"server"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	Auth         string `json:"auth"`
	RedirectURI  string `json:"redirect_uri"`
	Scope        string `json:"scope"`
	Resource     string `json:"resource"`
	PAR          bool   `json:"par"`
	OIDC         bool   `json:"oidc"`
	Userinfo     bool   `json:"userinfo"`
	Callback     string `json:"callback,omitempty"`
	Verifier     string `json:"verifier,omitempty"`
	State        string `json:"state,omitempty"`
	Nonce        string `json:"nonce,omitempty"`
}

// runOpenIDClient runs one step of the script and decodes its answer into out.
func runOpenIDClient(t *testing.T, node, mods string, cmd oidcCommand, out any) {
	t.Helper()
	in, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, node, filepath.Join("testdata", "openid_client.mjs"))
	c.Env = append(os.Environ(), "GATEHOUSE_TEST_NODE_MODULES="+mods)
	c.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	c.Stderr = &stderr
	stdout, err := c.Output()
	if err != nil {
		t.Fatalf("openid-client %s: %v\n%s", cmd.Step, err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("openid-client %s answered %q: %v", cmd.Step, stdout, err)
	}
}

// A real relying party, unmodified: npm openid-client (v6) discovers the portal from its
// RFC 8414 metadata, builds the authorization request with PKCE S256 and state — pushed
// first with buildAuthorizationUrlWithPAR, or as a plain URL — the user's browser signs
// in and allows on the consent page, and openid-client redeems the code (checking the
// state and iss) with client_secret_basic, client_secret_post, or as a public client.
// verify accepts the access token as the user's.
func TestOpenIDClientInterop(t *testing.T) {
	node, mods := openIDClient(t)
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	v := occVerifier(t, e, a.api.Identifier, verify.Accept(verify.KindAccessToken))
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	// openid-client sends the browser to the loopback redirect URI on some port.
	redirect := "http://127.0.0.1:53682/cb"
	for _, tc := range []struct {
		name string
		par  bool
		auth string
	}{
		{"PARWithClientSecretBasic", true, "basic"},
		{"PKCEWithClientSecretPost", false, "post"},
		{"PARAsPublicClient", true, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.auth == "none" {
				uris, public := redirect, true
				if err := e.store.UpdateProject(ctx, a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name, TokenTTLMinutes: 15,
					GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public}); err != nil {
					t.Fatal(err)
				}
			}
			cmd := oidcCommand{Step: "start", Server: e.portal.URL, ClientID: a.project.ID, ClientSecret: a.secret, Auth: tc.auth,
				RedirectURI: redirect, Scope: "orders:read", Resource: a.api.Identifier, PAR: tc.par}
			var start struct{ URL, Verifier, State, Nonce string }
			runOpenIDClient(t, node, mods, cmd, &start)
			u := start.URL
			if tc.par != strings.Contains(u, "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A") ||
				tc.par == strings.Contains(u, "code_challenge=") {
				t.Fatalf("authorization URL %q: want only client_id and request_uri with PAR, the whole request without", u)
			}
			res := alice.get(u)
			if res.StatusCode == http.StatusOK {
				res = allow(t, alice, consentForm(t, res), "allow")
			}
			a.callback(t, res, redirect, start.State)
			cmd.Step, cmd.Callback, cmd.Verifier, cmd.State = "finish", res.Header.Get("Location"), start.Verifier, start.State
			var tok struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				Scope       string `json:"scope"`
				ExpiresIn   int    `json:"expires_in"`
			}
			runOpenIDClient(t, node, mods, cmd, &tok)
			if !strings.EqualFold(tok.TokenType, "bearer") || tok.Scope != "orders:read" || tok.ExpiresIn <= 0 {
				t.Errorf("token response %+v: want a bearer token for orders:read", tok)
			}
			p, err := v.Verify(ctx, tok.AccessToken)
			if err != nil || p.SubjectType != verify.SubjectUser || p.ClientID != a.project.ID || !p.HasScope("orders:read") {
				t.Errorf("verify: %+v %v, want alice's token for the app with orders:read", p, err)
			}
		})
	}
}

// "Sign in with Gatehouse" with openid-client: discovery from
// /.well-known/openid-configuration, a pushed request for scope openid with a nonce, and
// openid-client validating the ID token (signature, issuer, audience, nonce). For the
// identity alone it then fetches userinfo for the ID token's subject; with an API's
// scope beside openid, verify accepts the access token for that API.
func TestOpenIDClientSignIn(t *testing.T) {
	node, mods := openIDClient(t)
	a := newACApp(t)
	e := a.e
	ctx := context.Background()
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	aliceUser, err := e.store.UserByIdentity(ctx, e.issuer, devoidc.Subject("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://127.0.0.1:53682/cb"
	for _, tc := range []struct {
		name, scope, resource string
	}{
		{"IdentityAndUserinfo", "openid email", ""},
		{"IdentityAndAPI", "openid email orders:read", a.api.Identifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := tc.resource != ""
			cmd := oidcCommand{Step: "start", Server: e.portal.URL, ClientID: a.project.ID, ClientSecret: a.secret, Auth: "basic",
				RedirectURI: redirect, Scope: tc.scope, Resource: tc.resource, PAR: true, OIDC: true, Userinfo: !api}
			var start struct{ URL, Verifier, State, Nonce string }
			runOpenIDClient(t, node, mods, cmd, &start)
			if !strings.Contains(start.URL, "request_uri=") || strings.Contains(start.URL, "nonce=") || start.Nonce == "" {
				t.Fatalf("authorization URL %q (nonce %q): want a pushed request carrying the nonce", start.URL, start.Nonce)
			}
			q := a.signInWithGatehouse(t, alice, start.URL, redirect, start.State)
			cmd.Step, cmd.Verifier, cmd.State, cmd.Nonce = "finish", start.Verifier, start.State, start.Nonce
			cmd.Callback = redirect + "?" + q.Encode()
			var tok struct {
				AccessToken string         `json:"access_token"`
				Claims      map[string]any `json:"id_token_claims"`
				Userinfo    map[string]any `json:"userinfo"`
			}
			runOpenIDClient(t, node, mods, cmd, &tok)
			c := tok.Claims
			if c["sub"] != aliceUser.ID || c["nonce"] != start.Nonce || c["iss"] != e.portal.URL || c["aud"] != a.project.ID {
				t.Errorf("ID token claims %v: want alice, the nonce, the portal as iss, the app as aud", c)
			}
			if !api {
				if tok.Userinfo["sub"] != aliceUser.ID || tok.Userinfo["email"] != "alice@example.com" {
					t.Errorf("userinfo %v: want alice's sub and email", tok.Userinfo)
				}
				return
			}
			v := occVerifier(t, e, a.api.Identifier, verify.Accept(verify.KindAccessToken))
			p, err := v.Verify(ctx, tok.AccessToken)
			if err != nil || p.Subject != aliceUser.ID || p.ClientID != a.project.ID || !p.HasScope("orders:read") {
				t.Errorf("verify: %+v %v, want alice's token for the app with orders:read", p, err)
			}
		})
	}
}
