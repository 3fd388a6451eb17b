package store_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func TestWebhookUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		run(t, s)
		ep, secret := h.endpoint(t, models.EventAPIKeyCreated)
		moved := newReceiver(t) // httptest's TLS servers share one certificate: the client trusts both
		in := models.WebhookEndpointInput{URL: moved.srv.URL + "/moved", Description: "  moved  ",
			Events: []string{models.EventAPIKeyRevoked, models.EventAPIKeyCreated, models.EventAPIKeyRevoked}}
		if err := s.UpdateWebhookEndpoint(ctx, h.developer, h.team.ID, ep.ID, in); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("developer updates: %v, want ErrForbidden", err)
		}
		if err := s.UpdateWebhookEndpoint(ctx, h.outsider, h.team.ID, ep.ID, in); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider updates: %v, want ErrNotFound", err)
		}
		if err := s.UpdateWebhookEndpoint(ctx, h.admin, h.outsiderTeam, ep.ID, in); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("update through another team: %v, want ErrNotFound", err)
		}

		// A failing endpoint with a delivery waiting for its retry.
		h.recv.setStatus(http.StatusServiceUnavailable)
		h.key(t, "waiting")
		run(t, s)
		before, err := s.WebhookEndpoint(ctx, h.viewer, h.team.ID, ep.ID)
		if err != nil || before.FailingSince == nil {
			t.Fatalf("before the update: %+v %v, want failing", before, err)
		}
		if err := s.UpdateWebhookEndpoint(ctx, h.admin, h.team.ID, ep.ID, in); err != nil {
			t.Fatalf("update: %v", err)
		}
		got, err := s.WebhookEndpoint(ctx, h.viewer, h.team.ID, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.URL != in.URL || got.Description != "moved" || got.Events != "api_key.revoked api_key.created" {
			t.Errorf("after the update: url %q, description %q, events %q", got.URL, got.Description, got.Events)
		}
		if got.SecretEnc != before.SecretEnc || got.FailingSince != nil || !got.Enabled {
			t.Errorf("after the update: secret changed %v, failing since %v, enabled %v; want the same secret, no failure record, enabled",
				got.SecretEnc != before.SecretEnc, got.FailingSince, got.Enabled)
		}
		audit, _, err := s.AuditLog(ctx, h.owner, h.team.ID, models.AuditFilter{Action: "webhook.update"})
		if err != nil || len(audit) != 1 || !strings.Contains(audit[0].Details, "/moved") {
			t.Errorf("audit of the update: %+v %v", audit, err)
		}
		// The waiting delivery is due at once, at the new URL, signed with the same secret.
		run(t, s)
		r := moved.requests()
		if len(r) != 1 {
			t.Fatalf("the new URL got %d requests, want the waiting delivery", len(r))
		}
		if msg := pythonVerify(t, secret, r[0]); msg != "" {
			t.Errorf("the delivery to the new URL does not verify with the endpoint's secret: %s", msg)
		}

		// The same rules as create, and a refused update changes nothing.
		prod := store.NewWebhookClient(false, nil)
		prod.Resolve = func(context.Context, string) ([]net.IP, error) { return []net.IP{net.ParseIP("10.1.2.3")}, nil }
		s.SetWebhookClient(prod)
		for _, bad := range []models.WebhookEndpointInput{
			{URL: "http://hooks.example.com/x", Events: in.Events},
			{URL: "https://169.254.169.254/latest", Events: in.Events},
			{URL: "https://internal.example.com/x", Events: in.Events},
			{URL: "", Events: in.Events},
		} {
			if _, ok := validationField(s.UpdateWebhookEndpoint(ctx, h.admin, h.team.ID, ep.ID, bad), "url"); !ok {
				t.Errorf("update to %q: want a url validation error", bad.URL)
			}
		}
		if _, ok := validationField(s.UpdateWebhookEndpoint(ctx, h.admin, h.team.ID, ep.ID,
			models.WebhookEndpointInput{URL: "https://203.0.113.10/x"}), "events"); !ok {
			t.Error("an update without events was accepted")
		}
		if _, ok := validationField(s.UpdateWebhookEndpoint(ctx, h.admin, h.team.ID, ep.ID,
			models.WebhookEndpointInput{URL: "https://203.0.113.10/x", Events: []string{"nonsense"}}), "events"); !ok {
			t.Error("an unknown event type was accepted")
		}
		after, err := s.WebhookEndpoint(ctx, h.viewer, h.team.ID, ep.ID)
		if err != nil || after.URL != in.URL || after.Events != got.Events {
			t.Errorf("refused updates changed the endpoint: %+v %v", after, err)
		}
		if audit, _, _ := s.AuditLog(ctx, h.owner, h.team.ID, models.AuditFilter{Action: "webhook.update"}); len(audit) != 1 {
			t.Errorf("%d webhook.update audit events after refused updates, want 1", len(audit))
		}
	})
}

func TestWebhookManualSendsLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHookWorld(t, s)
		ep, _ := h.endpoint(t, models.EventAPIKeyCreated)
		other, _ := h.endpoint(t, models.EventAPIKeyCreated)
		h.key(t, "a")
		run(t, s)
		ds, err := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 0)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: %v %v", ds, err)
		}
		half := models.WebhookManualSends / 2
		for range half {
			if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
				t.Fatalf("test event: %v", err)
			}
		}
		h.clock.Advance(20 * time.Second)
		for range models.WebhookManualSends - half {
			if err := s.RedeliverWebhook(ctx, h.admin, h.team.ID, ep.ID, ds[0].ID); err != nil {
				t.Fatalf("redeliver: %v", err)
			}
		}
		count := func() int {
			ds, err := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, ep.ID, 500)
			if err != nil {
				t.Fatal(err)
			}
			return len(ds)
		}
		n := count()
		for name, try := range map[string]func() error{
			"test":      func() error { return s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID) },
			"redeliver": func() error { return s.RedeliverWebhook(ctx, h.admin, h.team.ID, ep.ID, ds[0].ID) },
		} {
			var rl *models.RateLimitError
			if err := try(); !errors.As(err, &rl) {
				t.Errorf("%s beyond the limit: %v, want a RateLimitError", name, err)
				continue
			}
			if rl.RetryAfter != 40*time.Second || rl.RetryAfterSeconds() != 40 {
				t.Errorf("%s beyond the limit: retry after %s (%d s), want 40 s: when the oldest leaves the minute", name, rl.RetryAfter, rl.RetryAfterSeconds())
			}
		}
		if got := count(); got != n {
			t.Errorf("refused sends queued %d deliveries", got-n)
		}
		// Per endpoint: another endpoint of the team is not held back.
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, other.ID); err != nil {
			t.Errorf("test event to another endpoint: %v", err)
		}
		// Once the first ones are a minute old, there is room for as many again.
		h.clock.Advance(40 * time.Second)
		for range half {
			if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
				t.Fatalf("after the window moved: %v", err)
			}
		}
		var rl *models.RateLimitError
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); !errors.As(err, &rl) || rl.RetryAfterSeconds() != 20 {
			t.Errorf("the limit again: %v, want a RateLimitError after 20 s", err)
		}
	})
}

func TestWebhookPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		store.SetPruneBatch(t, 2) // several batches
		h := newHookWorld(t, s)
		run(t, s) // the world's own events: fanned out to nobody, done
		ep, _ := h.endpoint(t, models.EventAPIKeyCreated)
		off, _ := h.endpoint(t, models.EventAPIKeyCreated)
		for _, n := range []string{"a", "b", "c", "d"} {
			h.key(t, n)
		}
		run(t, s)
		// A delivery still pending (its endpoint was disabled after the fan-out), and a
		// delivery that failed for good.
		h.key(t, "e")
		if _, err := s.DispatchWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.SetWebhookEnabled(ctx, h.admin, h.team.ID, off.ID, false); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		h.recv.setStatus(http.StatusServiceUnavailable)
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		for range 30 {
			run(t, s)
			h.clock.Advance(time.Hour)
		}
		h.recv.setStatus(http.StatusOK)
		// Failing for a day disabled it: enabled again.
		if err := s.SetWebhookEnabled(ctx, h.admin, h.team.ID, ep.ID, true); err != nil {
			t.Fatal(err)
		}
		// An event not yet fanned out.
		waiting := h.key(t, "not dispatched")

		h.clock.Advance(models.WebhookRetention)
		// A recent delivered one (a test event is not in the outbox, so delivering it
		// does not fan the waiting event out).
		if err := s.SendTestWebhook(ctx, h.admin, h.team.ID, ep.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeliverWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.WaitWebhooks(); err != nil {
			t.Fatal(err)
		}
		deliveries := func(id string) map[string]int {
			ds, err := s.WebhookDeliveries(ctx, h.viewer, h.team.ID, id, 500)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, d := range ds {
				out[d.Status]++
			}
			return out
		}
		if got := deliveries(ep.ID); got[models.DeliveryDelivered] != 6 || got[models.DeliveryFailed] != 1 {
			t.Fatalf("before pruning: %v, want 6 delivered (one recent), 1 failed", got)
		}

		res, err := s.PruneWebhooks(ctx, models.WebhookRetention)
		if err != nil {
			t.Fatalf("prune: %v", err)
		}
		if res.Skipped || res.Deliveries != 10 || res.Events == 0 {
			t.Errorf("prune: %+v, want 10 deliveries (5 + 4 delivered, 1 failed) and the old events", res)
		}
		if got := deliveries(ep.ID); got[models.DeliveryDelivered] != 1 || got[models.DeliveryFailed] != 0 || got[models.DeliveryPending] != 0 {
			t.Errorf("after pruning, the endpoint keeps %v, want only the recent delivery", got)
		}
		if got := deliveries(off.ID); got[models.DeliveryPending] != 1 || len(got) != 1 {
			t.Errorf("after pruning, the disabled endpoint keeps %v, want its pending delivery", got)
		}
		evs, err := s.Outbox(ctx, models.OutboxFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].SubjectID != waiting.ID {
			t.Errorf("after pruning the outbox holds %d events, want only the one not fanned out yet", len(evs))
		}

		// Once per period, whichever instance asks.
		other := storetest.SameDatabase(t, s)
		other.SetClock(h.clock.Now)
		for name, st := range map[string]*store.Store{"this instance": s, "another instance": other} {
			if res, err := st.PruneWebhooks(ctx, models.WebhookRetention); err != nil || !res.Skipped {
				t.Errorf("%s prunes again at once: %+v %v, want skipped", name, res, err)
			}
		}
		h.clock.Advance(store.WebhookPruneEvery)
		if res, err := other.PruneWebhooks(ctx, models.WebhookRetention); err != nil || res.Skipped || res.Deliveries != 0 || res.Events != 0 {
			t.Errorf("another instance an hour later: %+v %v, want a run with nothing left to delete", res, err)
		}
		// The waiting event is still fanned out and delivered.
		run(t, s)
		if got := deliveries(ep.ID); got[models.DeliveryDelivered] != 2 {
			t.Errorf("the event that waited through pruning: %v, want delivered", got)
		}
	})
}
