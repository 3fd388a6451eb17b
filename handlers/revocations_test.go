package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// Every way a key is revoked — the page, a pasted value, /oauth/revoke, an access
// change, a secret-scanning report, a deleted project — goes through one path: the key's project counts it once
// in its usage, the metrics count it once under its channel, the audit log has one
// event for it and the outbox one EventAPIKeyRevoked. Revoking it again counts nothing.
func TestEveryRevocationCountedOnce(t *testing.T) {
	gh := newGHKey(t, "gh-key-1")
	keyFile := filepath.Join(t.TempDir(), "github-keys.json")
	writeGHKeys(t, keyFile, gh)
	e := newEnv(t, func(o *envOptions) { o.metricsToken, o.leakKeysFile = testMetricsToken, keyFile })
	ctx := context.Background()
	cl := newOAuthClient(t, e, "revocations@example.com")
	p, owner := cl.project, cl.owner
	var ids, tokens []string
	for i, scopes := range [][]string{{"orders:read"}, {"orders:read"}, {"orders:read"}, {"orders:write"}, {"orders:read"}, {"orders:read"}} {
		in := apiKeyInput(cl)
		in.Name, in.Scopes = "key"+string(rune('1'+i)), scopes
		k, token, err := e.store.CreateAPIKey(ctx, owner.actor, p.ID, in, "")
		if err != nil {
			t.Fatal(err)
		}
		ids, tokens = append(ids, k.ID), append(tokens, token)
	}

	// 1: on the page (twice: the second changes nothing).
	for range 2 {
		if res := owner.postForm("/projects/"+p.ID+"/keys/"+ids[0]+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke on the page: %d", res.StatusCode)
		}
	}
	// 2: by pasting its value.
	if res := owner.postForm("/projects/"+p.ID+"/keys/revoke-by-value", url.Values{"key": {tokens[1]}}); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke by value: %d", res.StatusCode)
	}
	// 3: by its project at /oauth/revoke (twice).
	for range 2 {
		if res, _, raw := oauthPost(t, e, "/oauth/revoke", url.Values{"token": {tokens[2]}}, p.ID, cl.secret); res.StatusCode != http.StatusOK {
			t.Fatalf("/oauth/revoke: %d %s", res.StatusCode, raw)
		}
	}
	// 4: the scope it carries is removed from the API.
	if res := owner.postForm("/apis/"+cl.api.ID+"/scopes/remove", url.Values{"name": {"orders:write"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("remove scope: %d", res.StatusCode)
	}

	// 5: GitHub's secret scanning reports it (twice).
	for range 2 {
		if v := report(t, e, gh, tokens[4]); v[0].Label != "true_positive" {
			t.Fatalf("leak report: %+v", v)
		}
	}

	d := doc(t, owner.b.get("/projects/"+p.ID))
	if got := d.Find(`[data-testid="usage-revocations-today"]`).Text(); got != "5" {
		t.Errorf("revocations today on the project page = %q, want 5 (page, paste, /oauth/revoke, access change, leak report)", got)
	}
	audit, _, err := e.store.AuditEvents(ctx, owner.actor, p.TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	revokedEvents := map[string]int{}
	for _, ev := range audit {
		if ev.TargetType == "api_key" && strings.HasPrefix(ev.Action, "key.revoke") {
			revokedEvents[ev.TargetID]++
		}
	}
	for _, id := range ids[:5] {
		if revokedEvents[id] != 1 {
			t.Errorf("audit events for revoking %s: %d, want 1", id, revokedEvents[id])
		}
	}

	// 6: its project is deleted.
	if res := owner.postForm("/projects/"+p.ID+"/delete", url.Values{"confirm_name": {p.Name}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete project: %d", res.StatusCode)
	}
	u, err := store.NewUsage(e.store).UsageFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.RevocationsToday != 6 {
		t.Errorf("the deleted project's revocations today = %d, want 6", u.RevocationsToday)
	}
	audit, _, err = e.store.AuditEvents(ctx, owner.actor, p.TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range audit {
		if ev.TargetType == "api_key" && ev.TargetID == ids[5] && ev.Action == "key.revoke" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("audit events for the key revoked with its project: %d, want 1", n)
	}

	outbox, err := e.store.Outbox(ctx, models.OutboxFilter{Type: models.EventAPIKeyRevoked})
	if err != nil {
		t.Fatal(err)
	}
	var subjects, vias []string
	for _, ev := range outbox {
		if ev.ProjectID != p.ID || ev.TeamID != p.TeamID {
			continue
		}
		var data struct{ Via string }
		if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
			t.Fatalf("outbox event data %q: %v", ev.Data, err)
		}
		subjects, vias = append(subjects, ev.SubjectID), append(vias, data.Via)
	}
	if !slices.Equal(subjects, ids) {
		t.Errorf("outbox revocation events name %v, want each key once, in order: %v", subjects, ids)
	}
	wantVias := []string{models.ViaPage, models.ViaPaste, models.ViaOAuthRevoke, models.ViaAccessChange, models.ViaLeakReport, models.ViaProjectDelete}
	if !slices.Equal(vias, wantVias) {
		t.Errorf("outbox events say via %v, want %v", vias, wantVias)
	}

	got := scrape(t, e)
	for _, via := range wantVias {
		if want := `gatehouse_api_keys_revoked_total{via="` + via + `"} 1`; !strings.Contains(got, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
