package views

import "time"

// WebhooksVM is a team's Webhooks tab: its endpoints, and the form to add one.
type WebhooksVM struct {
	CanManage bool
	Endpoints []WebhookRow
	Form      WebhookForm
}

// WebhookRow is one endpoint in the list and at the top of its own page.
type WebhookRow struct {
	ID, URL, Description string
	Events               []string
	Enabled              bool
	// DisabledReason says why it was disabled (automatically after 24 h of failures,
	// or by whom); FailingSince is when its current run of failures began.
	DisabledReason string
	FailingSince   *time.Time
	// RotatingUntil is when the previous secret stops signing, during a rotation.
	RotatingUntil *time.Time
	CreatedAt     time.Time
}

// WebhookForm is the add-endpoint form, and the edit form on an endpoint's page.
type WebhookForm struct {
	URL, Description string
	Events           []string
	// EventTypes are the events offered.
	EventTypes []string
	Errors     map[string]string
}

// WebhookVM is one endpoint's page: its settings, actions and delivery log.
type WebhookVM struct {
	TeamID, TeamName, MyRole string
	Personal                 bool
	CanAudit, CanManage      bool
	Endpoint                 WebhookRow
	Deliveries               []DeliveryRow
	// Form is the edit form (owners and admins), filled with the endpoint's settings or
	// with a refused change and its errors.
	Form WebhookForm
	// Notice is a sentence shown at the top, such as why a redelivery was refused.
	Notice string
}

// DeliveryRow is one line of the delivery log.
type DeliveryRow struct {
	ID, EventID, EventType, Status string
	Attempts, ResponseCode         int
	LatencyMS                      int64
	LastError                      string
	CreatedAt                      time.Time
	LastAttemptAt, NextAttemptAt   *time.Time
}

// WebhookSecretVM is the page that shows a new or rotated signing secret once.
type WebhookSecretVM struct {
	TeamID, EndpointID, URL, Secret string
	Rotated                         bool
	PreviousUntil                   time.Time
}
