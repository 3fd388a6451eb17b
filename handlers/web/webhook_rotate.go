package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// rotateWebhook handles "POST /teams/:team/webhooks/:webhook/rotate": a new secret,
// shown once; the old one keeps signing beside it for 24 hours.
func (h *Handler) rotateWebhook(c echo.Context) error {
	ctx, a, teamID := c.Request().Context(), actor(c), c.Param("team")
	secret, err := h.Store.RotateWebhookSecret(ctx, a, teamID, c.Param("webhook"))
	if err != nil {
		return err
	}
	ep, err := h.Store.WebhookEndpoint(ctx, a, teamID, c.Param("webhook"))
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.WebhookSecretPage(h.page(c, "Webhook secret rotated"),
		views.WebhookSecretVM{TeamID: teamID, EndpointID: ep.ID, URL: ep.URL, Secret: secret, Rotated: true,
			PreviousUntil: h.Store.Now().Add(models.WebhookSecretOverlap)}))
}
