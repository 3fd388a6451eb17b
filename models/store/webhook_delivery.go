package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/models"
)

// webhookLease is how long an instance holds an endpoint while it sends to it: longer
// than one attempt, renewed before an attempt once a third of it has gone. An instance
// that died frees it when it lapses.
const webhookLease = 30 * time.Second

// webhookDispatch is the dispatcher's row: locked while events are fanned out, so
// deliveries get their seq in one order.
type webhookDispatch struct {
	ID      int `gorm:"primaryKey"`
	NextSeq int64
}

func (webhookDispatch) TableName() string { return "webhook_dispatch" }

// lockDispatch locks the dispatcher's row for the rest of tx (SQLite's write
// transactions are serialized already) and returns the next seq.
func (s *Store) lockDispatch(tx *gorm.DB) (*webhookDispatch, error) {
	var d webhookDispatch
	q := tx.Where("id = 1")
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return &d, q.Take(&d).Error
}

// queueDeliveries appends deliveries (EndpointID, EventID, EventType and Payload set)
// at the end of their endpoints' queues, due now.
func (s *Store) queueDeliveries(tx *gorm.DB, ds []models.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	d, err := s.lockDispatch(tx)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range ds {
		ds[i].ID = uuid.Must(uuid.NewV7()).String()
		ds[i].Seq = d.NextSeq + int64(i)
		ds[i].Status = models.DeliveryPending
		ds[i].NextAttemptAt, ds[i].CreatedAt = now, now
	}
	if err := tx.CreateInBatches(ds, 200).Error; err != nil {
		return err
	}
	return tx.Model(&webhookDispatch{}).Where("id = 1").Update("next_seq", d.NextSeq+int64(len(ds))).Error
}

// dispatchBatch is how many outbox events one dispatch transaction reads.
const dispatchBatch = 500

// DispatchWebhooks fans committed outbox events out into deliveries, one per enabled
// endpoint of the event's team that subscribes to its type, and marks them done, in one
// transaction per batch; it returns how many events it read. Any instance may run it:
// the dispatcher's row lock makes them take turns.
func (s *Store) DispatchWebhooks(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.transact(ctx, func(tx *gorm.DB) error {
			if _, err := s.lockDispatch(tx); err != nil {
				return err
			}
			var evs []models.OutboxEvent
			if err := tx.Where("NOT webhooks_done").Order("id").Limit(dispatchBatch).Find(&evs).Error; err != nil {
				return err
			}
			if n = len(evs); n == 0 {
				return nil
			}
			teams, ids := map[string]bool{}, make([]string, 0, n)
			for _, ev := range evs {
				teams[ev.TeamID] = true
				ids = append(ids, ev.ID)
			}
			teamIDs := make([]string, 0, len(teams))
			for t := range teams {
				teamIDs = append(teamIDs, t)
			}
			var eps []models.WebhookEndpoint
			if err := tx.Select("id", "team_id", "events").Where("team_id IN ? AND enabled", teamIDs).Order("created_at, id").Find(&eps).Error; err != nil {
				return err
			}
			var ds []models.WebhookDelivery
			for _, ev := range evs {
				var body string
				for i := range eps {
					if eps[i].TeamID != ev.TeamID || !eps[i].Subscribes(ev.Type) {
						continue
					}
					if body == "" {
						var err error
						if body, err = outboxPayload(ev); err != nil {
							return err
						}
					}
					ds = append(ds, models.WebhookDelivery{EndpointID: eps[i].ID, EventID: ev.ID, EventType: ev.Type, Payload: body})
				}
			}
			if err := s.queueDeliveries(tx, ds); err != nil {
				return err
			}
			return tx.Model(&models.OutboxEvent{}).Where("id IN ?", ids).Update("webhooks_done", true).Error
		}, false)
		total += n
		// A batch that was not full has caught up: stop, or events committed while it
		// waited for the write lock would keep the loop (and the sends after it) going
		// for as long as writes keep coming.
		if err != nil || n < dispatchBatch {
			return total, err
		}
	}
}

// outboxPayload is the webhook body of an outbox event: its data, with the team, the
// project and the subject named.
func outboxPayload(ev models.OutboxEvent) (string, error) {
	data := map[string]any{}
	if ev.Data != "" {
		if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
			return "", fmt.Errorf("outbox event %s: %w", ev.ID, err)
		}
	}
	data["team_id"] = ev.TeamID
	if ev.ProjectID != "" {
		data["project_id"] = ev.ProjectID
	}
	if ev.SubjectID != "" {
		data["subject_id"] = ev.SubjectID
	}
	return webhookPayload(ev.Type, ev.CreatedAt, data)
}

// webhookRunWait is how long DeliverWebhooks waits for the sends it started. A send
// still going then (a receiver that does not answer holds one for up to
// models.WebhookTimeout) goes on in the background, so the next run fans out new
// events and serves the other endpoints meanwhile.
const webhookRunWait = time.Second

