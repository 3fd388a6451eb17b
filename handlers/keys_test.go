package handlers_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// fetchJWKS gets the JWKS over HTTP as an API would.
func fetchJWKS(t *testing.T, b *browser) jose.JSONWebKeySet {
	t.Helper()
	res := b.get("/.well-known/jwks.json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET jwks = %d", res.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verifyOverHTTP verifies token with the JWKS served by the portal.
func verifyOverHTTP(t *testing.T, b *browser, token, typ string, out any) {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); got != typ {
		t.Errorf("typ = %q, want %q", got, typ)
	}
	set := fetchJWKS(t, b)
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %s not in the served JWKS", tok.Headers[0].KeyID)
	}
	if err := tok.Claims(keys[0].Key, out); err != nil {
		t.Fatalf("signature: %v", err)
	}
}

// statusBitOverHTTP fetches the status list at uri and reads bit idx.
func statusBitOverHTTP(t *testing.T, b *browser, uri string, idx int) bool {
	t.Helper()
	res := b.get(uri)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/statuslist+jwt" {
		t.Fatalf("GET %s = %d %q", uri, res.StatusCode, res.Header.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(res.Body)
	var claims struct {
		jwt.Claims
		StatusList struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		} `json:"status_list"`
	}
	verifyOverHTTP(t, b, string(raw), models.TypStatusList, &claims)
	if claims.Subject != uri {
		t.Errorf("status list sub = %q, want %q", claims.Subject, uri)
	}
	z, _ := base64.RawURLEncoding.DecodeString(claims.StatusList.Lst)
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	bits, _ := io.ReadAll(zr)
	return bits[idx/8]&(1<<(idx%8)) != 0
}

