package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestInvitationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		now := time.Now().UTC()
		s.SetClock(func() time.Time { return now })

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
		pending, err := s.PendingInvitations(ctx, w.admin, w.team.ID)
		if err != nil {
			t.Fatalf("PendingInvitations: %v", err)
		}
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
		_, expToken, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if err != nil {
			t.Fatalf("CreateInvitation: %v", err)
		}
		now = now.Add(25 * time.Hour)
		if _, err := s.AcceptInvitation(ctx, bob, expToken); !errors.Is(err, models.ErrInvitationExpired) {
			t.Errorf("expired invitation: %v, want ErrInvitationExpired", err)
		}

		// Revoked.
		rinv, revToken, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if err != nil {
			t.Fatalf("CreateInvitation: %v", err)
		}
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
		_, memberToken, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if err != nil {
			t.Fatalf("CreateInvitation: %v", err)
		}
		if _, err := s.AcceptInvitation(ctx, w.viewer, memberToken); !errors.Is(err, models.ErrAlreadyMember) {
			t.Errorf("member accepts: %v, want ErrAlreadyMember", err)
		}
		tv, err = s.TeamFor(ctx, w.viewer, w.team.ID)
		if err != nil {
			t.Fatalf("TeamFor: %v", err)
		}
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
	storetest.Each(t, func(t *testing.T, s *store.Store) {
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
		members, err := s.Members(ctx, w.owner, w.team.ID)
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		if ok != 1 || len(members) != 5 {
			t.Errorf("%d acceptances succeeded and the team has %d members; want 1 and 5", ok, len(members))
		}
	})
}

func TestAuditCompleteness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
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
				return s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{Name: "Audited", TokenTTLMinutes: 5})
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
			ev, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
			if err != nil {
				t.Fatalf("AuditEvents: %v", err)
			}
			if ev[0].Action != st.action || ev[0].IP != "192.0.2.1" || ev[0].ActorLabel == "" {
				t.Errorf("newest event = %s from %q by %q, want %s with IP and actor", ev[0].Action, ev[0].IP, ev[0].ActorLabel, st.action)
			}
		}
		// A refused change writes nothing.
		before := count()
		if err := s.RenameTeam(ctx, w.developer, w.team.ID, "Hijacked"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer renames the team: %v, want ErrForbidden", err)
		}
		var ve *models.ValidationError
		if err := s.RenameTeam(ctx, w.admin, w.team.ID, ""); !errors.As(err, &ve) {
			t.Errorf("renaming the team to nothing: %v, want a validation error", err)
		}
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

// revokeEvents returns the invitation.revoke events about invitation id.
func revokeEvents(t *testing.T, s *store.Store, reader models.Actor, teamID, id string) []models.AuditEvent {
	t.Helper()
	events, _, err := s.AuditEvents(context.Background(), reader, teamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.AuditEvent
	for _, ev := range events {
		if ev.Action == "invitation.revoke" && ev.TargetID == id {
			out = append(out, ev)
		}
	}
	return out
}

// revokeReason is the "reason" in an audit event's details.
func revokeReason(t *testing.T, ev models.AuditEvent) string {
	t.Helper()
	var d struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
		t.Fatalf("details %q: %v", ev.Details, err)
	}
	return d.Reason
}

// wantWithdrawn checks that nobody can join through token any more: acceptance is
// refused with ErrInvitationWithdrawn, the invitation is revoked, newcomer is not a
// member, and the audit log holds one invitation.revoke of it with reason.
func wantWithdrawn(t *testing.T, s *store.Store, reader models.Actor, inv *models.Invitation, token, reason string) {
	t.Helper()
	ctx := context.Background()
	newcomer := newUser(t, s, "newcomer")
	_, err := s.AcceptInvitation(ctx, newcomer, token)
	if !errors.Is(err, models.ErrInvitationWithdrawn) {
		t.Errorf("accept = %v, want ErrInvitationWithdrawn", err)
	} else if got, want := err.Error(), "the person who invited you can no longer add members with this role; ask a team admin for a new invitation"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if _, err := s.TeamFor(ctx, newcomer, inv.TeamID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("after a refused acceptance, TeamFor(newcomer) = %v, want ErrNotFound (not a member)", err)
	}
	info, err := s.InvitationByToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.State(s.Now()), models.InviteRevoked; got != want {
		t.Errorf("state = %q, want %q", got, want)
	}
	if got, want := info.PageState(s.Now()), models.InviteWithdrawn; got != want {
		t.Errorf("page state = %q, want %q", got, want)
	}
	events := revokeEvents(t, s, reader, inv.TeamID, inv.ID)
	if got, want := len(events), 1; got != want {
		t.Fatalf("%d invitation.revoke events for %s, want %d", got, inv.ID, want)
	}
	if got, want := revokeReason(t, events[0]), reason; got != want {
		t.Errorf("revoke reason = %q, want %q", got, want)
	}
	all, _, err := s.AuditEvents(ctx, reader, inv.TeamID, 1)
	if err != nil {
		t.Fatalf("AuditEvents: %v", err)
	}
	for _, ev := range all {
		if ev.Action == "member.join" && ev.ActorID == newcomer.User.ID {
			t.Errorf("a member.join of the refused newcomer was recorded")
		}
	}
	// A second try is refused the same way and records nothing more.
	if _, err := s.AcceptInvitation(ctx, newUser(t, s, "again"), token); !errors.Is(err, models.ErrInvitationWithdrawn) {
		t.Errorf("second accept = %v, want ErrInvitationWithdrawn", err)
	}
	if got, want := len(revokeEvents(t, s, reader, inv.TeamID, inv.ID)), 1; got != want {
		t.Errorf("%d invitation.revoke events after a second try, want %d", got, want)
	}
}

