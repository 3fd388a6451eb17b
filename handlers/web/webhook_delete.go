package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteWebhook handles "POST /teams/:team/webhooks/:webhook/delete".
func (h *Handler) deleteWebhook(c echo.Context) error {
	teamID := c.Param("team")
	if err := h.Store.DeleteWebhookEndpoint(c.Request().Context(), actor(c), teamID, c.Param("webhook")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.WebhooksPath(teamID), "success", "Endpoint deleted.")
}
