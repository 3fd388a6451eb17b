package store_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// benchReceiver is a local HTTPS receiver that notes when each event's subject (an API
// key's id) arrived and answers 204.
type benchReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	at  map[string]time.Time
}

func newBenchReceiver(b *testing.B) *benchReceiver {
	r := &benchReceiver{at: map[string]time.Time{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		now := time.Now()
		var ev struct {
			Data struct {
				SubjectID string `json:"subject_id"`
			} `json:"data"`
		}
		if err != nil || json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		if _, seen := r.at[ev.Data.SubjectID]; !seen {
			r.at[ev.Data.SubjectID] = now
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(r.srv.Close)
	return r
}

func (r *benchReceiver) tlsConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(r.srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

// arrived returns when the event about id arrived, if it has.
func (r *benchReceiver) arrived(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[id]
	return t, ok
}

// BenchmarkWebhookDelivery measures webhook delivery through the store to a local HTTPS
// receiver, beside the raw cost of one bare HTTPS POST to the same
// receiver over a kept-alive connection, in the same run:
//
//   - raw_https_post: one POST of an event-sized signed body (the floor);
//   - throughput: b.N api_key.created events committed first, then fanned out and
//     delivered, as the webhooks.deliver job does, back to back (events/s);
//   - latency: one event at a time, from its change's commit (CreateAPIKey returned)
//     to the receiver getting it, dispatching and delivering back to back: p50 and
//     p99 (the job's one-second interval comes on top in the portal).
//
// It runs on a SQLite file, and on PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set,
// each database with its own raw POST measured beside it.
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(db.name, func(b *testing.B) { benchWebhookDelivery(b, db.open(b)) })
	}
}

// benchWebhookDelivery is BenchmarkWebhookDelivery on one store.
func benchWebhookDelivery(b *testing.B, s *store.Store) {
	storetest.Signer(b, s)
	ctx := context.Background()
	u, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: "bench", Email: "bench@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	actor := models.Actor{User: u, IP: "127.0.0.1", UserAgent: "bench"}
	projects, err := s.ProjectsOf(ctx, actor)
	if err != nil {
		b.Fatalf("ProjectsOf: %v", err)
	}
	p := projects[0]
	in := models.APIKeyInput{Name: "bench", API: firstAPI(b, s, actor, p.TeamID).ID, TTL: time.Hour}
	recv := newBenchReceiver(b)
	s.SetWebhookClient(store.NewWebhookClient(true, recv.tlsConfig()))
	ep, secret, err := s.CreateWebhookEndpoint(ctx, actor, p.TeamID, models.WebhookEndpointInput{
		URL: recv.srv.URL + "/hook", Description: "bench", Events: []string{models.EventAPIKeyCreated}})
	if err != nil {
		b.Fatal(err)
	}
	// step is one run of the webhooks.deliver job, waiting for its sends.
	step := func() {
		if _, err := s.DispatchWebhooks(ctx); err != nil {
			b.Fatalf("dispatch: %v", err)
		}
		if err := s.DeliverWebhooks(ctx); err != nil {
			b.Fatalf("deliver: %v", err)
		}
		if err := s.WaitWebhooks(); err != nil {
			b.Fatalf("deliver: %v", err)
		}
	}
	// until steps until every key of ids has arrived, or fails after a minute.
	until := func(ids []string) {
		deadline := time.Now().Add(time.Minute)
		for {
			missing := 0
			for _, id := range ids {
				if _, ok := recv.arrived(id); !ok {
					missing++
				}
			}
			if missing == 0 {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d events not delivered within a minute", missing, len(ids))
			}
			step()
		}
	}
	step() // the sign-in's own events
	newKey := func() string {
		k, _, err := s.CreateAPIKey(ctx, actor, p.ID, in, "")
		if err != nil {
			b.Fatal(err)
		}
		return k.ID
	}

	b.Run("raw_https_post", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: recv.tlsConfig()}, Timeout: models.WebhookTimeout}
		defer client.CloseIdleConnections()
		body := fmt.Sprintf(`{"type":"api_key.created","timestamp":%q,"data":{"team_id":%q,"project_id":%q,"subject_id":"key_raw","api_id":%q,"audiences":["orders-api"]}}`,
			time.Now().UTC().Format(time.RFC3339Nano), p.TeamID, p.ID, in.API)
		sig, err := models.WebhookSignature(secret, "evt_raw", time.Now().Unix(), []byte(body))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			req, err := http.NewRequest(http.MethodPost, recv.srv.URL+"/hook", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("webhook-id", "evt_raw")
			req.Header.Set("webhook-signature", sig)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusNoContent {
				b.Fatalf("raw POST: %d %v", res.StatusCode, err)
			}
		}
	})

	b.Run("throughput", func(b *testing.B) {
		b.StopTimer()
		ids := make([]string, b.N)
		for i := range ids {
			ids[i] = newKey()
		}
		b.StartTimer()
		start := time.Now()
		until(ids)
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})

	b.Run("latency", func(b *testing.B) {
		delays := make([]time.Duration, 0, b.N)
		for b.Loop() {
			id := newKey()
			committed := time.Now()
			until([]string{id})
			at, _ := recv.arrived(id)
			delays = append(delays, at.Sub(committed))
		}
		slices.Sort(delays)
		pct := func(q float64) float64 {
			return float64(delays[min(len(delays)-1, int(q*float64(len(delays))))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
	})

	ds, err := s.WebhookDeliveries(ctx, actor, p.TeamID, ep.ID, 1)
	if err != nil || len(ds) != 1 || ds[0].Status != models.DeliveryDelivered {
		b.Fatalf("the last delivery: %+v %v", ds, err)
	}
}
