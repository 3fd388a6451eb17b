package store_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an HTTPS endpoint under test: it records what it gets and answers with
// status (200 unless set).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{status: http.StatusOK}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body})
		status := r.status
		r.mu.Unlock()
		if status == http.StatusFound {
			http.Redirect(w, req, "https://example.com/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setStatus(code int) { r.mu.Lock(); r.status = code; r.mu.Unlock() }

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// client trusts the receiver's certificate and allows loopback (the test seam).
func (r *receiver) client(allowLoopback bool) *store.WebhookClient {
	pool := x509.NewCertPool()
	pool.AddCert(r.srv.Certificate())
	return store.NewWebhookClient(allowLoopback, &tls.Config{RootCAs: pool})
}

// hookWorld is a team with a signer, a receiver and a clock the test moves.
type hookWorld struct {
	*world
	clock *ckClock
	recv  *receiver
	p     *testProject
}

func newHookWorld(t *testing.T, s *store.Store) *hookWorld {
	t.Helper()
	storetest.Signer(t, s)
	clock := newCKClock(s)
	w := newWorld(t, s)
	r := newReceiver(t)
	s.SetWebhookClient(r.client(true))
	return &hookWorld{world: w, clock: clock, recv: r, p: keyProject(t, s, w)}
}

func (h *hookWorld) endpoint(t *testing.T, events ...string) (*models.WebhookEndpoint, string) {
	t.Helper()
	ep, secret, err := h.s.CreateWebhookEndpoint(context.Background(), h.admin, h.team.ID,
		models.WebhookEndpointInput{URL: h.recv.srv.URL + "/hook", Description: "test", Events: events})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return ep, secret
}

func (h *hookWorld) key(t *testing.T, name string) *models.APIKey {
	t.Helper()
	k, _, err := h.s.CreateAPIKey(context.Background(), h.developer, h.p.ID, models.APIKeyInput{
		Name: name, Scopes: []string{"orders:read"}, API: h.p.api, TTL: 60 * 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// run dispatches and delivers once, as the job does.
func run(t *testing.T, s *store.Store) {
	t.Helper()
	if _, err := s.DispatchWebhooks(context.Background()); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	if err := s.DeliverWebhooks(context.Background()); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	if err := s.WaitWebhooks(); err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

// pythonVerify runs the README's verifier on a received request; "" means it passed.
func pythonVerify(t *testing.T, secret string, r received) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	i := strings.Index(doc, "### Verifying a delivery")
	if i < 0 {
		t.Fatal("README has no Verifying a delivery section")
	}
	start := strings.Index(doc[i:], "```python\n") + i + len("```python\n")
	end := strings.Index(doc[start:], "```") + start
	harness := doc[start:end] + `
import json, sys
msg = json.load(sys.stdin)
try:
    verify_webhook(msg["secret"], msg["headers"], msg["body"].encode())
    print("ok")
except (ValueError, KeyError) as e:
    print("refused:", e)
`
	headers := map[string]string{}
	for k := range r.header {
		headers[strings.ToLower(k)] = r.header.Get(k)
	}
	in, _ := json.Marshal(map[string]any{"secret": secret, "headers": headers, "body": string(r.body)})
	cmd := exec.Command("python3", "-c", harness)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python verifier: %v\n%s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "ok" {
		return s
	}
	return ""
}

func TestWebhookEndpointRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		ep, secret := h.endpoint(t, models.EventAPIKeyCreated)
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
			t.Errorf("secret %q: want whsec_ + base64 of 32 bytes", secret)
		}
		if strings.Contains(ep.SecretEnc, strings.TrimPrefix(secret, "whsec_")) {
			t.Error("the secret is stored in the clear")
		}
		if s.Dialect() == store.SQLite && strings.Contains(storetest.Dump(t, s), strings.TrimPrefix(secret, "whsec_")) {
			t.Error("the database holds the secret in the clear")
		}
		in := models.WebhookEndpointInput{URL: "https://hooks.example.com/x", Events: []string{models.EventAPIKeyCreated}}
		if _, _, err := s.CreateWebhookEndpoint(ctx, h.developer, h.team.ID, in); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer creates an endpoint: %v, want ErrForbidden", err)
		}
		if _, _, err := s.CreateWebhookEndpoint(ctx, h.outsider, h.team.ID, in); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider creates an endpoint: %v, want ErrNotFound", err)
		}
		if _, err := s.WebhookEndpoints(ctx, h.viewer, h.team.ID); err != nil {
			t.Errorf("a viewer lists endpoints: %v", err)
		}
		if err := s.DeleteWebhookEndpoint(ctx, h.admin, h.outsiderTeam, ep.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("delete through another team: %v, want ErrNotFound", err)
		}
		// Refused at registration (with the production client: no loopback).
		prod := store.NewWebhookClient(false, nil)
		prod.Resolve = func(_ context.Context, host string) ([]net.IP, error) {
			if host == "internal.example.com" {
				return []net.IP{net.ParseIP("10.1.2.3")}, nil
			}
			return nil, errors.New("no such host")
		}
		s.SetWebhookClient(prod)
		for _, u := range []string{"http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.0.0.8/x",
			"https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://localhost/x", "https://internal.example.com/x",
			"https://user:pw@hooks.example.com/x", "ftp://hooks.example.com/x", ""} {
			in.URL = u
			_, _, err := s.CreateWebhookEndpoint(ctx, h.admin, h.team.ID, in)
			if f, ok := validationField(err, "url"); !ok || f == "" {
				t.Errorf("URL %q: %v, want a url validation error", u, err)
			}
		}
		in.URL, in.Events = "https://hooks.example.com/x", []string{"api_key.created", "nonsense"}
		if _, ok := validationField(func() error { _, _, err := s.CreateWebhookEndpoint(ctx, h.admin, h.team.ID, in); return err }(), "events"); !ok {
			t.Error("an unknown event type was accepted")
		}
	})
}

