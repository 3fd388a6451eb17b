package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestFirstSignInGettingStarted(t *testing.T) {
	e := newEnv(t)
	m := signedInMember(t, e, "newbie@example.com")
	d := doc(t, m.b.get("/"))
	link, ok := d.Find(`[data-testid="project-card"] a`).First().Attr("href")
	if !ok || !strings.HasPrefix(link, "/projects/prj_") {
		t.Fatalf("dashboard has no project card linking to the first project (got %q)", link)
	}
	pd := doc(t, m.b.get(link))
	if got := strings.TrimSpace(pd.Find(`[data-testid="project-name-heading"]`).Text()); got != models.FirstProjectName {
		t.Errorf("project heading = %q, want %q", got, models.FirstProjectName)
	}
	if pd.Find(`[data-testid="getting-started"]`).Length() != 1 {
		t.Error("the first project has no getting-started panel")
	}
	if got := strings.TrimSpace(pd.Find(`[data-testid="client-id"]`).Text()); got != strings.TrimPrefix(link, "/projects/") {
		t.Errorf("client-id = %q, want the project id", got)
	}
}

func TestInvitationFlow(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "inviter@example.com")
	team, err := e.store.CreateTeam(context.Background(), owner.actor, "Platform", "")
	if err != nil {
		t.Fatal(err)
	}
	res := owner.b.post("/teams/"+team.ID+"/invitations", url.Values{"_csrf": {owner.csrf}, "role": {"developer"},
		"expires_in_days": {"7"}, "form_token": {models.NewIdempotencyKey()}}, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create invitation = %d, Cache-Control %q; want 200 no-store", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	link := strings.TrimSpace(doc(t, res).Find(`[data-testid="invite-link"]`).Text())
	if !strings.HasPrefix(link, e.portal.URL+"/invitations/") {
		t.Fatalf("invite link = %q", link)
	}
	token := strings.TrimPrefix(link, e.portal.URL+"/invitations/")
	if page := readBody(owner.b.get("/teams/" + team.ID)); strings.Contains(page, token) {
		t.Error("the team page shows the invitation token again")
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("the invitation token is in the log")
	}

	// The invitee opens the link signed out, signs in, and comes back to it.
	invitee := e.browser()
	res = invitee.get("/invitations/" + token)
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/" || loc.Query().Get("return_to") != "/invitations/"+token {
		t.Fatalf("anonymous invitation = %d to %q, want the sign-in page returning to it", res.StatusCode, loc)
	}
	res = invitee.signIn("invitee@example.com", "/invitations/"+token)
	if got := res.Header.Get("Location"); got != "/invitations/"+token {
		t.Fatalf("after sign-in landed on %q", got)
	}
	d := doc(t, invitee.get("/invitations/"+token))
	if state, _ := d.Find(`[data-testid="invitation-state"]`).Attr("data-state"); state != "open" {
		t.Fatalf("invitation state = %q, want open", state)
	}
	if !strings.Contains(d.Find(`[data-testid="invitation-team"]`).Text(), "Platform") {
		t.Error("invitation page does not name the team")
	}
	csrf := invitee.csrf()
	res = invitee.post("/invitations/"+token, url.Values{"_csrf": {csrf}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/teams/"+team.ID {
		t.Fatalf("accept = %d to %q, want 303 to the team", res.StatusCode, res.Header.Get("Location"))
	}
	if d := doc(t, invitee.get("/teams/"+team.ID)); strings.TrimSpace(d.Find(`[data-testid="my-role"]`).Text()) == "" {
		t.Error("the new member's team page shows no role")
	}

	// Replaying the link, by anyone, is a clear page and changes nothing.
	third := signedInMember(t, e, "third@example.com")
	res = third.b.post("/invitations/"+token, url.Values{"_csrf": {third.csrf}}, nil)
	if res.StatusCode != http.StatusGone {
		t.Fatalf("replayed invitation = %d, want 410", res.StatusCode)
	}
	if state, _ := doc(t, res).Find(`[data-testid="invitation-state"]`).Attr("data-state"); state != "accepted" {
		t.Errorf("replayed invitation state = %q, want accepted", state)
	}
	if res := third.b.get("/teams/" + team.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("replaying made the third user a member (GET team = %d)", res.StatusCode)
	}
	if res := third.b.get("/invitations/not-a-token"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown invitation = %d, want 404", res.StatusCode)
	}
}

