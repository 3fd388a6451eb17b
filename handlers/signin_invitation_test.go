package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// namedMember signs a user in with a name (the provider's "name" claim) and looks them up.
func namedMember(t *testing.T, e *env, email, name string) *member {
	t.Helper()
	b := e.browser()
	cb, err := devoidc.Login(context.Background(), b.client, b.startLogin(""), e.portal.URL+"/auth/callback", email, name)
	if err != nil {
		t.Fatalf("sign in %s at the provider: %v", email, err)
	}
	if res := b.get(cb.String()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback for %s = %d, want 303", email, res.StatusCode)
	}
	u, err := e.store.UserByIdentity(context.Background(), e.issuer, devoidc.Subject(email))
	if err != nil {
		t.Fatal(err)
	}
	return &member{b: b, actor: models.Actor{User: u}, csrf: b.csrf()}
}

// signInPageFor opens an invitation link in a browser that is signed out, follows the
// redirect to the sign-in page and returns that page, checking the hops on the way.
func signInPageFor(t *testing.T, e *env, token string) *goquery.Document {
	t.Helper()
	b := e.browser()
	link := "/invitations/" + token
	res := b.get(link)
	if want := "/?return_to=" + url.QueryEscape(link); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("signed out, GET %s = %d to %q; want 303 to %q (the sign-in page)", link, res.StatusCode, res.Header.Get("Location"), want)
	}
	res = b.get(res.Header.Get("Location"))
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sign-in page for %s = %d, Cache-Control %q; want 200 no-store", link, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	d := doc(t, res)
	if d.Find(`[data-testid="sign-in-page"]`).Length() != 1 {
		t.Fatalf("GET %s signed out did not end on the sign-in page", link)
	}
	if href, _ := d.Find(`[data-testid="sign-in"]`).Attr("href"); href != "/login?return_to="+url.QueryEscape(link) {
		t.Errorf("sign-in button for %s: href %q, want it to come back to the link", link, href)
	}
	return d
}

// pageWithout renders d as HTML with the elements that match sel removed and every
// occurrence of token replaced, so pages for different links can be compared.
func pageWithout(t *testing.T, d *goquery.Document, sel, token string) string {
	t.Helper()
	d.Find(sel).Remove()
	html, err := d.Html()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(html, token, "TOKEN")
}

