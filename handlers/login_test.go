package handlers_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	res := b.signIn("Alice@Example.com", "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("callback = %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("callback Cache-Control = %q, want no-store", got)
	}

	// The dashboard shows the personal team.
	d := doc(t, b.get("/"))
	if d.Find(`[data-testid="dashboard"]`).Length() != 1 {
		t.Fatalf("GET / after sign-in did not render the dashboard")
	}
	if got := strings.TrimSpace(d.Find(`[data-testid="team-card"]`).First().Text()); !strings.Contains(got, "alice's team") {
		t.Errorf("team card = %q, want the personal team \"alice's team\"", got)
	}

	// The user exists as (issuer, subject), with the email from the ID token.
	u, err := e.store.UserByIdentity(context.Background(), e.issuer, devoidc.Subject("alice@example.com"))
	if err != nil {
		t.Fatalf("user not stored after sign-in: %v", err)
	}
	if u.Email != "alice@example.com" {
		t.Errorf("email = %q, want alice@example.com", u.Email)
	}
	teams, err := e.store.TeamsOf(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("TeamsOf: %v", err)
	}
	if len(teams) != 1 || !teams[0].Team.Personal || teams[0].Role != models.RoleOwner {
		t.Errorf("teams = %+v, want one personal team owned by the user", teams)
	}

	// Signing in again refreshes the name and keeps the same account.
	b2 := e.browser()
	b2.mustSignIn("alice@example.com")
	again, err := e.store.UserByIdentity(context.Background(), e.issuer, devoidc.Subject("alice@example.com"))
	if err != nil {
		t.Fatalf("UserByIdentity: %v", err)
	}
	if again.ID != u.ID {
		t.Errorf("second sign-in made user %s, want %s", again.ID, u.ID)
	}
}

func TestSignInReturnsToRequestedPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.get("/account")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous GET /account = %d, want 303", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc.Path != "/login" || loc.Query().Get("return_to") != "/account" {
		t.Fatalf("redirected to %q, want /login?return_to=/account", loc)
	}
	res = b.signIn("bob@example.com", "/account")
	if got := res.Header.Get("Location"); got != "/account" {
		t.Errorf("landed on %q, want /account", got)
	}
}

func TestReturnToOpenRedirect(t *testing.T) {
	e := newEnv(t)
	for _, evil := range []string{
		"//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/x", "http:evil.example",
		"javascript:alert(1)", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%252F%252Fevil.example",
		"/%5Cevil.example", "/\t/evil.example", "/\x00", "//evil.example/%2e%2e", "evil.example", "/login?x=1",
		"/auth/callback?state=x",
	} {
		b := e.browser()
		res := b.signIn("mallory@example.com", evil)
		if got := res.Header.Get("Location"); got != "/" {
			t.Errorf("return_to=%q landed on %q, want /", evil, got)
		}
	}
	for _, ok := range []string{"/account", "/teams/team_x?tab=members"} {
		b := e.browser()
		if got := b.signIn("mallory@example.com", ok).Header.Get("Location"); got != ok {
			t.Errorf("return_to=%q landed on %q, want it kept", ok, got)
		}
	}
}

// rejected asserts a callback answer is the sign-in page with an error, that nobody is
// signed in, and that no user was created for email.
func rejected(t *testing.T, e *env, b *browser, res *http.Response, email, wantMsg string) {
	t.Helper()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400; location %q", res.StatusCode, res.Header.Get("Location"))
	}
	msg := strings.TrimSpace(doc(t, res).Find(`[data-testid="sign-in-error"]`).Text())
	if !strings.Contains(msg, wantMsg) {
		t.Errorf("error message = %q, want it to contain %q", msg, wantMsg)
	}
	if b.signedIn() {
		t.Error("browser is signed in after a rejected callback")
	}
	if email != "" {
		if _, err := e.store.UserByIdentity(context.Background(), e.issuer, devoidc.Subject(email)); err != models.ErrNotFound {
			t.Errorf("user lookup after rejected sign-in: err = %v, want ErrNotFound (nothing written)", err)
		}
	}
}

