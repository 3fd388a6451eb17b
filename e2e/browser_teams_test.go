package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTeamInvitation drives the team workflow in two headless Chromium
// browsers, each with its own profile (so no cookie is shared), against one portal:
// Olive creates a team, a project in it and a client secret (shown once, on a page of
// its own), and invites Victor as a viewer from the team's members page; Victor opens
// the link signed out, and the sign-in page tells him who invited him to which team as
// what; he signs in, accepts and sees the project read-only on each of its pages; the
// used link then shows a clear page (and, signed out, a sign-in page that says nothing
// of it); Olive sees Victor among the members and the events in the audit log tab, and
// revokes the secret (two steps on the page, no dialog). No page may log a console
// error, CSP violation or uncaught exception, and the portal must answer no request
// with a 5xx.
func TestBrowserTeamInvitation(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	olive := newBrowser(t, chrome)
	victor := newBrowser(t, chrome)

	// 1. Olive signs in; a new user's dashboard shows their first project.
	olive.open(t, p.URL+"/login", http.StatusOK)
	olive.signInDev(t, "olive@example.com", "Olive Owner")
	olive.do(t, "wait for Olive's dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	if got := olive.texts(t, testid("project-card")+" "+testid("project-link")); !slices.Contains(got, "My first project") {
		t.Errorf("Olive's dashboard project cards: got %q, want one named \"My first project\"", got)
	}

	// 2. Olive creates the team "Platform" and lands on its page as its owner.
	olive.open(t, p.URL+"/teams", http.StatusOK)
	olive.do(t, "type the team name",
		chromedp.WaitVisible(chromedp.CSS(testid("team-name"))),
		chromedp.SendKeys(chromedp.CSS(testid("team-name")), "Platform"),
	)
	olive.submit(t, "create the team", testid("create-team"), http.StatusOK)
	olive.do(t, "wait for the team page", chromedp.WaitVisible(chromedp.CSS(testid("team-name-heading"))))
	if got := olive.text(t, testid("team-name-heading")); got != "Platform" {
		t.Errorf("team heading: got %q, want \"Platform\"", got)
	}
	if got := olive.textContent(t, testid("my-role")); got != "owner" {
		t.Errorf("Olive's role in Platform: got %q, want \"owner\"", got)
	}
	teamID := olive.attr(t, testid("team"), "data-team-id")
	teamPath := "/teams/" + teamID
	if teamID == "" || olive.location(t).Path != teamPath {
		t.Fatalf("team page: got %s with data-team-id %q, want /teams/ID", olive.location(t), teamID)
	}

	// 3. A project in that team: the form comes with the team chosen.
	olive.submit(t, "open the new-project form from the team page", testid("new-project"), http.StatusOK)
	olive.do(t, "wait for the new-project form", chromedp.WaitVisible(chromedp.CSS(testid("project-name"))))
	if loc := olive.location(t); loc.Path != "/projects/new" || loc.Query().Get("team") != teamID {
		t.Errorf("new-project form: got %s, want /projects/new?team=%s", loc, teamID)
	}
	if got, err := chromedp.Run(olive.ctx, chromedp.Value(chromedp.CSS(testid("project-team")))); err != nil || got != teamID {
		t.Errorf("new-project form team: got %q (%v), want Platform (%s) chosen", got, err, teamID)
	}
	olive.do(t, "fill in the new-project form",
		chromedp.SendKeys(chromedp.CSS(testid("project-name")), "Orders API"),
		chromedp.SendKeys(chromedp.CSS(testid("project-description")), "Takes and tracks orders."),
	)
	olive.submit(t, "create the project", testid("create-project"), http.StatusOK)
	olive.do(t, "wait for the project page", chromedp.WaitVisible(chromedp.CSS(testid("project-name-heading"))))
	if got := olive.text(t, testid("project-name-heading")); got != "Orders API" {
		t.Errorf("project heading: got %q, want \"Orders API\"", got)
	}
	projectURL := p.URL + olive.location(t).Path
	if !strings.HasPrefix(olive.location(t).Path, "/projects/") {
		t.Fatalf("after creating the project: got %s, want /projects/ID", olive.location(t))
	}
	clientID := olive.text(t, testid("client-id"))
	if !strings.HasPrefix(clientID, "prj_") {
		t.Errorf("client id: got %q, want it to start with \"prj_\"", clientID)
	}
	credentialsURL := projectURL + "/credentials"

	// The client secret, created on the client credentials page, is shown once on a
	// page of its own, with a copy button; Done leads back to the secrets.
	olive.submit(t, "open the client credentials tab", testid("tab-credentials"), http.StatusOK)
	if got := p.URL + olive.location(t).Path; got != credentialsURL {
		t.Errorf("client credentials tab: got %s, want %s", got, credentialsURL)
	}
	olive.do(t, "name the client secret", chromedp.SendKeys(chromedp.CSS(testid("secret-name")), "ci"))
	olive.submit(t, "create the client secret", testid("create-secret"), http.StatusOK)
	olive.do(t, "wait for the new secret", chromedp.WaitVisible(chromedp.CSS(testid("shown-once")+" "+testid("secret"))))
	if got := olive.text(t, testid("secret")); !strings.HasPrefix(got, "ghcs_") {
		t.Errorf("new secret: got %q, want it to start with \"ghcs_\"", got)
	}
	if got := olive.count(t, `button[data-copy-target="shown-once-value"]`); got != 1 {
		t.Errorf("copy buttons for the secret: got %d, want 1", got)
	}
	olive.done(t, "done with the new secret", credentialsURL[len(p.URL):], "secrets")
	if got := olive.count(t, testid("secret")); got != 0 {
		t.Errorf("secrets shown after Done: got %d, want 0 (shown once)", got)
	}
	if got := olive.texts(t, testid("secret-row-name")); !slices.Equal(got, []string{"ci"}) {
		t.Errorf("secret rows: got %q, want [\"ci\"]", got)
	}
	checkFits(t, olive, "project-with-secret")
	if got := olive.texts(t, testid("secret-status")); !slices.Equal(got, []string{"active"}) {
		t.Errorf("secret statuses: got %q, want [\"active\"]", got)
	}

	// 4. Back on the team's members page, Olive creates a viewer invitation link,
	// shown once on a page of its own; Done leads back to the members.
	olive.submit(t, "go back to the team page", testid("project-team-link"), http.StatusOK)
	olive.submit(t, "open the members tab", testid("tab-members"), http.StatusOK)
	if got := olive.location(t).Path; got != teamPath+"/members" {
		t.Errorf("members tab: got %s, want %s/members", olive.location(t), teamPath)
	}
	olive.do(t, "choose the viewer role",
		chromedp.WaitVisible(chromedp.CSS(testid("invite-role"))),
		chromedp.SetValue(chromedp.CSS(testid("invite-role")), "viewer"),
	)
	olive.submit(t, "create the invitation", testid("create-invite"), http.StatusOK)
	olive.do(t, "wait for the invitation link", chromedp.WaitVisible(chromedp.CSS(testid("shown-once")+" "+testid("invite-link"))))
	inviteLink := olive.text(t, testid("invite-link"))
	if !strings.HasPrefix(inviteLink, p.URL+"/invitations/") || len(inviteLink) <= len(p.URL+"/invitations/") {
		t.Fatalf("invitation link: got %q, want %s/invitations/TOKEN", inviteLink, p.URL)
	}
	olive.done(t, "done with the invitation link", teamPath+"/members", "")
	if got := olive.count(t, testid("invite-link")); got != 0 {
		t.Errorf("invitation links shown after Done: got %d, want 0 (shown once)", got)
	}
	if got := olive.texts(t, testid("invitation-role")); !slices.Equal(got, []string{"viewer"}) {
		t.Errorf("pending invitations: got roles %q, want [\"viewer\"]", got)
	}

	// 5. Victor, signed out in his own browser, follows the link: the sign-in page names
	// the invitation. He signs in, comes back to the invitation and accepts it.
	victor.open(t, inviteLink, http.StatusOK)
	victor.do(t, "wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(testid("signin-invitation"))))
	if loc := victor.location(t); loc.Path != "/" || p.URL+loc.Query().Get("return_to") != inviteLink {
		t.Errorf("signed out, the invitation link: got %s, want the sign-in page returning to the link", loc)
	}
	wantInvite := "Olive Owner invited you to join Platform as viewer. Sign in with the development provider to accept."
	if got := strings.Join(strings.Fields(victor.textContent(t, testid("signin-invitation"))), " "); got != wantInvite {
		t.Errorf("sign-in page for the invitation: got %q, want %q", got, wantInvite)
	}
	checkFits(t, victor, "signin-invitation")
	victor.submit(t, "sign in from the invitation's sign-in page", testid("sign-in"), http.StatusOK)
	if got := victor.location(t).Path; !strings.HasPrefix(got, "/dev-oidc/login") {
		t.Errorf("the sign-in button: got %s, want the provider's form", victor.location(t))
	}
	victor.signInDev(t, "victor@example.com", "Victor Viewer")
	victor.do(t, "wait for the invitation", chromedp.WaitVisible(chromedp.CSS(testid("invitation-state"))))
	if got, want := p.URL+victor.location(t).Path, inviteLink; got != want {
		t.Errorf("after signing in: got %s, want the invitation %s", got, want)
	}
	if got := victor.attr(t, testid("invitation-state"), "data-state"); got != "open" {
		t.Errorf("invitation state: got %q, want \"open\"", got)
	}
	if got := victor.textContent(t, testid("invitation-team")); !strings.Contains(got, "Platform") {
		t.Errorf("invitation: got %q, want it to name Platform", got)
	}
	if got := victor.textContent(t, testid("invitation-role")); got != "viewer" {
		t.Errorf("invitation role: got %q, want \"viewer\"", got)
	}
	victor.submit(t, "accept the invitation", testid("accept-invite"), http.StatusOK)
	victor.do(t, "wait for the team page", chromedp.WaitVisible(chromedp.CSS(testid("team-name-heading"))))
	if got := victor.location(t).Path; got != teamPath {
		t.Errorf("after accepting: got %s, want %s", got, teamPath)
	}
	if got := victor.textContent(t, testid("my-role")); got != "viewer" {
		t.Errorf("Victor's role in Platform: got %q, want \"viewer\"", got)
	}

	// 6. As a viewer Victor sees the team and its project, but cannot change them: no
	// page of the team offers him a control, nor the audit log tab.
	teamControls := []string{"create-invite", "invite-form", "change-role", "remove-member", "tab-audit",
		"delete-team", "rename-team", "save-leak-policy", "new-project"}
	for id, n := range countOnPages(t, victor, p.URL, []string{teamPath + "/members", teamPath + "/settings", teamPath}, teamControls) {
		if n != 0 {
			t.Errorf("viewer's team pages: got %d %s, want none", n, id)
		}
	}
	if got := victor.texts(t, testid("project-row")+" "+testid("project-link")); !slices.Equal(got, []string{"Orders API"}) {
		t.Fatalf("viewer's team page projects: got %q, want [\"Orders API\"]", got)
	}
	victor.submit(t, "open the project from the team page", testid("project-row")+" "+testid("project-link"), http.StatusOK)
	victor.do(t, "wait for the project page", chromedp.WaitVisible(chromedp.CSS(testid("project-name-heading"))))
	if got := p.URL + victor.location(t).Path; got != projectURL {
		t.Errorf("viewer's project link: got %s, want %s", got, projectURL)
	}
	if got := victor.text(t, testid("client-id")); got != clientID {
		t.Errorf("viewer's client id: got %q, want %q", got, clientID)
	}
	projectControls := []string{"create-secret", "revoke-secret", "delete-project", "save-settings"}
	for id, n := range countOnPages(t, victor, p.URL, []string{projectURL[len(p.URL):] + "/settings", credentialsURL[len(p.URL):]}, projectControls) {
		if n != 0 {
			t.Errorf("viewer's project pages: got %d %s, want none", n, id)
		}
	}
	if got := victor.texts(t, testid("secret-status")); !slices.Equal(got, []string{"active"}) {
		t.Errorf("viewer's secret rows: got statuses %q, want [\"active\"]", got)
	}
	victor.submit(t, "open the project's settings tab", testid("tab-settings"), http.StatusOK)
	if got := victor.count(t, testid("settings-readonly")); got != 1 {
		t.Errorf("viewer's project settings page: got %d settings-readonly, want 1", got)
	}

	// 7. The used link now says he is a member, with the way into the team, not an error.
	victor.open(t, inviteLink, http.StatusOK)
	victor.do(t, "wait for the used invitation", chromedp.WaitVisible(chromedp.CSS(testid("invitation-state"))))
	if got := victor.attr(t, testid("invitation-state"), "data-state"); got != "member" {
		t.Errorf("used invitation state for its member: got %q, want \"member\"", got)
	}
	if got := victor.count(t, testid("invitation-team-link")); got != 1 {
		t.Errorf("used invitation for its member: got %d team links, want 1", got)
	}
	if got := victor.count(t, testid("accept-invite")); got != 0 {
		t.Errorf("used invitation: got %d accept buttons, want none", got)
	}

	// 7b. Anyone else who opens the used link is told it was used, by whom it was sent
	// and for which team: whom to ask for a new one.
	wanda := newBrowser(t, chrome)
	// Signed out, the used link leads to a sign-in page that says nothing of it.
	wanda.open(t, inviteLink, http.StatusOK)
	wanda.do(t, "wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(testid("sign-in"))))
	if got := wanda.count(t, testid("signin-invitation")); got != 0 {
		t.Errorf("signed out, the used link's sign-in page: got %d signin-invitation, want none", got)
	}
	if got := wanda.text(t, "main"); strings.Contains(got, "Platform") || strings.Contains(got, "Olive") {
		t.Errorf("signed out, the used link's sign-in page: got %q, want no word of the team or the inviter", got)
	}
	wanda.open(t, p.URL+"/login", http.StatusOK)
	wanda.signInDev(t, "wanda@example.com", "Wanda")
	wanda.do(t, "wait for Wanda's dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	wanda.expectErrorStatus(inviteLink) // the console reports the 410; it is the answer
	wanda.open(t, inviteLink, http.StatusGone)
	if got := wanda.attr(t, testid("invitation-state"), "data-state"); got != "accepted" {
		t.Errorf("used invitation state for someone else: got %q, want \"accepted\"", got)
	}
	if got := wanda.text(t, testid("invitation-ask")); got != "It was sent by olive@example.com for Platform: they, or another admin of the team, can send you a new one." {
		t.Errorf("used invitation, whom to ask: got %q", got)
	}
	checkFits(t, wanda, "invitation-used")
	wanda.checkConsole(t)

	// 8. Olive sees Victor among the members, no pending invitation, and the events in
	// the audit log.
	// The owner's pages have the controls the viewer's lack (so their absence above is
	// the role's doing, not a renamed hook).
	for id, n := range countOnPages(t, olive, p.URL, []string{teamPath, teamPath + "/settings", teamPath + "/members"}, teamControls) {
		if n == 0 {
			t.Errorf("owner's team pages: got no %s, want one", id)
		}
	}
	if got := olive.location(t).Path; got != teamPath+"/members" {
		t.Fatalf("team members page: got %s", olive.location(t))
	}
	if got := olive.count(t, testid("member-row")); got != 2 {
		t.Errorf("member rows: got %d, want 2", got)
	}
	roles, err := chromedp.Run(olive.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="member-row"]'))
		.filter(r => r.querySelector('[data-testid="member-email"]').textContent.trim() === "victor@example.com")
		.map(r => { const s = r.querySelector('[data-testid="member-role-select"]'); return s ? s.value : r.querySelector('[data-testid="member-role"]').textContent.trim(); })`))
	if err != nil {
		t.Fatalf("reading Victor's member row: %v", err)
	}
	if !slices.Equal(roles, []string{"viewer"}) {
		t.Errorf("Victor's member rows: got roles %q, want [\"viewer\"]", roles)
	}
	if got := olive.texts(t, testid("member-name")); !slices.Contains(got, "Victor Viewer") {
		t.Errorf("member names: got %q, want \"Victor Viewer\" among them", got)
	}
	if got := olive.count(t, testid("invitation-row")); got != 0 {
		t.Errorf("pending invitations after the accept: got %d, want 0", got)
	}
	olive.submit(t, "open the audit log tab", testid("tab-audit"), http.StatusOK)
	olive.do(t, "wait for the audit log", chromedp.WaitVisible(chromedp.CSS(testid("audit"))))
	if got := olive.location(t).Path; got != teamPath+"/audit" {
		t.Errorf("audit log tab: got %s, want %s/audit", olive.location(t), teamPath)
	}
	if got := olive.attr(t, testid("tab-audit"), "aria-current"); got != "page" {
		t.Errorf("audit log tab: got aria-current %q, want \"page\"", got)
	}
	actions := olive.texts(t, testid("audit-action"))
	for _, want := range []string{"team.create", "project.create", "secret.create", "invitation.create", "member.join"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log actions: got %q, want %q among them", actions, want)
		}
	}
	checkFits(t, olive, "audit-log")

	// 9. Olive revokes the secret, in two steps on the client credentials page.
	for id, n := range countOnPages(t, olive, p.URL, []string{projectURL[len(p.URL):] + "/settings", credentialsURL[len(p.URL):]}, projectControls) {
		if n == 0 {
			t.Errorf("owner's project pages: got no %s, want one", id)
		}
	}
	olive.open(t, projectURL+"/settings", http.StatusOK)
	if got := olive.count(t, testid("settings-readonly")); got != 0 {
		t.Errorf("owner's project settings page: got %d settings-readonly, want none", got)
	}
	olive.open(t, credentialsURL, http.StatusOK)
	wantQuestion := "Revoke secret ci? Services using it will stop getting tokens."
	if got := olive.confirm(t, "revoke the client secret", "revoke-secret", http.StatusOK); got != wantQuestion {
		t.Errorf("revoking the secret: got the question %q, want %q", got, wantQuestion)
	}
	// The answer is the list the secret was in.
	if got := p.URL + olive.location(t).Path; got != credentialsURL {
		t.Errorf("after revoking the secret: got %s, want %s (the secrets)", olive.location(t), credentialsURL)
	}
	olive.open(t, credentialsURL, http.StatusOK)
	if got := olive.texts(t, testid("secret-status")); !slices.Equal(got, []string{"revoked"}) {
		t.Errorf("secret statuses after revoking: got %q, want [\"revoked\"]", got)
	}
	if got := olive.count(t, testid("revoke-secret")); got != 0 {
		t.Errorf("revoke buttons after revoking: got %d, want 0", got)
	}
	if got := olive.acceptedDialogs(); len(got) != 0 {
		t.Errorf("Olive's JavaScript dialogs: got %q, want none", got)
	}
	victor.open(t, credentialsURL, http.StatusOK)
	if got := victor.texts(t, testid("secret-status")); !slices.Equal(got, []string{"revoked"}) {
		t.Errorf("viewer's secret statuses after the revoke: got %q, want [\"revoked\"]", got)
	}

	// 10. No page misbehaved in either browser, and the portal served no 5xx.
	olive.checkConsole(t)
	victor.checkConsole(t)
	if got := victor.acceptedDialogs(); len(got) != 0 {
		t.Errorf("Victor's JavaScript dialogs: got %q, want none", got)
	}
	expectNoServerErrors(t, p)
}

// countOnPages opens each of paths (under base) in b, in order, and counts the
// elements with each of the data-testids ids over all of them. The tab is on the last
// page afterwards.
func countOnPages(t *testing.T, b *browser, base string, paths, ids []string) map[string]int {
	t.Helper()
	n := make(map[string]int, len(ids))
	for _, path := range paths {
		b.open(t, base+path, http.StatusOK)
		for _, id := range ids {
			n[id] += b.count(t, testid(id))
		}
	}
	return n
}
