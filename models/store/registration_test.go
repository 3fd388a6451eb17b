package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// registrant is the caller of the registration endpoint, as the store sees it.
var registrant = models.Actor{IP: "198.51.100.7", UserAgent: "mcp-client/1.0"}

// newInitialToken sets the team's policy and creates an initial access token.
func newInitialToken(t *testing.T, s *store.Store, w *world, policy string, in models.InitialAccessTokenInput) (*models.InitialAccessToken, string) {
	t.Helper()
	ctx := context.Background()
	if err := s.SetRegistrationPolicy(ctx, w.admin, w.team.ID, policy); err != nil {
		t.Fatalf("SetRegistrationPolicy: %v", err)
	}
	if in.Label == "" {
		in.Label = "mcp clients"
	}
	if in.TTL == 0 {
		in.TTL = 30 * 24 * time.Hour
	}
	tok, plain, err := s.CreateInitialAccessToken(ctx, w.admin, w.team.ID, in, "")
	if err != nil {
		t.Fatalf("CreateInitialAccessToken: %v", err)
	}
	return tok, plain
}

// oauthCode is err's OAuth error code, or "".
func oauthCode(err error) string {
	var oe *models.OAuthError
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ""
}

// publicJWKS is a JWK Set holding a fresh P-256 public key.
func publicJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k-" + models.RandomToken(4), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// projectCount counts the team's projects.
func projectCount(t *testing.T, s *store.Store, w *world) int {
	t.Helper()
	ps, err := s.TeamProjects(context.Background(), w.owner, w.team.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

func TestRegistrationPolicyAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		if err := s.SetRegistrationPolicy(ctx, w.developer, w.team.ID, models.RegistrationOpen); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer sets the policy: %v, want ErrForbidden", err)
		}
		if err := s.SetRegistrationPolicy(ctx, w.outsider, w.team.ID, models.RegistrationOpen); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider sets the policy: %v, want ErrNotFound", err)
		}
		if err := s.SetRegistrationPolicy(ctx, w.admin, w.team.ID, "anyone"); !errors.Is(err, models.ErrRegistrationPolicy) {
			t.Errorf("unknown policy: %v, want ErrRegistrationPolicy", err)
		}
		team, err := s.TeamFor(ctx, w.owner, w.team.ID)
		if err != nil || team.RegistrationPolicy != models.RegistrationOff {
			t.Fatalf("a new team's policy = %q (%v), want off", team.RegistrationPolicy, err)
		}
		if err := s.SetRegistrationPolicy(ctx, w.owner, w.team.ID, models.RegistrationToken); err != nil {
			t.Fatal(err)
		}
		ev, _, err := s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "team.registration_policy"})
		if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Details, `"to":"token"`) {
			t.Errorf("policy audit = %+v (%v)", ev, err)
		}

		in := models.InitialAccessTokenInput{Label: "ci", TTL: 30 * 24 * time.Hour, MaxUses: 3}
		if _, _, err := s.CreateInitialAccessToken(ctx, w.developer, w.team.ID, in, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer creates a token: %v, want ErrForbidden", err)
		}
		for name, bad := range map[string]models.InitialAccessTokenInput{
			"no label": {TTL: 30 * 24 * time.Hour}, "odd lifetime": {Label: "x", TTL: 5 * 24 * time.Hour},
			"negative uses": {Label: "x", TTL: 24 * time.Hour, MaxUses: -1},
		} {
			var ve *models.ValidationError
			if _, _, err := s.CreateInitialAccessToken(ctx, w.admin, w.team.ID, bad, ""); !errors.As(err, &ve) {
				t.Errorf("%s: %v, want a validation error", name, err)
			}
		}
		tok, plain, err := s.CreateInitialAccessToken(ctx, w.admin, w.team.ID, in, "")
		if err != nil {
			t.Fatal(err)
		}
		if !models.CheckInitialAccessTokenFormat(plain) || !strings.HasPrefix(plain, "ghiat_") || tok.Hash != models.SHA256Hex(plain) {
			t.Errorf("token %q / hash %q: want a checksummed ghiat_ value stored as its SHA-256", plain, tok.Hash)
		}
		if models.LeakKindOf(plain) != models.LeakKindInitialAccessToken {
			t.Errorf("LeakKindOf = %q", models.LeakKindOf(plain))
		}
		if s.Dialect() == store.SQLite && strings.Contains(storetest.Dump(t, s), plain) {
			t.Error("the database holds the plain initial access token")
		}
		list, err := s.InitialAccessTokens(ctx, w.admin, w.team.ID)
		if err != nil || len(list) != 1 || list[0].Label != "ci" || *list[0].MaxUses != 3 || list[0].CreatedByLabel == "" {
			t.Fatalf("InitialAccessTokens = %+v (%v)", list, err)
		}
		if _, err := s.InitialAccessTokens(ctx, w.viewer, w.team.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("viewer lists tokens: %v, want ErrForbidden", err)
		}
		if err := s.RevokeInitialAccessToken(ctx, w.outsider, w.outsiderTeam, tok.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("revoke through another team: %v, want ErrNotFound", err)
		}
		if err := s.RevokeInitialAccessToken(ctx, w.admin, w.team.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeInitialAccessToken(ctx, w.admin, w.team.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		ev, _, err = s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "initial_token."})
		if err != nil || len(ev) != 2 || ev[0].Action != "initial_token.revoke" || strings.Contains(ev[1].Details, plain) {
			t.Errorf("token audit = %+v (%v), want create then one revoke", ev, err)
		}
		if _, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"grant_types":["client_credentials"]}`)); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("register with a revoked token: %v", err)
		}
	})
}

func TestRegisterClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		tok, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})

		t.Run("ClientSecret", func(t *testing.T) {
			rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"client_name":"Nightly export","grant_types":["client_credentials"],
				"token_endpoint_auth_method":"client_secret_post","contacts":["ops@example.com"],"client_uri":"https://export.example.com","x-unknown":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rc.ClientSecret, "ghcs_") || rc.ClientSecretExpiresAt == nil || *rc.ClientSecretExpiresAt != 0 ||
				!models.CheckRegistrationAccessTokenFormat(rc.RegistrationAccessToken) {
				t.Fatalf("answer = %+v: want a secret that never expires and a registration access token", rc)
			}
			p, err := s.ProjectFor(ctx, w.owner, rc.ClientID)
			if err != nil || p.TeamID != w.team.ID || p.Name != "Nightly export" || p.GrantTypes != models.GrantClientCredentials || p.PublicClient {
				t.Fatalf("project = %+v (%v)", p, err)
			}
			got, err := s.AuthenticateClient(ctx, rc.ClientID, rc.ClientSecret)
			if err != nil || got.ID != rc.ClientID {
				t.Fatalf("the returned secret does not authenticate: %v", err)
			}
			if grants, err := s.ProjectGrants(ctx, w.owner, rc.ClientID); err != nil || len(grants) != 0 {
				t.Errorf("grants = %v (%v), want none", grants, err)
			}
			reg, err := s.ProjectRegistration(ctx, w.viewer, rc.ClientID)
			if err != nil || reg == nil || !strings.Contains(reg.Via, `"mcp clients"`) {
				t.Errorf("ProjectRegistration = %+v (%v)", reg, err)
			}
			ev, _, err := s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "client.register"})
			if err != nil || len(ev) != 1 || !strings.HasPrefix(ev[0].ActorLabel, "dynamic registration (token") || ev[0].IP != registrant.IP {
				t.Errorf("audit = %+v (%v)", ev, err)
			}
			if s.Dialect() == store.SQLite && (strings.Contains(storetest.Dump(t, s), rc.ClientSecret) ||
				strings.Contains(storetest.Dump(t, s), rc.RegistrationAccessToken)) {
				t.Error("the database holds a plain secret or registration access token")
			}
		})
		t.Run("PublicClient", func(t *testing.T) {
			rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"redirect_uris":["http://127.0.0.1:33418/callback"],
				"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}`))
			if err != nil {
				t.Fatal(err)
			}
			if rc.ClientSecret != "" || rc.ClientSecretExpiresAt != nil || rc.ClientName != "Registered client" {
				t.Errorf("answer = %+v: want no secret and the default name", rc)
			}
			p, err := s.PublicClient(ctx, rc.ClientID)
			if err != nil || p.RedirectURIs != "http://127.0.0.1:33418/callback" || !p.AllowsGrant(models.GrantAuthorizationCode) {
				t.Fatalf("PublicClient = %+v (%v)", p, err)
			}
		})
		t.Run("PrivateKeyJWT", func(t *testing.T) {
			rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"grant_types":["client_credentials","`+models.GrantJWTBearer+`"],
				"token_endpoint_auth_method":"private_key_jwt","jwks":`+publicJWKS(t)+`}`))
			if err != nil {
				t.Fatal(err)
			}
			keys, err := s.ClientKeys(ctx, w.owner, rc.ClientID)
			if err != nil || len(keys) != 1 || keys[0].Alg != "ES256" {
				t.Fatalf("client keys = %+v (%v)", keys, err)
			}
			p, err := s.ProjectFor(ctx, w.owner, rc.ClientID)
			if err != nil || p.AuthMethods != models.AuthPrivateKeyJWT || rc.ClientSecret != "" {
				t.Errorf("project = %+v, secret %q (%v)", p, rc.ClientSecret, err)
			}
		})
		t.Run("BadMetadata", func(t *testing.T) {
			before := projectCount(t, s, w)
			uses := func() int {
				list, err := s.InitialAccessTokens(ctx, w.admin, w.team.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range list {
					if l.ID == tok.ID {
						return l.Uses
					}
				}
				return -1
			}
			usesBefore := uses()
			for body, want := range map[string]string{
				`[1,2]`: "invalid_client_metadata",
				`{"grant_types":["implicit"],"redirect_uris":["https://a.example/cb"]}`:                                                "invalid_client_metadata",
				`{"grant_types":["password"]}`:                                                                                         "invalid_client_metadata",
				`{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`:                                                "invalid_client_metadata",
				`{"redirect_uris":["http://evil.example/cb"]}`:                                                                         "invalid_redirect_uri",
				`{"redirect_uris":["https://a.example/cb#frag"]}`:                                                                      "invalid_redirect_uri",
				`{"grant_types":["authorization_code"]}`:                                                                               "invalid_redirect_uri",
				`{"redirect_uris":"https://a.example/cb"}`:                                                                             "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`:                                           "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://k.example"}`: "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt"}`:                                "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}]}}`: "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"tls_client_auth"}`:                                                                         "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"logo_uri":"http://logo.example/x.png"}`:                                                                                 "invalid_client_metadata",
				`{"grant_types":["client_credentials"],"client_name":"` + strings.Repeat("n", 81) + `"}`:                                                                        "invalid_client_metadata",
			} {
				_, err := s.RegisterClient(ctx, registrant, plain, "", []byte(body))
				var oe *models.OAuthError
				if !errors.As(err, &oe) || oe.Code != want || !strings.HasSuffix(oe.Description, ".") {
					t.Errorf("%s: %v, want %s with a sentence", body, err, want)
				}
			}
			if n := projectCount(t, s, w); n != before {
				t.Errorf("refused registrations made projects: %d → %d", before, n)
			}
			if u := uses(); u != usesBefore {
				t.Errorf("refused registrations used the token: %d → %d", usesBefore, u)
			}
		})
	})
}

func TestRegisterClientRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		s.SetClock(func() time.Time { return now })
		w := newWorld(t, s)
		body := []byte(`{"grant_types":["client_credentials"]}`)
		refused := func(desc, token, openTeam string) {
			t.Helper()
			if _, err := s.RegisterClient(ctx, registrant, token, openTeam, body); !errors.Is(err, models.ErrRegistrationToken) {
				t.Errorf("%s: %v, want ErrRegistrationToken", desc, err)
			}
		}
		_, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{TTL: 24 * time.Hour, MaxUses: 2})
		before := projectCount(t, s, w)

		refused("no token, no open team", "", "")
		refused("no token, the team is only token", "", w.team.ID)
		refused("no token, an unknown open team", "", "team_nosuch")
		refused("a malformed token", plain[:len(plain)-1]+"x", "")
		refused("an unknown token", models.NewInitialAccessToken(), "")
		refused("a client secret as token", models.NewClientSecret(), "")

		// Open registration: only where the operator and the team both agree.
		if err := s.SetRegistrationPolicy(ctx, w.admin, w.team.ID, models.RegistrationOpen); err != nil {
			t.Fatal(err)
		}
		refused("the team is open but the operator named none", "", "")
		refused("the operator named another team", "", w.outsiderTeam)
		rc, err := s.RegisterClient(ctx, registrant, "", w.team.ID, body)
		if err != nil {
			t.Fatalf("open registration: %v", err)
		}
		p, err := s.ProjectFor(ctx, w.owner, rc.ClientID)
		if err != nil || p.TeamID != w.team.ID {
			t.Fatalf("open registration's project = %+v (%v)", p, err)
		}
		ev, _, err := s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "client.register"})
		if err != nil || len(ev) != 1 || ev[0].ActorLabel != "dynamic registration (open)" {
			t.Errorf("open registration audit = %+v (%v)", ev, err)
		}

		// Used up: two registrations, then refused.
		for i := range 2 {
			if _, err := s.RegisterClient(ctx, registrant, plain, "", body); err != nil {
				t.Fatalf("registration %d: %v", i+1, err)
			}
		}
		refused("a used-up token", plain, "")

		// Expired.
		_, short := newInitialToken(t, s, w, models.RegistrationOpen, models.InitialAccessTokenInput{TTL: 24 * time.Hour})
		if _, err := s.RegisterClient(ctx, registrant, short, "", body); err != nil {
			t.Fatal(err)
		}
		s.SetClock(func() time.Time { return now.Add(24 * time.Hour) })
		refused("an expired token", short, "")
		s.SetClock(func() time.Time { return now })

		// Policy off later: tokens stop working, registered clients stay.
		_, live := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		if err := s.SetRegistrationPolicy(ctx, w.admin, w.team.ID, models.RegistrationOff); err != nil {
			t.Fatal(err)
		}
		refused("a live token of a team whose policy is off", live, "")
		refused("no token, team off", "", w.team.ID)
		if _, err := s.ProjectFor(ctx, w.owner, rc.ClientID); err != nil {
			t.Errorf("a registered client went with the policy: %v", err)
		}
		if n := projectCount(t, s, w); n != before+4 {
			t.Errorf("projects: %d → %d, want 4 registrations", before, n)
		}

		// Another team's token registers in that team, never in this one.
		other := newWorld(t, s)
		_, otherTok := newInitialToken(t, s, other, models.RegistrationToken, models.InitialAccessTokenInput{})
		rc2, err := s.RegisterClient(ctx, registrant, otherTok, w.team.ID, body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProjectFor(ctx, w.owner, rc2.ClientID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another team's token registered in this team: %v", err)
		}
	})
}

func TestClientRegistrationManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		register := func(body string) *models.RegisteredClient {
			t.Helper()
			rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
		a := register(`{"client_name":"A","redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","client_credentials"]}`)
		b := register(`{"client_name":"B","grant_types":["client_credentials"]}`)

		got, err := s.ReadClientRegistration(ctx, a.ClientID, a.RegistrationAccessToken)
		if err != nil || got.ClientName != "A" || got.ClientSecret != "" || got.RegistrationAccessToken != "" ||
			got.TokenEndpointAuthMethod != "client_secret_basic" || len(got.RedirectURIs) != 1 {
			t.Fatalf("read = %+v (%v)", got, err)
		}
		// Hostile: another client's token, a made-up one, a project made in the portal.
		portal, err := s.CreateProject(ctx, w.admin, w.team.ID, "Portal project", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for desc, c := range map[string][2]string{
			"B's token for A":     {a.ClientID, b.RegistrationAccessToken},
			"a made-up token":     {a.ClientID, models.NewRegistrationAccessToken()},
			"a malformed token":   {a.ClientID, "ghrat_x"},
			"A's token elsewhere": {b.ClientID, a.RegistrationAccessToken},
			"a portal project":    {portal.ID, a.RegistrationAccessToken},
		} {
			if _, err := s.ReadClientRegistration(ctx, c[0], c[1]); !errors.Is(err, models.ErrRegistrationToken) {
				t.Errorf("read with %s: %v", desc, err)
			}
			if _, err := s.UpdateClientRegistration(ctx, registrant, c[0], c[1], []byte(`{"client_id":"`+c[0]+`","client_name":"pwned","grant_types":["client_credentials"]}`)); !errors.Is(err, models.ErrRegistrationToken) {
				t.Errorf("update with %s: %v", desc, err)
			}
			if err := s.DeleteClientRegistration(ctx, registrant, c[0], c[1]); !errors.Is(err, models.ErrRegistrationToken) {
				t.Errorf("delete with %s: %v", desc, err)
			}
		}
		if p, err := s.ProjectFor(ctx, w.owner, a.ClientID); err != nil || p.Name != "A" {
			t.Fatalf("hostile calls changed A: %+v (%v)", p, err)
		}

		// A grant the team gives survives an update.
		grantedAPI(t, s, w.admin, &models.Project{ID: a.ClientID, TeamID: w.team.ID, Name: "A"}, "https://orders.example.com", "read")
		for body, want := range map[string]string{
			`{"client_name":"A2","grant_types":["client_credentials"]}`:                                                   "invalid_client_metadata", // no client_id
			`{"client_id":"` + b.ClientID + `","grant_types":["client_credentials"]}`:                                     "invalid_client_metadata",
			`{"client_id":"` + a.ClientID + `","redirect_uris":["javascript:alert(1)"]}`:                                  "invalid_redirect_uri",
			`{"client_id":"` + a.ClientID + `","grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`: "invalid_client_metadata",
		} {
			if _, err := s.UpdateClientRegistration(ctx, registrant, a.ClientID, a.RegistrationAccessToken, []byte(body)); oauthCode(err) != want {
				t.Errorf("update %s: %v, want %s", body, err, want)
			}
		}
		up, err := s.UpdateClientRegistration(ctx, registrant, a.ClientID, a.RegistrationAccessToken,
			[]byte(`{"client_id":"`+a.ClientID+`","client_name":"A2","redirect_uris":["https://a.example/v2"],
			"grant_types":["authorization_code"],"token_endpoint_auth_method":"client_secret_post"}`))
		if err != nil || up.ClientName != "A2" || up.RedirectURIs[0] != "https://a.example/v2" || up.TokenEndpointAuthMethod != "client_secret_post" {
			t.Fatalf("update = %+v (%v)", up, err)
		}
		p, err := s.ProjectFor(ctx, w.owner, a.ClientID)
		if err != nil || p.Name != "A2" || p.GrantTypes != models.GrantAuthorizationCode || p.RedirectURIs != "https://a.example/v2" {
			t.Fatalf("project after update = %+v (%v)", p, err)
		}
		if grants, err := s.ProjectGrants(ctx, w.owner, a.ClientID); err != nil || len(grants) != 1 {
			t.Errorf("grants after update = %v (%v), want the team's grant kept", grants, err)
		}
		// What the team changes in the portal is what the client reads back.
		if err := s.UpdateProject(ctx, w.admin, a.ClientID, models.ProjectSettings{Name: "Renamed", TokenTTLMinutes: 15,
			GrantTypes: []string{models.GrantAuthorizationCode, models.GrantClientCredentials}}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ReadClientRegistration(ctx, a.ClientID, a.RegistrationAccessToken); err != nil || got.ClientName != "Renamed" ||
			len(got.GrantTypes) != 2 || got.RedirectURIs[0] != "https://a.example/v2" {
			t.Errorf("read after a portal change = %+v (%v)", got, err)
		}

		// Delete: the project goes, its token is useless after.
		if err := s.DeleteClientRegistration(ctx, registrant, a.ClientID, a.RegistrationAccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProjectFor(ctx, w.owner, a.ClientID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("project after delete: %v", err)
		}
		if _, err := s.ReadClientRegistration(ctx, a.ClientID, a.RegistrationAccessToken); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("read after delete: %v", err)
		}
		ev, _, err := s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "project.delete"})
		if err != nil || len(ev) != 1 || ev[0].ActorLabel != "dynamic registration (client "+a.ClientID+")" {
			t.Errorf("delete audit = %+v (%v)", ev, err)
		}
		// Deleting in the portal makes the token useless too.
		if err := s.DeleteProject(ctx, w.admin, b.ClientID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReadClientRegistration(ctx, b.ClientID, b.RegistrationAccessToken); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("read after a portal delete: %v", err)
		}
		if reg, err := s.ProjectRegistration(ctx, w.owner, portal.ID); err != nil || reg != nil {
			t.Errorf("a portal project's registration = %+v (%v), want none", reg, err)
		}
	})
}

func TestRegistrationKeysReplacedOnUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"grant_types":["client_credentials"],
			"token_endpoint_auth_method":"private_key_jwt","jwks":`+publicJWKS(t)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.ClientKeys(ctx, w.owner, rc.ClientID)
		if err != nil || len(first) != 1 {
			t.Fatalf("keys = %v (%v)", first, err)
		}
		if _, err := s.UpdateClientRegistration(ctx, registrant, rc.ClientID, rc.RegistrationAccessToken, []byte(`{"client_id":"`+rc.ClientID+`",
			"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":`+publicJWKS(t)+`}`)); err != nil {
			t.Fatal(err)
		}
		second, err := s.ClientKeys(ctx, w.owner, rc.ClientID)
		if err != nil || len(second) != 1 || second[0].KID == first[0].KID {
			t.Errorf("keys after update = %v (%v), want the new key only", second, err)
		}
	})
}

// A reported initial access token follows its team's leak policy: revoked (and then no
// longer registers) under revoke, left live under notify.
func TestLeakedInitialAccessToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		if out := report(t, s, plain); !out.Found || !out.Revoked || out.Kind != models.LeakKindInitialAccessToken {
			t.Fatalf("report under revoke: %+v", out)
		}
		if _, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"grant_types":["client_credentials"]}`)); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("a revoked leaked token registers: %v", err)
		}
		if out := report(t, s, plain); !out.Found || out.Revoked {
			t.Errorf("second report: %+v, want found, nothing more", out)
		}
		if err := s.SetLeakPolicy(ctx, w.admin, w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		_, live := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{Label: "other"})
		if out := report(t, s, live); !out.Found || out.Revoked {
			t.Errorf("report under notify: %+v", out)
		}
		if _, err := s.RegisterClient(ctx, registrant, live, "", []byte(`{"grant_types":["client_credentials"]}`)); err != nil {
			t.Errorf("under notify the token stays live: %v", err)
		}
		audits, _ := leakEvents(t, s, w.owner, w.team.ID)
		if len(audits) != 2 {
			t.Errorf("leak.reported events: %d, want 2", len(audits))
		}
	})
}
