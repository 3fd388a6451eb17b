package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// scanner is the actor of a secret scanner's reports.
var scanner = models.Actor{Partner: "GitHub secret scanning", IP: "192.0.2.9", UserAgent: "GitHub-Secret-Scanning"}

// leakCreds are live credentials of each kind, as their owners got them.
type leakCreds struct {
	secret, key, pat       string
	secretID, keyID, patID string
}

// newLeakCreds creates a client secret and an API key in p and a personal access token
// of the developer.
func newLeakCreds(t *testing.T, s *store.Store, w *world, p *testProject) leakCreds {
	t.Helper()
	ctx := context.Background()
	var c leakCreds
	cs, secret, err := s.CreateClientSecret(ctx, w.admin, p.ID, "ci", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	k, key, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "deploy", Scopes: []string{"orders:read"},
		API: p.api, TTL: 30 * 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	pt, pat, err := s.CreatePersonalToken(ctx, w.developer, models.PersonalTokenInput{Name: "cli", Scope: models.PersonalTokenWrite,
		TTL: 30 * 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	c.secret, c.key, c.pat, c.secretID, c.keyID, c.patID = secret, key, pat, cs.ID, k.ID, pt.ID
	return c
}

// report reports token leaked and returns the outcome.
func report(t *testing.T, s *store.Store, token string) models.LeakOutcome {
	t.Helper()
	out, err := s.ReportLeak(context.Background(), scanner, models.LeakReport{Token: token, Type: "gatehouse_token",
		URL: "https://github.com/octo/repo/blob/abc/config.yml", Source: "content"})
	if err != nil {
		t.Fatalf("ReportLeak: %v", err)
	}
	return out
}

// leakEvents counts a team's leak.reported audit and outbox events.
func leakEvents(t *testing.T, s *store.Store, reader models.Actor, teamID string) (audits []models.AuditEvent, outbox []models.OutboxEvent) {
	t.Helper()
	ctx := context.Background()
	audits, _, err := s.AuditLog(ctx, reader, teamID, models.AuditFilter{Action: "leak.reported", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Outbox(ctx, models.OutboxFilter{Type: models.EventLeakReported, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		if ev.TeamID == teamID {
			outbox = append(outbox, ev)
		}
	}
	return audits, outbox
}

// state reads whether each credential is revoked.
func revokedState(t *testing.T, s *store.Store, w *world, p *testProject, c leakCreds) (secret, key, pat bool) {
	t.Helper()
	ctx := context.Background()
	secrets, err := s.ClientSecrets(ctx, w.admin, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range secrets {
		if cs.ID == c.secretID {
			secret = cs.RevokedAt != nil
		}
	}
	keys, err := s.APIKeys(ctx, w.admin, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == c.keyID {
			key = k.RevokedAt != nil
		}
	}
	_, err = s.AuthenticatePersonalToken(ctx, c.pat)
	return secret, key, errors.Is(err, models.ErrInvalidPersonalToken)
}

// Under the default policy a reported client secret, API key and personal access token
// are revoked, each with a leak.reported audit and outbox event naming its kind and
// where it was found; a second report is still a true positive and writes nothing.
func TestReportLeakRevokes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		c := newLeakCreds(t, s, w, p)
		for token, kind := range map[string]string{c.secret: models.LeakKindClientSecret, c.key: models.LeakKindAPIKey,
			c.pat: models.LeakKindPersonalToken} {
			if out := report(t, s, token); !out.Found || !out.Revoked || out.Kind != kind {
				t.Errorf("%s: %+v, want found and revoked", kind, out)
			}
		}
		if sec, key, pat := revokedState(t, s, w, p, c); !sec || !key || !pat {
			t.Errorf("revoked: secret %v, key %v, PAT %v; want all", sec, key, pat)
		}
		audits, outbox := leakEvents(t, s, w.owner, w.team.ID)
		if len(audits) != 3 || len(outbox) != 3 {
			t.Fatalf("%d audit and %d outbox leak events, want 3 each", len(audits), len(outbox))
		}
		kinds := map[string]bool{}
		for _, ev := range outbox {
			var data map[string]any
			if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
				t.Fatal(err)
			}
			kinds[data["kind"].(string)] = true
			if data["revoked"] != true || data["url"] != "https://github.com/octo/repo/blob/abc/config.yml" || data["source"] != "content" {
				t.Errorf("leak.reported data %v", data)
			}
		}
		if len(kinds) != 3 {
			t.Errorf("kinds in the events: %v", kinds)
		}
		if audits[0].ActorLabel != "GitHub secret scanning" {
			t.Errorf("actor %q", audits[0].ActorLabel)
		}
		for _, token := range []string{c.secret, c.key, c.pat} {
			if out := report(t, s, token); !out.Found || out.Revoked {
				t.Errorf("second report: %+v, want found, not revoked again", out)
			}
		}
		if a, o := leakEvents(t, s, w.owner, w.team.ID); len(a) != 3 || len(o) != 3 {
			t.Errorf("after a second report: %d audit and %d outbox events, want still 3", len(a), len(o))
		}
	})
}

// Under notify, the team's credentials stay live and only the report is recorded; a
// personal access token is a person's and is revoked whatever the policy.
func TestReportLeakNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		if err := s.SetLeakPolicy(ctx, w.developer, w.team.ID, models.LeakPolicyNotify); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a developer set the policy: %v", err)
		}
		if err := s.SetLeakPolicy(ctx, w.admin, w.team.ID, "ignore"); !errors.Is(err, models.ErrLeakPolicy) {
			t.Errorf("policy ignore: %v", err)
		}
		if err := s.SetLeakPolicy(ctx, w.admin, w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		c := newLeakCreds(t, s, w, p)
		for _, token := range []string{c.secret, c.key, c.pat} {
			if out := report(t, s, token); !out.Found {
				t.Errorf("not found: %+v", out)
			}
		}
		if sec, key, pat := revokedState(t, s, w, p, c); sec || key || !pat {
			t.Errorf("revoked: secret %v, key %v, PAT %v; want only the PAT", sec, key, pat)
		}
		if a, o := leakEvents(t, s, w.owner, w.team.ID); len(a) != 3 || len(o) != 3 {
			t.Errorf("%d audit and %d outbox leak events, want 3 each", len(a), len(o))
		}
	})
}

