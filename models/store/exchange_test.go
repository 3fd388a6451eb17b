package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// chainFixture is a user's token for the orders API of team Acme and three resource
// servers, each a project of a different team: A (Acme, behind orders), B (Bob's team,
// behind billing) and C (Carol's team, behind ledger). A holds a grant on billing, B on
// ledger, C on Carol's own audit API.
type chainFixture struct {
	*codeFixture
	bob, carol              models.Actor
	a, b, c                 *models.Project
	billing, ledger, audit  *models.API
	userToken               string
	userClaims              map[string]any
	aOnBilling, bOnLedger   string // grant ids
	billingOwner, auditTeam string
}

// allowExchange lets p use the token-exchange grant (and client credentials) with a
// token lifetime of ttl minutes.
func allowExchange(t *testing.T, s *store.Store, actor models.Actor, p *models.Project, ttl int) {
	t.Helper()
	if err := s.UpdateProject(context.Background(), actor, p.ID, models.ProjectSettings{Name: p.Name, TokenTTLMinutes: ttl,
		GrantTypes: []string{models.GrantClientCredentials, models.GrantTokenExchange}}); err != nil {
		t.Fatal(err)
	}
}

// grantAcross has project p (of requester's team) ask for scopes on api and api's owner
// approve them; it returns the grant's id.
func grantAcross(t *testing.T, s *store.Store, requester, owner models.Actor, api *models.API, p *models.Project, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	req, err := s.RequestAccess(ctx, requester, api.ID, p.ID, scopes, "we call it for our users", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DecideRequest(ctx, owner, api.ID, req.ID, models.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	grants, err := s.APIGrants(ctx, owner, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if g.ProjectID == p.ID {
			return g.ID
		}
	}
	t.Fatalf("no grant of %s on %s", p.Name, api.Name)
	return ""
}

// teamAPI registers a listed API in the actor's personal team.
func teamAPI(t *testing.T, s *store.Store, actor models.Actor, teamID, identifier string, scopes ...string) *models.API {
	t.Helper()
	in := models.APIInput{Name: identifier, Identifier: identifier, AcceptsAccessTokens: true, Listed: true}
	for _, sc := range scopes {
		in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc})
	}
	api, err := s.CreateAPI(context.Background(), actor, teamID, in, "")
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func newChainFixture(t *testing.T, s *store.Store) *chainFixture {
	t.Helper()
	ctx := context.Background()
	f := &chainFixture{codeFixture: newCodeFixture(t, s)}
	tok, err := s.RedeemAuthorizationCode(ctx, f.p, f.code(t, s, "orders:read orders:write"), testRedirect, testVerifier)
	if err != nil {
		t.Fatal(err)
	}
	f.userToken, f.userClaims = tok.Token, jwtClaims(t, tok.Token)

	w := f.w
	var bobProject, carolProject *models.Project
	f.bob, bobProject = signUp(t, s, "Bob")
	f.carol, carolProject = signUp(t, s, "Carol")
	if f.a, err = s.CreateProject(ctx, w.admin, w.team.ID, "Orders backend", "", ""); err != nil {
		t.Fatal(err)
	}
	f.b, f.c = bobProject, carolProject
	f.billingOwner, f.auditTeam = f.b.TeamID, f.c.TeamID
	f.billing = teamAPI(t, s, f.bob, f.b.TeamID, "https://billing.example.com", "orders:read", "orders:write", "invoices:read")
	f.ledger = teamAPI(t, s, f.carol, f.c.TeamID, "https://ledger.example.com", "orders:read", "ledger:write")
	f.audit = teamAPI(t, s, f.carol, f.c.TeamID, "https://audit.example.com", "orders:read")
	for _, x := range []struct {
		who models.Actor
		p   *models.Project
	}{{w.admin, f.a}, {f.bob, f.b}, {f.carol, f.c}} {
		allowExchange(t, s, x.who, x.p, 60)
	}
	f.aOnBilling = grantAcross(t, s, w.admin, f.bob, f.billing, f.a, "orders:read", "invoices:read")
	f.bOnLedger = grantAcross(t, s, f.bob, f.carol, f.ledger, f.b, "orders:read", "ledger:write")
	if _, _, err := s.GrantAccess(ctx, f.carol, f.audit.ID, f.c.ID, []string{"orders:read"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// exchange has p (authenticated afresh, so its grants are current) exchange subject for
// a token for resource.
func (f *chainFixture) exchange(t *testing.T, s *store.Store, who models.Actor, p *models.Project, subject, resource, scope string, impersonate bool) (*models.IssuedToken, error) {
	t.Helper()
	var res []string
	if resource != "" {
		res = []string{resource}
	}
	return s.ExchangeToken(context.Background(), authenticated(t, s, who, p),
		models.TokenExchange{SubjectToken: subject, Scope: scope, Resources: res, Impersonate: impersonate})
}

// actClaim decodes a token's act claim.
func actClaim(t *testing.T, claims map[string]any) *models.ActClaim {
	t.Helper()
	raw, ok := claims["act"]
	if !ok {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var a models.ActClaim
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

func TestTokenExchangeChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newChainFixture(t, s)
		uc := f.userClaims

		// Hop 1: A, behind orders, calls billing for the user.
		t1, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", false)
		if err != nil {
			t.Fatal(err)
		}
		c1 := jwtClaims(t, t1.Token)
		if t1.IssuedTokenType != models.TokenTypeAccessToken || !slices.Equal(t1.Audiences, []string{f.billing.Identifier}) {
			t.Errorf("hop 1: issued %q for %v", t1.IssuedTokenType, t1.Audiences)
		}
		// orders:read is in the user's token and A's grant; invoices:read only in the
		// grant, orders:write only in the user's token.
		if c1["scope"] != "orders:read" || c1["sub"] != uc["sub"] || c1["sub_type"] != "user" || c1["client_id"] != f.a.ID ||
			c1["auth_time"] != uc["auth_time"] || c1["aud"] != f.billing.Identifier {
			t.Errorf("hop 1 claims %v (user's %v)", c1, uc)
		}
		if a := actClaim(t, c1); a == nil || a.Subject != f.a.ID || a.SubType != "project" || a.Act != nil {
			t.Errorf("hop 1 act = %+v, want A alone", a)
		}
		if c1["exp"].(float64) > uc["exp"].(float64) {
			t.Errorf("hop 1 expires at %v, after the user's token (%v)", c1["exp"], uc["exp"])
		}

		// Hop 2: B, behind billing, calls ledger: act names B, with A inside.
		t2, err := f.exchange(t, s, f.bob, f.b, t1.Token, f.ledger.Identifier, "orders:read", false)
		if err != nil {
			t.Fatal(err)
		}
		c2 := jwtClaims(t, t2.Token)
		a2 := actClaim(t, c2)
		if a2 == nil || a2.Subject != f.b.ID || a2.Act == nil || a2.Act.Subject != f.a.ID || a2.Act.Act != nil || a2.Depth() != 2 {
			t.Errorf("hop 2 act = %+v, want B via A", a2)
		}
		if c2["sub"] != uc["sub"] || c2["client_id"] != f.b.ID || c2["scope"] != "orders:read" {
			t.Errorf("hop 2 claims %v", c2)
		}
		// ledger:write is granted to B but the user's token never carried it.
		if _, err := f.exchange(t, s, f.bob, f.b, t1.Token, f.ledger.Identifier, "ledger:write", false); !isOAuth(err, models.ErrCodeInvalidScope) {
			t.Errorf("ledger:write from a token without it: %v, want invalid_scope", err)
		}

		// Hop 3: C calls its own audit API: three actors, nearest first.
		t3, err := f.exchange(t, s, f.carol, f.c, t2.Token, f.audit.Identifier, "", false)
		if err != nil {
			t.Fatal(err)
		}
		a3 := actClaim(t, jwtClaims(t, t3.Token))
		var chain []string
		for a := a3; a != nil; a = a.Act {
			chain = append(chain, a.Subject)
		}
		if !slices.Equal(chain, []string{f.c.ID, f.b.ID, f.a.ID}) {
			t.Errorf("hop 3 chain = %v, want C, B, A", chain)
		}

		// The depth limit: with at most two actors, C's exchange is refused.
		s.SetTokenExchangeMaxDepth(2)
		if _, err := f.exchange(t, s, f.carol, f.c, t2.Token, f.audit.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidRequest) {
			t.Errorf("third actor with a limit of two: %v, want invalid_request", err)
		}
		s.SetTokenExchangeMaxDepth(0)
		if got := s.TokenExchangeMaxDepth(); got != models.DefaultTokenExchangeMaxDepth {
			t.Errorf("default depth %d, want %d", got, models.DefaultTokenExchangeMaxDepth)
		}

		// Confused deputy: the token is for billing; A (orders) and C (ledger) hold it in
		// vain, though each has grants the exchange would need.
		if _, err := f.exchange(t, s, f.w.admin, f.a, t1.Token, f.billing.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("A exchanging a token for billing: %v, want invalid_grant", err)
		}
		if _, err := f.exchange(t, s, f.carol, f.c, f.userToken, f.audit.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("C exchanging the user's token for orders: %v, want invalid_grant", err)
		}
		// B holds no grant on audit: invalid_target; nor on an unknown API.
		for _, res := range []string{f.audit.Identifier, "https://nowhere.example.com"} {
			if _, err := f.exchange(t, s, f.bob, f.b, t1.Token, res, "", false); !isOAuth(err, models.ErrCodeInvalidTarget) {
				t.Errorf("B for %s: %v, want invalid_target", res, err)
			}
		}
	})
}

func TestTokenExchangeRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newChainFixture(t, s)
		sg := s.Signer()
		now := f.clock.Now()
		userClaims := func(edit func(*models.AccessTokenClaims)) string {
			c := models.AccessTokenClaims{Claims: jwt.Claims{Issuer: storetest.TestIssuer, Subject: f.user.User.ID,
				Audience: jwt.Audience{f.api.Identifier}, IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
				Expiry: jwt.NewNumericDate(now.Add(10 * time.Minute)), ID: "at_test"},
				ClientID: f.p.ID, Scope: "orders:read", SubType: models.SubjectUser}
			if edit != nil {
				edit(&c)
			}
			tok, _, err := sg.Sign(models.TypAccessToken, c)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		if _, err := f.exchange(t, s, f.w.admin, f.a, userClaims(nil), f.billing.Identifier, "", false); err != nil {
			t.Fatalf("control: %v", err)
		}

		// invalid_grant: garbage, another issuer, an API key, expired, of a deleted project.
		other := storetest.SQLite(t)
		otherTok, _, err := storetest.SignerFor(t, other, "https://other.example").Sign(models.TypAccessToken, models.AccessTokenClaims{
			Claims: jwt.Claims{Issuer: "https://other.example", Subject: f.user.User.ID, Audience: jwt.Audience{f.api.Identifier},
				Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, ClientID: f.p.ID, Scope: "orders:read", SubType: models.SubjectUser})
		if err != nil {
			t.Fatal(err)
		}
		key, secret, err := s.CreateAPIKey(ctx, f.w.admin, f.p.ID, models.APIKeyInput{Name: "k", API: f.api.ID, Scopes: []string{"orders:read"}, TTL: time.Hour}, "")
		if err != nil || key == nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{
			"garbage":                   "not.a.token",
			"another server's token":    otherTok,
			"our key, another issuer":   userClaims(func(c *models.AccessTokenClaims) { c.Issuer = "https://other.example" }),
			"an API key":                secret,
			"expired":                   userClaims(func(c *models.AccessTokenClaims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Second)) }),
			"not yet valid":             userClaims(func(c *models.AccessTokenClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) }),
			"may_act naming another":    userClaims(func(c *models.AccessTokenClaims) { c.MayAct = &models.ActClaim{Subject: f.b.ID} }),
			"may_act naming a user":     userClaims(func(c *models.AccessTokenClaims) { c.MayAct = &models.ActClaim{Subject: f.a.ID, SubType: "user"} }),
			"for another team's API":    userClaims(func(c *models.AccessTokenClaims) { c.Audience = jwt.Audience{f.ledger.Identifier} }),
			"of a project since gone":   userClaims(func(c *models.AccessTokenClaims) { c.ClientID = "prj_gone" }),
			"another team's API first":  userClaims(func(c *models.AccessTokenClaims) { c.Audience = jwt.Audience{"https://elsewhere.example"} }),
			"no subject":                userClaims(func(c *models.AccessTokenClaims) { c.Subject = "" }),
			"expiring within a second":  userClaims(func(c *models.AccessTokenClaims) { c.Expiry = jwt.NewNumericDate(now) }),
			"an ID token's typ instead": mustSign(t, sg, models.TypIDToken, map[string]any{"iss": storetest.TestIssuer, "sub": f.user.User.ID, "aud": f.p.ID, "exp": now.Add(time.Hour).Unix()}),
		} {
			if _, err := f.exchange(t, s, f.w.admin, f.a, tok, f.billing.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("%s: %v, want invalid_grant", name, err)
			}
		}
		// may_act naming A is honoured, with or without sub_type.
		for _, m := range []*models.ActClaim{{Subject: f.a.ID}, {Subject: f.a.ID, SubType: "project"}} {
			tok, err := f.exchange(t, s, f.w.admin, f.a, userClaims(func(c *models.AccessTokenClaims) { c.MayAct = m }), f.billing.Identifier, "", false)
			if err != nil {
				t.Errorf("may_act %+v naming A: %v", m, err)
			} else if _, ok := jwtClaims(t, tok.Token)["may_act"]; ok {
				t.Error("may_act carried into the exchanged token")
			}
		}

		// Expiry is capped by the subject token's, whatever A's lifetime (60 minutes).
		f.clock.Advance(7 * time.Minute)
		short := userClaims(nil) // issued 7 minutes ago, 3 minutes left
		tok, err := f.exchange(t, s, f.w.admin, f.a, short, f.billing.Identifier, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresIn > 180 || tok.ExpiresIn < 170 || jwtClaims(t, tok.Token)["exp"].(float64) > float64(now.Add(10*time.Minute).Unix()) {
			t.Errorf("expires_in %d, exp %v: want capped at the subject token's %v", tok.ExpiresIn, jwtClaims(t, tok.Token)["exp"], now.Add(10*time.Minute).Unix())
		}
		f.clock.Advance(3 * time.Minute)
		if _, err := f.exchange(t, s, f.w.admin, f.a, short, f.billing.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("exchanging an expired token: %v, want invalid_grant", err)
		}
		now = f.clock.Now()

		// Scopes never widen: not in the subject token, not granted, or nothing in common.
		for _, sc := range []string{"orders:write", "invoices:read", "admin"} {
			if _, err := f.exchange(t, s, f.w.admin, f.a, userClaims(nil), f.billing.Identifier, sc, false); !isOAuth(err, models.ErrCodeInvalidScope) {
				t.Errorf("scope %s: %v, want invalid_scope", sc, err)
			}
		}
		if _, err := f.exchange(t, s, f.w.admin, f.a, userClaims(func(c *models.AccessTokenClaims) { c.Scope = "orders:write" }),
			f.billing.Identifier, "", false); !isOAuth(err, models.ErrCodeInvalidScope) {
			t.Errorf("nothing in common: %v, want invalid_scope", err)
		}

		// A project that may not use the grant type: unauthorized_client.
		allowExchangeOff := models.ProjectSettings{Name: f.a.Name, TokenTTLMinutes: 60, GrantTypes: []string{models.GrantClientCredentials}}
		if err := s.UpdateProject(ctx, f.w.admin, f.a.ID, allowExchangeOff); err != nil {
			t.Fatal(err)
		}
		if _, err := f.exchange(t, s, f.w.admin, f.a, userClaims(nil), f.billing.Identifier, "", false); !isOAuth(err, models.ErrCodeUnauthorizedClient) {
			t.Errorf("grant type not allowed: %v, want unauthorized_client", err)
		}
	})
}

