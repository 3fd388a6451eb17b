package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The settings form sets the mutual-TLS settings: only the team's admins may, a bad
// value is refused with the field marked and nothing changed, and the change is
// audited. The Management API reads and sets the same.
func TestMutualTLSSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "mtls-admin@example.com")
	p := cl.project
	form := func(m *member, field, value string, methods ...string) url.Values {
		return url.Values{"_csrf": {m.csrf}, "name": {p.Name}, "token_ttl_minutes": {"15"}, "grant_types": {"client_credentials"},
			"auth_methods_shown": {"1"}, "auth_methods": methods, "mtls_shown": {"1"},
			"tls_auth_field": {field}, "tls_auth_value": {value}, "certificate_bound_tokens": {"on"}}
	}
	stored := func() *models.Project {
		pv, err := e.store.ProjectFor(ctx, cl.owner.actor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return &pv.Project
	}

	// A developer of the team may not.
	dev := signedInMember(t, e, "mtls-dev@example.com")
	_, inv, err := e.store.CreateInvitation(ctx, cl.owner.actor, p.TeamID, models.RoleDeveloper, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AcceptInvitation(ctx, dev.actor, inv); err != nil {
		t.Fatal(err)
	}
	if res := dev.b.post("/projects/"+p.ID+"/settings", form(dev, "san_dns", "evil.example.com", "tls_client_auth"), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("developer: status %d, want 403", res.StatusCode)
	}
	for name, tc := range map[string][3]string{
		"BadIP":        {"san_ip", "not-an-ip", "tls_client_auth"},
		"BadDN":        {"subject_dn", "billing", "tls_client_auth"},
		"UnknownField": {"serial", "12", "tls_client_auth"},
		"MethodNoRule": {"", "", "tls_client_auth"},
		"MultiLineSAN": {"san_dns", "a.example.com\nb.example.com", "tls_client_auth"},
	} {
		res := cl.owner.b.post("/projects/"+p.ID+"/settings", form(cl.owner, tc[0], tc[1], tc[2]), nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.StatusCode)
			continue
		}
		if d := doc(t, res); d.Find(`[data-testid="settings-tls-value"][aria-invalid="true"]`).Length() == 0 {
			t.Errorf("%s: the value field is not marked invalid", name)
		}
	}
	if got := stored(); got.TLSAuthField != "" || got.CertificateBoundTokens || got.UsesTLSAuth() {
		t.Fatalf("refused changes were stored: %+v", got)
	}

	res := cl.owner.b.post("/projects/"+p.ID+"/settings", form(cl.owner, "san_ip", " 10.0.0.7 ", "tls_client_auth", "self_signed_tls_client_auth"), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin: status %d %s", res.StatusCode, readBody(res))
	}
	got := stored()
	if got.TLSAuthField != "san_ip" || got.TLSAuthValue != "10.0.0.7" || !got.CertificateBoundTokens ||
		!got.AcceptsAuth(models.AuthTLSClientAuth) || !got.AcceptsAuth(models.AuthSelfSignedTLS) {
		t.Errorf("stored %+v", got)
	}
	d := doc(t, cl.owner.b.get("/projects/"+p.ID+"/settings"))
	if v, _ := d.Find(`[data-testid="settings-tls-field"] option[selected]`).Attr("value"); v != "san_ip" {
		t.Errorf("field shown: %q", v)
	}
	if v, _ := d.Find(`[data-testid="settings-tls-value"]`).Attr("value"); v != "10.0.0.7" {
		t.Errorf("value shown: %q", v)
	}
	events, _, err := e.store.AuditEvents(ctx, cl.owner.actor, p.TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Action != "project.update" || !strings.Contains(events[0].Details, `"tls_auth_value":"10.0.0.7"`) {
		t.Errorf("latest audit event %+v, want project.update naming the rule", events[0])
	}

	// The Management API: the rule as a field and value, set by PATCH under If-Match.
	pat := patFor(t, e, cl.owner)
	c := &apiClient{t: t, e: e, token: pat, doc: loadOpenAPI(t, e)}
	r := c.call(http.MethodGet, "/projects/"+p.ID, nil, nil).want(t, http.StatusOK)
	body := r.json(t)
	if rule, _ := body["tls_client_auth"].(map[string]any); rule["field"] != "san_ip" || rule["value"] != "10.0.0.7" || body["tls_client_certificate_bound_access_tokens"] != true {
		t.Errorf("GET project: %v", body)
	}
	patch := map[string]any{"tls_client_auth": map[string]string{"field": "san_uri", "value": "spiffe://example.org/billing"},
		"tls_client_certificate_bound_access_tokens": false}
	c.call(http.MethodPatch, "/projects/"+p.ID, patch, map[string]string{"If-Match": r.header.Get("ETag")}).want(t, http.StatusOK)
	if got := stored(); got.TLSAuthField != "san_uri" || got.TLSAuthValue != "spiffe://example.org/billing" || got.CertificateBoundTokens {
		t.Errorf("after PATCH: %+v", got)
	}
}