func TestAPIKeyOverHTTP(t *testing.T) {
	e := newEnv(t)
	dev := signedInMember(t, e, "keys@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), dev.actor)
	if err != nil {
		t.Fatalf("ProjectsOf: %v", err)
	}
	p := projects[0]

	res := dev.b.post("/projects/"+p.ID+"/keys", url.Values{"_csrf": {dev.csrf}, "name": {"ci"}, "api": {firstAPIOf(t, e, dev, p.TeamID).ID},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()}}, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create key = %d, Cache-Control %q; want 200 no-store", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	d := doc(t, res)
	key := strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text())
	for _, id := range []string{"snippet-curl", "snippet-go", "snippet-node", "snippet-python"} {
		if code := d.Find(`[data-testid="` + id + `"]`).Text(); code == "" {
			t.Errorf("snippet %s missing", id)
		}
	}
	if !strings.Contains(d.Find(`[data-testid="snippet-curl"]`).Text(), key) {
		t.Error("the curl snippet does not carry the new key")
	}
	var claims models.APIKeyClaims
	verifyOverHTTP(t, dev.b, key, models.TypAPIKey, &claims)
	if claims.Issuer != e.portal.URL || claims.Subject != p.ID {
		t.Errorf("iss/sub = %q/%q, want %q/%q", claims.Issuer, claims.Subject, e.portal.URL, p.ID)
	}
	for _, tab := range []string{"", "/keys"} {
		if page := readBody(dev.b.get("/projects/" + p.ID + tab)); strings.Contains(page, key) {
			t.Errorf("the project page %q shows the key again", tab)
		}
	}
	if strings.Contains(e.logs.String(), key) || dumpContains(t, e, key) {
		t.Error("the key is in the log or the database")
	}

	uri := claims.Status.StatusList.URI
	if statusBitOverHTTP(t, dev.b, uri, claims.Status.StatusList.Idx) {
		t.Fatal("a fresh key is marked revoked")
	}
	res = dev.b.post("/projects/"+p.ID+"/keys/"+claims.ID+"/revoke", url.Values{"_csrf": {dev.csrf}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d, want 303", res.StatusCode)
	}
	if !statusBitOverHTTP(t, dev.b, uri, claims.Status.StatusList.Idx) {
		t.Error("the revoked key's bit is not set in the served list")
	}
	row := doc(t, dev.b.get("/projects/"+p.ID+"/keys")).Find(`[data-testid="key-row"]`)
	if got := strings.TrimSpace(row.Find(`[data-testid="key-status"]`).Text()); !strings.EqualFold(got, "revoked") {
		t.Errorf("key status on the page = %q, want revoked", got)
	}
}

func TestRevokeByValueOverHTTP(t *testing.T) {
	e := newEnv(t)
	dev := signedInMember(t, e, "leak@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), dev.actor)
	if err != nil {
		t.Fatalf("ProjectsOf: %v", err)
	}
	p := projects[0]
	k, token, err := e.store.CreateAPIKey(context.Background(), dev.actor, p.ID,
		models.APIKeyInput{Name: "leaked", API: firstAPIOf(t, e, dev, p.TeamID).ID, TTL: 3600e9}, "")
	if err != nil {
		t.Fatal(err)
	}
	// Another project's real key gets exactly the answer a forgery gets.
	other, err := e.store.CreateProject(context.Background(), dev.actor, p.TeamID, "Other", "", "")
	if err != nil {
		t.Fatal(err)
	}
	grantAPI(t, e, dev.actor, firstAPIOf(t, e, dev, p.TeamID), other.ID)
	_, otherToken, err := e.store.CreateAPIKey(context.Background(), dev.actor, other.ID,
		models.APIKeyInput{Name: "theirs", API: firstAPIOf(t, e, dev, p.TeamID).ID, TTL: 3600e9}, "")
	if err != nil {
		t.Fatal(err)
	}
	var messages []string
	for _, bad := range []string{"garbage", token[:len(token)-4] + "AAAA", "", otherToken} {
		res := dev.b.post("/projects/"+p.ID+"/keys/revoke-by-value", url.Values{"_csrf": {dev.csrf}, "key": {bad}}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("revoke-by-value %.12q = %d, want 422", bad, res.StatusCode)
		}
		msg := doc(t, res).Find(`[data-testid="revoke-by-value-error"]`).Text()
		if !strings.Contains(msg, "Nothing was revoked") {
			t.Errorf("message = %q", msg)
		}
		messages = append(messages, msg)
	}
	for _, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("answers differ (%q vs %q): the form tells real keys from forgeries", m, messages[0])
		}
	}
	res := dev.b.post("/projects/"+p.ID+"/keys/revoke-by-value", url.Values{"_csrf": {dev.csrf}, "key": {token}}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke-by-value = %d, want 200", res.StatusCode)
	}
	if got := doc(t, res).Find(`[data-testid="revoke-by-value-done"]`).Text(); !strings.Contains(got, k.ID) {
		t.Errorf("confirmation = %q, want it to name %s", got, k.ID)
	}
	keys, err := e.store.APIKeys(context.Background(), dev.actor, p.ID)
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if keys[0].RevokedAt == nil {
		t.Error("the pasted key was not revoked")
	}
}