// An invitation stops working when its author loses the right to make it: removed,
// demoted or gone, the pending invitations they could no longer make are revoked in the
// same transaction, with an audit event giving the reason. (SECURITY.md D.51)
func TestInvitationOutlivesAuthority(t *testing.T) {
	cases := []struct {
		name string
		// inviterRole is the inviter's role when inviting, role the invitation's.
		inviterRole, role models.Role
		// lose takes the right away from inviter (owner is the team's first owner).
		lose   func(s *store.Store, owner, inviter models.Actor, teamID string) error
		reason string
	}{
		{"AdminRemoved", models.RoleAdmin, models.RoleAdmin, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.RemoveMember(context.Background(), owner, teamID, inviter.User.ID)
		}, "inviter removed"},
		{"AdminDemotedToDeveloper", models.RoleAdmin, models.RoleAdmin, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.ChangeRole(context.Background(), owner, teamID, inviter.User.ID, models.RoleDeveloper)
		}, "inviter demoted"},
		{"AdminLeaves", models.RoleAdmin, models.RoleAdmin, func(s *store.Store, _, inviter models.Actor, teamID string) error {
			return s.LeaveTeam(context.Background(), inviter, teamID)
		}, "inviter left"},
		{"OwnerInviteAfterOwnerDemotedToAdmin", models.RoleOwner, models.RoleOwner, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.ChangeRole(context.Background(), owner, teamID, inviter.User.ID, models.RoleAdmin)
		}, "inviter demoted"},
		{"DeveloperInviteAfterAdminDemotedToDeveloper", models.RoleAdmin, models.RoleDeveloper, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.ChangeRole(context.Background(), owner, teamID, inviter.User.ID, models.RoleDeveloper)
		}, "inviter demoted"},
		{"ViewerInviteAfterAdminDemotedToViewer", models.RoleAdmin, models.RoleViewer, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.ChangeRole(context.Background(), owner, teamID, inviter.User.ID, models.RoleViewer)
		}, "inviter demoted"},
		{"OwnerRemoved", models.RoleOwner, models.RoleDeveloper, func(s *store.Store, owner, inviter models.Actor, teamID string) error {
			return s.RemoveMember(context.Background(), owner, teamID, inviter.User.ID)
		}, "inviter removed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				w := newWorld(t, s)
				inviter := newUser(t, s, "inviter")
				join(t, s, w.owner, w.team.ID, inviter, tc.inviterRole)
				inv, token, err := s.CreateInvitation(ctx, inviter, w.team.ID, tc.role, models.DefaultInvitationTTL, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.lose(s, w.owner, inviter, w.team.ID); err != nil {
					t.Fatal(err)
				}
				pending, err := s.PendingInvitations(ctx, w.owner, w.team.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pending {
					if p.ID == inv.ID {
						t.Errorf("the invitation is still pending after its author lost the right")
					}
				}
				wantWithdrawn(t, s, w.owner, inv, token, tc.reason)
			})
		})
	}
}

