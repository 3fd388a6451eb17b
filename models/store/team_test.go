package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// world is a team with one member of each role, and an outsider with a team of their own.
type world struct {
	s                                         *store.Store
	team                                      *models.Team
	owner, admin, developer, viewer, outsider models.Actor
	outsiderTeam                              string
}

var userSeq int

// newUser signs a fresh user up.
func newUser(t *testing.T, s *store.Store, name string) models.Actor {
	t.Helper()
	userSeq++
	u, _, err := s.SignIn(context.Background(), models.Identity{Issuer: "https://idp", Subject: fmt.Sprintf("%s-%d", name, userSeq),
		Email: fmt.Sprintf("%s%d@example.com", name, userSeq), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return models.Actor{User: u, IP: "192.0.2.1", UserAgent: "test"}
}

// join adds who to the team with role through an invitation.
func join(t *testing.T, s *store.Store, inviter models.Actor, teamID string, who models.Actor, role models.Role) {
	t.Helper()
	ctx := context.Background()
	_, token, err := s.CreateInvitation(ctx, inviter, teamID, role, 24*time.Hour, "")
	if err != nil {
		t.Fatalf("invite %s: %v", role, err)
	}
	if _, err := s.AcceptInvitation(ctx, who, token); err != nil {
		t.Fatalf("accept %s: %v", role, err)
	}
}

func newWorld(t *testing.T, s *store.Store) *world {
	t.Helper()
	w := &world{s: s}
	w.owner = newUser(t, s, "owner")
	w.admin = newUser(t, s, "admin")
	w.developer = newUser(t, s, "developer")
	w.viewer = newUser(t, s, "viewer")
	w.outsider = newUser(t, s, "outsider")
	team, err := s.CreateTeam(context.Background(), w.owner, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	w.team = team
	join(t, s, w.owner, team.ID, w.admin, models.RoleAdmin)
	join(t, s, w.owner, team.ID, w.developer, models.RoleDeveloper)
	join(t, s, w.owner, team.ID, w.viewer, models.RoleViewer)
	teams, err := s.TeamsOf(context.Background(), w.outsider.User.ID)
	if err != nil {
		t.Fatalf("TeamsOf: %v", err)
	}
	w.outsiderTeam = teams[0].Team.ID
	return w
}

func TestTeamMembership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		team := w.team.ID

		t.Run("OutsiderSeesNothing", func(t *testing.T) {
			if _, err := s.TeamFor(ctx, w.outsider, team); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("TeamFor = %v, want ErrNotFound", err)
			}
			if _, err := s.Members(ctx, w.outsider, team); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("Members = %v, want ErrNotFound", err)
			}
			if err := s.ChangeRole(ctx, w.outsider, team, w.viewer.User.ID, models.RoleAdmin); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ChangeRole = %v, want ErrNotFound", err)
			}
		})

		t.Run("ViewerCannotManage", func(t *testing.T) {
			if _, _, err := s.CreateInvitation(ctx, w.viewer, team, models.RoleViewer, time.Hour*24, ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("viewer invites: %v, want ErrForbidden", err)
			}
			if err := s.ChangeRole(ctx, w.viewer, team, w.developer.User.ID, models.RoleViewer); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("viewer changes roles: %v, want ErrForbidden", err)
			}
		})

		t.Run("DeveloperCannotPromoteItself", func(t *testing.T) {
			if err := s.ChangeRole(ctx, w.developer, team, w.developer.User.ID, models.RoleOwner); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("developer promotes itself: %v, want ErrForbidden", err)
			}
		})

		t.Run("AdminLimits", func(t *testing.T) {
			if err := s.ChangeRole(ctx, w.admin, team, w.viewer.User.ID, models.RoleOwner); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("admin makes an owner: %v, want ErrForbidden", err)
			}
			if err := s.ChangeRole(ctx, w.admin, team, w.owner.User.ID, models.RoleViewer); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("admin demotes the owner: %v, want ErrForbidden", err)
			}
			if _, _, err := s.CreateInvitation(ctx, w.admin, team, models.RoleOwner, 24*time.Hour, ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("admin invites an owner: %v, want ErrForbidden", err)
			}
			if err := s.ChangeRole(ctx, w.admin, team, w.viewer.User.ID, models.RoleDeveloper); err != nil {
				t.Errorf("admin promotes viewer to developer: %v", err)
			}
			if err := s.ChangeRole(ctx, w.admin, team, w.viewer.User.ID, models.RoleViewer); err != nil {
				t.Errorf("admin demotes back: %v", err)
			}
		})

		t.Run("UnknownRole", func(t *testing.T) {
			var ve *models.ValidationError
			if err := s.ChangeRole(ctx, w.owner, team, w.viewer.User.ID, "root"); !errors.As(err, &ve) {
				t.Errorf("unknown role: %v, want a validation error", err)
			}
		})

		t.Run("LastOwner", func(t *testing.T) {
			if err := s.LeaveTeam(ctx, w.owner, team); !errors.Is(err, models.ErrLastOwner) {
				t.Errorf("last owner leaves: %v, want ErrLastOwner", err)
			}
			if err := s.ChangeRole(ctx, w.owner, team, w.owner.User.ID, models.RoleAdmin); err == nil {
				t.Error("last owner demoted itself")
			}
			// With a second owner, the first may leave.
			if err := s.ChangeRole(ctx, w.owner, team, w.admin.User.ID, models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			if err := s.ChangeRole(ctx, w.admin, team, w.owner.User.ID, models.RoleAdmin); err != nil {
				t.Fatalf("owner demotes the other owner: %v", err)
			}
			if err := s.RemoveMember(ctx, w.owner, team, w.admin.User.ID); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("admin removes the owner: %v, want ErrForbidden", err)
			}
			if err := s.ChangeRole(ctx, w.admin, team, w.owner.User.ID, models.RoleOwner); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("RemovedMemberLosesAccess", func(t *testing.T) {
			extra := newUser(t, s, "extra")
			join(t, s, w.owner, team, extra, models.RoleDeveloper)
			if _, err := s.TeamFor(ctx, extra, team); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveMember(ctx, w.admin, team, extra.User.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TeamFor(ctx, extra, team); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("removed member: %v, want ErrNotFound", err)
			}
		})

		t.Run("PersonalTeamCannotBeDeleted", func(t *testing.T) {
			if err := s.DeleteTeam(ctx, w.outsider, w.outsiderTeam); !errors.Is(err, models.ErrPersonalTeam) {
				t.Errorf("delete personal team: %v, want ErrPersonalTeam", err)
			}
		})

		t.Run("BadNames", func(t *testing.T) {
			for _, name := range []string{"", "   ", strings.Repeat("x", 61), "a\x00b"} {
				var ve *models.ValidationError
				if _, err := s.CreateTeam(ctx, w.owner, name, ""); !errors.As(err, &ve) {
					t.Errorf("CreateTeam(%q) = %v, want a validation error", name, err)
				}
			}
		})
	})
}