func TestWebhookFanOutOrderAndSignature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		run(t, s) // the world's own events (members joining) have no endpoint yet
		ep, secret := h.endpoint(t, models.EventAPIKeyCreated, models.EventAPIKeyRevoked)
		members, _ := h.endpoint(t, models.EventMemberAdded)
		off, _ := h.endpoint(t, models.EventAPIKeyCreated)
		if err := s.SetWebhookEnabled(ctx, h.owner, h.team.ID, off.ID, false); err != nil {
			t.Fatal(err)
		}
		var keys []*models.APIKey
		for _, n := range []string{"a", "b", "c"} {
			keys = append(keys, h.key(t, n))
		}
		if err := s.RevokeAPIKey(ctx, h.developer, h.p.ID, keys[1].ID); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		got := h.recv.requests()
		if len(got) != 4 {
			t.Fatalf("receiver got %d requests, want 4 (3 created, 1 revoked, to one endpoint)", len(got))
		}
		events, err := s.Outbox(ctx, models.OutboxFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, ev := range events {
			if ev.TeamID == h.team.ID && (ev.Type == models.EventAPIKeyCreated || ev.Type == models.EventAPIKeyRevoked) {
				want = append(want, ev.ID)
			}
		}
		for i, r := range got {
			if id := r.header.Get("webhook-id"); i >= len(want) || id != want[i] {
				t.Errorf("request %d: webhook-id %s, want the outbox order %v", i, id, want)
			}
			var body struct {
				Type      string         `json:"type"`
				Timestamp string         `json:"timestamp"`
				Data      map[string]any `json:"data"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil || body.Type == "" || body.Timestamp == "" || body.Data["team_id"] != h.team.ID {
				t.Errorf("request %d: body %s (%v)", i, r.body, err)
			}
			if msg := pythonVerify(t, secret, r); msg != "" {
				t.Errorf("request %d: the independent verifier refused it: %s", i, msg)
			}
		}
		// An independent verifier refuses a wrong secret and a changed body.
		if pythonVerify(t, models.NewWebhookSecret(), got[0]) == "" {
			t.Error("verified with a wrong secret")
		}
		tampered := got[0]
		tampered.body = []byte(strings.Replace(string(tampered.body), `"type"`, `"type" `, 1))
		if pythonVerify(t, secret, tampered) == "" {
			t.Error("verified a changed body")
		}
		for _, id := range []string{members.ID, off.ID} {
			ds, _ := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, id, 0)
			if len(ds) != 0 {
				t.Errorf("endpoint %s (not subscribed or disabled) has %d deliveries", id, len(ds))
			}
		}
		ds, err := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 0)
		if err != nil || len(ds) != 4 || ds[0].Status != models.DeliveryDelivered || ds[0].ResponseCode != 200 || ds[0].Attempts != 1 {
			t.Fatalf("delivery log: %+v %v", ds, err)
		}
		// Running again sends nothing twice.
		run(t, s)
		if n := len(h.recv.requests()); n != 4 {
			t.Errorf("a second run sent again: %d requests", n)
		}
		// Redelivery repeats the same id and body; a test event arrives too.
		if err := s.RedeliverWebhook(ctx, h.admin, h.team.ID, ep.ID, ds[3].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RedeliverWebhook(ctx, h.developer, h.team.ID, ep.ID, ds[3].ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer redelivers: %v", err)
		}
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		got = h.recv.requests()
		if len(got) != 6 || got[4].header.Get("webhook-id") != ds[3].EventID || string(got[4].body) != ds[3].Payload ||
			!strings.Contains(string(got[5].body), `"webhook.test"`) {
			t.Errorf("redelivery and test event: %d requests", len(got))
		}
		// A timestamp too old is refused by the verifier even with a good signature.
		h.clock.Advance(-10 * time.Minute)
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		got = h.recv.requests()
		h.clock.Advance(10 * time.Minute)
		if msg := pythonVerify(t, secret, got[len(got)-1]); !strings.Contains(msg, "timestamp") {
			t.Errorf("an old timestamp: verifier said %q", msg)
		}
	})
}

func TestWebhookRotationSignsWithBoth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		ep, oldSecret := h.endpoint(t, models.EventAPIKeyCreated)
		newSecret, err := s.RotateWebhookSecret(ctx, h.admin, h.team.ID, ep.ID)
		if err != nil || newSecret == oldSecret {
			t.Fatalf("rotate: %v", err)
		}
		h.key(t, "a")
		run(t, s)
		got := h.recv.requests()
		if len(got) != 1 || len(strings.Fields(got[0].header.Get("webhook-signature"))) != 2 {
			t.Fatalf("during the overlap: %d requests, want one with two signatures", len(got))
		}
		for _, sec := range []string{oldSecret, newSecret} {
			if msg := pythonVerify(t, sec, got[0]); msg != "" {
				t.Errorf("during the overlap a secret does not verify: %s", msg)
			}
		}
		// Past the overlap only the new secret signs.
		s.SetClock(func() time.Time { return time.Now().Add(models.WebhookSecretOverlap + time.Minute) })
		h.key(t, "b")
		run(t, s)
		got = h.recv.requests()
		if sigs := strings.Fields(got[1].header.Get("webhook-signature")); len(sigs) != 1 {
			t.Errorf("after the overlap: %d signatures, want 1", len(sigs))
		}
	})
}

func TestWebhookBackoffGiveUpAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		ep, _ := h.endpoint(t, models.EventAPIKeyCreated)
		h.recv.setStatus(http.StatusServiceUnavailable)
		h.key(t, "first")
		h.key(t, "second")
		start := h.clock.Now()
		run(t, s)
		log := func() []models.WebhookDelivery {
			ds, err := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 0)
			if err != nil || len(ds) != 2 {
				t.Fatalf("deliveries: %v %v", ds, err)
			}
			return ds // newest first: ds[1] is the first event
		}
		ds := log()
		first := ds[1]
		if first.Attempts != 1 || first.ResponseCode != 503 || first.Status != models.DeliveryPending {
			t.Fatalf("after one failure: %+v", first)
		}
		if wait := first.NextAttemptAt.Sub(start); wait < 4*time.Second || wait > 6*time.Second {
			t.Errorf("first retry after %s, want 5 s ± 20%%", wait)
		}
		// Not due yet: nothing is sent; the second event waits behind the first.
		run(t, s)
		if n := len(h.recv.requests()); n != 1 {
			t.Errorf("%d requests before the retry is due, want 1", n)
		}
		prev := 5 * time.Second
		for n := 2; n <= 5; n++ {
			h.clock.Advance(time.Hour)
			run(t, s)
			d := log()[1]
			if d.Attempts != n {
				t.Fatalf("attempt %d: recorded %d", n, d.Attempts)
			}
			want := 2 * prev
			if wait := d.NextAttemptAt.Sub(h.clock.Now()); wait < want*8/10 || wait > want*12/10 {
				t.Errorf("after attempt %d: wait %s, want %s ± 20%%", n, wait, want)
			}
			prev = want
		}
		for _, r := range h.recv.requests() {
			if r.header.Get("webhook-id") != first.EventID {
				t.Fatal("the second event was sent while the first was still being retried")
			}
		}
		// Failing for 24 h: the delivery gives up and the endpoint is disabled.
		for h.clock.Now().Sub(start) < 25*time.Hour {
			h.clock.Advance(time.Hour)
			run(t, s)
		}
		ds = log()
		if ds[1].Status != models.DeliveryFailed {
			t.Errorf("after 25 h the first delivery is %s, want failed", ds[1].Status)
		}
		if ds[1].LastAttemptAt.Sub(*ds[1].FirstAttemptAt) < models.WebhookRetryFor {
			t.Errorf("gave up after %s, want 24 h", ds[1].LastAttemptAt.Sub(*ds[1].FirstAttemptAt))
		}
		got, _ := s.WebhookEndpoint(ctx, h.viewer, h.team.ID, ep.ID)
		if got.Enabled || !strings.Contains(got.DisabledReason, "disabled automatically") {
			t.Errorf("endpoint after 24 h of failure: enabled %v, reason %q", got.Enabled, got.DisabledReason)
		}
		audit, _, _ := s.AuditLog(ctx, h.owner, h.team.ID, models.AuditFilter{Action: "webhook.auto_disable"})
		if len(audit) != 1 {
			t.Errorf("%d webhook.auto_disable audit events, want 1", len(audit))
		}
		sent := len(h.recv.requests())
		h.clock.Advance(time.Hour)
		run(t, s)
		if len(h.recv.requests()) != sent {
			t.Error("a disabled endpoint was sent to")
		}
		// Enabled again, it resumes with the waiting event.
		h.recv.setStatus(http.StatusNoContent)
		if err := s.SetWebhookEnabled(ctx, h.admin, h.team.ID, ep.ID, true); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		if r := h.recv.requests(); r[len(r)-1].header.Get("webhook-id") != ds[0].EventID || log()[0].Status != models.DeliveryDelivered {
			t.Error("the waiting event was not delivered after enabling")
		}
	})
}

func TestWebhookSSRFAtSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		ep, _ := h.endpoint(t, models.EventAPIKeyCreated)
		h.key(t, "a")
		// The production client refuses the receiver's loopback address when it dials.
		s.SetWebhookClient(h.recv.client(false))
		run(t, s)
		ds, _ := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 0)
		if len(h.recv.requests()) != 0 || len(ds) != 1 || !strings.Contains(ds[0].LastError, "internal address") {
			t.Errorf("loopback at send: %d requests, log %+v", len(h.recv.requests()), ds)
		}
		// Redirects are not followed.
		s.SetWebhookClient(h.recv.client(true))
		h.recv.setStatus(http.StatusFound)
		h.clock.Advance(time.Minute)
		run(t, s)
		ds, _ = s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 0)
		if len(h.recv.requests()) != 1 || ds[0].ResponseCode != http.StatusFound || ds[0].Status != models.DeliveryPending ||
			!strings.Contains(ds[0].LastError, "not followed") {
			t.Errorf("redirect: %+v", ds[0])
		}
	})
}

func TestWebhookExpiringNoticesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		other := storetest.SameDatabase(t, s)
		other.SetClock(h.clock.Now)
		k, _, err := s.CreateAPIKey(ctx, h.developer, h.p.ID, models.APIKeyInput{Name: "k", Scopes: []string{"orders:read"},
			API: h.p.api, TTL: 40 * 24 * time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateClientSecret(ctx, h.admin, h.p.ID, "s", 5*24*time.Hour, ""); err != nil {
			t.Fatal(err)
		}
		count := func(typ string) map[any]int {
			evs, _ := s.Outbox(ctx, models.OutboxFilter{Type: typ, Limit: 1000})
			out := map[any]int{}
			for _, ev := range evs {
				var d map[string]any
				_ = json.Unmarshal([]byte(ev.Data), &d)
				out[d["days"]]++
			}
			return out
		}
		notice := func(st *store.Store) int {
			n, err := st.NoticeExpiring(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := notice(s); n != 1 || count(models.EventSecretExpiring)[float64(7)] != 1 {
			t.Errorf("first run: %d notices, secret notices %v; want the secret's 7-day one", n, count(models.EventSecretExpiring))
		}
		h.clock.Advance(11 * 24 * time.Hour) // the key has 29 days left
		var wg sync.WaitGroup
		results := make([]int, 4)
		for i := range results {
			st := s
			if i%2 == 1 {
				st = other
			}
			wg.Go(func() { results[i], _ = st.NoticeExpiring(ctx) })
		}
		wg.Wait()
		if total := results[0] + results[1] + results[2] + results[3]; total != 1 {
			t.Errorf("four concurrent runs on two instances emitted %d notices, want 1 (the key's 30-day)", total)
		}
		h.clock.Advance(23 * 24 * time.Hour) // 6 days left
		notice(s)
		h.clock.Advance(5*24*time.Hour + 12*time.Hour) // 12 hours left
		notice(s)
		notice(other)
		if got := count(models.EventAPIKeyExpiring); got[float64(30)] != 1 || got[float64(7)] != 1 || got[float64(1)] != 1 || len(got) != 3 {
			t.Errorf("key %s notices by days: %v, want one each of 30, 7, 1", k.ID, got)
		}
	})
}

func TestWebhookEventsOfChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		cs, _, err := s.CreateClientSecret(ctx, h.admin, h.p.ID, "s", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeClientSecret(ctx, h.admin, h.p.ID, cs.ID); err != nil {
			t.Fatal(err)
		}
		_, token, err := s.CreateAPIKey(ctx, h.developer, h.p.ID, models.APIKeyInput{Name: "leaky", Scopes: []string{"orders:read"},
			API: h.p.api, TTL: 24 * time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeAPIKeyByValue(ctx, h.developer, h.p.ID, token); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveMember(ctx, h.owner, h.team.ID, h.viewer.User.ID); err != nil {
			t.Fatal(err)
		}
		api := grantedAPI(t, s, h.owner, h.p.Project, "payments-api", "pay")
		grants, _ := s.APIGrants(ctx, h.owner, api.ID)
		if _, err := s.RevokeGrant(ctx, h.owner, api.ID, grants[0].ID); err != nil {
			t.Fatal(err)
		}
		evs, err := s.Outbox(ctx, models.OutboxFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, ev := range evs {
			if ev.TeamID == h.team.ID {
				seen[ev.Type]++
			}
		}
		for _, typ := range []string{models.EventSecretCreated, models.EventSecretRevoked, models.EventLeakReported,
			models.EventMemberAdded, models.EventMemberRemoved, models.EventGrantApproved, models.EventGrantRevoked} {
			if seen[typ] == 0 {
				t.Errorf("no %s event in the team's outbox (saw %v)", typ, seen)
			}
		}
	})
}

func TestWebhookClaimedByOneInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		other := storetest.SameDatabase(t, s)
		other.SetClock(h.clock.Now)
		if _, err := store.NewSigner(ctx, other, s.Signer().Config()); err != nil {
			t.Fatal(err)
		}
		other.SetWebhookClient(h.recv.client(true))
		h.endpoint(t, models.EventAPIKeyCreated)
		for i := 0; i < 30; i++ {
			h.key(t, "k")
		}
		var wg sync.WaitGroup
		for _, st := range []*store.Store{s, other, s, other} {
			wg.Go(func() {
				for i := 0; i < 5; i++ {
					_, _ = st.DispatchWebhooks(ctx)
					_ = st.DeliverWebhooks(ctx)
				}
				_ = st.WaitWebhooks()
			})
		}
		wg.Wait()
		run(t, s)
		got := h.recv.requests()
		seen := map[string]bool{}
		last := ""
		for _, r := range got {
			id := r.header.Get("webhook-id")
			if seen[id] {
				t.Errorf("event %s delivered twice by two instances", id)
			}
			if id < last {
				t.Errorf("event %s delivered after %s: out of order", id, last)
			}
			seen[id], last = true, id
		}
		if len(seen) != 30 {
			t.Errorf("%d events delivered, want 30", len(seen))
		}
	})
}
