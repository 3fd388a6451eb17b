package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	return h.renderWebhook(c, http.StatusOK, nil)
}

// renderWebhook renders an endpoint's page with status; adjust, if set, changes the
// view model first (a refused edit, a notice).
func (h *Handler) renderWebhook(c echo.Context, status int, adjust func(*views.WebhookVM)) error {
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
		Endpoint: webhookRow(ep, h.Store.Now()),
		Form: views.WebhookForm{URL: ep.URL, Description: ep.Description, Events: strings.Fields(ep.Events),
			EventTypes: models.WebhookEventTypes}}
	for _, d := range ds {
		row := views.DeliveryRow{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
			ResponseCode: d.ResponseCode, LatencyMS: d.LatencyMS, LastError: d.LastError, CreatedAt: d.CreatedAt, LastAttemptAt: d.LastAttemptAt}
		if d.Status == models.DeliveryPending {
			next := d.NextAttemptAt
			row.NextAttemptAt = &next
		}
		vm.Deliveries = append(vm.Deliveries, row)
	}
	if adjust != nil {
		adjust(&vm)
	}
	return httpx.Render(c, status, views.WebhookPage(h.page(c, "Webhook · "+tv.Name), vm))
}

// rateLimited answers a redelivery or test event refused by the endpoint's limit: 429
// with Retry-After, and the endpoint's page saying when to try again. Any other err is
// returned as it is.
func (h *Handler) rateLimited(c echo.Context, err error) error {
	var rl *models.RateLimitError
	if !errors.As(err, &rl) {
		return err
	}
	secs := rl.RetryAfterSeconds()
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return h.renderWebhook(c, http.StatusTooManyRequests, func(vm *views.WebhookVM) {
		vm.Notice = fmt.Sprintf("Not sent: this endpoint may be given at most %d redeliveries and test events a minute. Try again in %s.",
			models.WebhookManualSends, plural(secs, "second"))
	})
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