func TestJWKSAndStatusListCaching(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.get("/.well-known/jwks.json")
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("JWKS ETag %q Cache-Control %q; want an ETag and public, max-age=300", etag, res.Header.Get("Cache-Control"))
	}
	body := readBody(res)
	if strings.Contains(body, `"d"`) || strings.Contains(body, `"p"`) {
		t.Error("the JWKS holds private key members")
	}
	res = b.do(http.MethodGet, "/.well-known/jwks.json", nil, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("JWKS with If-None-Match = %d, want 304", res.StatusCode)
	}

	owner := signedInMember(t, e, "cache@example.com")
	projects, err := e.store.ProjectsOf(context.Background(), owner.actor)
	if err != nil {
		t.Fatalf("ProjectsOf: %v", err)
	}
	k, _, err := e.store.CreateAPIKey(context.Background(), owner.actor, projects[0].ID,
		models.APIKeyInput{Name: "k", API: firstAPIOf(t, e, owner, projects[0].TeamID).ID, TTL: 3600e9}, "")
	if err != nil {
		t.Fatal(err)
	}
	path := "/statuslists/" + k.StatusListID
	res = b.get(path)
	slTag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || slTag == "" || res.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("status list = %d, ETag %q, Cache-Control %q", res.StatusCode, slTag, res.Header.Get("Cache-Control"))
	}
	if res := b.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": slTag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("status list with its ETag = %d, want 304", res.StatusCode)
	}
	if err := e.store.RevokeAPIKey(context.Background(), owner.actor, projects[0].ID, k.ID); err != nil {
		t.Fatal(err)
	}
	res = b.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": slTag})
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == slTag {
		t.Errorf("after a revocation the old ETag still matches (status %d)", res.StatusCode)
	}
	for _, bad := range []string{"/statuslists/sl_nope", "/statuslists/" + strings.Repeat("x", 100), "/statuslists/..%2f..%2fetc"} {
		res := b.get(bad)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(res.Header.Get("Content-Type"), "json") {
			t.Errorf("GET %s = %d %q, want a 404 JSON error", bad, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestAdminSigningKeys(t *testing.T) {
	e := newEnv(t)
	ops := signedInMember(t, e, "ops@example.com")
	dev := signedInMember(t, e, "not-ops@example.com")
	if res := dev.b.get("/admin/signing-keys"); res.StatusCode != http.StatusNotFound {
		t.Errorf("non-operator GET admin = %d, want 404", res.StatusCode)
	}
	if res := dev.b.post("/admin/signing-keys/rotate", url.Values{"_csrf": {dev.csrf}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("non-operator rotate = %d, want 404", res.StatusCode)
	}
	if doc(t, dev.b.get("/")).Find(`[data-testid="nav-admin"]`).Length() != 0 {
		t.Error("a non-operator sees the admin link")
	}
	d := doc(t, ops.b.get("/admin/signing-keys"))
	if n := d.Find(`[data-testid="signing-key-row"]`).Length(); n != 1 {
		t.Fatalf("%d signing keys listed, want 1", n)
	}
	res := ops.b.post("/admin/signing-keys/rotate", url.Values{"_csrf": {ops.csrf}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate = %d, want 303", res.StatusCode)
	}
	d = doc(t, ops.b.get("/admin/signing-keys"))
	states := d.Find(`[data-testid="signing-key-state"]`).Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
	if strings.Join(states, ",") != "active,next" {
		t.Errorf("states after rotate = %v, want active,next", states)
	}
	if len(fetchJWKS(t, ops.b).Keys) != 2 {
		t.Error("the next key is not published in the JWKS")
	}
	// The operator's rotation is in the portal's audit log, with who did it; the
	// portal's own first key is there as the schedule's.
	var history []string
	d.Find(`[data-testid="rotation-event"]`).Each(func(_ int, s *goquery.Selection) {
		history = append(history, strings.TrimSpace(s.Find(`[data-testid="rotation-event-what"]`).Text())+" by "+
			strings.TrimSpace(s.Find(`[data-testid="rotation-event-by"]`).Text()))
	})
	if len(history) < 1 || history[0] != "Published by operator ops@example.com" {
		t.Errorf("rotation history = %q, want the operator's publication first", history)
	}
	if last := history[len(history)-1]; last != "Published by scheduled rotation" {
		t.Errorf("oldest rotation event = %q, want the first key, published by the schedule", last)
	}
	// Operators' events belong to no team: no team's audit log shows them.
	projects, err := e.store.ProjectsOf(context.Background(), ops.actor)
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := e.store.AuditEvents(context.Background(), ops.actor, projects[0].TeamID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if strings.HasPrefix(ev.Action, "signing_key.") {
			t.Errorf("a team's audit log shows the portal's %s", ev.Action)
		}
	}
}
