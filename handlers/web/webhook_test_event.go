package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// sendTestWebhook handles "POST /teams/:team/webhooks/:webhook/test": a webhook.test
// event is queued; the background sender delivers it within a second or so.
// Limited like redeliveries (429 beyond the limit).
func (h *Handler) sendTestWebhook(c echo.Context) error {
	teamID, id := c.Param("team"), c.Param("webhook")
	if err := h.Store.SendTestWebhook(c.Request().Context(), actor(c), teamID, id); err != nil {
		return h.rateLimited(c, err)
	}
	return h.redirectWithFlash(c, views.WebhookPath(teamID, id), "success", "Test event queued. Reload to see its delivery.")
}
