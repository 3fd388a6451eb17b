package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// redeliverWebhook handles "POST /teams/:team/webhooks/:webhook/deliveries/:delivery/redeliver":
// the delivery is queued again with the same event id and body, at most
// models.WebhookManualSends of these and test events per endpoint per minute (429 beyond).
func (h *Handler) redeliverWebhook(c echo.Context) error {
	teamID, id := c.Param("team"), c.Param("webhook")
	if err := h.Store.RedeliverWebhook(c.Request().Context(), actor(c), teamID, id, c.Param("delivery")); err != nil {
		return h.rateLimited(c, err)
	}
	return h.redirectWithFlash(c, views.WebhookPath(teamID, id), "success", "Delivery queued again.")
}
