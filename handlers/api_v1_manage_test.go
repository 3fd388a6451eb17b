package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// etag is the answer's ETag, which must be there.
func (r apiResult) etag(t *testing.T) string {
	t.Helper()
	tag := r.header.Get("ETag")
	if tag == "" {
		t.Fatalf("no ETag on %d %s", r.status, r.body)
	}
	return tag
}

// ifMatch is an If-Match header naming tag.
func ifMatch(tag string) map[string]string { return map[string]string{"If-Match": tag} }

// TestAPIWalkTeamAndAccess drives the members, invitations, API, scope, grant, access
// request and client key routes as scripts would, validating every answer against the
// document, and checks the rules the pages enforce hold here too.
func TestAPIWalkTeamAndAccess(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	ctx := context.Background()
	owner := signedInMember(t, e, "owner@manage.example")
	admin := signedInMember(t, e, "admin@manage.example")
	dev := signedInMember(t, e, "dev@manage.example")
	fx := newFixture(t, e, owner, map[models.Role]*member{models.RoleAdmin: admin, models.RoleDeveloper: dev}, "Manage")
	outsider := signedInMember(t, e, "outsider@manage.example")
	foreign := newFixture(t, e, outsider, nil, "Foreign")

	write := url.Values{"scope": {"write"}, "expires_in_days": {"30"}}
	token := func(m *member, name string) string {
		f := url.Values{"name": {name}}
		for k, v := range write {
			f[k] = v
		}
		return createPATViaPage(t, m, f)
	}
	oc := &apiClient{t: t, e: e, doc: d, token: token(owner, "owner")}
	ac := &apiClient{t: t, e: e, doc: d, token: token(admin, "admin")}
	xc := &apiClient{t: t, e: e, doc: d, token: token(outsider, "outsider")}
	team := "/teams/" + fx.team

	// Members: read with an ETag, change under If-Match, by the pages' rules.
	mpath := team + "/members/" + dev.actor.User.ID
	tag := oc.call("GET", mpath, nil, nil).want(t, http.StatusOK).etag(t)
	oc.call("PATCH", mpath, map[string]any{"role": "admin"}, nil).want(t, http.StatusPreconditionRequired)
	oc.call("PATCH", mpath, map[string]any{"role": "admin"}, ifMatch(`"stale"`)).want(t, http.StatusPreconditionFailed)
	oc.call("PATCH", mpath, map[string]any{"role": "emperor"}, ifMatch(tag)).want(t, http.StatusUnprocessableEntity)
	r := oc.call("PATCH", mpath, map[string]any{"role": "viewer"}, ifMatch(tag)).want(t, http.StatusOK)
	if r.json(t)["role"] != "viewer" || r.etag(t) == tag {
		t.Errorf("role change: %s (ETag %s, was %s)", r.body, r.etag(t), tag)
	}
	oc.call("PATCH", mpath, map[string]any{"role": "developer"}, ifMatch(tag)).want(t, http.StatusPreconditionFailed)
	if ms, err := e.store.Members(ctx, owner.actor, fx.team); err != nil {
		t.Fatal(err)
	} else if i := slices.IndexFunc(ms, func(m models.Member) bool { return m.UserID == dev.actor.User.ID }); ms[i].Role != models.RoleViewer {
		t.Errorf("store says role %s after the API changed it to viewer", ms[i].Role)
	}
	// An admin cannot touch an owner, nor make anyone an owner; nobody changes their own role.
	otag := ac.call("GET", team+"/members/"+owner.actor.User.ID, nil, nil).want(t, http.StatusOK).etag(t)
	ac.call("PATCH", team+"/members/"+owner.actor.User.ID, map[string]any{"role": "viewer"}, ifMatch(otag)).want(t, http.StatusForbidden)
	ac.call("DELETE", team+"/members/"+owner.actor.User.ID, nil, ifMatch(otag)).want(t, http.StatusForbidden)
	tag = ac.call("GET", mpath, nil, nil).want(t, http.StatusOK).etag(t)
	ac.call("PATCH", mpath, map[string]any{"role": "owner"}, ifMatch(tag)).want(t, http.StatusForbidden)
	oc.call("PATCH", team+"/members/"+owner.actor.User.ID, map[string]any{"role": "admin"}, ifMatch(otag)).want(t, http.StatusForbidden)
	// Remove: If-Match required; then the member is gone and sees nothing.
	ac.call("DELETE", mpath, nil, nil).want(t, http.StatusPreconditionRequired)
	ac.call("DELETE", mpath, nil, ifMatch(tag)).want(t, http.StatusNoContent)
	ac.call("GET", mpath, nil, nil).want(t, http.StatusNotFound)
	if _, err := e.store.TeamFor(ctx, dev.actor, fx.team); models.ErrorCode(err) != models.CodeNotFound {
		t.Errorf("the removed member still sees the team: %v", err)
	}

	// Invitations: the link once, no-store; a repeat is 409 without it; revoke.
	ir := ac.call("POST", team+"/invitations", map[string]any{"role": "developer", "expires_in_days": 3}, map[string]string{"Idempotency-Key": "inv-1"}).
		want(t, http.StatusCreated)
	if cc := ir.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("invitation Cache-Control %q", cc)
	}
	inv := ir.json(t)
	link := inv["link"].(string)
	tok := link[strings.LastIndex(link, "/")+1:]
	if !strings.HasPrefix(link, e.portal.URL+"/invitations/") {
		t.Errorf("link %q", link)
	}
	if info, err := e.store.InvitationByToken(ctx, tok); err != nil || info.ID != inv["id"] {
		t.Fatalf("the link's token names %v (%v), want %v", info, err, inv["id"])
	}
	again := ac.call("POST", team+"/invitations", map[string]any{"role": "developer", "expires_in_days": 3}, map[string]string{"Idempotency-Key": "inv-1"}).
		want(t, http.StatusConflict)
	if strings.Contains(string(again.body), tok) || again.json(t)["resource_id"] != inv["id"] {
		t.Errorf("repeat: %s", again.body)
	}
	ac.call("POST", team+"/invitations", map[string]any{"role": "owner"}, nil).want(t, http.StatusForbidden) // admins invite up to admin
	il := ac.call("GET", team+"/invitations", nil, nil).want(t, http.StatusOK)
	if !strings.Contains(string(il.body), inv["id"].(string)) || strings.Contains(string(il.body), tok) {
		t.Errorf("invitation list: %s", il.body)
	}
	ac.call("POST", team+"/invitations/"+inv["id"].(string)+"/revoke", nil, nil).want(t, http.StatusNoContent)
	if strings.Contains(string(ac.call("GET", team+"/invitations", nil, nil).want(t, http.StatusOK).body), inv["id"].(string)) {
		t.Error("a revoked invitation is still listed")
	}
	if _, err := e.store.AcceptInvitation(ctx, outsider.actor, tok); err == nil {
		t.Error("a revoked invitation's link still works")
	}

	// APIs: register (Idempotency-Key), read, change and delete under If-Match.
	body := map[string]any{"name": "Ledger", "identifier": "https://ledger.manage.example", "listed": true,
		"scopes": []map[string]any{{"name": "read", "description": "Read"}, {"name": "write", "description": "Write"}}}
	created := ac.call("POST", team+"/apis", body, map[string]string{"Idempotency-Key": "api-1"}).want(t, http.StatusCreated).json(t)
	replay := ac.call("POST", team+"/apis", body, map[string]string{"Idempotency-Key": "api-1"}).want(t, http.StatusCreated)
	if replay.json(t)["id"] != created["id"] || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a repeated registration: %s", replay.body)
	}
	apiID := created["id"].(string)
	ap := "/apis/" + apiID
	if n := len(created["scopes"].([]any)); n != 2 {
		t.Errorf("registered with %d scopes", n)
	}
	tag = ac.call("GET", ap, nil, nil).want(t, http.StatusOK).etag(t)
	ac.call("PATCH", ap, map[string]any{"description": "Money"}, nil).want(t, http.StatusPreconditionRequired)
	ac.call("PATCH", ap, map[string]any{"description": "Money"}, ifMatch(`"stale"`)).want(t, http.StatusPreconditionFailed)
	ac.call("PATCH", ap, map[string]any{"accepts_api_keys": false, "accepts_access_tokens": false}, ifMatch(tag)).want(t, http.StatusUnprocessableEntity)
	u := ac.call("PATCH", ap, map[string]any{"description": "Money", "max_token_ttl_minutes": 15}, ifMatch(tag)).want(t, http.StatusOK)
	if got := u.json(t); got["description"] != "Money" || got["max_token_ttl_minutes"] != float64(15) || got["listed"] != true {
		t.Errorf("patched API: %s", u.body)
	}
	tag = u.etag(t)
	sc := ac.call("POST", ap+"/scopes", map[string]any{"name": "admin", "description": "Administer"}, nil).want(t, http.StatusCreated)
	ac.call("POST", ap+"/scopes", map[string]any{"name": "admin"}, nil).want(t, http.StatusUnprocessableEntity) // defined already
	ac.call("DELETE", ap+"/scopes/admin", nil, ifMatch(tag)).want(t, http.StatusPreconditionFailed)             // the scope changed the API
	ac.call("DELETE", ap+"/scopes/admin", nil, ifMatch(sc.etag(t))).want(t, http.StatusNoContent)
	if strings.Contains(string(ac.call("GET", ap, nil, nil).want(t, http.StatusOK).body), `"admin"`) {
		t.Error("the removed scope is still listed")
	}

	// Grants: create, read, narrow under If-Match (revoking keys), revoke.
	g := ac.call("POST", ap+"/grants", map[string]any{"project": fx.project, "scopes": []string{"read", "write"}}, nil).want(t, http.StatusCreated).json(t)
	ac.call("POST", ap+"/grants", map[string]any{"project": foreign.project, "scopes": []string{"read"}}, nil).want(t, http.StatusUnprocessableEntity) // another team's project asks
	gp := ap + "/grants/" + g["id"].(string)
	gtag := ac.call("GET", gp, nil, nil).want(t, http.StatusOK).etag(t)
	key := oc.call("POST", "/projects/"+fx.project+"/keys", map[string]any{"name": "w", "api": apiID, "scopes": []string{"write"}, "expires_in_days": 7}, nil).
		want(t, http.StatusCreated).json(t)
	ac.call("PATCH", gp, map[string]any{"scopes": []string{"read"}}, nil).want(t, http.StatusPreconditionRequired)
	ac.call("PATCH", gp, map[string]any{"scopes": []string{"nope"}}, ifMatch(gtag)).want(t, http.StatusUnprocessableEntity)
	ng := ac.call("PATCH", gp, map[string]any{"scopes": []string{"read"}}, ifMatch(gtag)).want(t, http.StatusOK).json(t)
	if !slices.Equal(strings.Fields(str(ng["scopes"])), []string{"read"}) {
		t.Errorf("narrowed grant: %v", ng)
	}
	ac.call("PATCH", gp, map[string]any{"scopes": []string{"read", "write"}}, ifMatch(gtag)).want(t, http.StatusPreconditionFailed)
	if keys, err := e.store.APIKeys(ctx, owner.actor, fx.project); err != nil {
		t.Fatal(err)
	} else if i := slices.IndexFunc(keys, func(k models.APIKeyInfo) bool { return k.ID == key["id"] }); keys[i].RevokedAt == nil {
		t.Error("narrowing the grant left a key carrying the lost scope unrevoked")
	}
	ac.call("POST", gp+"/revoke", nil, nil).want(t, http.StatusNoContent)
	ac.call("GET", gp, nil, nil).want(t, http.StatusNotFound)

	// Access requests from another team: ask, list on both sides, approve narrowed,
	// decide twice (409), deny, withdraw.
	rq := xc.call("POST", ap+"/requests", map[string]any{"project": foreign.project, "scopes": []string{"read", "write"}, "note": "billing"},
		map[string]string{"Idempotency-Key": "req-1"}).want(t, http.StatusCreated).json(t)
	if rq["status"] != "pending" || rq["note"] != "billing" {
		t.Errorf("request: %v", rq)
	}
	xc.call("POST", ap+"/requests", map[string]any{"project": foreign.project, "scopes": []string{"read"}, "note": "billing"},
		map[string]string{"Idempotency-Key": "req-1"}).want(t, http.StatusUnprocessableEntity) // the key, reused for another body
	if !strings.Contains(string(ac.call("GET", ap+"/requests", nil, nil).want(t, http.StatusOK).body), rq["id"].(string)) {
		t.Error("the API's team does not see the request")
	}
	xc.call("GET", ap+"/requests", nil, nil).want(t, http.StatusNotFound) // only the API's team lists them
	if !strings.Contains(string(xc.call("GET", "/projects/"+foreign.project+"/requests", nil, nil).want(t, http.StatusOK).body), rq["id"].(string)) {
		t.Error("the requesting project does not list its request")
	}
	xc.call("POST", ap+"/requests/"+rq["id"].(string)+"/approve", map[string]any{}, nil).want(t, http.StatusNotFound)
	dec := ac.call("POST", ap+"/requests/"+rq["id"].(string)+"/approve", map[string]any{"scopes": []string{"read"}, "note": "read only"}, nil).
		want(t, http.StatusOK).json(t)
	if dec["status"] != "approved" || str(dec["granted_scopes"]) != "read" || dec["decided_at"] == nil {
		t.Errorf("approved: %v", dec)
	}
	ac.call("POST", ap+"/requests/"+rq["id"].(string)+"/deny", nil, nil).want(t, http.StatusConflict)
	if gs, err := e.store.ProjectGrants(ctx, outsider.actor, foreign.project); err != nil {
		t.Fatal(err)
	} else if i := slices.IndexFunc(gs, func(g models.GrantInfo) bool { return g.APIID == apiID }); i < 0 || gs[i].Scopes != "read" {
		t.Errorf("after approval the project holds %+v", gs)
	}
	rq2 := xc.call("POST", ap+"/requests", map[string]any{"project": foreign.project, "scopes": []string{"write"}}, nil).want(t, http.StatusCreated).json(t)
	ac.call("POST", ap+"/requests/"+rq2["id"].(string)+"/deny", map[string]any{"scopes": []string{"write"}}, nil).want(t, http.StatusUnprocessableEntity)
	den := ac.call("POST", ap+"/requests/"+rq2["id"].(string)+"/deny", map[string]any{"note": "not now"}, nil).want(t, http.StatusOK).json(t)
	if den["status"] != "denied" || den["decision_note"] != "not now" {
		t.Errorf("denied: %v", den)
	}
	rq3 := xc.call("POST", ap+"/requests", map[string]any{"project": foreign.project, "scopes": []string{"write"}}, nil).want(t, http.StatusCreated).json(t)
	w := xc.call("POST", "/projects/"+foreign.project+"/requests/"+rq3["id"].(string)+"/withdraw", nil, nil).want(t, http.StatusOK).json(t)
	if w["status"] != "withdrawn" {
		t.Errorf("withdrawn: %v", w)
	}
	xc.call("POST", "/projects/"+foreign.project+"/requests/"+rq3["id"].(string)+"/withdraw", nil, nil).want(t, http.StatusConflict)

	// Client keys: PEM and JWK, listed with their JWK; removed under If-Match.
	kp := "/projects/" + fx.project + "/client-keys"
	pk := oc.call("POST", kp, map[string]any{"name": "pem", "key": publicPEM(t, &newP256(t).PublicKey)}, nil).want(t, http.StatusCreated).json(t)
	jwk := pk["jwk"].(map[string]any)
	delete(jwk, "kid")
	jk := oc.call("POST", kp, map[string]any{"name": "jwk", "key": jwk, "expires_in_days": 30}, nil).want(t, http.StatusCreated).json(t)
	if jk["kid"] != pk["kid"] || jk["expires_at"] == nil {
		t.Errorf("the same key as a JWK: kid %v, want %v (expires %v)", jk["kid"], pk["kid"], jk["expires_at"])
	}
	oc.call("POST", kp, map[string]any{"name": "bad", "key": "garbage"}, nil).want(t, http.StatusUnprocessableEntity)
	ac.call("POST", kp, map[string]any{"name": "dev"}, nil).want(t, http.StatusUnprocessableEntity)
	if n := len(oc.call("GET", kp, nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)); n != 3 { // the fixture's, and two
		t.Errorf("%d client keys listed, want 3", n)
	}
	ktag := oc.call("GET", kp+"/"+pk["id"].(string), nil, nil).want(t, http.StatusOK).etag(t)
	oc.call("DELETE", kp+"/"+pk["id"].(string), nil, nil).want(t, http.StatusPreconditionRequired)
	oc.call("DELETE", kp+"/"+pk["id"].(string), nil, ifMatch(ktag)).want(t, http.StatusNoContent)
	oc.call("GET", kp+"/"+pk["id"].(string), nil, nil).want(t, http.StatusNotFound)

	// Deleting the API: If-Match stands for the page's typed name.
	tag = ac.call("GET", ap, nil, nil).want(t, http.StatusOK).etag(t)
	ac.call("DELETE", ap, nil, nil).want(t, http.StatusPreconditionRequired)
	ac.call("DELETE", ap, nil, ifMatch(tag)).want(t, http.StatusNoContent)
	ac.call("GET", ap, nil, nil).want(t, http.StatusNotFound)

	// Every new operation was answered with its documented success status.
	for _, k := range []string{
		"GET /teams/{team}/members/{user} 200", "PATCH /teams/{team}/members/{user} 200", "DELETE /teams/{team}/members/{user} 204",
		"GET /teams/{team}/invitations 200", "POST /teams/{team}/invitations 201", "POST /teams/{team}/invitations/{invitation}/revoke 204",
		"POST /teams/{team}/apis 201", "PATCH /apis/{api} 200", "DELETE /apis/{api} 204", "POST /apis/{api}/scopes 201",
		"DELETE /apis/{api}/scopes/{scope} 204", "POST /apis/{api}/grants 201", "GET /apis/{api}/grants/{grant} 200",
		"PATCH /apis/{api}/grants/{grant} 200", "POST /apis/{api}/grants/{grant}/revoke 204", "GET /apis/{api}/requests 200",
		"POST /apis/{api}/requests 201", "POST /apis/{api}/requests/{request}/approve 200", "POST /apis/{api}/requests/{request}/deny 200",
		"GET /projects/{project}/requests 200", "POST /projects/{project}/requests/{request}/withdraw 200",
		"GET /projects/{project}/client-keys 200", "POST /projects/{project}/client-keys 201",
		"GET /projects/{project}/client-keys/{client_key} 200", "DELETE /projects/{project}/client-keys/{client_key} 204",
	} {
		if !d.checked[k] {
			t.Errorf("the walk never got %s", k)
		}
	}
}

