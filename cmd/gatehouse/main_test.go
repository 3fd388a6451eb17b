package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/jobs"
)

// TestBackgroundJobs pins what `serve` runs in the background and how often: other
// instances' revocations and ring changes must show within a second (the two-instance
// end-to-end test relies on it), the usage counts get a final flush, and webhook sends
// still going are waited for. Every job has
// a message of its own for its failures, and the runner accepts the list.
func TestBackgroundJobs(t *testing.T) {
	type want struct {
		every  time.Duration
		atStop bool
	}
	wants := map[string]want{
		"caches.refresh":            {time.Second, false},
		"signer.refresh":            {time.Second, false},
		"signer.maintain":           {time.Minute, false},
		"usage.flush":               {10 * time.Second, true},
		"last_used.flush":           {10 * time.Second, true},
		"sessions.prune":            {10 * time.Minute, false},
		"auth_failures.prune":       {5 * time.Minute, false},
		"assertions.prune":          {5 * time.Minute, false},
		"dpop_proofs.prune":         {5 * time.Minute, false},
		"authorization_codes.prune": {5 * time.Minute, false},
		"reference_tokens.prune":    {5 * time.Minute, false},
		"refresh_tokens.prune":      {time.Hour, false},
		"status_changes.prune":      {10 * time.Minute, false},
		"webhooks.deliver":          {time.Second, true},
		"webhooks.expiring":         {10 * time.Minute, false},
		"webhooks.prune":            {10 * time.Minute, false},
	}
	// The functions are not called here: the nil receivers are never used.
	list := backgroundJobs(nil, nil, nil, nil, models.DefaultSessionPolicy, models.WebhookRetention, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := &jobs.Runner{}
	seen := map[string]bool{}
	for _, j := range list {
		r.Add(j)
		seen[j.Name] = true
		w, ok := wants[j.Name]
		switch {
		case !ok:
			t.Errorf("job %q: not expected", j.Name)
		case j.Every != w.every:
			t.Errorf("job %q: every %s, want %s", j.Name, j.Every, w.every)
		case (j.AtStop != nil) != w.atStop:
			t.Errorf("job %q: has a final step %v, want %v", j.Name, j.AtStop != nil, w.atStop)
		}
		if j.Failed == "" {
			t.Errorf("job %q: no failure message of its own", j.Name)
		}
	}
	for name := range wants {
		if !seen[name] {
			t.Errorf("job %q: missing", name)
		}
	}
}

// TestJobMetrics: /metrics shows each job's runs, failures and whether it is failing,
// and when it last succeeded once it has.
func TestJobMetrics(t *testing.T) {
	r := &jobs.Runner{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	never := func(context.Context) error { return errors.New("not run in this test") }
	r.Add(jobs.Job{Name: "flush", Every: time.Hour, Run: never,
		AtStop: func(context.Context) error { return errors.New("database gone") }})
	r.Add(jobs.Job{Name: "tidy", Every: time.Hour, Run: never,
		AtStop: func(context.Context) error { return nil }})
	r.Add(jobs.Job{Name: "idle", Every: time.Hour, Run: never})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Run(ctx) // only the final steps run

	reg := prometheus.NewRegistry()
	reg.MustRegister(newJobMetrics(r))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`gatehouse_job_runs_total{job="flush"} 1`,
		`gatehouse_job_failures_total{job="flush"} 1`,
		`gatehouse_job_failing{job="flush"} 1`,
		`gatehouse_job_runs_total{job="tidy"} 1`,
		`gatehouse_job_failures_total{job="tidy"} 0`,
		`gatehouse_job_failing{job="tidy"} 0`,
		`gatehouse_job_runs_total{job="idle"} 0`,
		`gatehouse_job_failing{job="idle"} 0`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("metrics: no line %q in\n%s", line, body)
		}
	}
	if !strings.Contains(body, `gatehouse_job_last_success_timestamp_seconds{job="tidy"} `) {
		t.Errorf("metrics: no last success for the job that succeeded in\n%s", body)
	}
	for _, job := range []string{"flush", "idle"} {
		if strings.Contains(body, `gatehouse_job_last_success_timestamp_seconds{job="`+job+`"}`) {
			t.Errorf("metrics: a last success for %q, which never succeeded", job)
		}
	}
}