// Tokens that are none of the portal's credentials — unknown, malformed, forged, or
// an access token — are false positives and change nothing; a report of team A's
// credential never touches team B.
func TestReportLeakUnknownAndOtherTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		c := newLeakCreds(t, s, w, p)
		forged := models.APIKeyPrefix + "RVMyNTYiLCJraWQiOiJ4In0.eyJqdGkiOiJrZXlfMSJ9.c2lnbmF0dXJl"
		access, _, err := sg.Sign(models.TypAccessToken, map[string]any{"iss": sg.Config().Issuer, "jti": c.keyID})
		if err != nil {
			t.Fatal(err)
		}
		typo := c.secret[:len(c.secret)-1] + "x" // one character off, whatever the secret ends with
		if typo == c.secret {
			typo = c.secret[:len(c.secret)-1] + "y"
		}
		for _, token := range []string{models.NewClientSecret(), models.NewPersonalToken(), typo,
			forged, access, "", "hello", c.key + "x"} {
			if out := report(t, s, token); out.Found || out.Revoked {
				t.Errorf("%.20q…: %+v, want a false positive", token, out)
			}
		}
		if sec, key, pat := revokedState(t, s, w, p, c); sec || key || pat {
			t.Errorf("revoked: secret %v, key %v, PAT %v; want none", sec, key, pat)
		}
		if a, o := leakEvents(t, s, w.owner, w.team.ID); len(a) != 0 || len(o) != 0 {
			t.Errorf("%d audit and %d outbox leak events, want none", len(a), len(o))
		}
		// The outsider's secret, reported, touches only the outsider's team.
		theirs, err := s.TeamProjects(ctx, w.outsider, w.outsiderTeam)
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := s.CreateClientSecret(ctx, w.outsider, theirs[0].ID, "theirs", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if out := report(t, s, secret); !out.Found || !out.Revoked {
			t.Errorf("outsider's secret: %+v", out)
		}
		if a, o := leakEvents(t, s, w.owner, w.team.ID); len(a) != 0 || len(o) != 0 {
			t.Errorf("team A got %d audit and %d outbox events of team B's leak", len(a), len(o))
		}
		if a, o := leakEvents(t, s, w.outsider, w.outsiderTeam); len(a) != 1 || len(o) != 1 {
			t.Errorf("team B: %d audit and %d outbox events, want 1 each", len(a), len(o))
		}
		if sec, key, _ := revokedState(t, s, w, p, c); sec || key {
			t.Errorf("team A's credentials revoked by team B's report: secret %v, key %v", sec, key)
		}
	})
}

// A reported API key is found by its jti once its signature verifies, so the other
// spelling of its ECDSA signature (r, n−s) is the same key, reported and revoked.
func TestReportLeakSignatureTwin(t *testing.T) {
	s := storetest.SQLite(t)
	storetest.Signer(t, s)
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	c := newLeakCreds(t, s, w, p)
	if out := report(t, s, signatureTwin(t, c.key)); !out.Found || !out.Revoked || out.Kind != models.LeakKindAPIKey {
		t.Errorf("twin of a live key: %+v, want found and revoked", out)
	}
	if _, key, _ := revokedState(t, s, w, p, c); !key {
		t.Error("the key is live after its twin was reported")
	}
}

// A service account's fallback secret has a client secret's format: reported, it is
// revoked under the revoke policy and only recorded under notify.
func TestReportLeakServiceAccountSecret(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		sa, err := s.CreateServiceAccount(ctx, w.owner, w.team.ID, models.ServiceAccountInput{Name: "deployer", Role: models.RoleDeveloper}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, notified, err := s.CreateServiceAccountSecret(ctx, w.owner, w.team.ID, sa.ID, "notified", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetLeakPolicy(ctx, w.owner, w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		if out := report(t, s, notified); !out.Found || out.Revoked || out.Kind != models.LeakKindClientSecret {
			t.Errorf("under notify: %+v, want found, not revoked", out)
		}
		if _, err := s.AuthenticateServiceAccount(ctx, sa.ID, notified); err != nil {
			t.Errorf("under notify the secret stopped working: %v", err)
		}
		if err := s.SetLeakPolicy(ctx, w.owner, w.team.ID, models.LeakPolicyRevoke); err != nil {
			t.Fatal(err)
		}
		if out := report(t, s, notified); !out.Found || !out.Revoked {
			t.Errorf("under revoke: %+v, want found and revoked", out)
		}
		if _, err := s.AuthenticateServiceAccount(ctx, sa.ID, notified); err == nil {
			t.Error("a reported service-account secret still authenticates")
		}
		audits, outbox := leakEvents(t, s, w.owner, w.team.ID)
		if len(audits) != 2 || len(outbox) != 2 {
			t.Errorf("%d audit and %d outbox leak events, want 2 each", len(audits), len(outbox))
		}
	})
}