func TestCallbackRejects(t *testing.T) {
	t.Run("WrongState", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		cb, _ := url.Parse(b.authorize(b.startLogin(""), "eve@example.com"))
		q := cb.Query()
		q.Set("state", "forged-"+q.Get("state"))
		cb.RawQuery = q.Encode()
		rejected(t, e, b, b.get(cb.String()), "eve@example.com", "did not match")
	})

	t.Run("NoLoginInThisBrowser", func(t *testing.T) {
		e := newEnv(t)
		victim, attacker := e.browser(), e.browser()
		cb := attacker.authorize(attacker.startLogin(""), "attacker@example.com")
		// Login CSRF: the attacker's callback URL opened in the victim's browser.
		rejected(t, e, victim, victim.get(cb), "attacker@example.com", "already been used or was started in another browser")
	})

	t.Run("ReplayedCallback", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		cb := b.authorize(b.startLogin(""), "replay@example.com")
		if res := b.get(cb); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first callback = %d, want 303", res.StatusCode)
		}
		// Same browser signs out, then replays the callback.
		tok := b.csrf()
		b.post("/logout", url.Values{"_csrf": {tok}}, nil)
		res := b.get(cb)
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed callback = %d, want 400", res.StatusCode)
		}
		if b.signedIn() {
			t.Error("replayed callback signed the browser in")
		}
		// Another browser replaying it fails too.
		other := e.browser()
		rejected(t, e, other, other.get(cb), "", "already been used")
	})

	t.Run("WrongNonce", func(t *testing.T) {
		e := newEnv(t)
		e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.URL.Path == "/authorize" {
				q := r.URL.Query()
				q.Set("nonce", "nonce-from-another-flow")
				r.URL.RawQuery = q.Encode()
			}
			next.ServeHTTP(w, r)
		})
		b := e.browser()
		rejected(t, e, b, b.signIn("nonce@example.com", ""), "nonce@example.com", "not issued for this sign-in")
	})

	t.Run("TamperedIDTokenSignature", func(t *testing.T) {
		e := newEnv(t)
		e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.URL.Path != "/oauth/token" {
				next.ServeHTTP(w, r)
				return
			}
			rewriteJSON(w, r, next, func(body map[string]any) {
				tok := body["id_token"].(string)
				parts := strings.Split(tok, ".")
				sig := []byte(parts[2])
				sig[10] ^= 0x01
				if sig[10] == '.' || sig[10] == '=' {
					sig[10] = 'A'
				}
				parts[2] = string(sig)
				body["id_token"] = strings.Join(parts, ".")
			})
		})
		b := e.browser()
		rejected(t, e, b, b.signIn("tamper@example.com", ""), "tamper@example.com", "could not be verified")
	})

	t.Run("TamperedIDTokenClaims", func(t *testing.T) {
		e := newEnv(t)
		e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.URL.Path != "/oauth/token" {
				next.ServeHTTP(w, r)
				return
			}
			rewriteJSON(w, r, next, func(body map[string]any) {
				parts := strings.Split(body["id_token"].(string), ".")
				claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
				claims = []byte(strings.Replace(string(claims), `"sub":"`, `"sub":"admin`, 1))
				parts[1] = base64.RawURLEncoding.EncodeToString(claims)
				body["id_token"] = strings.Join(parts, ".")
			})
		})
		b := e.browser()
		rejected(t, e, b, b.signIn("claims@example.com", ""), "claims@example.com", "could not be verified")
	})

	t.Run("UnsignedIDToken", func(t *testing.T) {
		e := newEnv(t)
		e.setTamper(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.URL.Path != "/oauth/token" {
				next.ServeHTTP(w, r)
				return
			}
			rewriteJSON(w, r, next, func(body map[string]any) {
				parts := strings.Split(body["id_token"].(string), ".")
				none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
				body["id_token"] = none + "." + parts[1] + "."
			})
		})
		b := e.browser()
		rejected(t, e, b, b.signIn("none@example.com", ""), "none@example.com", "could not be verified")
	})

	t.Run("ProviderError", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		auth, _ := url.Parse(b.startLogin(""))
		state := auth.Query().Get("state")
		res := b.get("/auth/callback?error=access_denied&state=" + url.QueryEscape(state))
		rejected(t, e, b, res, "", "cancelled")
	})

	t.Run("ExpiredAttempt", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		cb := b.authorize(b.startLogin(""), "slow@example.com")
		e.advance(11 * 60 * 1e9)
		rejected(t, e, b, b.get(cb), "slow@example.com", "")
	})
}

func TestProviderDownShowsClearPage(t *testing.T) {
	e := newEnv(t)
	e.idp.Close()
	res := e.browser().get("/login")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /login with the provider down = %d, want 503", res.StatusCode)
	}
	if msg := doc(t, res).Find(`[data-testid="sign-in-error"]`).Text(); !strings.Contains(msg, "cannot be reached") {
		t.Errorf("message = %q, want it to say the provider cannot be reached", msg)
	}
}
