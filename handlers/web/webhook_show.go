package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// webhooksTab fills the team page's Webhooks tab ("GET /teams/:team/webhooks").
func (h *Handler) webhooksTab(c echo.Context, vm *views.TeamVM, role models.Role) error {
	eps, err := h.Store.WebhookEndpoints(c.Request().Context(), actor(c), vm.ID)
	if err != nil {
		return err
	}
	vm.Webhooks.CanManage = role.Can(models.ActWebhookManage)
	vm.Webhooks.Form.EventTypes = models.WebhookEventTypes
	for i := range eps {
		vm.Webhooks.Endpoints = append(vm.Webhooks.Endpoints, webhookRow(&eps[i], h.Store.Now()))
	}
	return nil
}

// webhookRow is an endpoint as the pages show it.
func webhookRow(e *models.WebhookEndpoint, now time.Time) views.WebhookRow {
	row := views.WebhookRow{ID: e.ID, URL: e.URL, Description: e.Description, Events: strings.Fields(e.Events), Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt}
	if e.PreviousUntil != nil && now.Before(*e.PreviousUntil) {
		row.RotatingUntil = e.PreviousUntil
	}
	return row
}

// showWebhook handles "GET /teams/:team/webhooks/:webhook": the endpoint, its actions
// and its delivery log.
func (h *Handler) showWebhook(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	teamID := c.Param("team")
	tv, err := h.Store.TeamFor(ctx, a, teamID)
	if err != nil {
		return err
	}
	ep, err := h.Store.WebhookEndpoint(ctx, a, teamID, c.Param("webhook"))
	if err != nil {
		return err
	}
	ds, err := h.Store.WebhookDeliveries(ctx, a, teamID, ep.ID, 50)
	if err != nil {
		return err
	}
	vm := views.WebhookVM{TeamID: tv.ID, TeamName: tv.Name, MyRole: string(tv.MyRole), Personal: tv.Personal,
		CanAudit: tv.MyRole.Can(models.ActAuditView), CanManage: tv.MyRole.Can(models.ActWebhookManage),
		Endpoint: webhookRow(ep, h.Store.Now())}
	for _, d := range ds {
		row := views.DeliveryRow{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
			ResponseCode: d.ResponseCode, LatencyMS: d.LatencyMS, LastError: d.LastError, CreatedAt: d.CreatedAt, LastAttemptAt: d.LastAttemptAt}
		if d.Status == models.DeliveryPending {
			next := d.NextAttemptAt
			row.NextAttemptAt = &next
		}
		vm.Deliveries = append(vm.Deliveries, row)
	}
	return httpx.Render(c, http.StatusOK, views.WebhookPage(h.page(c, "Webhook · "+tv.Name), vm))
}

// eventsField reads the checked event types.
func eventsField(c echo.Context) []string {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range form["events"] {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
