package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatehouse-dev/gatehouse/handlers/api"
	"github.com/gatehouse-dev/gatehouse/models"
)

// apiClient calls /api/v1 with a token and checks every answer against the OpenAPI
// document the portal serves: the operation exists, and the body validates against the
// schema of that status (or the default problem) and content type.
type apiClient struct {
	t     *testing.T
	e     *env
	token string
	doc   *openAPIDoc
}

// apiResult is one answer.
type apiResult struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r apiResult) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

func (c *apiClient) call(method, path string, body any, hdr map[string]string) apiResult {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			raw, err := json.Marshal(b)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequest(method, c.e.portal.URL+api.Prefix+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := apiResult{status: res.StatusCode, header: res.Header, body: b}
	if c.doc != nil {
		c.doc.check(c.t, method, api.Prefix+strings.SplitN(path, "?", 2)[0], out)
	}
	return out
}

// want fails unless the answer has the status.
func (r apiResult) want(t *testing.T, status int) apiResult {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// openAPIDoc is the served document, compiled for validation.
type openAPIDoc struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
	checked  map[string]bool // "METHOD /path STATUS" seen
}

func loadOpenAPI(t *testing.T, e *env) *openAPIDoc {
	t.Helper()
	res, err := http.Get(e.portal.URL + api.Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d", res.StatusCode)
	}
	doc, err := jsonschema.UnmarshalJSON(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("https://gatehouse.test/openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	raw := doc.(map[string]any)
	if raw["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", raw["openapi"])
	}
	return &openAPIDoc{raw: raw, compiler: c, schemas: map[string]*jsonschema.Schema{}, checked: map[string]bool{}}
}

// operation finds the documented operation for a concrete path.
func (d *openAPIDoc) operation(method, path string) (string, map[string]any) {
	paths := d.raw["paths"].(map[string]any)
	for tmpl, item := range paths {
		if !matchTemplate(api.Prefix+tmpl, path) {
			continue
		}
		if op, ok := item.(map[string]any)[strings.ToLower(method)].(map[string]any); ok {
			return tmpl, op
		}
	}
	return "", nil
}

// matchTemplate reports whether path fits an OpenAPI path template.
func matchTemplate(tmpl, path string) bool {
	a, b := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.HasPrefix(a[i], "{") {
			if b[i] == "" {
				return false
			}
			continue
		}
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// check validates one answer against the document.
func (d *openAPIDoc) check(t *testing.T, method, path string, r apiResult) {
	t.Helper()
	tmpl, op := d.operation(method, path)
	if op == nil {
		// Only unknown routes may be undocumented, and they answer a problem.
		if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: answered %d but the document has no such operation", method, path, r.status)
		}
		d.validate(t, method+" "+path, "Problem", "application/problem+json", r)
		return
	}
	responses := op["responses"].(map[string]any)
	resp, ok := responses[fmt.Sprint(r.status)].(map[string]any)
	if !ok {
		resp = responses["default"].(map[string]any)
		if r.status < 400 {
			t.Errorf("%s %s: status %d is not documented", method, tmpl, r.status)
			return
		}
	}
	if ref, ok := resp["$ref"].(string); ok {
		name := ref[strings.LastIndex(ref, "/")+1:]
		resp = d.raw["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	d.checked[method+" "+tmpl+" "+fmt.Sprint(r.status)] = true
	content, ok := resp["content"].(map[string]any)
	if !ok {
		if len(r.body) != 0 {
			t.Errorf("%s %s %d: documented without a body, got %s", method, tmpl, r.status, r.body)
		}
		return
	}
	for ct, media := range content {
		ref := media.(map[string]any)["schema"].(map[string]any)["$ref"].(string)
		d.validate(t, method+" "+tmpl, ref[strings.LastIndex(ref, "/")+1:], ct, r)
	}
}

func (d *openAPIDoc) validate(t *testing.T, what, schema, contentType string, r apiResult) {
	t.Helper()
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, contentType) {
		t.Errorf("%s %d: Content-Type %q, want %q", what, r.status, got, contentType)
	}
	sch, ok := d.schemas[schema]
	if !ok {
		var err error
		sch, err = d.compiler.Compile("https://gatehouse.test/openapi.json#/components/schemas/" + schema)
		if err != nil {
			t.Fatalf("compile %s: %v", schema, err)
		}
		d.schemas[schema] = sch
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("%s %d: body is not JSON: %v", what, r.status, err)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s %d: the body does not match schema %s: %v\n%s", what, r.status, schema, err, r.body)
	}
}

// createPATViaPage creates a personal access token on the account page, as a person
// does, and returns the value the page showed once.
func createPATViaPage(t *testing.T, m *member, form url.Values) string {
	t.Helper()
	form.Set("_csrf", m.csrf)
	form.Set("form_token", models.NewIdempotencyKey())
	res := m.b.post("/account/tokens", form, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create token: %d %s", res.StatusCode, readBody(res))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("token page Cache-Control %q, want no-store", cc)
	}
	tok := strings.TrimSpace(doc(t, res).Find(`[data-testid="secret"]`).First().Text())
	if err := models.CheckPersonalTokenFormat(tok); err != nil {
		t.Fatalf("the page showed %q, not a token: %v", tok, err)
	}
	return tok
}

// TestAPIDocumentCoversRoutes: every documented operation is served, and every /api/v1
// route the router serves is documented.
func TestAPIDocumentCoversRoutes(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	documented := map[string]bool{}
	for tmpl, item := range d.raw["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			documented[strings.ToUpper(m)+" "+api.Prefix+tmpl] = true
		}
	}
	served := map[string]bool{}
	for _, r := range e.h.Echo().Routes() {
		if strings.HasPrefix(r.Path, api.Prefix+"/") {
			p := r.Path
			parts := strings.Split(p, "/")
			for i, s := range parts {
				if strings.HasPrefix(s, ":") {
					parts[i] = "{" + s[1:] + "}"
				}
			}
			served[r.Method+" "+strings.Join(parts, "/")] = true
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented but not served: %s", k)
		}
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not documented: %s", k)
		}
	}
	if len(served) < 20 {
		t.Errorf("only %d routes under %s", len(served), api.Prefix)
	}
	// Every change of an existing object requires If-Match; every answer with a body
	// documents its ETag.
	for tmpl, item := range d.raw["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			op := op.(map[string]any)
			if m == "patch" || m == "delete" {
				found := false
				params, _ := op["parameters"].([]any)
				for _, p := range params {
					p := p.(map[string]any)
					found = found || (p["name"] == "If-Match" && p["in"] == "header" && p["required"] == true)
				}
				if !found {
					t.Errorf("%s %s does not require If-Match", strings.ToUpper(m), tmpl)
				}
			}
			for status, r := range op["responses"].(map[string]any) {
				r := r.(map[string]any)
				if _, body := r["content"]; body && status < "300" {
					if _, ok := r["headers"].(map[string]any)["ETag"]; !ok {
						t.Errorf("%s %s %s: no ETag documented", strings.ToUpper(m), tmpl, status)
					}
				}
			}
		}
	}
}

