package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// auditActions counts a team's audit events by action.
func auditActions(t *testing.T, s *store.Store, reader models.Actor, teamID, action string) []models.AuditEvent {
	t.Helper()
	ev, _, err := s.AuditLog(context.Background(), reader, teamID, models.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// detailsOf decodes an audit event's details.
func detailsOf(t *testing.T, ev models.AuditEvent) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
		t.Fatalf("details %q: %v", ev.Details, err)
	}
	return d
}

// A reported reference access token follows its team's policy: revoked (the next
// introspection answers inactive, and the revocation is audited with the report's
// details) or, under notify, only recorded. Its own client's revocation is audited too.
func TestReportLeakReferenceToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReferenceFixture(t, s)
		ref, _ := f.reference(t, s)
		if k := models.LeakKindOf(ref); k != models.LeakKindReferenceToken {
			t.Fatalf("LeakKindOf = %q", k)
		}
		if out := report(t, s, ref); !out.Found || !out.Revoked || out.Kind != models.LeakKindReferenceToken {
			t.Fatalf("report: %+v", out)
		}
		if in, err := s.Introspect(ctx, f.app, ref); err != nil || in.Active {
			t.Errorf("a leaked reference token still introspects: %+v (%v)", in, err)
		}
		revs := auditActions(t, s, f.w.owner, f.w.team.ID, "reference_token.revoke")
		if len(revs) != 1 || detailsOf(t, revs[0])["via"] != models.ViaLeakReport || detailsOf(t, revs[0])["hint"] != "ghat_…"+ref[len(ref)-4:] {
			t.Fatalf("reference_token.revoke events: %+v", revs)
		}
		if out := report(t, s, ref); !out.Found || out.Revoked {
			t.Errorf("second report: %+v", out)
		}

		if err := s.SetLeakPolicy(ctx, f.w.admin, f.w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		live, _ := f.reference(t, s)
		if out := report(t, s, live); !out.Found || out.Revoked {
			t.Errorf("report under notify: %+v", out)
		}
		if in, err := s.Introspect(ctx, f.app, live); err != nil || !in.Active {
			t.Errorf("under notify the token stays live: %+v (%v)", in, err)
		}
		// The client's own RFC 7009 revocation is audited, as the client.
		if ok, err := s.RevokeAsClient(ctx, f.app, live); err != nil || !ok {
			t.Fatalf("RevokeAsClient: %v %v", ok, err)
		}
		revs = auditActions(t, s, f.w.owner, f.w.team.ID, "reference_token.revoke")
		if len(revs) != 2 || revs[0].ActorLabel == "GitHub secret scanning" || detailsOf(t, revs[0])["via"] != nil {
			t.Errorf("after the client's revocation: %+v", revs)
		}
		if ok, err := s.RevokeAsClient(ctx, f.app, live); err != nil || ok {
			t.Errorf("revoking again: %v %v, want no change", ok, err)
		}
		if n := len(auditActions(t, s, f.w.owner, f.w.team.ID, "reference_token.revoke")); n != 2 {
			t.Errorf("%d reference_token.revoke events after revoking twice, want 2", n)
		}
	})
}

// A reported refresh token — current or already rotated — revokes its whole family
// whatever the team's policy: it is a user's delegation, not the team's.
func TestReportLeakRefreshToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		f.setRefresh(t, s, models.RefreshAlways, 14, 90)
		if err := s.SetLeakPolicy(ctx, f.w.admin, f.w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		first := f.authorized(t, s, "orders:read").RefreshToken
		if models.LeakKindOf(first) != models.LeakKindRefreshToken {
			t.Fatalf("LeakKindOf(%q) = %q", first, models.LeakKindOf(first))
		}
		rotated, err := s.RefreshAccessToken(ctx, f.p, first, "")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(models.RefreshGrace + 1) // past the grace window: the rotated token is history
		if out := report(t, s, first); !out.Found || !out.Revoked || out.Kind != models.LeakKindRefreshToken {
			t.Fatalf("report of a rotated token: %+v", out)
		}
		if _, err := s.RefreshAccessToken(ctx, f.p, rotated.RefreshToken, ""); oauthCode(err) != models.ErrCodeInvalidGrant {
			t.Errorf("the family's current token after the report: %v, want invalid_grant", err)
		}
		if out := report(t, s, rotated.RefreshToken); !out.Found || out.Revoked {
			t.Errorf("report of the family's other token: %+v, want found, already revoked", out)
		}
		revs := auditActions(t, s, f.w.owner, f.w.team.ID, "refresh.revoke")
		if len(revs) != 1 || detailsOf(t, revs[0])["reason"] != models.RefreshRevokedLeak {
			t.Errorf("refresh.revoke events: %+v", revs)
		}
		if leaks, _ := leakEvents(t, s, f.w.owner, f.w.team.ID); len(leaks) != 1 || detailsOf(t, leaks[0])["kind"] != models.LeakKindRefreshToken {
			t.Errorf("leak.reported events: %+v", leaks)
		}
	})
}

// A reported registration access token follows its team's policy: withdrawn (the
// registration can no longer be read or changed with it; the client still gets
// tokens) and still recognised when reported again, or under notify only recorded.
func TestReportLeakRegistrationToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, plain := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		rc, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"client_name":"A","grant_types":["client_credentials"]}`))
		if err != nil {
			t.Fatal(err)
		}
		if models.LeakKindOf(rc.RegistrationAccessToken) != models.LeakKindRegistrationToken {
			t.Fatalf("LeakKindOf = %q", models.LeakKindOf(rc.RegistrationAccessToken))
		}
		if out := report(t, s, rc.RegistrationAccessToken); !out.Found || !out.Revoked || out.Kind != models.LeakKindRegistrationToken {
			t.Fatalf("report: %+v", out)
		}
		if _, err := s.ReadClientRegistration(ctx, rc.ClientID, rc.RegistrationAccessToken); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("reading with the leaked token: %v, want ErrRegistrationToken", err)
		}
		if err := s.DeleteClientRegistration(ctx, registrant, rc.ClientID, rc.RegistrationAccessToken); !errors.Is(err, models.ErrRegistrationToken) {
			t.Errorf("deleting with the leaked token: %v, want ErrRegistrationToken", err)
		}
		if _, err := s.AuthenticateClient(ctx, rc.ClientID, rc.ClientSecret); err != nil {
			t.Errorf("the client itself stops working: %v", err)
		}
		if out := report(t, s, rc.RegistrationAccessToken); !out.Found || out.Revoked {
			t.Errorf("second report: %+v, want found, nothing more", out)
		}
		if n := len(auditActions(t, s, w.owner, w.team.ID, "registration.token_revoke")); n != 1 {
			t.Errorf("%d registration.token_revoke events, want 1", n)
		}

		if err := s.SetLeakPolicy(ctx, w.admin, w.team.ID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		other, err := s.RegisterClient(ctx, registrant, plain, "", []byte(`{"client_name":"B","grant_types":["client_credentials"]}`))
		if err != nil {
			t.Fatal(err)
		}
		if out := report(t, s, other.RegistrationAccessToken); !out.Found || out.Revoked {
			t.Errorf("report under notify: %+v", out)
		}
		if _, err := s.ReadClientRegistration(ctx, other.ClientID, other.RegistrationAccessToken); err != nil {
			t.Errorf("under notify the token stays live: %v", err)
		}
	})
}
