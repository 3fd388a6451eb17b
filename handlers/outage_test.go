package handlers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/storetest"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// statusListClaims reads iat and exp of a status list token (unverified: verify below
// checks it as an API would).
func statusListTimes(t *testing.T, token string) (iat, exp int64) {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.Iat, c.Exp
}

// Through a database outage longer than two status-list ttls, the JWKS and the status
// lists keep being served, re-signed from memory (with a revocation made just before
// the outage), so offline verifiers keep their revocation data; readiness says the
// database is down; when the database returns, the portal recovers without a restart.
func TestStatusListsSurviveADatabaseOutage(t *testing.T) {
	store, outage := storetest.PostgresWithOutage(t)
	e := newEnv(t, func(o *envOptions) { o.store = store })
	ctx := context.Background()
	cl := newOAuthClient(t, e, "outage@example.com")
	kept, keptToken, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	gone, goneToken, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	list := "/statuslists/" + kept.StatusListID
	// A client that never got a token, and (below) one that got one before the outage.
	grant := url.Values{"grant_type": {"client_credentials"}}
	_, newcomer, err := e.store.CreateClientSecret(ctx, cl.owner.actor, cl.project.ID, "newcomer", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if res := b.get(list); res.StatusCode != http.StatusOK {
		t.Fatalf("status list before the outage: %d", res.StatusCode)
	}
	if err := e.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if res, _, raw := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, cl.secret); res.StatusCode != http.StatusOK {
		t.Fatalf("token before the outage: %d %s", res.StatusCode, raw)
	}

	outage.Down()
	ttl := e.signer.Config().StatusListTTL
	for step := 0; step < 5; step++ { // 5 × 0.6 ttl: over two ttls of outage
		e.advance(ttl * 6 / 10)
		res := b.get(list)
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status list %s into the outage: %d %s", time.Duration(step+1)*ttl*6/10, res.StatusCode, body)
		}
		iat, exp := statusListTimes(t, body)
		if now := e.clock().Unix(); iat < now-int64(ttl/time.Second) || exp <= now {
			t.Errorf("status list %s into the outage: iat %d exp %d at %d, want re-signed and valid", time.Duration(step+1)*ttl*6/10, iat, exp, now)
		}
		if res := b.get("/.well-known/jwks.json"); res.StatusCode != http.StatusOK {
			t.Errorf("JWKS in the outage: %d", res.StatusCode)
		}
	}
	// Known clients keep getting tokens; a client the portal cannot check is told to
	// retry, not that its credentials are wrong.
	if res, body, raw := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, cl.secret); res.StatusCode != http.StatusOK {
		t.Errorf("token for a known client in the outage: %d %s", res.StatusCode, raw)
	} else if _, err := occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock)).Verify(ctx, body["access_token"].(string)); err != nil {
		t.Errorf("the token issued in the outage: %v", err)
	}
	res, _, raw := oauthPost(t, e, "/oauth/token", grant, cl.project.ID, newcomer)
	wantOAuthError(t, res, raw, http.StatusServiceUnavailable, "temporarily_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if res := b.get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz in the outage: %d, want 503", res.StatusCode)
	}
	if res := b.get("/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz in the outage: %d, want 200", res.StatusCode)
	}
	// The bits in memory are current (the change log keeps them so): the list is
	// re-signed from them, and the outage is not even noticed by it.
	if e.signer.StatusListResigns() == 0 && e.signer.StatusListOutages() == 0 {
		t.Error("the list was neither re-signed from memory nor counted as served through an outage")
	}
	// An API that starts now, against the portal in the outage, gets the list and sees
	// the revocation made just before it.
	v, err := verify.New(ctx, e.portal.URL, verify.Audience(cl.api.Identifier), verify.HTTPClient(http.DefaultClient),
		verify.Clock(e.clock))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(ctx, keptToken); err != nil {
		t.Errorf("a live key in the outage: %v", err)
	}
	if _, err := v.Verify(ctx, goneToken); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("a key revoked before the outage: %v, want ErrRevoked", err)
	}

	// The database returns: no restart, and revocations flow again.
	outage.Up()
	if !eventually(20*time.Second, func() bool { return b.get("/readyz").StatusCode == http.StatusOK }) {
		t.Fatal("/readyz did not recover after the database returned")
	}
	if err := e.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, kept.ID); err != nil {
		t.Fatalf("revoking after the outage: %v", err)
	}
	v2, err := verify.New(ctx, e.portal.URL, verify.Audience(cl.api.Identifier), verify.HTTPClient(http.DefaultClient),
		verify.Clock(e.clock))
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if _, err := v2.Verify(ctx, keptToken); !errors.Is(err, verify.ErrRevoked) {
		t.Errorf("a key revoked after the outage: %v, want ErrRevoked", err)
	}
}

// eventually polls cond every 50 ms until it holds (true) or timeout passes (false): a
// wait on a condition with a deadline, for state another goroutine or process changes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
	return true
}
