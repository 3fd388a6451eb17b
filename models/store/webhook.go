package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// WebhookClient is the client deliveries are sent with.
func (s *Store) WebhookClient() *WebhookClient { return s.webhooks }

// SetWebhookClient replaces the webhook client (one that allows loopback is for
// development and tests only). Set it before the store is shared.
func (s *Store) SetWebhookClient(c *WebhookClient) { s.webhooks = c }

// masterKeys are the keys that seal webhook secrets: the signer's.
func (s *Store) masterKeys() (*models.MasterKeys, error) {
	if s.signer == nil || s.signer.Config().MasterKeys == nil {
		return nil, errors.New("webhooks: no master key configured")
	}
	return s.signer.Config().MasterKeys, nil
}

// CreateWebhookEndpoint registers an endpoint for the team and returns its signing
// secret in plain text, this one time; the database keeps it sealed under the master key.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, actor models.Actor, teamID string, in models.WebhookEndpointInput) (*models.WebhookEndpoint, string, error) {
	var ep *models.WebhookEndpoint
	secret := models.NewWebhookSecret()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActWebhookManage); err != nil {
			return err
		}
		rawURL, desc, events, err := s.checkWebhookInput(ctx, in)
		if err != nil {
			return err
		}
		mk, err := s.masterKeys()
		if err != nil {
			return err
		}
		id := newID("whk")
		ep = &models.WebhookEndpoint{ID: id, TeamID: teamID, URL: rawURL, Description: desc, Events: strings.Join(events, " "),
			Enabled: true, SecretEnc: mk.Seal([]byte(secret), []byte(id)), CreatedBy: optional(actor.UserID()), CreatedAt: s.now()}
		if err := tx.Create(ep).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.create", targetType: "webhook", targetID: id, target: rawURL,
			details: map[string]any{"events": ep.Events}})
	})
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// checkWebhookInput validates an endpoint's settings, the same for create and update:
// an HTTPS URL that passes the SSRF rules, a description of at most 200 characters, and
// at least one of the listed event types (deduplicated, in the order given).
func (s *Store) checkWebhookInput(ctx context.Context, in models.WebhookEndpointInput) (rawURL, desc string, events []string, err error) {
	var v models.ValidationError
	rawURL = strings.TrimSpace(in.URL)
	if rawURL == "" {
		v.Add("url", "is required")
	} else if err := s.webhooks.CheckURL(ctx, rawURL); err != nil {
		v.Add("url", strings.TrimPrefix(err.Error(), models.ErrWebhookURL.Error()+": "))
	}
	desc = cleanText(&v, "description", in.Description, 200)
	for _, e := range in.Events {
		if !slices.Contains(models.WebhookEventTypes, e) {
			v.Add("events", "choose among the listed events")
			break
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	if len(events) == 0 && v.Fields["events"] == "" {
		v.Add("events", "choose at least one event")
	}
	return rawURL, desc, events, v.AsError()
}

// UpdateWebhookEndpoint changes an endpoint's URL, description and events, with the
// rules of CreateWebhookEndpoint. The signing secret stays the same. A new URL starts
// with a clean failure record, and deliveries waiting for a retry are due at once, to
// the new URL; deliveries already queued are sent whatever the new events are.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, actor models.Actor, teamID, id string, in models.WebhookEndpointInput) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, id, models.ActWebhookManage)
		if err != nil {
			return err
		}
		rawURL, desc, events, err := s.checkWebhookInput(ctx, in)
		if err != nil {
			return err
		}
		joined := strings.Join(events, " ")
		set, details := map[string]any{}, map[string]any{}
		if rawURL != ep.URL {
			set["url"], set["failing_since"] = rawURL, nil
			details["url"] = map[string]string{"from": ep.URL, "to": rawURL}
			if err := tx.Model(&models.WebhookDelivery{}).Where("endpoint_id = ? AND status = ?", id, models.DeliveryPending).
				Update("next_attempt_at", s.now()).Error; err != nil {
				return err
			}
		}
		if desc != ep.Description {
			set["description"] = desc
			details["description"] = desc
		}
		if joined != ep.Events {
			set["events"] = joined
			details["events"] = map[string]string{"from": ep.Events, "to": joined}
		}
		if len(set) == 0 {
			return nil
		}
		if err := tx.Model(&models.WebhookEndpoint{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.update", targetType: "webhook", targetID: id, target: rawURL,
			details: details})
	})
}

