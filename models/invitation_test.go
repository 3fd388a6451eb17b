package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestInvitationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		now := time.Now().UTC()
		s.Now = func() time.Time { return now }

		inv, token, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleDeveloper, models.DefaultInvitationTTL, "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(inv.TokenHash, token) || len(token) < 40 {
			t.Errorf("token %q stored in clear or too short", token)
		}
		info, err := s.InvitationByToken(ctx, token)
		if err != nil || info.TeamName != "Acme" || info.State(now) != models.InviteOpen {
			t.Fatalf("InvitationByToken = %+v, %v", info, err)
		}
		pending, _ := s.PendingInvitations(ctx, w.admin, w.team.ID)
		if len(pending) != 1 {
			t.Errorf("%d pending invitations, want 1", len(pending))
		}

		alice := newUser(t, s, "alice")
		if _, err := s.AcceptInvitation(ctx, alice, token); err != nil {
			t.Fatal(err)
		}
		tv, err := s.TeamFor(ctx, alice, w.team.ID)
		if err != nil || tv.MyRole != models.RoleDeveloper {
			t.Fatalf("after accepting: %+v, %v; want developer", tv, err)
		}
		bob := newUser(t, s, "bob")
		if _, err := s.AcceptInvitation(ctx, bob, token); !errors.Is(err, models.ErrInvitationUsed) {
			t.Errorf("reused invitation: %v, want ErrInvitationUsed", err)
		}
		if _, err := s.TeamFor(ctx, bob, w.team.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("reuse made bob a member")
		}

		// Expired.
		_, expToken, _ := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		now = now.Add(25 * time.Hour)
		if _, err := s.AcceptInvitation(ctx, bob, expToken); !errors.Is(err, models.ErrInvitationExpired) {
			t.Errorf("expired invitation: %v, want ErrInvitationExpired", err)
		}

		// Revoked.
		rinv, revToken, _ := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if err := s.RevokeInvitation(ctx, w.developer, w.team.ID, rinv.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer revokes an invitation: %v, want ErrForbidden", err)
		}
		if err := s.RevokeInvitation(ctx, w.outsider, w.team.ID, rinv.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider revokes an invitation: %v, want ErrNotFound", err)
		}
		if err := s.RevokeInvitation(ctx, w.admin, w.team.ID, rinv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvitation(ctx, bob, revToken); !errors.Is(err, models.ErrInvitationRevoked) {
			t.Errorf("revoked invitation: %v, want ErrInvitationRevoked", err)
		}

		// Already a member: the invitation stays usable for someone else.
		_, memberToken, _ := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if _, err := s.AcceptInvitation(ctx, w.viewer, memberToken); !errors.Is(err, models.ErrAlreadyMember) {
			t.Errorf("member accepts: %v, want ErrAlreadyMember", err)
		}
		tv, _ = s.TeamFor(ctx, w.viewer, w.team.ID)
		if tv.MyRole != models.RoleViewer {
			t.Errorf("accepting changed an existing member's role to %s", tv.MyRole)
		}

		// Unknown tokens.
		for _, bad := range []string{"", "nope", strings.Repeat("a", 500), token + "x"} {
			if _, err := s.AcceptInvitation(ctx, bob, bad); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("token %.10q: %v, want ErrNotFound", bad, err)
			}
		}
	})
}

func TestConcurrentInvitationAcceptance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, token, err := s.CreateInvitation(ctx, w.owner, w.team.ID, models.RoleAdmin, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		racers := make([]models.Actor, 6)
		for i := range racers {
			racers[i] = newUser(t, s, "racer")
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for _, r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AcceptInvitation(ctx, r, token); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		members, _ := s.Members(ctx, w.owner, w.team.ID)
		if ok != 1 || len(members) != 5 {
			t.Errorf("%d acceptances succeeded and the team has %d members; want 1 and 5", ok, len(members))
		}
	})
}

func TestAuditCompleteness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		count := func() int {
			var n int
			for page := 1; ; page++ {
				ev, more, err := s.AuditEvents(ctx, w.owner, w.team.ID, page)
				if err != nil {
					t.Fatal(err)
				}
				n += len(ev)
				if !more {
					return n
				}
			}
		}
		var p *models.Project
		var sec *models.ClientSecret
		var inv *models.Invitation
		extra := newUser(t, s, "extra")
		steps := []struct {
			action string
			do     func() error
		}{
			{"project.create", func() (err error) { p, err = s.CreateProject(ctx, w.admin, w.team.ID, "Audited", "", ""); return }},
			{"project.update", func() error {
				return s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{Name: "Audited", Scopes: "a", Audiences: "b", TokenTTLMinutes: 5})
			}},
			{"secret.create", func() (err error) { sec, _, err = s.CreateClientSecret(ctx, w.admin, p.ID, "s", 0, ""); return }},
			{"secret.revoke", func() error { return s.RevokeClientSecret(ctx, w.admin, p.ID, sec.ID) }},
			{"invitation.create", func() (err error) {
				inv, _, err = s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
				return
			}},
			{"invitation.revoke", func() error { return s.RevokeInvitation(ctx, w.admin, w.team.ID, inv.ID) }},
			{"member.join", func() error {
				_, tok, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
				if err != nil {
					return err
				}
				_, err = s.AcceptInvitation(ctx, extra, tok)
				return err
			}},
			{"member.role_change", func() error { return s.ChangeRole(ctx, w.admin, w.team.ID, extra.User.ID, models.RoleDeveloper) }},
			{"member.remove", func() error { return s.RemoveMember(ctx, w.admin, w.team.ID, extra.User.ID) }},
			{"member.leave", func() error { return s.LeaveTeam(ctx, w.viewer, w.team.ID) }},
			{"team.rename", func() error { return s.RenameTeam(ctx, w.admin, w.team.ID, "Acme Inc") }},
			{"project.delete", func() error { return s.DeleteProject(ctx, w.admin, p.ID) }},
		}
		for _, st := range steps {
			before := count()
			if st.action == "member.join" {
				before++ // the invitation.create inside the step
			}
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.action, err)
			}
			if after := count(); after != before+1 {
				t.Errorf("%s wrote %d events, want exactly 1", st.action, after-before)
			}
			ev, _, _ := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
			if ev[0].Action != st.action || ev[0].IP != "192.0.2.1" || ev[0].ActorLabel == "" {
				t.Errorf("newest event = %s from %q by %q, want %s with IP and actor", ev[0].Action, ev[0].IP, ev[0].ActorLabel, st.action)
			}
		}
		// A refused change writes nothing.
		before := count()
		_ = s.RenameTeam(ctx, w.developer, w.team.ID, "Hijacked")
		_ = s.RenameTeam(ctx, w.admin, w.team.ID, "")
		if count() != before {
			t.Error("refused changes wrote audit events")
		}
		if _, _, err := s.AuditEvents(ctx, w.developer, w.team.ID, 1); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer reads the audit log: %v, want ErrForbidden", err)
		}
		if _, _, err := s.AuditEvents(ctx, w.outsider, w.team.ID, 1); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider reads the audit log: %v, want ErrNotFound", err)
		}
	})
}
