package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// exchangeChain is a user's token for orders-api (the acApp's team) and three
// resource servers, each a project of another team: A behind orders-api, B behind
// billing (Bob's team), C behind ledger (Carol's team). A holds orders:read on billing,
// B orders:read on ledger; each may use the token-exchange grant.
type exchangeChain struct {
	a                        *acApp
	userToken, userSub       string
	bob, carol               *member
	projA, projB, projC      string
	secretA, secretB, secret string // secret is C's
	billing, ledger          *models.API
	aOnBilling               string // A's grant on billing
}

// allowTokenExchange sets the project's grant types to client credentials and token
// exchange through its settings form, as its owner would, and returns a client secret.
func allowTokenExchange(t *testing.T, e *env, m *member, projectID, name string) string {
	t.Helper()
	res := m.b.post("/projects/"+projectID+"/settings", url.Values{"_csrf": {m.csrf}, "name": {name}, "token_ttl_minutes": {"60"},
		"grant_types": {"client_credentials", models.GrantTokenExchange}, "auth_methods_shown": {"1"}, "auth_methods": {"client_secret"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings of %s: %d %s", name, res.StatusCode, readBody(res))
	}
	_, secret, err := e.store.CreateClientSecret(context.Background(), m.actor, projectID, "exchange", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// requestAndApprove has projectID ask for scopes on api and the API's owner approve.
func requestAndApprove(t *testing.T, e *env, asker, owner *member, api *models.API, projectID string, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	req, err := e.store.RequestAccess(ctx, asker.actor, api.ID, projectID, scopes, "we call it for our users", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.DecideRequest(ctx, owner.actor, api.ID, req.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	grants, err := e.store.APIGrants(ctx, owner.actor, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if g.ProjectID == projectID {
			return g.ID
		}
	}
	t.Fatalf("no grant on %s", api.Identifier)
	return ""
}

// listedAPI registers an API in the catalog, so that other teams may ask for access.
func listedAPI(t *testing.T, e *env, m *member, teamID, identifier string, scopes ...string) *models.API {
	t.Helper()
	in := models.APIInput{Name: strings.TrimPrefix(identifier, "https://"), Identifier: identifier, AcceptsAccessTokens: true, Listed: true}
	for _, sc := range scopes {
		in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc, Description: "Scope " + sc})
	}
	api, err := e.store.CreateAPI(context.Background(), m.actor, teamID, in, "")
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// firstProject is the member's first project.
func firstProject(t *testing.T, e *env, m *member) *models.Project {
	t.Helper()
	list, err := e.store.ProjectsOf(context.Background(), m.actor)
	if err != nil || len(list) == 0 {
		t.Fatalf("ProjectsOf: %v %v", list, err)
	}
	return &list[0].Project
}

func newExchangeChain(t *testing.T) *exchangeChain {
	t.Helper()
	ctx := context.Background()
	a := newACApp(t)
	e := a.e
	x := &exchangeChain{a: a}

	// Alice lets the app read her orders: golang.org/x/oauth2 with PKCE.
	cfg := a.config(acRedirect, "orders:read", "orders:write")
	verifier := oauth2.GenerateVerifier()
	b := e.browser()
	b.mustSignIn("alice@example.com")
	q := a.callback(t, allow(t, b, consentForm(t, mustGet(t, b, a.authURL(cfg, "st", verifier))), "allow"), acRedirect, "st")
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	x.userToken = tok.AccessToken
	x.userSub, _ = userClaims(t, x.userToken)["sub"].(string)

	pa, err := e.store.CreateProject(ctx, a.dev.actor, a.project.TeamID, "Orders backend", "", "")
	if err != nil {
		t.Fatal(err)
	}
	x.projA = pa.ID
	x.secretA = allowTokenExchange(t, e, a.dev, pa.ID, pa.Name)

	x.bob, x.carol = signedInMember(t, e, "bob@example.com"), signedInMember(t, e, "carol@example.com")
	pb, pc := firstProject(t, e, x.bob), firstProject(t, e, x.carol)
	x.projB, x.projC = pb.ID, pc.ID
	x.secretB = allowTokenExchange(t, e, x.bob, pb.ID, pb.Name)
	x.secret = allowTokenExchange(t, e, x.carol, pc.ID, pc.Name)
	x.billing = listedAPI(t, e, x.bob, pb.TeamID, "https://billing.example.com", "orders:read", "invoices:read")
	x.ledger = listedAPI(t, e, x.carol, pc.TeamID, "https://ledger.example.com", "orders:read")
	x.aOnBilling = requestAndApprove(t, e, a.dev, x.bob, x.billing, pa.ID, "orders:read", "invoices:read")
	requestAndApprove(t, e, x.bob, x.carol, x.ledger, pb.ID, "orders:read")
	return x
}

// exchangeForm is a token-exchange request for subject and resource.
func exchangeForm(subject, resource string, extra ...string) url.Values {
	f := url.Values{"grant_type": {models.GrantTokenExchange}, "subject_token": {subject},
		"subject_token_type": {models.TokenTypeAccessToken}, "resource": {resource}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// TestTokenExchangeEndpoint is RFC 8693 through the real token endpoint: a user's token
// passes from orders (A) to billing (B) to ledger (C), each hop a project of another
// team, and verify at ledger sees the user, via B, via A; the RFC's errors come back
// exactly; impersonation is the billing owners' decision.
func TestTokenExchangeEndpoint(t *testing.T) {
	x := newExchangeChain(t)
	e := x.a.e
	ctx := context.Background()

	res, body, raw := oauthPost(t, e, "/oauth/token", exchangeForm(x.userToken, x.billing.Identifier), x.projA, x.secretA)
	if res.StatusCode != http.StatusOK || body["issued_token_type"] != models.TokenTypeAccessToken || body["token_type"] != "Bearer" ||
		body["scope"] != "orders:read" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("A's exchange: %d %s", res.StatusCode, raw)
	}
	if _, ok := body["refresh_token"]; ok {
		t.Error("an exchanged token came with a refresh token")
	}
	tok1 := body["access_token"].(string)
	p1, err := occVerifier(t, e, x.billing.Identifier).Verify(ctx, tok1)
	if err != nil || p1.Subject != x.userSub || p1.SubjectType != verify.SubjectUser || p1.ClientID != x.projA ||
		!slices.Equal(p1.Actors, []verify.Actor{{Subject: x.projA, SubjectType: verify.SubjectProject}}) {
		t.Fatalf("billing verifies %+v %v: want Alice via A", p1, err)
	}

	res, body, raw = oauthPost(t, e, "/oauth/token", exchangeForm(tok1, x.ledger.Identifier, "scope", "orders:read"), x.projB, x.secretB)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("B's exchange: %d %s", res.StatusCode, raw)
	}
	tok2 := body["access_token"].(string)
	p2, err := occVerifier(t, e, x.ledger.Identifier).Verify(ctx, tok2)
	want := []verify.Actor{{Subject: x.projB, SubjectType: verify.SubjectProject}, {Subject: x.projA, SubjectType: verify.SubjectProject}}
	if err != nil || p2.Subject != x.userSub || p2.SubjectType != verify.SubjectUser || p2.ClientID != x.projB ||
		!slices.Equal(p2.Actors, want) || !slices.Equal(p2.Scopes, []string{"orders:read"}) {
		t.Fatalf("ledger verifies %+v %v: want Alice via B via A", p2, err)
	}
	if !p2.ExpiresAt.After(time.Now()) || p2.ExpiresAt.Unix() > int64(userClaims(t, x.userToken)["exp"].(float64)) {
		t.Errorf("ledger's token expires %v, after the user's token", p2.ExpiresAt)
	}

	// The RFC's errors, exactly.
	for _, tc := range []struct {
		name       string
		form       url.Values
		id, secret string
		status     int
		code       string
	}{
		{"no subject_token", exchangeForm("", x.billing.Identifier), x.projA, x.secretA, 400, models.ErrCodeInvalidRequest},
		{"an ID token type", exchangeForm(x.userToken, x.billing.Identifier, "subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
			x.projA, x.secretA, 400, models.ErrCodeInvalidRequest},
		{"an actor_token", exchangeForm(x.userToken, x.billing.Identifier, "actor_token", tok1, "actor_token_type", models.TokenTypeAccessToken),
			x.projA, x.secretA, 400, models.ErrCodeInvalidRequest},
		{"a refresh token requested", exchangeForm(x.userToken, x.billing.Identifier, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"),
			x.projA, x.secretA, 400, models.ErrCodeInvalidRequest},
		{"C holding billing's token", exchangeForm(tok1, x.ledger.Identifier), x.projC, x.secret, 400, models.ErrCodeInvalidGrant},
		{"B holding the user's token for orders", exchangeForm(x.userToken, x.ledger.Identifier), x.projB, x.secretB, 400, models.ErrCodeInvalidGrant},
		{"garbage", exchangeForm("a.b.c", x.billing.Identifier), x.projA, x.secretA, 400, models.ErrCodeInvalidGrant},
		{"A for ledger, not granted", exchangeForm(x.userToken, x.ledger.Identifier), x.projA, x.secretA, 400, models.ErrCodeInvalidTarget},
		{"invoices:read, not the user's", exchangeForm(x.userToken, x.billing.Identifier, "scope", "invoices:read"), x.projA, x.secretA, 400, models.ErrCodeInvalidScope},
		{"impersonation not allowed", exchangeForm(x.userToken, x.billing.Identifier, models.ParamImpersonate, "true"), x.projA, x.secretA, 400, models.ErrCodeUnauthorizedClient},
		{"the app, which may not exchange", exchangeForm(x.userToken, x.billing.Identifier), x.a.project.ID, x.a.secret, 400, models.ErrCodeUnauthorizedClient},
		{"wrong secret", exchangeForm(x.userToken, x.billing.Identifier), x.projA, x.secretB, 401, models.ErrCodeInvalidClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _, raw := oauthPost(t, e, "/oauth/token", tc.form, tc.id, tc.secret)
			wantOAuthError(t, res, raw, tc.status, tc.code)
		})
	}

	// Bob, billing's owner, lets A impersonate from the Access page; then A's token for
	// billing names no actor. Through the management API he takes it back.
	res = x.bob.b.post("/apis/"+x.billing.ID+"/grants/"+x.aOnBilling, url.Values{"_csrf": {x.bob.csrf},
		"scopes": {"orders:read", "invoices:read"}, "impersonation_shown": {"1"}, "impersonation": {"true"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("allowing impersonation: %d %s", res.StatusCode, readBody(res))
	}
	page := readBody(x.bob.b.get("/apis/" + x.billing.ID + "/access"))
	if !strings.Contains(page, `data-testid="grant-impersonation"`) {
		t.Error("the Access page does not show that A may impersonate")
	}
	res, body, raw = oauthPost(t, e, "/oauth/token", exchangeForm(x.userToken, x.billing.Identifier, models.ParamImpersonate, "true"), x.projA, x.secretA)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("impersonation allowed: %d %s", res.StatusCode, raw)
	}
	if p, err := occVerifier(t, e, x.billing.Identifier).Verify(ctx, body["access_token"].(string)); err != nil || len(p.Actors) != 0 || p.Subject != x.userSub {
		t.Errorf("impersonating token: %+v %v, want Alice and no actor", p, err)
	}
	oc := &apiClient{t: t, e: e, doc: loadOpenAPI(t, e), token: createPATViaPage(t, x.bob, url.Values{"name": {"ops"}, "scope": {"write"}, "expires_in_days": {"7"}})}
	gp := "/apis/" + x.billing.ID + "/grants/" + x.aOnBilling
	g := oc.call("GET", gp, nil, nil).want(t, http.StatusOK)
	if g.json(t)["impersonation"] != true {
		t.Errorf("the grant reads %v, want impersonation true", g.json(t))
	}
	ng := oc.call("PATCH", gp, map[string]any{"impersonation": false}, ifMatch(g.etag(t))).want(t, http.StatusOK).json(t)
	if ng["impersonation"] != false || len(ng["scopes"].([]any)) != 2 {
		t.Errorf("after PATCH: %v, want impersonation false and the scopes kept", ng)
	}
	res, _, raw = oauthPost(t, e, "/oauth/token", exchangeForm(x.userToken, x.billing.Identifier, models.ParamImpersonate, "true"), x.projA, x.secretA)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeUnauthorizedClient)

	// Once the user's token has expired, nothing more comes of it.
	e.advance(16 * time.Minute)
	res, _, raw = oauthPost(t, e, "/oauth/token", exchangeForm(x.userToken, x.billing.Identifier), x.projA, x.secretA)
	wantOAuthError(t, res, raw, http.StatusBadRequest, models.ErrCodeInvalidGrant)
}

// readmeBlock returns the fenced code block between <!-- name --> and <!-- /name -->
// in the README.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	start, end := strings.Index(s, "<!-- "+name+" -->"), strings.Index(s, "<!-- /"+name+" -->")
	if start < 0 || end < start {
		t.Fatalf("README.md: no block %s", name)
	}
	block := s[start:end]
	open := strings.Index(block, "\n```")
	block = block[open+4:]
	block = block[strings.IndexByte(block, '\n')+1:]
	return block[:strings.LastIndex(block, "```")]
}

// TestReadmeTokenExchange runs the README's token-exchange example exactly as shown,
// with bash and curl, as A exchanging Alice's token for billing.
func TestReadmeTokenExchange(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the README's example needs it)", tool)
		}
	}
	x := newExchangeChain(t)
	e := x.a.e
	script := readmeBlock(t, "token-exchange-example")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "GATEHOUSE_URL="+e.portal.URL, "CLIENT_ID="+x.projA, "CLIENT_SECRET="+x.secretA, "USER_TOKEN="+x.userToken)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	var body struct {
		AccessToken     string `json:"access_token"`
		IssuedTokenType string `json:"issued_token_type"`
	}
	if err := json.Unmarshal(out, &body); err != nil || body.IssuedTokenType != models.TokenTypeAccessToken {
		t.Fatalf("the example printed %s (%v), want a token response", out, err)
	}
	p, err := occVerifier(t, e, x.billing.Identifier).Verify(context.Background(), body.AccessToken)
	if err != nil || p.Subject != x.userSub || len(p.Actors) != 1 || p.Actors[0].Subject != x.projA {
		t.Errorf("the example's token: %+v %v, want Alice via A", p, err)
	}
}
