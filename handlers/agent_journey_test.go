package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// An agent (an MCP client, say) that knows nothing but an API's URL finds its way to a
// user's token, each step from what the previous one published:
//
//  1. the API answers 401 with resource_metadata (RFC 9728 §5.1, verify.ResourceMetadata);
//  2. that document names the portal in authorization_servers;
//  3. the portal's metadata (RFC 8414) names its registration_endpoint;
//  4. the agent registers itself as a public client with the team's initial access
//     token (RFC 7591) and lands in that team with no grant, so it cannot get a token;
//  5. once the API's owners approve its team's access request, a user allows it (PKCE,
//     resource = the API) and the agent's token opens the API.
func TestAgentClientJourney(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "api-owner@example.com")
	projects, err := e.store.ProjectsOf(ctx, owner.actor)
	if err != nil || len(projects) == 0 {
		t.Fatalf("ProjectsOf: %v %v", projects, err)
	}
	const identifier = "https://mcp.example.com/mcp"
	api, err := e.store.CreateAPI(ctx, owner.actor, projects[0].Project.TeamID, models.APIInput{Name: "Tools", Identifier: identifier,
		AcceptsAccessTokens: true, Listed: true, Scopes: []models.ScopeInput{{Name: "tools:call", Description: "Call tools"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetScopeDelegable(ctx, owner.actor, api.ID, "tools:call", true); err != nil {
		t.Fatal(err)
	}
	prm := e.portal.URL + "/oauth/resource-metadata?resource=" + url.QueryEscape(identifier)
	srv := occAPI(t, occVerifier(t, e, identifier, verify.Accept(verify.KindAccessToken), verify.ResourceMetadata(prm)), "tools:call")

	// 1. The API's challenge.
	status, _, hdr := occCall(t, http.DefaultClient, srv.URL, "")
	m := regexp.MustCompile(`resource_metadata="([^"]+)"`).FindStringSubmatch(hdr.Get("WWW-Authenticate"))
	if status != http.StatusUnauthorized || m == nil {
		t.Fatalf("API without a token: %d %q, want 401 naming resource_metadata", status, hdr.Get("WWW-Authenticate"))
	}
	// 2. The protected resource's metadata.
	var rm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		Scopes               []string `json:"scopes_supported"`
	}
	getJSON(t, m[1], &rm)
	if rm.Resource != identifier || len(rm.AuthorizationServers) != 1 || !slices.Contains(rm.Scopes, "tools:call") {
		t.Fatalf("resource metadata %+v", rm)
	}
	// 3. The authorization server's metadata.
	var as struct {
		Issuer, AuthorizationEndpoint, TokenEndpoint, RegistrationEndpoint string
	}
	var raw map[string]any
	getJSON(t, rm.AuthorizationServers[0]+"/.well-known/oauth-authorization-server", &raw)
	as.Issuer, _ = raw["issuer"].(string)
	as.AuthorizationEndpoint, _ = raw["authorization_endpoint"].(string)
	as.TokenEndpoint, _ = raw["token_endpoint"].(string)
	as.RegistrationEndpoint, _ = raw["registration_endpoint"].(string)
	if as.Issuer != rm.AuthorizationServers[0] || as.RegistrationEndpoint == "" {
		t.Fatalf("authorization server metadata %v", raw)
	}
	// 4. Registration, with the agents team's initial access token.
	rt := newRegTeam(t, e, "agents-owner@example.com", models.RegistrationToken)
	redirect := "http://127.0.0.1:53682/callback"
	res, reg, body := regCall(t, e, http.MethodPost, as.RegistrationEndpoint, rt.token, "application/json",
		[]byte(`{"client_name":"Agent","redirect_uris":["http://127.0.0.1/callback"],"grant_types":["authorization_code"],"token_endpoint_auth_method":"none"}`))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("registration: %d %s", res.StatusCode, body)
	}
	clientID, _ := reg["client_id"].(string)
	if _, hasSecret := reg["client_secret"]; clientID == "" || hasSecret {
		t.Fatalf("registration answer %s: want a public client's id and no secret", body)
	}
	cfg := &oauth2.Config{ClientID: clientID, RedirectURL: redirect, Scopes: []string{"tools:call"},
		Endpoint: oauth2.Endpoint{AuthURL: as.AuthorizationEndpoint, TokenURL: as.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}}
	user := e.browser()
	user.mustSignIn("user@example.com")
	v := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("resource", identifier))
	loc, err := url.Parse(user.get(authURL).Header.Get("Location"))
	if err != nil || loc.Query().Get("error") != "invalid_target" {
		t.Fatalf("before any grant: to %v (%v), want invalid_target back at the agent", loc, err)
	}
	// 5. The agents team asks for access from the catalog, the API's owners approve, and a
	// user allows the agent.
	ar, err := e.store.RequestAccess(ctx, rt.owner.actor, api.ID, clientID, []string{"tools:call"}, "an agent calling tools", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.DecideRequest(ctx, owner.actor, api.ID, ar.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	res = user.get(authURL)
	if res.StatusCode != http.StatusOK || !strings.Contains(readBody(res), "Agent") {
		t.Fatalf("after the grant: %d, want the consent page naming the agent", res.StatusCode)
	}
	q := (&acApp{e: e}).callback(t, allow(t, user, consentForm(t, user.get(authURL)), "allow"), redirect, "st")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	status, p, _ := occCall(t, http.DefaultClient, srv.URL, tok.AccessToken)
	if status != http.StatusOK || p.SubjectType != verify.SubjectUser || p.ClientID != clientID {
		t.Fatalf("API with the agent's token: %d %+v, want the user's principal through the agent", status, p)
	}
}

// getJSON GETs target and decodes its JSON answer into out, failing on anything but 200.
func getJSON(t *testing.T, target string, out any) {
	t.Helper()
	res, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", target, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
}
