package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// updateWebhook handles "POST /teams/:team/webhooks/:webhook/settings": a new URL,
// description and events, checked like a new endpoint's. The signing secret stays.
func (h *Handler) updateWebhook(c echo.Context) error {
	teamID, id := c.Param("team"), c.Param("webhook")
	in := models.WebhookEndpointInput{URL: c.FormValue("url"), Description: c.FormValue("description"), Events: eventsField(c)}
	err := h.Store.UpdateWebhookEndpoint(c.Request().Context(), actor(c), teamID, id, in)
	if f := validation(err); f != nil {
		return h.renderWebhook(c, http.StatusUnprocessableEntity, func(vm *views.WebhookVM) {
			vm.Form.URL, vm.Form.Description, vm.Form.Events, vm.Form.Errors = in.URL, in.Description, in.Events, f
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.WebhookPath(teamID, id), "success", "Endpoint saved. Its signing secret is unchanged.")
}
