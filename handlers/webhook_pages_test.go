package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// TestWebhookEditForm: an owner changes an endpoint's URL, description and events on
// its page; the page says the secret stays; a refused URL re-renders the form with its
// error and changes nothing; a developer is not offered the form and is refused.
func TestWebhookEditForm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "hook-owner@example.com")
	dev := signedInMember(t, e, "hook-dev@example.com")
	fx := newFixture(t, e, owner, map[models.Role]*member{models.RoleDeveloper: dev}, "Hooks")
	page := "/teams/" + fx.team + "/webhooks/" + fx.webhook
	before, err := e.store.WebhookEndpoint(ctx, owner.actor, fx.team, fx.webhook)
	if err != nil {
		t.Fatal(err)
	}

	d := doc(t, owner.b.get(page))
	form := d.Find(`[data-testid="webhook-edit-form"]`)
	if form.Length() != 1 {
		t.Fatal("the owner is not offered the edit form")
	}
	if got := form.Find(`input[name="url"]`).AttrOr("value", ""); got != before.URL {
		t.Errorf("the form's URL is %q, want the endpoint's %q", got, before.URL)
	}
	if !form.Find(`input[name="events"][value="api_key.created"]`).Is("[checked]") {
		t.Error("the subscribed event is not checked in the form")
	}
	if note := d.Find(`[data-testid="webhook-edit-secret-note"]`).Text(); !strings.Contains(note, "keeps the signing secret") {
		t.Errorf("the form does not say the secret stays: %q", note)
	}

	// Refused: an internal address. The form comes back open with the error.
	res := owner.b.post(page+"/settings", url.Values{"_csrf": {owner.csrf}, "url": {"https://10.0.0.8/hook"},
		"description": {"x"}, "events": {"api_key.created"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("internal URL: %d, want 422", res.StatusCode)
	}
	d = doc(t, res)
	if d.Find(`[data-testid="webhook-edit"][open]`).Length() != 1 || d.Find(`[data-testid="webhook-edit-form"] [data-testid="field-error"]`).Length() == 0 {
		t.Error("the refused edit does not show the open form with a field error")
	}
	if got := d.Find(`[data-testid="webhook-edit-form"] input[name="url"]`).AttrOr("value", ""); got != "https://10.0.0.8/hook" {
		t.Errorf("the refused form shows URL %q, want what was typed", got)
	}

	// A developer may not.
	res = dev.b.post(page+"/settings", url.Values{"_csrf": {dev.csrf}, "url": {"https://203.0.113.20/hook"}, "events": {"api_key.created"}}, nil)
	readBody(res)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("developer edits: %d, want 403", res.StatusCode)
	}
	if doc(t, dev.b.get(page)).Find(`[data-testid="webhook-edit-form"]`).Length() != 0 {
		t.Error("a developer is offered the edit form")
	}

	// Saved.
	res = owner.b.post(page+"/settings", url.Values{"_csrf": {owner.csrf}, "url": {" https://203.0.113.20/moved "},
		"description": {"Moved"}, "events": {"api_key.revoked", "member.added"}, "team_id": {"team_evil"}}, nil)
	readBody(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("save: %d to %q, want 303 to the endpoint", res.StatusCode, res.Header.Get("Location"))
	}
	after, err := e.store.WebhookEndpoint(ctx, owner.actor, fx.team, fx.webhook)
	if err != nil {
		t.Fatal(err)
	}
	if after.URL != "https://203.0.113.20/moved" || after.Description != "Moved" || after.Events != "api_key.revoked member.added" ||
		after.TeamID != fx.team {
		t.Errorf("after saving: %+v", after)
	}
	if after.SecretEnc != before.SecretEnc {
		t.Error("changing the URL changed the secret")
	}
	d = doc(t, owner.b.get(page))
	if !strings.Contains(d.Find(`[data-testid="webhook"]`).Text(), "https://203.0.113.20/moved") {
		t.Error("the page does not show the new URL")
	}
	audit, _, err := e.store.AuditLog(ctx, owner.actor, fx.team, models.AuditFilter{Action: "webhook.update"})
	if err != nil || len(audit) != 1 {
		t.Errorf("webhook.update audit events: %d %v, want 1", len(audit), err)
	}
}

// TestWebhookManualSendsLimitedOnThePage: beyond the limit, Redeliver and Send test
// event answer 429 with Retry-After and a sentence on the endpoint's page; a minute
// later (the portal's clock moved, not slept) they work again.
func TestWebhookManualSendsLimitedOnThePage(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "limit-owner@example.com")
	fx := newFixture(t, e, owner, nil, "Limits")
	page := "/teams/" + fx.team + "/webhooks/" + fx.webhook
	form := url.Values{"_csrf": {owner.csrf}}
	// The fixture sent one test event already.
	for i := 1; i < models.WebhookManualSends; i++ {
		target := page + "/test"
		if i%2 == 0 {
			target = page + "/deliveries/" + fx.delivery + "/redeliver"
		}
		res := owner.b.post(target, form, nil)
		readBody(res)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: %d, want 303", i+1, res.StatusCode)
		}
	}
	e.advance(15 * time.Second)
	for _, target := range []string{page + "/test", page + "/deliveries/" + fx.delivery + "/redeliver"} {
		res := owner.b.post(target, form, nil)
		if res.StatusCode != http.StatusTooManyRequests {
			readBody(res)
			t.Errorf("POST %s beyond the limit: %d, want 429", target, res.StatusCode)
			continue
		}
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra != 45 {
			t.Errorf("POST %s: Retry-After %q, want 45 (seconds until the oldest send is a minute old)", target, res.Header.Get("Retry-After"))
		}
		notice := doc(t, res).Find(`[data-testid="webhook-notice"]`).Text()
		if !strings.Contains(notice, "at most 10 redeliveries and test events a minute") || !strings.Contains(notice, "45 seconds") {
			t.Errorf("POST %s: the page says %q", target, notice)
		}
	}
	e.advance(45 * time.Second)
	res := owner.b.post(page+"/test", form, nil)
	readBody(res)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("a minute after the first send: %d, want 303", res.StatusCode)
	}
}