// TestAPIWalk drives the API as a script would — projects, keys, secrets, lists,
// changes, revocations and errors — and validates every answer against the document.
func TestAPIWalk(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	owner := signedInMember(t, e, "walker@api.example")
	c := &apiClient{t: t, e: e, doc: d}

	// No token, a session cookie instead of a token, a made-up token: one 401.
	r := c.call("GET", "/teams", nil, nil).want(t, http.StatusUnauthorized)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
	}
	res := owner.b.get(api.Prefix + "/teams")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a session cookie authenticated the API: %d", res.StatusCode)
	}
	c.token = models.NewPersonalToken()
	c.call("GET", "/teams", nil, nil).want(t, http.StatusUnauthorized)

	c.token = createPATViaPage(t, owner, url.Values{"name": {"walk"}, "scope": {"write"}, "expires_in_days": {"30"}})
	teams := c.call("GET", "/teams", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	if len(teams) != 1 {
		t.Fatalf("teams = %v", teams)
	}
	team := teams[0].(map[string]any)["id"].(string)
	tr := c.call("GET", "/teams/"+team, nil, nil).want(t, http.StatusOK)
	c.call("GET", "/teams/"+team, nil, map[string]string{"If-None-Match": tr.header.Get("ETag")}).want(t, http.StatusNotModified)
	c.call("GET", "/teams/"+team+"/members", nil, nil).want(t, http.StatusOK)

	// Create a project, twice with one Idempotency-Key: one project.
	e.advance(time.Minute) // lists are ordered by creation time, then id
	p1 := c.call("POST", "/teams/"+team+"/projects", map[string]any{"name": "Provisioned"}, map[string]string{"Idempotency-Key": "create-1"}).
		want(t, http.StatusCreated).json(t)
	p2 := c.call("POST", "/teams/"+team+"/projects", map[string]any{"name": "Provisioned"}, map[string]string{"Idempotency-Key": "create-1"}).
		want(t, http.StatusCreated).json(t)
	if p1["id"] != p2["id"] {
		t.Errorf("a repeated create made a second project: %v, %v", p1["id"], p2["id"])
	}
	pid := p1["id"].(string)

	// Validation: problem details naming the field; nothing written.
	v := c.call("POST", "/teams/"+team+"/projects", map[string]any{"name": ""}, nil).want(t, http.StatusUnprocessableEntity).json(t)
	if errs := v["errors"].([]any); errs[0].(map[string]any)["field"] != "name" {
		t.Errorf("errors = %v", errs)
	}
	c.call("POST", "/teams/"+team+"/projects", `{"name": "x", "team_id": "other"}`, nil).want(t, http.StatusUnprocessableEntity)
	c.call("POST", "/teams/"+team+"/projects", `not json`, nil).want(t, http.StatusUnprocessableEntity)

	// Cursor pagination, stable when a project is added before the cursor.
	page1 := c.call("GET", "/teams/"+team+"/projects?limit=1", nil, nil).want(t, http.StatusOK).json(t)
	cursor, _ := page1["next_cursor"].(string)
	if cursor == "" {
		t.Fatalf("no next_cursor: %v", page1)
	}
	e.advance(time.Minute)
	if _, err := e.store.CreateProject(context.Background(), owner.actor, team, "Later", "", ""); err != nil {
		t.Fatal(err)
	}
	page2 := c.call("GET", "/teams/"+team+"/projects?limit=1&cursor="+cursor, nil, nil).want(t, http.StatusOK).json(t)
	first, second := page1["items"].([]any)[0].(map[string]any), page2["items"].([]any)[0].(map[string]any)
	if first["id"] == second["id"] || second["id"] != pid {
		t.Errorf("page 2 = %v, want %s after %v", second["id"], pid, first["id"])
	}
	c.call("GET", "/teams/"+team+"/projects?cursor=bogus", nil, nil).want(t, http.StatusBadRequest)

	// Read, change with If-Match.
	g := c.call("GET", "/projects/"+pid, nil, nil).want(t, http.StatusOK)
	etag := g.header.Get("ETag")
	c.call("PATCH", "/projects/"+pid, map[string]any{"name": "Renamed"}, nil).want(t, http.StatusPreconditionRequired)
	c.call("PATCH", "/projects/"+pid, map[string]any{"name": "Renamed"}, map[string]string{"If-Match": `"stale"`}).want(t, http.StatusPreconditionFailed)
	c.call("PATCH", "/projects/"+pid, map[string]any{"access_token_ttl_minutes": 0}, map[string]string{"If-Match": etag}).want(t, http.StatusUnprocessableEntity)
	u := c.call("PATCH", "/projects/"+pid, map[string]any{"name": "Renamed", "access_token_ttl_minutes": 30}, map[string]string{"If-Match": etag}).want(t, http.StatusOK)
	if u.json(t)["name"] != "Renamed" || u.header.Get("ETag") == etag {
		t.Errorf("patch: %s (etag %s)", u.body, u.header.Get("ETag"))
	}
	c.call("PATCH", "/projects/"+pid, map[string]any{"name": "Again"}, map[string]string{"If-Match": etag}).want(t, http.StatusPreconditionFailed)
	// The authorization code grant's settings: a wildcard redirect URI is refused by
	// name and changes nothing; exact ones and a public client are kept and shown.
	etag = u.header.Get("ETag")
	bad := c.call("PATCH", "/projects/"+pid, map[string]any{"grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://*.example.com/cb"}},
		map[string]string{"If-Match": etag}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(bad.body), "redirect_uris") {
		t.Errorf("bad redirect URI: %s, want the field named", bad.body)
	}
	ac := c.call("PATCH", "/projects/"+pid, map[string]any{"grant_types": []string{"client_credentials", "authorization_code"},
		"redirect_uris": []string{"https://app.example/cb", "http://127.0.0.1/cb"}, "public_client": true, "require_pushed_authorization_requests": true},
		map[string]string{"If-Match": etag}).want(t, http.StatusOK).json(t)
	if uris, _ := json.Marshal(ac["redirect_uris"]); string(uris) != `["https://app.example/cb","http://127.0.0.1/cb"]` || ac["public_client"] != true ||
		ac["require_pushed_authorization_requests"] != true {
		t.Errorf("after PATCH: redirect_uris %s public_client %v require_pushed_authorization_requests %v", uris, ac["public_client"],
			ac["require_pushed_authorization_requests"])
	}
	// Refresh-token settings: the defaults shown, a change kept, an idle lifetime beyond
	// the absolute one refused by name.
	if ac["refresh_tokens"] != "offline_access" || ac["refresh_idle_days"] != float64(14) || ac["refresh_absolute_days"] != float64(90) {
		t.Errorf("refresh defaults: %v %v %v", ac["refresh_tokens"], ac["refresh_idle_days"], ac["refresh_absolute_days"])
	}
	etag = c.call("GET", "/projects/"+pid, nil, nil).want(t, http.StatusOK).header.Get("ETag")
	if bad := c.call("PATCH", "/projects/"+pid, map[string]any{"refresh_idle_days": 120}, map[string]string{"If-Match": etag}).
		want(t, http.StatusUnprocessableEntity); !strings.Contains(string(bad.body), "refresh_idle_days") {
		t.Errorf("idle beyond absolute: %s, want the field named", bad.body)
	}
	rf := c.call("PATCH", "/projects/"+pid, map[string]any{"refresh_tokens": "always", "refresh_absolute_days": 30},
		map[string]string{"If-Match": etag}).want(t, http.StatusOK).json(t)
	if rf["refresh_tokens"] != "always" || rf["refresh_idle_days"] != float64(14) || rf["refresh_absolute_days"] != float64(30) {
		t.Errorf("after PATCH: refresh %v %v %v", rf["refresh_tokens"], rf["refresh_idle_days"], rf["refresh_absolute_days"])
	}

	// Keys for the first project's grant; the value once, no-store; a repeat is 409.
	apis := c.call("GET", "/apis", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	apiID := apis[0].(map[string]any)["id"].(string)
	c.call("GET", "/apis/"+apiID, nil, nil).want(t, http.StatusOK)
	grants := c.call("GET", "/apis/"+apiID+"/grants", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	first1 := grants[0].(map[string]any)["project_id"].(string)
	kr := c.call("POST", "/projects/"+first1+"/keys", map[string]any{"name": "ci", "api": apiID, "scopes": []string{"read"}, "expires_in_days": 30},
		map[string]string{"Idempotency-Key": "key-1"}).want(t, http.StatusCreated)
	if cc := kr.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("key creation Cache-Control %q", cc)
	}
	key := kr.json(t)
	again := c.call("POST", "/projects/"+first1+"/keys", map[string]any{"name": "ci", "api": apiID, "scopes": []string{"read"}, "expires_in_days": 30},
		map[string]string{"Idempotency-Key": "key-1"}).want(t, http.StatusConflict)
	if strings.Contains(string(again.body), key["value"].(string)) || again.json(t)["resource_id"] != key["id"] {
		t.Errorf("repeat: %s", again.body)
	}
	c.call("POST", "/projects/"+first1+"/keys", map[string]any{"name": "ci", "api": apiID, "scopes": []string{"admin"}, "expires_in_days": 30}, nil).
		want(t, http.StatusUnprocessableEntity)
	kl := c.call("GET", "/projects/"+first1+"/keys", nil, nil).want(t, http.StatusOK)
	if strings.Contains(string(kl.body), key["value"].(string)) {
		t.Error("a list shows a key's value")
	}
	rv := c.call("POST", "/projects/"+first1+"/keys/"+key["id"].(string)+"/revoke", nil, nil).want(t, http.StatusOK).json(t)
	if rv["status"] != "revoked" {
		t.Errorf("revoked key: %v", rv)
	}
	c.call("POST", "/projects/"+pid+"/keys/"+key["id"].(string)+"/revoke", nil, nil).want(t, http.StatusNotFound) // nested ids must match

	// Secrets.
	sr := c.call("POST", "/projects/"+pid+"/secrets", map[string]any{"name": "prod", "expires_in_days": 90}, map[string]string{"Idempotency-Key": "sec-1"}).
		want(t, http.StatusCreated).json(t)
	if models.CheckClientSecretFormat(sr["value"].(string)) != nil {
		t.Errorf("secret value %v", sr["value"])
	}
	c.call("POST", "/projects/"+pid+"/secrets", map[string]any{"name": "prod", "expires_in_days": 90}, map[string]string{"Idempotency-Key": "sec-1"}).
		want(t, http.StatusConflict)
	c.call("GET", "/projects/"+pid+"/secrets", nil, nil).want(t, http.StatusOK)
	c.call("POST", "/projects/"+pid+"/secrets/"+sr["id"].(string)+"/revoke", nil, nil).want(t, http.StatusOK)

	// Audit (paged by cursor), usage.
	a1 := c.call("GET", "/teams/"+team+"/audit?limit=2", nil, nil).want(t, http.StatusOK).json(t)
	a2 := c.call("GET", "/teams/"+team+"/audit?limit=2&cursor="+a1["next_cursor"].(string), nil, nil).want(t, http.StatusOK).json(t)
	if a1["items"].([]any)[1].(map[string]any)["id"] == a2["items"].([]any)[0].(map[string]any)["id"] {
		t.Error("audit pages overlap")
	}
	us := c.call("GET", "/projects/"+first1+"/usage?days=30", nil, nil).want(t, http.StatusOK).json(t)
	if n := len(us["days"].([]any)); n != 30 {
		t.Errorf("usage days = %d", n)
	}
	c.call("GET", "/projects/"+first1+"/usage?days=9", nil, nil).want(t, http.StatusBadRequest)

	// Delete with If-Match; then it is gone.
	etag = c.call("GET", "/projects/"+pid, nil, nil).want(t, http.StatusOK).header.Get("ETag")
	c.call("DELETE", "/projects/"+pid, nil, nil).want(t, http.StatusPreconditionRequired)
	c.call("DELETE", "/projects/"+pid, nil, map[string]string{"If-Match": etag}).want(t, http.StatusNoContent)
	c.call("GET", "/projects/"+pid, nil, nil).want(t, http.StatusNotFound)
	c.call("GET", "/nothing-here", nil, nil).want(t, http.StatusNotFound)
	c.call("PUT", "/teams", nil, nil).want(t, http.StatusMethodNotAllowed)

	var seen []string
	for k := range d.checked {
		seen = append(seen, k)
	}
	sort.Strings(seen)
	if len(seen) < 25 {
		t.Errorf("the walk checked only %d operation/status pairs: %v", len(seen), seen)
	}
}

