package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createWebhook handles "POST /teams/:team/webhooks". The endpoint's signing secret is
// shown once, in this no-store response.
func (h *Handler) createWebhook(c echo.Context) error {
	teamID := c.Param("team")
	in := models.WebhookEndpointInput{URL: c.FormValue("url"), Description: c.FormValue("description"), Events: eventsField(c)}
	ep, secret, err := h.Store.CreateWebhookEndpoint(c.Request().Context(), actor(c), teamID, in)
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabWebhooks, func(vm *views.TeamVM) {
			vm.Webhooks.Form.URL, vm.Webhooks.Form.Description, vm.Webhooks.Form.Events, vm.Webhooks.Form.Errors = in.URL, in.Description, in.Events, f
		})
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.WebhookSecretPage(h.page(c, "Webhook added"),
		views.WebhookSecretVM{TeamID: teamID, EndpointID: ep.ID, URL: ep.URL, Secret: secret}))
}
