package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// enableWebhook handles "POST /teams/:team/webhooks/:webhook/enable": enabled=1 enables
// the endpoint (its waiting deliveries resume), anything else disables it.
func (h *Handler) enableWebhook(c echo.Context) error {
	teamID, id := c.Param("team"), c.Param("webhook")
	on := c.FormValue("enabled") == "1"
	if err := h.Store.SetWebhookEnabled(c.Request().Context(), actor(c), teamID, id, on); err != nil {
		return err
	}
	msg := "Endpoint disabled. Its events wait until it is enabled again."
	if on {
		msg = "Endpoint enabled. Waiting deliveries are being sent."
	}
	return h.redirectWithFlash(c, views.WebhookPath(teamID, id), "success", msg)
}