// An admin's invitation link stops working once the admin is removed from the team: the
// page and the acceptance say so plainly, with 410, and nobody joins. (SECURITY.md D.51)
func TestInvitationWithdrawnWhenInviterRemoved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "owner@example.com")
	team, err := e.store.CreateTeam(ctx, owner.actor, "Platform", "")
	if err != nil {
		t.Fatal(err)
	}
	admin := signedInMember(t, e, "admin@example.com")
	_, adminToken, err := e.store.CreateInvitation(ctx, owner.actor, team.ID, models.RoleAdmin, 24*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AcceptInvitation(ctx, admin.actor, adminToken); err != nil {
		t.Fatal(err)
	}
	res := admin.b.post("/teams/"+team.ID+"/invitations", url.Values{"_csrf": {admin.csrf}, "role": {"admin"},
		"expires_in_days": {"7"}, "form_token": {models.NewIdempotencyKey()}}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("admin creates an invitation = %d, want 200", res.StatusCode)
	}
	token := strings.TrimPrefix(strings.TrimSpace(doc(t, res).Find(`[data-testid="invite-link"]`).Text()), e.portal.URL+"/invitations/")

	invitee := signedInMember(t, e, "invitee@example.com")
	if state, _ := doc(t, invitee.b.get("/invitations/"+token)).Find(`[data-testid="invitation-state"]`).Attr("data-state"); state != "open" {
		t.Fatalf("before the removal, invitation state = %q, want open", state)
	}

	res = owner.b.post("/teams/"+team.ID+"/members/"+admin.actor.User.ID+"/remove", url.Values{"_csrf": {owner.csrf}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the admin = %d, want 303", res.StatusCode)
	}

	const want = "can no longer add members with this role. Ask a team admin for a new invitation."
	check := func(what string, res *http.Response) {
		t.Helper()
		if got, want := res.StatusCode, http.StatusGone; got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
		d := doc(t, res)
		if got, want := d.Find(`[data-testid="invitation-state"]`).AttrOr("data-state", ""), models.InviteWithdrawn; got != want {
			t.Errorf("%s: state = %q, want %q", what, got, want)
		}
		if got := strings.Join(strings.Fields(d.Find(`[data-testid="invitation-withdrawn"]`).Text()), " "); !strings.Contains(got, want) {
			t.Errorf("%s: message = %q, want it to contain %q", what, got, want)
		}
		if n := d.Find(`[data-testid="accept-invite"]`).Length(); n != 0 {
			t.Errorf("%s: %d accept buttons, want none", what, n)
		}
	}
	check("GET the invitation", invitee.b.get("/invitations/"+token))
	check("POST the invitation", invitee.b.post("/invitations/"+token, url.Values{"_csrf": {invitee.csrf}}, nil))
	check("GET it again", invitee.b.get("/invitations/"+token))

	if got, want := invitee.b.get("/teams/"+team.ID).StatusCode, http.StatusNotFound; got != want {
		t.Errorf("the invitee's GET of the team = %d, want %d (not a member)", got, want)
	}
	members, err := e.store.Members(ctx, owner.actor, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(members), 1; got != want {
		t.Errorf("the team has %d members, want %d (the owner)", got, want)
	}
}

// Accepting an invitation of a team deleted meanwhile is a clean 404, never a 500.
func TestInvitationOfDeletedTeam(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "owner@example.com")
	team, err := e.store.CreateTeam(ctx, owner.actor, "Doomed", "")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := e.store.CreateInvitation(ctx, owner.actor, team.ID, models.RoleDeveloper, 24*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	invitee := signedInMember(t, e, "invitee@example.com")
	if res := owner.b.post("/teams/"+team.ID+"/delete", url.Values{"_csrf": {owner.csrf}, "confirm_name": {team.Name}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete the team = %d, want 303", res.StatusCode)
	}
	for what, res := range map[string]*http.Response{
		"GET":  invitee.b.get("/invitations/" + token),
		"POST": invitee.b.post("/invitations/"+token, url.Values{"_csrf": {invitee.csrf}}, nil),
	} {
		if got, want := res.StatusCode, http.StatusNotFound; got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
		d := doc(t, res)
		if got, want := d.Find(`[data-testid="invitation-state"]`).AttrOr("data-state", ""), "invalid"; got != want {
			t.Errorf("%s: state = %q, want %q", what, got, want)
		}
		if got := strings.Join(strings.Fields(d.Find("main").Text()), " "); !strings.Contains(got, "the invitation is no longer valid") {
			t.Errorf("%s: page = %q, want it to say the invitation is no longer valid", what, got)
		}
	}
	if strings.Contains(e.logs.String(), "request failed") {
		t.Errorf("a request failed: %s", e.logs.String())
	}
}

func TestClientSecretShownOnce(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "secrets@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), owner.actor)
	if err != nil {
		t.Fatalf("ProjectsOf: %v", err)
	}
	p := projects[0]
	res := owner.b.post("/projects/"+p.ID+"/secrets", url.Values{"_csrf": {owner.csrf}, "name": {"ci"},
		"expires_in_days": {"90"}, "form_token": {models.NewIdempotencyKey()}}, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create secret = %d, Cache-Control %q; want 200 no-store", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	secret := strings.TrimSpace(doc(t, res).Find(`[data-testid="secret"]`).Text())
	if err := models.CheckClientSecretFormat(secret); err != nil {
		t.Fatalf("shown secret %q: %v", secret, err)
	}
	for _, tab := range []string{"", "/credentials"} {
		if page := readBody(owner.b.get("/projects/" + p.ID + tab)); strings.Contains(page, secret) {
			t.Errorf("the project page %q shows the secret again", tab)
		}
	}
	if audit := readBody(owner.b.get("/teams/" + p.TeamID + "/audit")); strings.Contains(audit, secret) {
		t.Error("the audit page shows the secret")
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Error("the secret is in the log")
	}
	if dumpContains(t, e, secret) {
		t.Error("the database holds the secret in the clear")
	}

	// Double submission of one form creates one secret.
	token := models.NewIdempotencyKey()
	form := url.Values{"_csrf": {owner.csrf}, "name": {"twice"}, "expires_in_days": {"30"}, "form_token": {token}}
	owner.b.post("/projects/"+p.ID+"/secrets", form, nil)
	res = owner.b.post("/projects/"+p.ID+"/secrets", form, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("second submit = %d, want 303 back to the project", res.StatusCode)
	}
	list, err := e.store.ClientSecrets(context.Background(), owner.actor, p.ID)
	if err != nil {
		t.Fatalf("ClientSecrets: %v", err)
	}
	n := 0
	for _, s := range list {
		if s.Name == "twice" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d secrets named twice, want 1", n)
	}

	// Hostile input: an expiry that was not offered, an empty name.
	for _, bad := range []url.Values{
		{"name": {"x"}, "expires_in_days": {"100000"}},
		{"name": {""}, "expires_in_days": {"30"}},
	} {
		bad.Set("_csrf", owner.csrf)
		before := len(list)
		res := owner.b.post("/projects/"+p.ID+"/secrets", bad, nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad secret form %v = %d, want 422", bad, res.StatusCode)
		}
		if msg := doc(t, res).Find(`[data-testid="field-error"]`).Text(); msg == "" {
			t.Errorf("bad secret form %v: no message on the form", bad)
		}
		if list, err = e.store.ClientSecrets(context.Background(), owner.actor, p.ID); err != nil {
			t.Fatalf("ClientSecrets: %v", err)
		} else if len(list) != before {
			t.Errorf("bad secret form %v created a secret", bad)
		}
	}
}

// dumpContains reports whether any value in the database contains s.
func dumpContains(t *testing.T, e *env, s string) bool {
	t.Helper()
	return strings.Contains(storetest.Dump(t, e.store), s)
}

func TestProjectForms(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "forms@example.com")
	teams, err := e.store.TeamsOf(context.Background(), owner.actor.User.ID)
	if err != nil {
		t.Fatalf("TeamsOf: %v", err)
	}
	team := teams[0].Team.ID
	other := signedInMember(t, e, "other-forms@example.com")
	otherTeams, err := e.store.TeamsOf(context.Background(), other.actor.User.ID)
	if err != nil {
		t.Fatalf("TeamsOf: %v", err)
	}

	t.Run("ValidationOnTheForm", func(t *testing.T) {
		res := owner.b.post("/projects", url.Values{"_csrf": {owner.csrf}, "team_id": {team}, "name": {"  "}}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty name = %d, want 422", res.StatusCode)
		}
		if doc(t, res).Find(`[data-testid="field-error"]`).Length() == 0 {
			t.Error("no field error shown")
		}
	})

	t.Run("DoubleSubmitCreatesOne", func(t *testing.T) {
		form := url.Values{"_csrf": {owner.csrf}, "team_id": {team}, "name": {"Once"}, "form_token": {models.NewIdempotencyKey()}}
		first := owner.b.post("/projects", form, nil)
		second := owner.b.post("/projects", form, nil)
		if first.Header.Get("Location") == "" || first.Header.Get("Location") != second.Header.Get("Location") {
			t.Errorf("submits went to %q and %q, want the same project", first.Header.Get("Location"), second.Header.Get("Location"))
		}
		list, err := e.store.TeamProjects(context.Background(), owner.actor, team)
		if err != nil {
			t.Fatalf("TeamProjects: %v", err)
		}
		n := 0
		for _, p := range list {
			if p.Name == "Once" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d projects named Once, want 1", n)
		}
	})

	t.Run("MassAssignmentIgnored", func(t *testing.T) {
		list, err := e.store.TeamProjects(context.Background(), owner.actor, team)
		if err != nil {
			t.Fatalf("TeamProjects: %v", err)
		}
		p := list[0]
		res := owner.b.post("/projects/"+p.ID+"/settings", url.Values{"_csrf": {owner.csrf}, "name": {p.Name}, "audiences": {"api"},
			"token_ttl_minutes": {"15"}, "team_id": {otherTeams[0].Team.ID}, "id": {"prj_evil"}, "role": {"owner"},
			"access_token_ttl": {"999999"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("settings = %d, want 303", res.StatusCode)
		}
		got, err := e.store.ProjectFor(context.Background(), owner.actor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.TeamID != team || got.AccessTokenTTL != 900 {
			t.Errorf("extra fields took effect: team %s ttl %d", got.TeamID, got.AccessTokenTTL)
		}
	})

	t.Run("XSSRendersInert", func(t *testing.T) {
		payload := `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
		res := owner.b.post("/teams", url.Values{"_csrf": {owner.csrf}, "name": {payload[:55]}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create team = %d", res.StatusCode)
		}
		teamURL := res.Header.Get("Location")
		for _, path := range []string{"/", "/teams", teamURL, teamURL + "/audit"} {
			d := doc(t, owner.b.get(path))
			if d.Find("script:not([src])").Length() > 0 || d.Find(`img[src="x"]`).Length() > 0 || d.Find("[onerror]").Length() > 0 {
				t.Errorf("%s: the payload became markup", path)
			}
		}
	})
}

// The audit log names projects (their ids on hover) and shows details as named values.
func TestAuditLogReadable(t *testing.T) {
	e := newEnv(t)
	cl := newOAuthClient(t, e, "auditor@example.com")
	ctx := context.Background()
	k, _, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	d := doc(t, cl.owner.b.get("/teams/"+cl.project.TeamID+"/audit"))
	var revoke *goquery.Selection
	d.Find(`[data-testid="audit-row"]`).EachWithBreak(func(_ int, r *goquery.Selection) bool {
		if r.Find(`[data-testid="audit-action"]`).Text() == "key.revoke" {
			revoke = r
			return false
		}
		return true
	})
	if revoke == nil {
		t.Fatal("no key.revoke row in the audit log")
	}
	p := revoke.Find(`[data-testid="audit-project"]`)
	if p.Text() != cl.project.Name || p.AttrOr("title", "") != cl.project.ID {
		t.Errorf("project shown as %q (title %q), want its name %q with its id on hover", p.Text(), p.AttrOr("title", ""), cl.project.Name)
	}
	fields := map[string]string{}
	revoke.Find(".audit-fields div").Each(func(_ int, f *goquery.Selection) {
		fields[f.Find("dt").Text()] = f.Find("dd").Text()
	})
	if fields["via"] != "page" || fields["status list"] != k.StatusListID || fields["idx"] != strconv.Itoa(k.StatusIdx) {
		t.Errorf("details shown as %v, want via page, the status list and the index", fields)
	}
	if strings.Contains(revoke.Text(), `"status_list"`) {
		t.Error("the details are shown as raw JSON")
	}
}

// The audit log filters by actor, action (exact or a prefix ending in "."), project and
// dates, and exports what it shows as CSV (formulas defused) or JSON, to admins only.
func TestAuditFiltersAndExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "filters@example.com")
	owner, team := cl.owner, cl.project.TeamID
	k, _, err := e.store.CreateAPIKey(ctx, owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokeAPIKey(ctx, owner.actor, cl.project.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.store.RenameTeam(ctx, owner.actor, team, "=SUM(1+1)"); err != nil {
		t.Fatal(err)
	}
	actions := func(query string) []string {
		t.Helper()
		var out []string
		doc(t, owner.b.get("/teams/"+team+"/audit?"+query)).Find(`[data-testid="audit-action"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.Text())
		})
		return out
	}
	if got := actions("action=key."); !slices.Equal(got, []string{"key.revoke", "key.create"}) {
		t.Errorf("action=key. shows %v, want the key's revoke and create", got)
	}
	if got := actions("action=key.revoke"); !slices.Equal(got, []string{"key.revoke"}) {
		t.Errorf("action=key.revoke shows %v", got)
	}
	if got := actions("actor=FILTERS@example"); len(got) == 0 || slices.Contains(got, "") {
		t.Errorf("actor filter (any case, a part) shows %v", got)
	}
	if got := actions("actor=%25"); len(got) != 0 {
		t.Errorf("actor=%% is a wildcard: shows %v", got)
	}
	if got := actions("project=" + cl.project.ID + "&action=team.rename"); len(got) != 0 {
		t.Errorf("project filter shows the team's rename: %v", got)
	}
	tomorrow := e.clock().AddDate(0, 0, 1).Format("2006-01-02")
	if got := actions("from=" + tomorrow); len(got) != 0 {
		t.Errorf("from tomorrow shows %v", got)
	}
	d := doc(t, owner.b.get("/teams/"+team+"/audit?from=yesterday"))
	if got := d.Find(`[data-testid="audit-filter-error"]`).Text(); !strings.Contains(got, "not a date") {
		t.Errorf("an unreadable date: %q", got)
	}
	if got := d.Find(`[data-testid="audit-filter-from"]`).AttrOr("value", ""); got != "yesterday" {
		t.Errorf("the form lost what was typed: %q", got)
	}
	if d := doc(t, owner.b.get("/teams/"+team+"/audit?actor=nobody")); d.Find(`[data-testid="empty-state"] h2`).Text() != "No events match" {
		t.Error("no empty state for a filter that matches nothing")
	}

	// CSV: the filtered events, with formulas defused.
	res := owner.b.get("/teams/" + team + "/audit/export?format=csv&action=team.")
	body := readBody(res)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("CSV export: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || rows[0][0] != "time" || rows[1][3] != "team.rename" || rows[1][6] != "'=SUM(1+1)" {
		t.Errorf("CSV export: %q", rows)
	}
	// JSON: details stay an object.
	res = owner.b.get("/teams/" + team + "/audit/export?format=json&action=key.revoke")
	var events []struct {
		Action  string
		Details map[string]any
	}
	if err := json.Unmarshal([]byte(readBody(res)), &events); err != nil || len(events) != 1 || events[0].Details["via"] != "page" {
		t.Errorf("JSON export: %v %+v", err, events)
	}
	if res := owner.b.get("/teams/" + team + "/audit/export?format=xml"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("format=xml: %d, want 400", res.StatusCode)
	}
	// Who may read the log may export it; nobody else.
	outsider := signedInMember(t, e, "not-in-team@example.com")
	if res := outsider.b.get("/teams/" + team + "/audit/export?format=csv"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an outsider's export: %d, want 404", res.StatusCode)
	}
}

// A refused form says what is wrong in a sentence, next to the field.
func TestFormErrorsAreSentences(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "sentences@example.com")
	res := owner.b.post("/teams", url.Values{"_csrf": {owner.csrf}, "name": {"   "}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an empty team name: %d, want 422", res.StatusCode)
	}
	if got := strings.TrimSpace(doc(t, res).Find(`[data-testid="field-error"]`).First().Text()); got != "Name is required." {
		t.Errorf("the field error says %q, want \"Name is required.\"", got)
	}
}
