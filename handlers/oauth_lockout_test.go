package handlers_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// behindProxy makes the test server's own address (loopback) a trusted proxy, so each
// request names its client address in X-Forwarded-For.
func behindProxy(o *envOptions) {
	_, n, _ := net.ParseCIDR("127.0.0.0/8")
	o.trustedProxies = []*net.IPNet{n}
}

// wantThrottled checks a 429 with Retry-After in seconds.
func wantThrottled(t *testing.T, res *http.Response, raw string) {
	t.Helper()
	wantOAuthError(t, res, raw, http.StatusTooManyRequests, "temporarily_unavailable")
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q, want seconds", ra)
	}
}

// A client_id is public: failures sent by others, from anywhere, never stop the right
// secret from working.
func TestNobodyLocksOutTheOwner(t *testing.T) {
	e := newEnv(t, behindProxy)
	cl := newOAuthClient(t, e, "lockout-owner@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}

	// Ten wrong secrets from ten addresses, and again, as an attacker could keep doing.
	for round := 0; round < 2; round++ {
		for i := 1; i <= 10; i++ {
			res, _, raw := oauthPostFrom(t, e, fmt.Sprintf("198.51.100.%d", i), "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
			wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
		}
	}
	// The owner, from a third address and from one the attacker used, is not refused.
	for _, from := range []string{"203.0.113.7", "198.51.100.1"} {
		if res, _, raw := oauthPostFrom(t, e, from, "/oauth/token", grant, cl.project.ID, cl.secret); res.StatusCode != http.StatusOK {
			t.Errorf("the right secret from %s after others' failures: %d %s", from, res.StatusCode, raw)
		}
	}
}

// The guesser is slowed: past the limit for one (client, address), that address gets
// 429 for further wrong secrets, while the right secret from it still works and other
// addresses are unaffected.
func TestGuessingFromOneAddressIsThrottled(t *testing.T) {
	e := newEnv(t, behindProxy)
	cl := newOAuthClient(t, e, "lockout-guess@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}
	const guesser = "198.51.100.20"
	for i := 0; i < 10; i++ {
		res, _, raw := oauthPostFrom(t, e, guesser, "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	}
	res, _, raw := oauthPostFrom(t, e, guesser, "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantThrottled(t, res, raw)
	// A misconfigured client that then gets its secret right is not kept out.
	if res, _, raw := oauthPostFrom(t, e, guesser, "/oauth/token", grant, cl.project.ID, cl.secret); res.StatusCode != http.StatusOK {
		t.Errorf("the right secret from the guessing address: %d %s", res.StatusCode, raw)
	}
	// Another address guessing the same client starts from zero.
	res, _, raw = oauthPostFrom(t, e, "198.51.100.21", "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	// After the window, the guesser's failures are plain 401s again.
	e.advance(61 * time.Second)
	res, _, raw = oauthPostFrom(t, e, guesser, "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
}

// Per address: one source guessing many clients is throttled, whatever client it names;
// a correct client sharing that address (behind NAT) still gets its tokens.
func TestGuessingManyClientsFromOneAddressIsThrottled(t *testing.T) {
	e := newEnv(t, behindProxy)
	cl := newOAuthClient(t, e, "lockout-spray@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}
	const sprayer = "198.51.100.30"
	for i := 0; i < 50; i++ {
		id := "prj_" + strings.Repeat(string(rune('a'+i%26)), 26)
		res, _, raw := oauthPostFrom(t, e, sprayer, "/oauth/token", grant, id, models.NewClientSecret())
		wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
	}
	res, _, raw := oauthPostFrom(t, e, sprayer, "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantThrottled(t, res, raw)
	// Malformed credentials from the same address are throttled too.
	res, _, raw = oauthPostFrom(t, e, sprayer, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.project.ID}, "client_secret": {"nope"}}, "", "")
	wantThrottled(t, res, raw)
	if res, _, raw := oauthPostFrom(t, e, sprayer, "/oauth/token", grant, cl.project.ID, cl.secret); res.StatusCode != http.StatusOK {
		t.Errorf("a correct client sharing the sprayer's address: %d %s", res.StatusCode, raw)
	}
	res, _, raw = oauthPostFrom(t, e, "198.51.100.31", "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantOAuthError(t, res, raw, http.StatusUnauthorized, "invalid_client")
}

// X-Forwarded-For is believed only from a configured trusted proxy: without one, a
// guesser cannot escape its per-address count by inventing addresses.
func TestForwardedForIsIgnoredFromUntrustedPeers(t *testing.T) {
	e := newEnv(t) // no trusted proxies
	cl := newOAuthClient(t, e, "lockout-xff@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i < 10; i++ {
		oauthPostFrom(t, e, fmt.Sprintf("192.0.2.%d", i), "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	}
	res, _, raw := oauthPostFrom(t, e, "192.0.2.99", "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantThrottled(t, res, raw)
}

// Behind a trusted proxy the client address is the rightmost one the proxy did not
// merely relay: addresses a client prepends itself are not believed.
func TestForwardedForChainFromTrustedProxy(t *testing.T) {
	e := newEnv(t, behindProxy)
	cl := newOAuthClient(t, e, "lockout-chain@example.com")
	grant := url.Values{"grant_type": {"client_credentials"}}
	for i := 0; i < 10; i++ {
		// The client forges a different first hop each time; the proxy appends the
		// real address (198.51.100.40), which is what counts.
		oauthPostFrom(t, e, fmt.Sprintf("10.9.9.%d, 198.51.100.40", i), "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	}
	res, _, raw := oauthPostFrom(t, e, "10.9.9.200, 198.51.100.40", "/oauth/token", grant, cl.project.ID, models.NewClientSecret())
	wantThrottled(t, res, raw)
}