// TestSignInPageNamesPendingInvitation: a signed-out person who opens an invitation link
// sees the sign-in page, and it names the inviter, team and role while the invitation
// can be accepted. For a link that is used, expired, revoked, withdrawn or unknown it is
// the plain sign-in page, the same for each: no word of the team or the inviter.
func TestSignInPageNamesPendingInvitation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.store
	owner := namedMember(t, e, "olive@example.com", "Olive Owner")
	team, err := s.CreateTeam(ctx, owner.actor, "Platform", "")
	if err != nil {
		t.Fatal(err)
	}
	invite := func(by models.Actor, teamID string, role models.Role, ttl time.Duration) (*models.Invitation, string) {
		t.Helper()
		inv, token, err := s.CreateInvitation(ctx, by, teamID, role, ttl, "")
		if err != nil {
			t.Fatal(err)
		}
		return inv, token
	}
	week := 7 * 24 * time.Hour

	_, pending := invite(owner.actor, team.ID, models.RoleViewer, week)

	// Another inviter, team and role (the development provider names a user who gives
	// no name after their email's local part).
	nina := signedInMember(t, e, "nina@example.com")
	ops, err := s.CreateTeam(ctx, nina.actor, "Ops", "")
	if err != nil {
		t.Fatal(err)
	}
	_, pendingOps := invite(nina.actor, ops.ID, models.RoleDeveloper, week)

	_, used := invite(owner.actor, team.ID, models.RoleViewer, week)
	if _, err := s.AcceptInvitation(ctx, nina.actor, used); err != nil {
		t.Fatal(err)
	}
	revokedInv, revoked := invite(owner.actor, team.ID, models.RoleViewer, week)
	if err := s.RevokeInvitation(ctx, owner.actor, team.ID, revokedInv.ID); err != nil {
		t.Fatal(err)
	}
	// Withdrawn: its author, an admin, is no longer in the team.
	admin := signedInMember(t, e, "adam@example.com")
	_, adminToken := invite(owner.actor, team.ID, models.RoleAdmin, week)
	if _, err := s.AcceptInvitation(ctx, admin.actor, adminToken); err != nil {
		t.Fatal(err)
	}
	_, withdrawn := invite(admin.actor, team.ID, models.RoleDeveloper, week)
	if err := s.RemoveMember(ctx, owner.actor, team.ID, admin.actor.UserID()); err != nil {
		t.Fatal(err)
	}
	_, expired := invite(owner.actor, team.ID, models.RoleViewer, time.Hour)
	e.advance(2 * time.Hour)

	// The one indexed lookup agrees with what each link is now.
	for token, want := range map[string]string{pending: models.InviteOpen, used: models.InviteAccepted,
		revoked: models.InviteRevoked, withdrawn: models.InviteWithdrawn, expired: models.InviteExpired} {
		info, err := s.InvitationByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.PageState(s.Now()); got != want {
			t.Fatalf("fixture: invitation state %q, want %q", got, want)
		}
	}

	t.Run("Pending", func(t *testing.T) {
		for _, tc := range []struct{ token, want string }{
			{pending, "Olive Owner invited you to join Platform as viewer. Sign in with Test IdP to accept."},
			{pendingOps, "nina invited you to join Ops as developer. Sign in with Test IdP to accept."},
		} {
			d := signInPageFor(t, e, tc.token)
			got := d.Find(`[data-testid="signin-invitation"]`)
			if got.Length() != 1 {
				t.Fatalf("sign-in page: %d signin-invitation, want 1", got.Length())
			}
			if text := strings.Join(strings.Fields(got.Text()), " "); text != tc.want {
				t.Errorf("sign-in page says %q, want %q", text, tc.want)
			}
		}
	})

	// The page for a link that names nothing: an unknown token of the same shape.
	unknown := strings.Repeat("A", len(pending))
	plainDoc := signInPageFor(t, e, unknown)
	if n := plainDoc.Find(`[data-testid="signin-invitation"]`).Length(); n != 0 {
		t.Fatalf("unknown invitation: %d signin-invitation, want none", n)
	}
	plain := pageWithout(t, plainDoc, "nothing-to-remove", unknown)

	t.Run("NotPending", func(t *testing.T) {
		for name, token := range map[string]string{"used": used, "expired": expired, "revoked": revoked, "withdrawn": withdrawn} {
			d := signInPageFor(t, e, token)
			if n := d.Find(`[data-testid="signin-invitation"]`).Length(); n != 0 {
				t.Errorf("%s invitation: %d signin-invitation, want none", name, n)
			}
			html := pageWithout(t, d, "nothing-to-remove", token)
			for _, secret := range []string{"Platform", "Olive", "olive@example.com", "adam@example.com", "viewer", "invited"} {
				if strings.Contains(html, secret) {
					t.Errorf("%s invitation: the sign-in page shows %q", name, secret)
				}
			}
			if html != plain {
				t.Errorf("%s invitation: the sign-in page differs from the one for an unknown link:\n%s\n--- want ---\n%s", name, html, plain)
			}
		}
	})

	// The pending page is the plain page plus the sentence.
	if got := pageWithout(t, signInPageFor(t, e, pending), `[data-testid="signin-invitation"]`, pending); got != plain {
		t.Errorf("pending invitation's sign-in page, without the sentence, differs from the plain page:\n%s\n--- want ---\n%s", got, plain)
	}

	// Signing in from there comes back to the link, which still works.
	invitee := e.browser()
	res := invitee.signIn("victor@example.com", "/invitations/"+pending)
	if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != "/invitations/"+pending {
		t.Fatalf("after sign-in: %d to %q, want 303 to the invitation", res.StatusCode, got)
	}
	// Signed in, the sign-in page's address sends the browser on to its return path
	// (a safe one only).
	if res := invitee.get(views.SignInPath("/invitations/" + pending)); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/invitations/"+pending {
		t.Errorf("signed in, GET the sign-in page returning to the invitation = %d to %q, want 303 to it", res.StatusCode, res.Header.Get("Location"))
	}
	if res := invitee.get("/?return_to=" + url.QueryEscape("//evil.example/x")); res.StatusCode != http.StatusOK {
		t.Errorf("signed in, GET /?return_to=//evil.example/x = %d to %q, want 200 (the dashboard)", res.StatusCode, res.Header.Get("Location"))
	}

	for _, token := range []string{pending, pendingOps, used, expired, revoked, withdrawn, unknown} {
		if strings.Contains(e.logs.String(), token) {
			t.Errorf("the log holds an invitation token")
		}
	}
}
