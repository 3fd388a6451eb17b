package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// An API's admins say on its page who may delegate its scopes: members of their own
// team only. Then a user outside that team who tries to let an app act for them is sent
// back with access_denied, while a member of the team goes on to the consent page; a
// team the admin does not belong to cannot be named.
func TestDelegationTeams(t *testing.T) {
	a := newACApp(t)
	e, dev := a.e, a.dev
	page := doc(t, dev.b.get("/apis/"+a.api.ID))
	if got := page.Find(`[data-testid="delegation-who"]`).Text(); !strings.Contains(got, "Any signed-in user") {
		t.Errorf("who may delegate: %q, want any signed-in user by default", got)
	}
	save := func(form url.Values) *http.Response {
		form.Set("_csrf", dev.csrf)
		return dev.b.post("/apis/"+a.api.ID+"/delegation", form, nil)
	}
	outsider := signedInMember(t, e, "outsider@example.com")
	if res := save(url.Values{"who": {"teams"}, "team": {outsider.actor.User.ID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("naming a stranger's id: %d", res.StatusCode)
	}
	if api, err := e.store.DelegationTeamNames(context.Background(), dev.actor, a.api.ID); err != nil || len(api) != 0 {
		t.Errorf("after naming a team the admin is not in: %v %v, want nothing named", api, err)
	}
	if res := save(url.Values{"who": {"teams"}, "team": {a.project.TeamID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, readBody(res))
	}
	page = doc(t, dev.b.get("/apis/"+a.api.ID))
	if got := page.Find(`[data-testid="delegation-who"]`).Text(); !strings.Contains(got, "Only members of") {
		t.Errorf("who may delegate after saving: %q", got)
	}
	if checked := page.Find(`[data-testid="delegation-team"][checked]`).Length(); checked != 1 {
		t.Errorf("%d teams checked, want 1", checked)
	}

	cfg := a.config(acRedirect, "orders:read")
	v := oauth2.GenerateVerifier()
	q := a.callback(t, outsider.b.get(a.authURL(cfg, "s", v)), acRedirect, "s")
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), "only members") {
		t.Errorf("outsider: %v, want access_denied naming why", q)
	}
	if res := dev.b.get(a.authURL(cfg, "s", v)); res.StatusCode != http.StatusOK {
		t.Errorf("a member of the team: %d, want the consent page", res.StatusCode)
	}
	// Back to any signed-in user: the outsider may delegate again.
	if res := save(url.Values{"who": {"anyone"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("back to anyone: %d", res.StatusCode)
	}
	if res := outsider.b.get(a.authURL(cfg, "s", v)); res.StatusCode != http.StatusOK {
		t.Errorf("outsider after anyone may delegate: %d, want the consent page", res.StatusCode)
	}
}