// WebhookEndpoints lists the team's endpoints, oldest first. Every member sees them.
func (s *Store) WebhookEndpoints(ctx context.Context, actor models.Actor, teamID string) ([]models.WebhookEndpoint, error) {
	db := s.db.WithContext(ctx)
	if _, err := authorize(db, actor, teamID, models.ActTeamView); err != nil {
		return nil, err
	}
	var out []models.WebhookEndpoint
	return out, db.Where("team_id = ?", teamID).Order("created_at, id").Find(&out).Error
}

// endpointIn loads one of the team's endpoints after deciding that the actor may take
// action a; another team's endpoint is ErrNotFound.
func endpointIn(tx *gorm.DB, actor models.Actor, teamID, id string, a models.Action) (*models.WebhookEndpoint, error) {
	if _, err := authorize(tx, actor, teamID, a); err != nil {
		return nil, err
	}
	var ep models.WebhookEndpoint
	if err := tx.Where("id = ? AND team_id = ?", id, teamID).Take(&ep).Error; err != nil {
		return nil, notFound(err)
	}
	return &ep, nil
}

// WebhookEndpoint returns one of the team's endpoints.
func (s *Store) WebhookEndpoint(ctx context.Context, actor models.Actor, teamID, id string) (*models.WebhookEndpoint, error) {
	return endpointIn(s.db.WithContext(ctx), actor, teamID, id, models.ActTeamView)
}

// SetWebhookEnabled enables or disables an endpoint. Enabling clears the failure
// record, and deliveries waiting for it resume.
func (s *Store) SetWebhookEnabled(ctx context.Context, actor models.Actor, teamID, id string, enabled bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, id, models.ActWebhookManage)
		if err != nil {
			return err
		}
		if ep.Enabled == enabled {
			return nil
		}
		set := map[string]any{"enabled": enabled}
		action := "webhook.enable"
		if enabled {
			set["failing_since"], set["disabled_reason"], set["disabled_at"] = nil, "", nil
			// Deliveries that waited are due now, not at their old backoff.
			if err := tx.Model(&models.WebhookDelivery{}).Where("endpoint_id = ? AND status = ?", id, models.DeliveryPending).
				Update("next_attempt_at", s.now()).Error; err != nil {
				return err
			}
		} else {
			set["disabled_reason"], set["disabled_at"], action = "disabled by "+actor.Label(), s.now(), "webhook.disable"
		}
		if err := tx.Model(&models.WebhookEndpoint{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: action, targetType: "webhook", targetID: id, target: ep.URL})
	})
}

// RotateWebhookSecret gives the endpoint a new signing secret, returned this once; the
// previous one keeps signing beside it for models.WebhookSecretOverlap.
func (s *Store) RotateWebhookSecret(ctx context.Context, actor models.Actor, teamID, id string) (string, error) {
	secret := models.NewWebhookSecret()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, id, models.ActWebhookManage)
		if err != nil {
			return err
		}
		mk, err := s.masterKeys()
		if err != nil {
			return err
		}
		until := s.now().Add(models.WebhookSecretOverlap)
		if err := tx.Model(&models.WebhookEndpoint{}).Where("id = ?", id).Updates(map[string]any{
			"secret_enc": mk.Seal([]byte(secret), []byte(id)), "previous_enc": ep.SecretEnc, "previous_until": until}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.rotate", targetType: "webhook", targetID: id, target: ep.URL,
			details: map[string]any{"previous_until": until.Format(time.RFC3339)}})
	})
	return secret, err
}

// DeleteWebhookEndpoint removes an endpoint and its deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, actor models.Actor, teamID, id string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, id, models.ActWebhookManage)
		if err != nil {
			return err
		}
		if err := tx.Where("endpoint_id = ?", id).Delete(&models.WebhookDelivery{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&models.WebhookEndpoint{}, "id = ?", id).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.delete", targetType: "webhook", targetID: id, target: ep.URL})
	})
}

