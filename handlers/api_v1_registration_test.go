package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// TestAPIRegistration manages a team's dynamic client registration through /api/v1 as a
// script would — the policy, initial access tokens shown once, their use and revocation
// — validating every answer against the document; a developer and another team's member
// are refused and change nothing.
func TestAPIRegistration(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	owner := signedInMember(t, e, "owner@regapi.example")
	dev := signedInMember(t, e, "dev@regapi.example")
	fx := newFixture(t, e, owner, map[models.Role]*member{models.RoleDeveloper: dev}, "Registrations")
	outsider := signedInMember(t, e, "outsider@regapi.example")
	write := func(m *member, name string) string {
		return createPATViaPage(t, m, url.Values{"name": {name}, "scope": {"write"}, "expires_in_days": {"30"}})
	}
	oc := &apiClient{t: t, e: e, doc: d, token: write(owner, "owner")}
	dc := &apiClient{t: t, e: e, doc: d, token: write(dev, "dev")}
	xc := &apiClient{t: t, e: e, doc: d, token: write(outsider, "outsider")}
	reg := "/teams/" + fx.team + "/registration"

	got := oc.call("GET", reg, nil, nil).want(t, http.StatusOK).json(t)
	if got["policy"] != models.RegistrationOff || got["registration_endpoint"] != e.portal.URL+"/oauth/register" || got["open_registration_here"] != false {
		t.Fatalf("registration settings: %v", got)
	}
	oc.call("PUT", reg, map[string]any{"policy": "everyone"}, nil).want(t, http.StatusUnprocessableEntity)
	oc.call("PUT", reg, `{"policy":"token","extra":1}`, nil).want(t, http.StatusUnprocessableEntity)
	if got := oc.call("PUT", reg, map[string]any{"policy": "token"}, nil).want(t, http.StatusOK).json(t); got["policy"] != models.RegistrationToken {
		t.Fatalf("after PUT: %v", got)
	}

	// A token: its value once, no-store; the list never shows it.
	tokens := reg + "/tokens"
	oc.call("POST", tokens, map[string]any{"label": "agents", "expires_in_days": 2}, nil).want(t, http.StatusUnprocessableEntity)
	oc.call("POST", tokens, map[string]any{"label": "agents", "max_uses": 0}, nil).want(t, http.StatusUnprocessableEntity)
	created := oc.call("POST", tokens, map[string]any{"label": "agents", "expires_in_days": 7, "max_uses": 2},
		map[string]string{"Idempotency-Key": "reg-token-1"}).want(t, http.StatusCreated)
	tok := created.json(t)
	value, _ := tok["value"].(string)
	tokID, _ := tok["id"].(string)
	if !models.CheckInitialAccessTokenFormat(value) || created.header.Get("Cache-Control") != "no-store" || tok["max_uses"] != float64(2) ||
		tok["hint"] != "ghiat_…"+value[len(value)-4:] || tok["status"] != "active" {
		t.Fatalf("created: %s (Cache-Control %q)", created.body, created.header.Get("Cache-Control"))
	}
	if again := oc.call("POST", tokens, map[string]any{"label": "agents", "expires_in_days": 7, "max_uses": 2},
		map[string]string{"Idempotency-Key": "reg-token-1"}).want(t, http.StatusConflict); strings.Contains(string(again.body), value) {
		t.Error("a repeated create shows the value again")
	}
	// It registers a client, and the list counts the use.
	if res, _, raw := register(t, e, value, `{"client_name":"agent","grant_types":["client_credentials"]}`); res.StatusCode != http.StatusCreated {
		t.Fatalf("register with the API's token: %d %s", res.StatusCode, raw)
	}
	list := oc.call("GET", tokens, nil, nil).want(t, http.StatusOK)
	if row := listed(t, list, tokID); row == nil || strings.Contains(string(list.body), value) || row["uses"] != float64(1) {
		t.Fatalf("list: %s", list.body)
	}

	// Refused: a developer, another team's member; nothing changes.
	dc.call("GET", reg, nil, nil).want(t, http.StatusForbidden)
	dc.call("PUT", reg, map[string]any{"policy": "off"}, nil).want(t, http.StatusForbidden)
	dc.call("GET", tokens, nil, nil).want(t, http.StatusForbidden)
	dc.call("POST", tokens, map[string]any{"label": "mine"}, nil).want(t, http.StatusForbidden)
	dc.call("POST", tokens+"/"+tokID+"/revoke", nil, nil).want(t, http.StatusForbidden)
	xc.call("PUT", reg, map[string]any{"policy": "off"}, nil).want(t, http.StatusNotFound)
	xc.call("POST", tokens+"/"+tokID+"/revoke", nil, nil).want(t, http.StatusNotFound)
	if got := oc.call("GET", reg, nil, nil).json(t); got["policy"] != models.RegistrationToken {
		t.Errorf("after refused changes: %v", got)
	}

	// Revoked: it registers nothing more; revoking twice is not an error.
	oc.call("POST", tokens+"/"+tokID+"/revoke", nil, nil).want(t, http.StatusNoContent)
	oc.call("POST", tokens+"/"+tokID+"/revoke", nil, nil).want(t, http.StatusNoContent)
	oc.call("POST", tokens+"/iat_nosuchtoken/revoke", nil, nil).want(t, http.StatusNotFound)
	if res, _, raw := register(t, e, value, `{"client_name":"late","grant_types":["client_credentials"]}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("register with a revoked token: %d %s", res.StatusCode, raw)
	}
	if row := listed(t, oc.call("GET", tokens, nil, nil), tokID); row == nil || row["status"] != "revoked" {
		t.Errorf("after revoking: %v", row)
	}
}

// listed is the item of a list answer with the id, or nil.
func listed(t *testing.T, r apiResult, id string) map[string]any {
	t.Helper()
	items, _ := r.json(t)["items"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}
