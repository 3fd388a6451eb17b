package models

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// More event types, each delivered to the team's webhooks. Data names the subject.
const (
	// EventSecretCreated: a client secret was created. Data: secret_id, name, hint, expires_at.
	EventSecretCreated = "client_secret.created"
	// EventSecretRevoked: a client secret was revoked. Data: secret_id, name, hint.
	EventSecretRevoked = "client_secret.revoked"
	// EventGrantRequested: a project asked for access to an API (to both teams).
	EventGrantRequested = "grant.requested"
	// EventGrantApproved: a project was granted access to an API, directly or by
	// approving its request (to both teams).
	EventGrantApproved = "grant.approved"
	// EventGrantRevoked: a grant was removed (to both teams).
	EventGrantRevoked = "grant.revoked"
	// EventMemberAdded: someone joined the team. Data: user_id, email, role.
	EventMemberAdded = "member.added"
	// EventMemberRemoved: someone was removed from the team or left it.
	EventMemberRemoved = "member.removed"
	// EventLeakReported: a credential's value was reported leaked — pasted into "Revoke
	// a leaked key" (an API key, revoked), or found by a secret scanner (GitHub's
	// secret-scanning partner programme) and revoked or, under the team's notify
	// policy, left live. Data: kind (api_key, client_secret, personal_access_token),
	// name, revoked (whether it is revoked now), and for a scanner's report reporter,
	// policy, type (the scanner's pattern), source (what kind of place: content,
	// commit, npm…) and url (where it was found).
	EventLeakReported = "leak.reported"
	// EventAPIKeyExpiring: an API key expires within 30, 7 or 1 days. Data: days, expires_at.
	EventAPIKeyExpiring = "api_key.expiring"
	// EventSecretExpiring: a client secret expires within 30, 7 or 1 days.
	EventSecretExpiring = "client_secret.expiring"
	// EventWebhookTest is what "Send test event" delivers; it is never in the outbox.
	EventWebhookTest = "webhook.test"
)

// WebhookEventTypes are the event types an endpoint may subscribe to, in the order the
// form lists them.
var WebhookEventTypes = []string{
	EventAPIKeyCreated, EventAPIKeyRevoked, EventAPIKeyExpiring,
	EventSecretCreated, EventSecretRevoked, EventSecretExpiring,
	EventGrantRequested, EventGrantApproved, EventGrantRevoked,
	EventMemberAdded, EventMemberRemoved, EventLeakReported,
}

// ExpiryNoticeDays are the thresholds at which expiring credentials are announced.
var ExpiryNoticeDays = []int{1, 7, 30}

// Webhook delivery rules.
const (
	// WebhookRetryFor is how long a delivery is retried before it is marked failed.
	WebhookRetryFor = 24 * time.Hour
	// WebhookDisableAfter is how long an endpoint may fail without one success before
	// it is disabled.
	WebhookDisableAfter = 24 * time.Hour
	// WebhookSecretOverlap is how long the previous secret keeps signing after a rotation.
	WebhookSecretOverlap = 24 * time.Hour
	// WebhookTimeout bounds one attempt; WebhookMaxResponse the response body read.
	WebhookTimeout     = 10 * time.Second
	WebhookMaxResponse = 64 << 10
	// WebhookManualSends is how many redeliveries and test events, together, one
	// endpoint may be given per WebhookManualWindow.
	WebhookManualSends  = 10
	WebhookManualWindow = time.Minute
	// WebhookRetention is how long delivered and failed deliveries, and outbox events
	// already fanned out, are kept by default (GATEHOUSE_WEBHOOK_RETENTION).
	WebhookRetention = 30 * 24 * time.Hour
)

// RateLimitError refuses an action done too often; it may be tried again after
// RetryAfter.
type RateLimitError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string { return e.Message }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (e *RateLimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookEndpoint is where a team's events are sent.
type WebhookEndpoint struct {
	ID             string `gorm:"primaryKey"`
	TeamID         string
	URL            string `gorm:"column:url"`
	Description    string
	Events         string // space-separated
	Enabled        bool
	SecretEnc      string
	PreviousEnc    string
	PreviousUntil  *time.Time
	FailingSince   *time.Time
	DisabledReason string
	DisabledAt     *time.Time
	LeaseOwner     string
	LeaseUntil     *time.Time
	CreatedBy      *string
	CreatedAt      time.Time
}

// Subscribes reports whether the endpoint wants events of type t.
func (e *WebhookEndpoint) Subscribes(t string) bool {
	return slices.Contains(strings.Fields(e.Events), t)
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID             string `gorm:"primaryKey"`
	EndpointID     string
	Seq            int64
	EventID        string
	EventType      string
	Payload        string
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	FirstAttemptAt *time.Time
	LastAttemptAt  *time.Time
	ResponseCode   int
	LatencyMS      int64 `gorm:"column:latency_ms"`
	LastError      string
	CreatedAt      time.Time
}

// WebhookEndpointInput is what a team gives to register an endpoint.
type WebhookEndpointInput struct {
	URL, Description string
	Events           []string
}

// ErrWebhookURL means an endpoint's URL is refused: not HTTPS, or an internal address.
var ErrWebhookURL = errors.New("webhook URL refused")

// NewWebhookSecret returns a fresh signing secret in Standard Webhooks form:
// "whsec_" + base64 of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// WebhookSignature is one "v1,…" signature of a message: base64 of
// HMAC-SHA256(secret bytes, id + "." + timestamp + "." + body), per Standard Webhooks.
func WebhookSignature(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", errors.New("webhook secret is not base64")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// WebhookBackoff is the wait after the n-th failed attempt (n ≥ 1): 5 s doubling to at
// most an hour, times a jitter factor in [0.8, 1.2) (jitter is a number in [0, 1)).
func WebhookBackoff(n int, jitter float64) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}