// TestPATLimits: a read-only token cannot change anything; a team-limited token sees
// only its team; revoked and expired tokens are refused; and a token never carries more
// than its user's current role.
func TestPATLimits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := signedInMember(t, e, "owner@limits.example")
	admin := signedInMember(t, e, "admin@limits.example")
	fx := newFixture(t, e, owner, map[models.Role]*member{models.RoleAdmin: admin}, "Limits")
	other := newFixture(t, e, owner, nil, "Elsewhere")

	ro := &apiClient{t: t, e: e, token: createPATViaPage(t, owner, url.Values{"name": {"ro"}, "scope": {"read"}, "expires_in_days": {"7"}})}
	ro.call("GET", "/projects/"+fx.project, nil, nil).want(t, http.StatusOK)
	r := ro.call("POST", "/projects/"+fx.project+"/secrets", map[string]any{"name": "x"}, nil).want(t, http.StatusForbidden)
	if ty := r.json(t)["type"]; ty != "urn:gatehouse:problem:read-only-token" {
		t.Errorf("type = %v", ty)
	}
	// The store refuses a read-only actor too, whatever the way in.
	roActor := models.Actor{User: owner.actor.User, Limits: &models.TokenLimits{ReadOnly: true}}
	if _, _, err := e.store.CreateClientSecret(ctx, roActor, fx.project, "x", 0, ""); err != models.ErrReadOnlyToken {
		t.Errorf("store with a read-only actor: %v", err)
	}

	one := &apiClient{t: t, e: e, token: createPATViaPage(t, owner, url.Values{"name": {"one"}, "scope": {"write"}, "team": {fx.team}, "expires_in_days": {"90"}})}
	items := one.call("GET", "/teams", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != fx.team {
		t.Errorf("team-limited token lists %v", items)
	}
	one.call("GET", "/projects/"+other.project, nil, nil).want(t, http.StatusNotFound)
	one.call("GET", "/teams/"+other.team+"/projects", nil, nil).want(t, http.StatusNotFound)
	one.call("GET", "/projects/"+fx.project, nil, nil).want(t, http.StatusOK)

	// Scopes are a subset of the user's: a team the user is not in is refused.
	stranger := signedInMember(t, e, "stranger@limits.example")
	res := stranger.b.post("/account/tokens", url.Values{"_csrf": {stranger.csrf}, "name": {"x"}, "scope": {"write"}, "team": {fx.team},
		"expires_in_days": {"30"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a token for someone else's team: %d", res.StatusCode)
	}
	res = stranger.b.post("/account/tokens", url.Values{"_csrf": {stranger.csrf}, "name": {"x"}, "scope": {"write"}, "expires_in_days": {"0"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a token that never expires: %d", res.StatusCode)
	}

	// Demoting the user takes the token's writes away at once; removing them, its reads.
	ac := &apiClient{t: t, e: e, token: createPATViaPage(t, admin, url.Values{"name": {"admin"}, "scope": {"write"}, "expires_in_days": {"30"}})}
	ac.call("POST", "/projects/"+fx.project+"/secrets", map[string]any{"name": "before"}, nil).want(t, http.StatusCreated)
	if err := e.store.ChangeRole(ctx, owner.actor, fx.team, admin.actor.User.ID, models.RoleViewer); err != nil {
		t.Fatal(err)
	}
	ac.call("POST", "/projects/"+fx.project+"/secrets", map[string]any{"name": "after"}, nil).want(t, http.StatusForbidden)
	ac.call("POST", "/teams/"+fx.team+"/projects", map[string]any{"name": "after"}, nil).want(t, http.StatusForbidden)
	ac.call("GET", "/projects/"+fx.project, nil, nil).want(t, http.StatusOK)
	if err := e.store.RemoveMember(ctx, owner.actor, fx.team, admin.actor.User.ID); err != nil {
		t.Fatal(err)
	}
	ac.call("GET", "/projects/"+fx.project, nil, nil).want(t, http.StatusNotFound)

	// Revoked on the account page: refused.
	page := doc(t, owner.b.get("/account"))
	if n := page.Find(`[data-testid="token-row"]`).Length(); n != 2 {
		t.Errorf("account page lists %d tokens, want 2", n)
	}
	if strings.Contains(page.Text(), ro.token) {
		t.Error("the account page shows a token's value")
	}
	toks, err := e.store.PersonalTokens(ctx, owner.actor)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Name == "ro" {
			res := owner.b.post("/account/tokens/"+tk.ID+"/revoke", url.Values{"_csrf": {owner.csrf}}, nil)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke: %d", res.StatusCode)
			}
		}
	}
	ro.call("GET", "/teams", nil, nil).want(t, http.StatusUnauthorized)
	// Someone else's token cannot be revoked by id.
	for _, tk := range toks {
		res := stranger.b.post("/account/tokens/"+tk.ID+"/revoke", url.Values{"_csrf": {stranger.csrf}}, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("a stranger revoking %s: %d", tk.ID, res.StatusCode)
		}
	}
	// Expired (90 days on): refused.
	e.advance(91 * 24 * time.Hour)
	one.call("GET", "/teams", nil, nil).want(t, http.StatusUnauthorized)

	// Audited, in the user's log and (for a team-limited token) the team's.
	ev, _, err := e.store.AuditLog(ctx, owner.actor, fx.team, models.AuditFilter{Action: "personal_token."})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 1 || ev[0].Action != "personal_token.create" || ev[0].TargetLabel != "one" {
		t.Errorf("team audit: %+v", ev)
	}
}
