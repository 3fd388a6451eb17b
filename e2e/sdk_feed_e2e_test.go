package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// feedMetricsToken opens the portal's /metrics in TestSDKRevocationFeed.
const feedMetricsToken = "feed-metrics-token-0123456789abcdef"

// feedSubscribers reads the portal's gatehouse_status_events_subscribers gauge.
func feedSubscribers(t *testing.T, p *portal) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+feedMetricsToken)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "gatehouse_status_events_subscribers "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("gatehouse_status_events_subscribers %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no gatehouse_status_events_subscribers in /metrics")
	return 0
}

// waitFor polls cond every 50 ms until it holds, failing the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		<-tick.C
	}
}

// feedStatusTTL is the status lists' ttl in TestSDKRevocationFeed: far longer than the
// test waits, so a revoked key refused in time was refused by the pushed event, not by
// a list fetched again.
const feedStatusTTL = 30 * time.Minute

// TestSDKRevocationFeed runs the Node.js (Express, Fastify) and Python example APIs unmodified against a
// real portal whose status lists live 30 minutes: each subscribes to the portal's
// revocation feed (on by default, offered in the metadata), so a key revoked in the
// portal is refused long before any list could be fetched again, while another key
// of the same list keeps working.
func TestSDKRevocationFeed(t *testing.T) {
	t.Parallel()
	for _, c := range sdkExamples {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name, args, env := c.run(t)
			p := startPortal(t, "GATEHOUSE_STATUS_LIST_TTL="+feedStatusTTL.String(), "GATEHOUSE_STATUS_LIST_VALIDITY=2h",
				"GATEHOUSE_METRICS_TOKEN="+feedMetricsToken)
			u, pr := vfSignInWithProject(t, p, "feed@example.com", "Feed Developer")
			reader := u.createKey(t, pr, "reader", "orders:read")
			other := u.createKey(t, pr, "other", "orders:read")
			api := startSDKAPI(t, p.URL, pr.Audience, env, name, args...)
			client := &http.Client{Timeout: vfRequestTimeout}
			orders := api.URL + "/orders"
			// Both keys pass: the API now holds their status list, for 30 minutes.
			for _, k := range []vfKey{reader, other} {
				if a := vfCall(t, client, http.MethodGet, orders, vfBearer(k.Token)...); a.status != http.StatusOK {
					t.Fatalf("GET /orders with a live key: got %s; want 200", a)
				}
			}
			// Wait for the API's feed connection (the portal's subscriber gauge), so the
			// revocation below is one it must receive.
			waitFor(t, "the API to subscribe to the revocation feed", 20*time.Second, func() bool {
				return feedSubscribers(t, p) >= 1
			})
			u.revokeKey(t, pr, reader.ID)
			revokedAt := time.Now()
			waitFor(t, "the revoked key to be refused", 20*time.Second, func() bool {
				a := vfCall(t, client, http.MethodGet, orders, vfBearer(reader.Token)...)
				if a.status != http.StatusOK && (a.status != http.StatusUnauthorized || a.params["error_description"] != "revoked") {
					t.Fatalf("GET /orders with the key being revoked: got %s; want 200, then 401 \"revoked\"", a)
				}
				return a.status == http.StatusUnauthorized
			})
			t.Logf("%s refused the revoked key %s after the portal's answer (list ttl %s)", c.name,
				time.Since(revokedAt).Round(time.Millisecond), feedStatusTTL)
			if a := vfCall(t, client, http.MethodGet, orders, vfBearer(other.Token)...); a.status != http.StatusOK {
				t.Errorf("GET /orders with the other key of the list: got %s; want 200", a)
			}
		})
	}
}
