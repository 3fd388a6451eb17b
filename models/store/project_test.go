package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestFirstSignInHasAProject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		u := newUser(t, s, "fresh")
		list, err := s.ProjectsOf(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Name != models.FirstProjectName {
			t.Fatalf("projects after sign-up = %+v, want one %q", list, models.FirstProjectName)
		}
		p := list[0]
		if !p.AllowsGrant(models.GrantClientCredentials) || p.TokenTTL() != 15*time.Minute {
			t.Errorf("first project defaults: grants %q ttl %v", p.GrantTypes, p.TokenTTL())
		}
		// It holds a grant on an API of the same team, so credentials work at once.
		grants, err := s.ProjectGrants(context.Background(), u, p.ID)
		if err != nil || len(grants) != 1 {
			t.Fatalf("first project's grants = %+v, %v; want one", grants, err)
		}
		if g := grants[0]; g.APITeamID != p.TeamID || g.APIName != models.FirstAPIName || g.Scopes != "read write" ||
			!strings.HasPrefix(g.Identifier, "first-api-") || !g.AcceptsAPIKeys || !g.AcceptsAccessTokens {
			t.Errorf("first grant = %+v, want My first API (first-api-…) of the same team with read and write", g)
		}
		if !strings.HasPrefix(p.ClientID(), "prj_") || strings.HasPrefix(u.User.ID, "prj_") {
			t.Errorf("client_id %q and user id %q must have distinct prefixes", p.ClientID(), u.User.ID)
		}
	})
}

func TestProjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)

		p, err := s.CreateProject(ctx, w.admin, w.team.ID, "Orders API", "Takes orders", "")
		if err != nil {
			t.Fatal(err)
		}
		if grants, err := s.ProjectGrants(ctx, w.admin, p.ID); err != nil || len(grants) != 0 {
			t.Errorf("a new project's grants = %+v, %v; want none (an API's team grants access)", grants, err)
		}

		t.Run("CrossTeamIsNotFound", func(t *testing.T) {
			if _, err := s.ProjectFor(ctx, w.outsider, p.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider ProjectFor = %v, want ErrNotFound", err)
			}
			if _, err := s.CreateProject(ctx, w.outsider, w.team.ID, "x", "", ""); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider CreateProject = %v, want ErrNotFound", err)
			}
			if err := s.DeleteProject(ctx, w.outsider, p.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider DeleteProject = %v, want ErrNotFound", err)
			}
		})

		t.Run("RolesOnProjects", func(t *testing.T) {
			if _, err := s.ProjectFor(ctx, w.viewer, p.ID); err != nil {
				t.Errorf("viewer cannot see the project: %v", err)
			}
			if _, err := s.CreateProject(ctx, w.developer, w.team.ID, "x", "", ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("developer CreateProject = %v, want ErrForbidden", err)
			}
			if err := s.UpdateProject(ctx, w.developer, p.ID, models.ProjectSettings{Name: "x", TokenTTLMinutes: 5}); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("developer UpdateProject = %v, want ErrForbidden", err)
			}
		})

		t.Run("UpdateSettings", func(t *testing.T) {
			err := s.UpdateProject(ctx, w.admin, p.ID, models.ProjectSettings{
				Name: "Orders API", Description: "d", TokenTTLMinutes: 30, GrantTypes: []string{models.GrantClientCredentials},
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ProjectFor(ctx, w.viewer, p.ID)
			if err != nil {
				t.Fatalf("ProjectFor: %v", err)
			}
			if got.Description != "d" || got.TokenTTL() != 30*time.Minute {
				t.Errorf("after update: description %q ttl %v", got.Description, got.TokenTTL())
			}
		})

		t.Run("InvalidSettingsChangeNothing", func(t *testing.T) {
			before, err := s.ProjectFor(ctx, w.admin, p.ID)
			if err != nil {
				t.Fatalf("ProjectFor: %v", err)
			}
			for name, in := range map[string]models.ProjectSettings{
				"EmptyName":    {Name: "", TokenTTLMinutes: 5},
				"LongName":     {Name: strings.Repeat("n", 81), TokenTTLMinutes: 5},
				"ZeroTTL":      {Name: "n", TokenTTLMinutes: 0},
				"HugeTTL":      {Name: "n", TokenTTLMinutes: 100000},
				"UnknownGrant": {Name: "n", TokenTTLMinutes: 5, GrantTypes: []string{"password"}},
			} {
				var ve *models.ValidationError
				if err := s.UpdateProject(ctx, w.admin, p.ID, in); !errors.As(err, &ve) {
					t.Errorf("%s: err = %v, want a validation error", name, err)
				}
			}
			after, err := s.ProjectFor(ctx, w.admin, p.ID)
			if err != nil {
				t.Fatalf("ProjectFor: %v", err)
			}
			if !reflect.DeepEqual(after.Project, before.Project) {
				t.Errorf("invalid updates changed the project: %+v -> %+v", before.Project, after.Project)
			}
		})

		t.Run("DoubleSubmitCreatesOne", func(t *testing.T) {
			token := models.NewIdempotencyKey()
			first, err := s.CreateProject(ctx, w.admin, w.team.ID, "Twice", "", token)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.CreateProject(ctx, w.admin, w.team.ID, "Twice", "", token)
			var dup *models.DuplicateRequestError
			if !errors.As(err, &dup) || dup.Result != first.ID {
				t.Fatalf("second submit: %v, want DuplicateRequestError naming %s", err, first.ID)
			}
			list, err := s.TeamProjects(ctx, w.admin, w.team.ID)
			if err != nil {
				t.Fatalf("TeamProjects: %v", err)
			}
			n := 0
			for _, pr := range list {
				if pr.Name == "Twice" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d projects named Twice, want 1", n)
			}
		})

		t.Run("ConcurrentDoubleSubmitCreatesOne", func(t *testing.T) {
			token := models.NewIdempotencyKey()
			var wg sync.WaitGroup
			var mu sync.Mutex
			created := 0
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.CreateProject(ctx, w.admin, w.team.ID, "Race", "", token); err == nil {
						mu.Lock()
						created++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if created != 1 {
				t.Errorf("%d concurrent submissions of one form succeeded, want 1", created)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			q, err := s.CreateProject(ctx, w.owner, w.team.ID, "Doomed", "", "")
			if err != nil {
				t.Fatalf("CreateProject: %v", err)
			}
			if _, _, err := s.CreateClientSecret(ctx, w.owner, q.ID, "ci", 0, ""); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteProject(ctx, w.admin, q.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ProjectFor(ctx, w.owner, q.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("deleted project: %v, want ErrNotFound", err)
			}
		})
	})
}

func TestClientSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		p, err := s.CreateProject(ctx, w.owner, w.team.ID, "Billing", "", "")
		if err != nil {
			t.Fatalf("CreateProject: %v", err)
		}
		other, err := s.CreateProject(ctx, w.owner, w.team.ID, "Other", "", "")
		if err != nil {
			t.Fatalf("CreateProject: %v", err)
		}

		a, plainA, err := s.CreateClientSecret(ctx, w.admin, p.ID, "ci", 90*24*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := models.CheckClientSecretFormat(plainA); err != nil {
			t.Errorf("new secret fails its own format check: %v", err)
		}
		if strings.Contains(a.Hash, plainA) || strings.Contains(a.Hint, plainA[len(models.ClientSecretPrefix):len(plainA)-4]) {
			t.Error("stored metadata contains the secret")
		}
		b, _, err := s.CreateClientSecret(ctx, w.admin, p.ID, "ci-next", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ClientSecrets(ctx, w.viewer, p.ID)
		if err != nil {
			t.Fatalf("ClientSecrets: %v", err)
		}
		active := 0
		for _, cs := range list {
			if cs.Status(s.Now()) == "active" {
				active++
			}
		}
		if active != 2 {
			t.Errorf("%d active secrets, want 2 (rotation with overlap)", active)
		}

		if _, _, err := s.CreateClientSecret(ctx, w.developer, p.ID, "x", 0, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer creates a secret: %v, want ErrForbidden", err)
		}
		if err := s.RevokeClientSecret(ctx, w.admin, other.ID, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("revoke via another project's path: %v, want ErrNotFound", err)
		}
		if err := s.RevokeClientSecret(ctx, w.outsider, p.ID, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider revokes: %v, want ErrNotFound", err)
		}
		if err := s.RevokeClientSecret(ctx, w.admin, p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeClientSecret(ctx, w.admin, p.ID, a.ID); err != nil {
			t.Errorf("revoking twice: %v, want no error", err)
		}
		events, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		revokes := 0
		for _, e := range events {
			if e.Action == "secret.revoke" {
				revokes++
			}
			for _, field := range []string{e.Details, e.TargetLabel} {
				if strings.Contains(field, plainA) {
					t.Errorf("audit event %s holds the secret", e.Action)
				}
			}
		}
		if revokes != 1 {
			t.Errorf("%d secret.revoke events, want 1", revokes)
		}
		_ = b
	})
}

func TestClientSecretFormat(t *testing.T) {
	s := models.NewClientSecret()
	if len(s) != models.ClientSecretLen || !strings.HasPrefix(s, "ghcs_") {
		t.Fatalf("secret %q: length %d, want %d with prefix ghcs_", s, len(s), models.ClientSecretLen)
	}
	if models.NewClientSecret() == s {
		t.Fatal("two secrets are equal")
	}
	flip := []byte(s)
	if flip[10] == 'a' {
		flip[10] = 'b'
	} else {
		flip[10] = 'a'
	}
	for name, bad := range map[string]string{
		"Typo": string(flip), "Truncated": s[:len(s)-1], "Extended": s + "0", "WrongPrefix": "ghxs_" + s[5:],
		"BadAlphabet": s[:20] + "-" + s[21:], "Empty": "",
	} {
		if err := models.CheckClientSecretFormat(bad); !errors.Is(err, models.ErrMalformedSecret) {
			t.Errorf("%s: err = %v, want ErrMalformedSecret", name, err)
		}
	}
}

func FuzzClientSecretFormat(f *testing.F) {
	f.Add(models.NewClientSecret())
	f.Add("ghcs_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		err := models.CheckClientSecretFormat(s)
		if err == nil && (len(s) != models.ClientSecretLen || !strings.HasPrefix(s, "ghcs_")) {
			t.Errorf("accepted %q", s)
		}
	})
}