// webhookSenders are this instance's sends in progress, one goroutine per endpoint,
// at most 16 sending at once.
type webhookSenders struct {
	mu   sync.Mutex
	busy map[string]bool // endpoints a goroutine of this instance is sending to
	errs []string        // errors of sends that ended after their run returned
	wg   sync.WaitGroup
	sem  chan struct{}
}

// DeliverWebhooks sends what is due: for each enabled endpoint with a due delivery at
// the head of its queue, it takes the endpoint's lease (one instance per endpoint) and
// sends its deliveries in order until one fails or none is due. Endpoints are served
// concurrently, at most 16 at once, each on a goroutine of its own; DeliverWebhooks
// waits for them for webhookRunWait at most, so a slow one delays only itself. Errors
// of sends that ended later are returned by the next call.
func (s *Store) DeliverWebhooks(ctx context.Context) error {
	now := s.now()
	var ids []string
	err := s.db.WithContext(ctx).Table("webhook_deliveries AS d").Distinct("d.endpoint_id").
		Joins("JOIN webhook_endpoints e ON e.id = d.endpoint_id").
		Where("d.status = ? AND d.next_attempt_at <= ? AND e.enabled AND (e.lease_until IS NULL OR e.lease_until < ?)",
			models.DeliveryPending, now, now).Limit(200).Pluck("d.endpoint_id", &ids).Error
	if err != nil {
		return err
	}
	ws := &s.senders
	ws.mu.Lock()
	if ws.busy == nil {
		ws.busy, ws.sem = map[string]bool{}, make(chan struct{}, 16)
	}
	var run sync.WaitGroup
	for _, id := range ids {
		if ws.busy[id] {
			continue // still sending from an earlier run
		}
		ws.busy[id] = true
		ws.wg.Add(1)
		run.Add(1)
		go func() {
			defer ws.wg.Done()
			defer run.Done()
			ws.sem <- struct{}{}
			err := s.deliverTo(ctx, id)
			<-ws.sem
			ws.mu.Lock()
			delete(ws.busy, id)
			if err != nil {
				ws.errs = append(ws.errs, err.Error())
			}
			ws.mu.Unlock()
		}()
	}
	ws.mu.Unlock()
	done := make(chan struct{})
	go func() { run.Wait(); close(done) }()
	timer := time.NewTimer(webhookRunWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	return s.webhookErrors()
}

// WaitWebhooks waits until every send of this instance has ended (they end soon once
// the context they were started with is cancelled) and returns their errors not yet
// returned.
func (s *Store) WaitWebhooks() error {
	s.senders.wg.Wait()
	return s.webhookErrors()
}

// webhookErrors returns, once, the errors of the sends that have ended.
func (s *Store) webhookErrors() error {
	s.senders.mu.Lock()
	errs := s.senders.errs
	s.senders.errs = nil
	s.senders.mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("webhook delivery: %s", strings.Join(errs, "; "))
	}
	return nil
}

// deliverTo sends an endpoint's due deliveries in order while it holds its lease.
func (s *Store) deliverTo(ctx context.Context, endpointID string) error {
	db := s.db.WithContext(ctx)
	// The lease is taken only when free, then renewed only by its holder (this call:
	// the owner names the instance and this call's token).
	owner := s.instance + "." + models.RandomToken(5)
	claim := func(renew bool) (bool, error) {
		now := s.now()
		var ok bool
		err := s.transact(ctx, func(tx *gorm.DB) error {
			q := tx.Model(&models.WebhookEndpoint{}).Where("id = ? AND enabled", endpointID)
			if renew {
				q = q.Where("lease_owner = ?", owner)
			} else {
				q = q.Where("lease_until IS NULL OR lease_until < ?", now)
			}
			res := q.Updates(map[string]any{"lease_owner": owner, "lease_until": now.Add(webhookLease)})
			ok = res.RowsAffected == 1
			return res.Error
		}, false)
		return ok, err
	}
	if ok, err := claim(false); err != nil || !ok {
		return err
	}
	claimed := s.now()
	defer func() {
		_ = s.transact(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
			return tx.Model(&models.WebhookEndpoint{}).Where("id = ? AND lease_owner = ?", endpointID, owner).
				Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
		}, false)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 1000 && ctx.Err() == nil; i++ {
		if i > 0 {
			if time.Now().After(deadline) {
				return nil // let other work in; the next run goes on
			}
			// Renewed once a third of it has gone: what is left is still twice an
			// attempt's timeout, and each delivery costs one write transaction, not two.
			if now := s.now(); now.Sub(claimed) >= webhookLease/3 {
				if ok, err := claim(true); err != nil || !ok {
					return err
				}
				claimed = now
			}
		}
		var ep models.WebhookEndpoint
		if err := db.Where("id = ?", endpointID).Take(&ep).Error; err != nil {
			return notFound(err)
		}
		if !ep.Enabled {
			return nil
		}
		var d models.WebhookDelivery
		err := db.Where("endpoint_id = ? AND status = ?", endpointID, models.DeliveryPending).Order("seq").Take(&d).Error
		if err != nil {
			return ignoreNotFound(err)
		}
		now := s.now()
		if d.NextAttemptAt.After(now) {
			return nil
		}
		header, err := s.signDelivery(&ep, &d, now)
		if err != nil {
			return err
		}
		res := s.webhooks.post(ctx, ep.URL, header, []byte(d.Payload))
		if ctx.Err() != nil {
			return nil // stopping: the attempt is retried by whoever runs next
		}
		if err := s.recordAttempt(ctx, &ep, &d, res); err != nil {
			return err
		}
		if !res.ok() {
			return nil
		}
	}
	return nil
}