// TestAPIIdempotencyKeyReuse: a repeat with the same Idempotency-Key and the same body
// (member order and spacing aside) answers as before; the same key with another body,
// or on another route, is 422 and creates nothing.
func TestAPIIdempotencyKeyReuse(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	owner := signedInMember(t, e, "idem@api.example")
	fx := newFixture(t, e, owner, nil, "Idem")
	c := &apiClient{t: t, e: e, doc: d, token: createPATViaPage(t, owner, url.Values{"name": {"idem"}, "scope": {"write"}, "expires_in_days": {"7"}})}
	path := "/teams/" + fx.team + "/projects"
	key := map[string]string{"Idempotency-Key": "same-key"}

	first := c.call("POST", path, `{"name": "Billing", "description": "x"}`, key).want(t, http.StatusCreated).json(t)
	same := c.call("POST", path, `{"description":"x","name":"Billing"}`, key).want(t, http.StatusCreated)
	if same.json(t)["id"] != first["id"] || same.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same body again: %s", same.body)
	}
	other := c.call("POST", path, map[string]any{"name": "Billing 2"}, key).want(t, http.StatusUnprocessableEntity).json(t)
	if errs, _ := other["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "Idempotency-Key" {
		t.Errorf("reused key: %v", other)
	}
	// The same key on another route is another request too.
	c.call("POST", "/projects/"+fx.project+"/secrets", map[string]any{"name": "Billing"}, key).want(t, http.StatusUnprocessableEntity)
	projects, err := e.store.TeamProjects(context.Background(), owner.actor, fx.team)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range projects {
		if strings.HasPrefix(p.Name, "Billing") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Billing projects, want 1", n)
	}
	secrets, err := e.store.ClientSecrets(context.Background(), owner.actor, fx.project)
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 { // the fixture's
		t.Errorf("%d secrets, want the fixture's one", len(secrets))
	}
	// Without a key, two creates are two objects (nothing is fingerprinted).
	a := c.call("POST", path, map[string]any{"name": "Twice"}, nil).want(t, http.StatusCreated).json(t)
	b := c.call("POST", path, map[string]any{"name": "Twice"}, nil).want(t, http.StatusCreated).json(t)
	if a["id"] == b["id"] {
		t.Error("two creates without a key made one project")
	}
}

// str renders a JSON list of strings as one space-separated string.
func str(v any) string {
	list, _ := v.([]any)
	parts := make([]string, len(list))
	for i, x := range list {
		parts[i], _ = x.(string)
	}
	return strings.Join(parts, " ")
}