// Invitations whose author still has the right keep working, whatever else happens.
func TestInvitationKeepsWorkingWhileAuthorMayGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		second := newUser(t, s, "second-owner")
		join(t, s, w.owner, w.team.ID, second, models.RoleOwner)
		ownerInv, _, err := s.CreateInvitation(ctx, second, w.team.ID, models.RoleOwner, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		_, adminToken, err := s.CreateInvitation(ctx, second, w.team.ID, models.RoleAdmin, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		_, devToken, err := s.CreateInvitation(ctx, second, w.team.ID, models.RoleDeveloper, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		_, byAdmin, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleDeveloper, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		// Someone else leaving or being removed touches nobody else's invitations.
		if err := s.RemoveMember(ctx, w.owner, w.team.ID, w.developer.User.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.LeaveTeam(ctx, w.viewer, w.team.ID); err != nil {
			t.Fatal(err)
		}
		// Owner to admin: only the owner invitation goes.
		if err := s.ChangeRole(ctx, w.owner, w.team.ID, second.User.ID, models.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		pending, err := s.PendingInvitations(ctx, w.owner, w.team.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(pending), 3; got != want {
			t.Errorf("%d pending invitations, want %d (admin, developer, the admin's developer)", got, want)
		}
		for _, p := range pending {
			if p.ID == ownerInv.ID {
				t.Error("the owner invitation of a demoted owner is still pending")
			}
		}
		for _, tc := range []struct {
			token string
			role  models.Role
		}{{adminToken, models.RoleAdmin}, {devToken, models.RoleDeveloper}, {byAdmin, models.RoleDeveloper}} {
			info, err := s.InvitationByToken(ctx, tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := info.PageState(s.Now()), models.InviteOpen; got != want {
				t.Errorf("%s invitation: page state = %q, want %q", tc.role, got, want)
			}
			who := newUser(t, s, "joiner")
			if _, err := s.AcceptInvitation(ctx, who, tc.token); err != nil {
				t.Errorf("%s invitation: accept = %v, want success", tc.role, err)
				continue
			}
			tv, err := s.TeamFor(ctx, who, w.team.ID)
			if err != nil || tv.MyRole != tc.role {
				t.Errorf("after accepting: %+v, %v; want %s", tv, err, tc.role)
			}
		}
		// Promotion revokes nothing.
		_, viewerToken, err := s.CreateInvitation(ctx, w.admin, w.team.ID, models.RoleViewer, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ChangeRole(ctx, w.owner, w.team.ID, w.admin.User.ID, models.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptInvitation(ctx, newUser(t, s, "late"), viewerToken); err != nil {
			t.Errorf("invitation of a promoted admin: accept = %v, want success", err)
		}
	})
}

// The check is made at acceptance too, in its transaction, so an invitation whose author
// lost the right by a path that revoked nothing (the user deleted, the membership changed
// behind the store's back, an invitation made before revocation existed) is refused.
func TestAcceptanceRechecksInviterAuthority(t *testing.T) {
	cases := []struct {
		name string
		// change takes the right away from inviter directly in the database.
		change string
		reason string
	}{
		{"InviterDeleted", "DELETE FROM users WHERE id = $1", "inviter deleted"},
		{"InviterNoLongerMember", "DELETE FROM team_members WHERE user_id = $1", "inviter no longer a member"},
		{"InviterDemoted", "UPDATE team_members SET role = 'developer' WHERE user_id = $1", "inviter can no longer grant this role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				w := newWorld(t, s)
				inviter := newUser(t, s, "inviter")
				join(t, s, w.owner, w.team.ID, inviter, models.RoleAdmin)
				inv, token, err := s.CreateInvitation(ctx, inviter, w.team.ID, models.RoleAdmin, 24*time.Hour, "")
				if err != nil {
					t.Fatal(err)
				}
				db, err := s.SQLDB()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(ctx, tc.change, inviter.User.ID); err != nil {
					t.Fatal(err)
				}
				info, err := s.InvitationByToken(ctx, token)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := info.PageState(s.Now()), models.InviteWithdrawn; got != want {
					t.Errorf("page state before accepting = %q, want %q", got, want)
				}
				wantWithdrawn(t, s, w.owner, inv, token, tc.reason)
				if ev := revokeEvents(t, s, w.owner, w.team.ID, inv.ID); len(ev) == 1 && (ev[0].ActorLabel != "system" || ev[0].IP != "192.0.2.1") {
					t.Errorf("revoke recorded by %q from %q, want system from the request's address", ev[0].ActorLabel, ev[0].IP)
				}
			})
		})
	}
}

// A team deleted meanwhile takes its invitations with it: accepting one is a clean
// ErrNotFound, nobody joins anything, and nothing is written.
func TestInvitationOfDeletedTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		_, token, err := s.CreateInvitation(ctx, w.owner, w.team.ID, models.RoleAdmin, 24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTeam(ctx, w.owner, w.team.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.InvitationByToken(ctx, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("InvitationByToken = %v, want ErrNotFound", err)
		}
		newcomer := newUser(t, s, "newcomer")
		if _, err := s.AcceptInvitation(ctx, newcomer, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("accept = %v, want ErrNotFound", err)
		}
		teams, err := s.TeamsOf(ctx, newcomer.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(teams), 1; got != want {
			t.Errorf("newcomer is in %d teams, want %d (their personal team)", got, want)
		}
	})
}