// WebhookDeliveries is the endpoint's delivery log, newest first, at most limit (50 when 0).
func (s *Store) WebhookDeliveries(ctx context.Context, actor models.Actor, teamID, endpointID string, limit int) ([]models.WebhookDelivery, error) {
	db := s.db.WithContext(ctx)
	if _, err := endpointIn(db, actor, teamID, endpointID, models.ActTeamView); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []models.WebhookDelivery
	return out, db.Where("endpoint_id = ?", endpointID).Order("seq DESC").Limit(limit).Find(&out).Error
}

// RedeliverWebhook queues one delivery again, with the same event id and body, after
// whatever the endpoint already has queued.
func (s *Store) RedeliverWebhook(ctx context.Context, actor models.Actor, teamID, endpointID, deliveryID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, endpointID, models.ActWebhookManage)
		if err != nil {
			return err
		}
		var d models.WebhookDelivery
		if err := tx.Where("id = ? AND endpoint_id = ?", deliveryID, endpointID).Take(&d).Error; err != nil {
			return notFound(err)
		}
		if err := s.limitManualSends(tx, ep); err != nil {
			return err
		}
		if err := s.queueDeliveries(tx, []models.WebhookDelivery{{EndpointID: ep.ID, EventID: d.EventID, EventType: d.EventType, Payload: d.Payload}}); err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.redeliver", targetType: "webhook", targetID: ep.ID, target: ep.URL,
			details: map[string]any{"event": d.EventID, "type": d.EventType}})
	})
}

// SendTestWebhook queues a webhook.test event for the endpoint (whatever it subscribes to).
func (s *Store) SendTestWebhook(ctx context.Context, actor models.Actor, teamID, endpointID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := endpointIn(tx, actor, teamID, endpointID, models.ActWebhookManage)
		if err != nil {
			return err
		}
		if err := s.limitManualSends(tx, ep); err != nil {
			return err
		}
		id := uuid.Must(uuid.NewV7()).String()
		body, err := webhookPayload(models.EventWebhookTest, s.now(), map[string]any{"team_id": teamID, "endpoint_id": ep.ID,
			"message": "This is a test event from Gatehouse."})
		if err != nil {
			return err
		}
		if err := s.queueDeliveries(tx, []models.WebhookDelivery{{EndpointID: ep.ID, EventID: id, EventType: models.EventWebhookTest, Payload: body}}); err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "webhook.test", targetType: "webhook", targetID: ep.ID, target: ep.URL})
	})
}

// limitManualSends refuses a redelivery or test event when the endpoint has had
// models.WebhookManualSends of them in the last models.WebhookManualWindow, counted
// from the team's audit log (so every instance counts the same). The dispatcher's lock
// is taken first: two instances cannot both pass on the last free place.
func (s *Store) limitManualSends(tx *gorm.DB, ep *models.WebhookEndpoint) error {
	if _, err := s.lockDispatch(tx); err != nil {
		return err
	}
	now := s.now()
	var recent []time.Time
	if err := tx.Model(&models.AuditEvent{}).Where("team_id = ? AND created_at > ? AND target_id = ? AND action IN ?",
		ep.TeamID, now.Add(-models.WebhookManualWindow), ep.ID, []string{"webhook.redeliver", "webhook.test"}).
		Order("created_at").Limit(models.WebhookManualSends).Pluck("created_at", &recent).Error; err != nil {
		return err
	}
	if len(recent) < models.WebhookManualSends {
		return nil
	}
	return &models.RateLimitError{RetryAfter: recent[0].Add(models.WebhookManualWindow).Sub(now),
		Message: fmt.Sprintf("this endpoint has had %d redeliveries and test events in the last minute, the most allowed", models.WebhookManualSends)}
}

// webhookPayload is the body every delivery of an event carries.
func webhookPayload(typ string, at time.Time, data map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"type": typ, "timestamp": at.UTC().Format(time.RFC3339Nano), "data": data})
	return string(b), err
}

// Signer is the store's signer (nil until NewSigner).
func (s *Store) Signer() *signing.Signer { return s.signer }
