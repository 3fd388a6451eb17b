package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func TestSessionFixation(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	auth := b.startLogin("")
	preLogin := b.cookie()
	if preLogin == "" {
		t.Fatal("no pre-login session cookie after GET /login")
	}
	cb := b.authorize(auth, "fix@example.com")
	if res := b.get(cb); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback = %d, want 303", res.StatusCode)
	}
	if b.cookie() == preLogin {
		t.Fatal("session id did not change at sign-in")
	}
	// An attacker who planted or copied the pre-login cookie gets nothing.
	attacker := e.browser()
	attacker.setCookie(preLogin)
	if attacker.signedIn() {
		t.Error("the pre-login session id is signed in after the victim's sign-in")
	}
	if !b.signedIn() {
		t.Error("the victim is not signed in")
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.mustSignIn("out@example.com")
	stolen := b.cookie()
	res := b.post("/logout", url.Values{"_csrf": {b.csrf()}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("POST /logout = %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	var cleared bool
	for _, c := range res.Cookies() {
		if c.Name == e.h.SessionCookieName() && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Error("logout did not clear the session cookie")
	}
	if b.signedIn() {
		t.Error("still signed in after logout")
	}
	replay := e.browser()
	replay.setCookie(stolen)
	if replay.signedIn() {
		t.Error("a cookie replayed after logout is still signed in")
	}
}

func TestSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	laptop, phone, colleague := e.browser(), e.browser(), e.browser()
	laptop.mustSignIn("many@example.com")
	phone.mustSignIn("many@example.com")
	colleague.mustSignIn("colleague@example.com")

	d := doc(t, laptop.get("/account"))
	if n := d.Find(`[data-testid="session-row"]`).Length(); n != 2 {
		t.Errorf("account page lists %d sessions, want 2", n)
	}
	res := laptop.post("/logout/everywhere", url.Values{"_csrf": {laptop.csrf()}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout/everywhere = %d, want 303", res.StatusCode)
	}
	if laptop.signedIn() || phone.signedIn() {
		t.Error("a session survived sign-out everywhere")
	}
	if !colleague.signedIn() {
		t.Error("another user's session ended")
	}
}

func TestIdleAndAbsoluteTimeouts(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.mustSignIn("idle@example.com")
	e.advance(59 * time.Minute)
	if !b.signedIn() {
		t.Fatal("signed out within the idle timeout")
	}
	e.advance(61 * time.Minute)
	if b.signedIn() {
		t.Error("still signed in after the idle timeout")
	}

	a := e.browser()
	a.mustSignIn("busy@example.com")
	for i := 0; i < 23; i++ {
		e.advance(55 * time.Minute)
		if !a.signedIn() {
			t.Fatalf("an active session ended after %d×55m, before the 24h absolute timeout", i+1)
		}
	}
	e.advance(4 * time.Hour)
	if a.signedIn() {
		t.Error("an active session outlived its absolute timeout")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	b, other := e.browser(), e.browser()
	b.mustSignIn("csrf@example.com")
	other.mustSignIn("other@example.com")
	otherToken := other.csrf()
	token := b.csrf()

	for _, tc := range []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"NoToken", url.Values{}, nil},
		{"EmptyToken", url.Values{"_csrf": {""}}, nil},
		{"TokenOfAnotherSession", url.Values{"_csrf": {otherToken}}, nil},
		{"CrossSiteWithValidToken", url.Values{"_csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"ForeignOriginWithValidToken", url.Values{"_csrf": {token}}, map[string]string{"Origin": "https://evil.example"}},
		// The token counts only as the _csrf field (no script sends it as a header).
		{"ValidTokenOnlyInHeader", url.Values{}, map[string]string{"X-CSRF-Token": token}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := b.post("/logout/everywhere", tc.form, tc.hdr)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status = %d, want 403", res.StatusCode)
			}
			if !b.signedIn() || !other.signedIn() {
				t.Fatal("a refused request still signed someone out")
			}
		})
	}

	t.Run("FormToken", func(t *testing.T) {
		res := b.post("/logout", url.Values{"_csrf": {token}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST with the _csrf field = %d, want 303", res.StatusCode)
		}
		if b.signedIn() {
			t.Error("logout with the form token did not sign out")
		}
		if !other.signedIn() {
			t.Error("logout signed another session out")
		}
	})

	t.Run("GetNeverChangesState", func(t *testing.T) {
		for _, path := range []string{"/logout", "/logout/everywhere"} {
			if res := other.get(path); res.StatusCode != http.StatusMethodNotAllowed && res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 405 or 404", path, res.StatusCode)
			}
		}
		if !other.signedIn() {
			t.Error("a GET signed the user out")
		}
	})
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Run("HTTP", func(t *testing.T) {
		e := newEnv(t)
		c := sessionCookie(t, e)
		if c.Name != "gatehouse_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie = %+v; want gatehouse_session, HttpOnly, SameSite=Lax, Path=/, no Domain", c)
		}
	})
	t.Run("HTTPS", func(t *testing.T) {
		e := newEnv(t, func(o *envOptions) { o.baseURL = "https://portal.example" })
		c := sessionCookie(t, e)
		if c.Name != "__Host-gatehouse_session" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie = %+v; want __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", c)
		}
		res := e.browser().get("/")
		if got := res.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
			t.Errorf("HSTS = %q on an https portal, want max-age", got)
		}
	})
}

// sessionCookie returns the cookie set by GET /login.
func sessionCookie(t *testing.T, e *env) *http.Cookie {
	t.Helper()
	res := e.browser().get("/login")
	for _, c := range res.Cookies() {
		if strings.HasSuffix(c.Name, "gatehouse_session") {
			return c
		}
	}
	t.Fatalf("GET /login set no session cookie (status %d)", res.StatusCode)
	return nil
}

func TestForgedSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.mustSignIn("forge@example.com")
	good := b.cookie()
	for _, forged := range []string{"", "garbage", good[:len(good)-2] + "xx", strings.Repeat("A", 4000)} {
		x := e.browser()
		x.setCookie(forged)
		if x.signedIn() {
			t.Errorf("forged cookie %.20q… is signed in", forged)
		}
	}
}

// After signing out, the sign-in page says so, once; a notice cookie with any other
// value shows nothing.
func TestSignOutSaysSo(t *testing.T) {
	e := newEnv(t)
	notices := func(b *browser) []string {
		t.Helper()
		var out []string
		doc(t, b.get("/")).Find(`[data-testid="flash"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Text()))
		})
		return out
	}
	for path, want := range map[string]string{"/logout": "You are signed out.",
		"/logout/everywhere": "You are signed out on every device: each of your sessions has ended."} {
		b := e.browser()
		b.mustSignIn("bye@example.com")
		if res := b.post(path, url.Values{"_csrf": {b.csrf()}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s = %d, want 303", path, res.StatusCode)
		}
		if got := notices(b); len(got) != 1 || got[0] != want {
			t.Errorf("after POST %s the sign-in page says %q, want %q", path, got, want)
		}
		if got := notices(b); len(got) != 0 {
			t.Errorf("after POST %s the notice shows again: %q", path, got)
		}
	}
	b := e.browser()
	u, err := url.Parse(e.portal.URL)
	if err != nil {
		t.Fatal(err)
	}
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_notice", Value: "<script>alert(1)</script>", Path: "/"}})
	if got := notices(b); len(got) != 0 {
		t.Errorf("a forged notice cookie shows %q, want nothing", got)
	}
}