func mustSign(t *testing.T, sg interface {
	Sign(string, any) (string, string, error)
}, typ string, claims any) string {
	t.Helper()
	tok, _, err := sg.Sign(typ, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenExchangeImpersonation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newChainFixture(t, s)
		// Not allowed yet: unauthorized_client.
		if _, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", true); !isOAuth(err, models.ErrCodeUnauthorizedClient) {
			t.Fatalf("impersonation before the owners allow it: %v, want unauthorized_client", err)
		}
		// Only billing's owners and admins decide: not A's team, not a stranger.
		for name, who := range map[string]models.Actor{"A's admin": f.w.admin, "Carol": f.carol} {
			if err := s.SetGrantImpersonation(ctx, who, f.billing.ID, f.aOnBilling, true); err == nil {
				t.Errorf("%s allowed impersonation on billing", name)
			}
		}
		if err := s.SetGrantImpersonation(ctx, f.bob, f.billing.ID, f.aOnBilling, true); err != nil {
			t.Fatal(err)
		}
		tok, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", true)
		if err != nil {
			t.Fatal(err)
		}
		c := jwtClaims(t, tok.Token)
		if _, ok := c["act"]; ok || c["sub"] != f.userClaims["sub"] || c["client_id"] != f.a.ID {
			t.Errorf("impersonated token %v: want the user's sub, no act", c)
		}
		// The grant says so, and both teams' audit logs record it.
		grants, err := s.APIGrants(ctx, f.bob, f.billing.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grants {
			if g.ID == f.aOnBilling && !g.Impersonation {
				t.Error("the grant does not show impersonation allowed")
			}
		}
		for _, x := range []struct {
			who  models.Actor
			team string
		}{{f.bob, f.billing.TeamID}, {f.w.admin, f.a.TeamID}} {
			evs, _, err := s.AuditLog(ctx, x.who, x.team, models.AuditFilter{Action: "grant.impersonation"})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				t.Errorf("no grant.impersonation event in team %s", x.team)
			}
		}
		// Delegation stays available, and the owners can take impersonation back.
		if _, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", false); err != nil {
			t.Errorf("delegation with impersonation allowed: %v", err)
		}
		if err := s.SetGrantImpersonation(ctx, f.bob, f.billing.ID, f.aOnBilling, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", true); !isOAuth(err, models.ErrCodeUnauthorizedClient) {
			t.Errorf("impersonation after the owners took it back: %v, want unauthorized_client", err)
		}
		// Impersonation keeps earlier actors: B impersonating on ledger with A's token
		// for billing gives a token naming A only.
		if err := s.SetGrantImpersonation(ctx, f.carol, f.ledger.ID, f.bOnLedger, true); err != nil {
			t.Fatal(err)
		}
		t1, err := f.exchange(t, s, f.w.admin, f.a, f.userToken, f.billing.Identifier, "", false)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := f.exchange(t, s, f.bob, f.b, t1.Token, f.ledger.Identifier, "", true)
		if err != nil {
			t.Fatal(err)
		}
		if a := actClaim(t, jwtClaims(t, t2.Token)); a == nil || a.Subject != f.a.ID || a.Act != nil {
			t.Errorf("B impersonating: act %+v, want A's alone", a)
		}
	})
}
