package views

// WebhooksPath is a team's Webhooks page and the create-endpoint target:
// /teams/{team}/webhooks.
func WebhooksPath(team string) string { return TeamPath(team) + "/webhooks" }

// WebhookPath is one endpoint's page with its delivery log: /teams/{team}/webhooks/{id}.
func WebhookPath(team, id string) string { return WebhooksPath(team) + "/" + seg(id) }

// WebhookActionPath is one of an endpoint's POST actions: /teams/{team}/webhooks/{id}/{action}
// with action "enable", "rotate", "test", "settings" or "delete".
func WebhookActionPath(team, id, action string) string { return WebhookPath(team, id) + "/" + action }

// WebhookRedeliverPath is /teams/{team}/webhooks/{id}/deliveries/{delivery}/redeliver (POST).
func WebhookRedeliverPath(team, id, delivery string) string {
	return WebhookPath(team, id) + "/deliveries/" + seg(delivery) + "/redeliver"
}