// ignoreNotFound treats a missing row as nothing to do.
func ignoreNotFound(err error) error {
	if err == gorm.ErrRecordNotFound {
		return nil
	}
	return err
}

// signDelivery builds the Standard Webhooks headers: the event id, the time of this
// attempt, and a signature with the current secret (and the previous one during a
// rotation's overlap), space-separated.
func (s *Store) signDelivery(ep *models.WebhookEndpoint, d *models.WebhookDelivery, now time.Time) (http.Header, error) {
	mk, err := s.masterKeys()
	if err != nil {
		return nil, err
	}
	secrets := []string{ep.SecretEnc}
	if ep.PreviousEnc != "" && ep.PreviousUntil != nil && now.Before(*ep.PreviousUntil) {
		secrets = append(secrets, ep.PreviousEnc)
	}
	ts := now.Unix()
	var sigs []string
	for _, sealed := range secrets {
		secret, err := mk.Open(sealed, []byte(ep.ID))
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", ep.ID, err)
		}
		sig, err := models.WebhookSignature(string(secret), d.EventID, ts, []byte(d.Payload))
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Gatehouse-Webhooks/1")
	h.Set("webhook-id", d.EventID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", strings.Join(sigs, " "))
	return h, nil
}

// recordAttempt writes an attempt's outcome: delivered; or retried after a backoff;
// or, 24 h after the first attempt, failed. An endpoint failing for 24 h with no
// success is disabled, with an audit event its team reads and a notice on its page.
func (s *Store) recordAttempt(ctx context.Context, ep *models.WebhookEndpoint, d *models.WebhookDelivery, res webhookResult) error {
	now := s.now()
	return s.transact(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		first := now
		if d.FirstAttemptAt != nil {
			first = *d.FirstAttemptAt
		}
		set := map[string]any{"attempts": d.Attempts + 1, "first_attempt_at": first, "last_attempt_at": now,
			"response_code": res.code, "latency_ms": res.latency.Milliseconds(), "last_error": ""}
		if res.ok() {
			set["status"] = models.DeliveryDelivered
			if err := tx.Model(&models.WebhookDelivery{}).Where("id = ?", d.ID).Updates(set).Error; err != nil {
				return err
			}
			if ep.FailingSince == nil {
				return nil
			}
			return tx.Model(&models.WebhookEndpoint{}).Where("id = ?", ep.ID).Update("failing_since", nil).Error
		}
		set["last_error"] = models.Truncate(res.err.Error(), 300)
		if now.Sub(first) >= models.WebhookRetryFor {
			set["status"] = models.DeliveryFailed
		} else {
			set["next_attempt_at"] = now.Add(models.WebhookBackoff(d.Attempts+1, rand.Float64()))
		}
		if err := tx.Model(&models.WebhookDelivery{}).Where("id = ?", d.ID).Updates(set).Error; err != nil {
			return err
		}
		since := now
		if ep.FailingSince != nil {
			since = *ep.FailingSince
		}
		if now.Sub(since) < models.WebhookDisableAfter {
			if ep.FailingSince != nil {
				return nil
			}
			return tx.Model(&models.WebhookEndpoint{}).Where("id = ?", ep.ID).Update("failing_since", now).Error
		}
		reason := fmt.Sprintf("disabled automatically: every delivery failed since %s (last: %s)",
			since.UTC().Format("2006-01-02 15:04 UTC"), models.Truncate(res.err.Error(), 200))
		r := tx.Model(&models.WebhookEndpoint{}).Where("id = ? AND enabled", ep.ID).
			Updates(map[string]any{"enabled": false, "disabled_reason": reason, "disabled_at": now, "failing_since": since})
		if r.Error != nil || r.RowsAffected == 0 {
			return r.Error
		}
		return s.audit(tx, models.Actor{}, event{team: ep.TeamID, action: "webhook.auto_disable", targetType: "webhook",
			targetID: ep.ID, target: ep.URL, details: map[string]any{"failing_since": since.UTC().Format(time.RFC3339), "reason": reason}})
	}, false)
}