func TestConcurrentOwnerDemotionKeepsAnOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := newUser(t, s, "a"), newUser(t, s, "b")
		team, err := s.CreateTeam(ctx, a, "Race", "")
		if err != nil {
			t.Fatal(err)
		}
		join(t, s, a, team.ID, b, models.RoleOwner)
		for round := 0; round < 5; round++ {
			var wg sync.WaitGroup
			var errA, errB error
			wg.Add(2)
			go func() { defer wg.Done(); errA = s.LeaveTeam(ctx, a, team.ID) }()
			go func() { defer wg.Done(); errB = s.LeaveTeam(ctx, b, team.ID) }()
			wg.Wait()
			// Each leave either succeeds or is refused for leaving the team without an owner.
			for who, err := range map[string]error{"a": errA, "b": errB} {
				if err != nil && !errors.Is(err, models.ErrLastOwner) {
					t.Fatalf("round %d: %s leaves: %v, want success or ErrLastOwner", round, who, err)
				}
			}
			members, err := s.Members(ctx, a, team.ID)
			if errors.Is(err, models.ErrNotFound) {
				members, err = s.Members(ctx, b, team.ID)
			}
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			owners := 0
			for _, m := range members {
				if m.Role == models.RoleOwner {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("round %d: %d owners after both tried to leave, want exactly 1", round, owners)
			}
			// Re-add whoever left.
			for _, who := range []models.Actor{a, b} {
				if _, err := s.TeamFor(ctx, who, team.ID); errors.Is(err, models.ErrNotFound) {
					stayer := a
					if who.User.ID == a.User.ID {
						stayer = b
					}
					join(t, s, stayer, team.ID, who, models.RoleOwner)
				}
			}
		}
	})
}
