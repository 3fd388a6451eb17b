package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

const testMetricsToken = "0123456789abcdef0123456789abcdef-metrics"

// scrape reads /metrics with the token.
func scrape(t *testing.T, e *env) string {
	t.Helper()
	res := e.browser().do(http.MethodGet, "/metrics", nil, map[string]string{"Authorization": "Bearer " + testMetricsToken})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics with the token: %d", res.StatusCode)
	}
	return readBody(res)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.metricsToken = testMetricsToken })
	ctx := context.Background()
	cl := newOAuthClient(t, e, "metrics@example.com")
	b := e.browser()
	for _, auth := range []string{"", "Bearer wrong", "Basic " + testMetricsToken} {
		hdr := map[string]string{}
		if auth != "" {
			hdr["Authorization"] = auth
		}
		if res := b.do(http.MethodGet, "/metrics", nil, hdr); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /metrics with %q: %d, want 401", auth, res.StatusCode)
		}
	}
	oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, cl.project.ID, cl.secret)
	oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, cl.project.ID, models.NewClientSecret())
	k, _, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	res := cl.owner.postForm("/projects/"+cl.project.ID+"/keys/"+k.ID+"/revoke", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	b.get("/statuslists/" + k.StatusListID)

	got := scrape(t, e)
	for _, want := range []string{
		`gatehouse_access_tokens_issued_total{grant="client_credentials"} 1`,
		`gatehouse_api_keys_revoked_total{via="page"} 1`,
		`gatehouse_client_auth_failures_total 1`,
		`gatehouse_http_requests_total{code="200",method="POST",route="/oauth/token"} 1`,
		`gatehouse_http_requests_total{code="401",method="POST",route="/oauth/token"} 1`,
		`gatehouse_http_requests_total{code="303",method="POST",route="/projects/:project/keys/:id/revoke"} 1`,
		`gatehouse_http_request_duration_seconds_bucket{method="GET",route="/statuslists/:id"`,
		`gatehouse_status_list_max_age_seconds`,
		`gatehouse_status_events_subscribers 0`,
		`gatehouse_status_list_rebuilds_total`,
		`gatehouse_client_cache_misses_total`,
		`gatehouse_signing_keys_published 1`,
		`go_sql_open_connections{db_name="gatehouse"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Route templates only: no object id becomes a series.
	if strings.Contains(got, cl.project.ID) || strings.Contains(got, k.StatusListID) {
		t.Error("a metric label carries an object id")
	}
	// The revocation made on the page reaches the project's usage counter.
	d := doc(t, cl.owner.b.get("/projects/"+cl.project.ID))
	if got := d.Find(`[data-testid="usage-revocations-today"]`).Text(); got != "1" {
		t.Errorf("revocations today on the project page = %q, want 1 (revoked on the page)", got)
	}
}

// Without a metrics token, /metrics does not exist on the main port.
func TestMetricsOffByDefault(t *testing.T) {
	e := newEnv(t)
	if res := e.browser().get("/metrics"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics without a configured token: %d, want 404", res.StatusCode)
	}
}
