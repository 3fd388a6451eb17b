package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Deleting a team, a project or an API asks for its name, typed: a wrong or missing
// name deletes nothing and says why, on the page, with 422. Whether the member may
// delete at all is decided first: a developer gets 403 whatever they type.
func TestDeleteNeedsTheName(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "deleter@example.com")
	owner := cl.owner
	team, err := e.store.CreateTeam(ctx, owner.actor, "Doomed team", "")
	if err != nil {
		t.Fatal(err)
	}
	dev := signedInMember(t, e, "dev-deleter@example.com")
	_, tok, err := e.store.CreateInvitation(ctx, owner.actor, team.ID, models.RoleDeveloper, 24*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AcceptInvitation(ctx, dev.actor, tok); err != nil {
		t.Fatal(err)
	}
	p, err := e.store.CreateProject(ctx, owner.actor, team.ID, "Doomed project", "", "")
	if err != nil {
		t.Fatal(err)
	}
	api := registerAPI(t, e, owner.actor, team.ID, "doomed-api")

	for _, tc := range []struct {
		what, path, name string
		gone             func() error
	}{
		{"project", "/projects/" + p.ID + "/delete", p.Name, func() error { _, err := e.store.ProjectFor(ctx, owner.actor, p.ID); return err }},
		{"API", "/apis/" + api.ID + "/delete", api.Name, func() error { _, err := e.store.APIFor(ctx, owner.actor, api.ID); return err }},
		{"team", "/teams/" + team.ID + "/delete", team.Name, func() error { _, err := e.store.TeamFor(ctx, owner.actor, team.ID); return err }},
	} {
		if res := dev.postForm(tc.path, url.Values{"confirm_name": {tc.name}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: a developer with the right name got %d, want 403", tc.what, res.StatusCode)
		}
		for _, typed := range []string{"", "doomed", tc.name + "x", strings.ToUpper(tc.name)} {
			res := owner.postForm(tc.path, url.Values{"confirm_name": {typed}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: name %q got %d, want 422", tc.what, typed, res.StatusCode)
				continue
			}
			want := "Nothing was deleted. To delete this " + tc.what + ", type its name, “" + tc.name + "”, exactly as shown."
			if got := strings.TrimSpace(doc(t, res).Find(`[data-testid="field-error"]`).Text()); got != want {
				t.Errorf("%s: name %q says %q, want %q", tc.what, typed, got, want)
			}
			if err := tc.gone(); err != nil {
				t.Errorf("%s: gone after a wrong name: %v", tc.what, err)
			}
		}
		if res := owner.postForm(tc.path, url.Values{"confirm_name": {"  " + tc.name + " "}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: the right name got %d, want 303", tc.what, res.StatusCode)
		}
		if err := tc.gone(); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: after the right name: %v, want it gone", tc.what, err)
		}
	}
}
