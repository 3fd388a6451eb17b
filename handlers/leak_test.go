package handlers_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// ghKey is one of GitHub's secret-scanning signing keys, made up for a test.
type ghKey struct {
	id   string
	priv *ecdsa.PrivateKey
}

func newGHKey(t testing.TB, id string) ghKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ghKey{id: id, priv: priv}
}

// sign is the Github-Public-Key-Signature of body: base64 of an ASN.1 DER signature
// over its SHA-256.
func (k ghKey) sign(t testing.TB, body []byte) string {
	t.Helper()
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// ghKeyDocument is keys in GitHub's format.
func ghKeyDocument(t testing.TB, keys ...ghKey) []byte {
	t.Helper()
	type entry struct {
		ID      string `json:"key_identifier"`
		Key     string `json:"key"`
		Current bool   `json:"is_current"`
	}
	var doc struct {
		PublicKeys []entry `json:"public_keys"`
	}
	for i, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		doc.PublicKeys = append(doc.PublicKeys, entry{ID: k.id, Key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), Current: i == 0})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeGHKeys writes keys to path.
func writeGHKeys(t testing.TB, path string, keys ...ghKey) {
	t.Helper()
	if err := os.WriteFile(path, ghKeyDocument(t, keys...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ghVerdict is one element of the endpoint's answer.
type ghVerdict struct {
	TokenHash string `json:"token_hash"`
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// postLeak posts body to /leaks/github with the given key id and signature headers
// ("" sends none) and returns the status and the raw answer.
func postLeak(t testing.TB, e *env, body []byte, keyID, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.portal.URL+"/leaks/github", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if keyID != "" {
		req.Header.Set("Github-Public-Key-Identifier", keyID)
	}
	if sig != "" {
		req.Header.Set("Github-Public-Key-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, raw.String()
}

// reportBody is a GitHub report of tokens.
func reportBody(t testing.TB, tokens ...string) []byte {
	t.Helper()
	var items []map[string]string
	for _, tok := range tokens {
		items = append(items, map[string]string{"token": tok, "type": "gatehouse_credential",
			"url": "https://github.com/octo/leaky/blob/abc123/.env", "source": "content"})
	}
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// report signs and posts a report of tokens and returns the verdicts, in order.
func report(t testing.TB, e *env, k ghKey, tokens ...string) []ghVerdict {
	t.Helper()
	body := reportBody(t, tokens...)
	status, raw := postLeak(t, e, body, k.id, k.sign(t, body))
	if status != http.StatusOK {
		t.Fatalf("report: %d %s", status, raw)
	}
	var out []ghVerdict
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	if len(out) != len(tokens) {
		t.Fatalf("%d verdicts for %d tokens: %s", len(out), len(tokens), raw)
	}
	for i, v := range out {
		if v.TokenRaw != tokens[i] || v.TokenHash != models.SHA256Hex(tokens[i]) || v.TokenType != "gatehouse_credential" {
			t.Errorf("verdict %d: %+v", i, v)
		}
	}
	return out
}

// leakWorld is a portal with GitHub's keys in a file, team A's live credentials of
// every kind (and a spare client secret to introspect with), and team B's client.
type leakWorld struct {
	e               *env
	key             ghKey
	keyFile         string
	a, b            *oauthClient
	spare           string // a second secret of A's project, never reported
	apiKey, pat     string
	apiKeyID, patID string
}

func newLeakWorld(t *testing.T, open func(testing.TB) *store.Store) *leakWorld {
	t.Helper()
	w := &leakWorld{key: newGHKey(t, "gh-key-1"), keyFile: filepath.Join(t.TempDir(), "github-keys.json")}
	writeGHKeys(t, w.keyFile, w.key)
	w.e = newEnv(t, func(o *envOptions) { o.store, o.leakKeysFile = open(t), w.keyFile })
	ctx := context.Background()
	w.a = newOAuthClient(t, w.e, "leak-a@example.com")
	w.b = newOAuthClient(t, w.e, "leak-b@example.com")
	var err error
	if _, w.spare, err = w.e.store.CreateClientSecret(ctx, w.a.owner.actor, w.a.project.ID, "spare", 0, ""); err != nil {
		t.Fatal(err)
	}
	k, apiKey, err := w.e.store.CreateAPIKey(ctx, w.a.owner.actor, w.a.project.ID, models.APIKeyInput{Name: "deploy",
		Scopes: []string{"orders:read"}, API: w.a.api.ID, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	pt, pat, err := w.e.store.CreatePersonalToken(ctx, w.a.owner.actor, models.PersonalTokenInput{Name: "cli",
		Scope: models.PersonalTokenWrite, TTL: 30 * 24 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	w.apiKey, w.apiKeyID, w.pat, w.patID = apiKey, k.ID, pat, pt.ID
	return w
}

// live reports whether A's client secret still gets tokens, A's API key still
// introspects active, and A's personal access token still opens /api/v1.
func (w *leakWorld) live(t *testing.T) (secret, apiKey, pat bool) {
	t.Helper()
	res, _, _ := oauthPost(t, w.e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, w.a.project.ID, w.a.secret)
	secret = res.StatusCode == http.StatusOK
	_, body, _ := oauthPost(t, w.e, "/oauth/introspect", url.Values{"token": {w.apiKey}}, w.a.project.ID, w.spare)
	apiKey = body["active"] == true
	req, _ := http.NewRequest(http.MethodGet, w.e.portal.URL+"/api/v1/teams", nil)
	req.Header.Set("Authorization", "Bearer "+w.pat)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return secret, apiKey, r.StatusCode == http.StatusOK
}

// leakEvents counts the leak.reported events in team's outbox.
func (w *leakWorld) leakEvents(t *testing.T, team string) int {
	t.Helper()
	evs, err := w.e.store.Outbox(context.Background(), models.OutboxFilter{Type: models.EventLeakReported, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.TeamID == team {
			n++
		}
	}
	return n
}

// eachStore runs f on SQLite and, when configured, PostgreSQL.
func eachStore(t *testing.T, f func(t *testing.T, open func(testing.TB) *store.Store)) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(db.name, func(t *testing.T) { f(t, db.open) })
	}
}

// Under the default policy, a signed report revokes a live client secret, API key and
// personal access token of team A — the key is then inactive at introspection — and
// labels them true positives; unknown tokens are false positives; team B's client is
// untouched. A second report is a true positive again and announces nothing new.
func TestLeakReportRevokes(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *store.Store) {
		w := newLeakWorld(t, open)
		if s, k, p := w.live(t); !s || !k || !p {
			t.Fatalf("before the report: secret %v, key %v, PAT %v live; want all", s, k, p)
		}
		accessRes, accessBody, _ := oauthPost(t, w.e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, w.b.project.ID, w.b.secret)
		if accessRes.StatusCode != http.StatusOK {
			t.Fatal("team B gets no token")
		}
		accessToken := accessBody["access_token"].(string)
		tokens := []string{w.a.secret, w.apiKey, w.pat, models.NewClientSecret(), "not-a-credential", accessToken}
		want := []string{"true_positive", "true_positive", "true_positive", "false_positive", "false_positive", "false_positive"}
		for i, v := range report(t, w.e, w.key, tokens...) {
			if v.Label != want[i] {
				t.Errorf("token %d: %s, want %s", i, v.Label, want[i])
			}
		}
		if s, k, p := w.live(t); s || k || p {
			t.Errorf("after the report: secret %v, key %v, PAT %v live; want none", s, k, p)
		}
		if res, _, raw := oauthPost(t, w.e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, w.b.project.ID, w.b.secret); res.StatusCode != http.StatusOK {
			t.Errorf("team B's secret after A's report: %d %s", res.StatusCode, raw)
		}
		if n := w.leakEvents(t, w.a.project.TeamID); n != 3 {
			t.Errorf("%d leak.reported events for team A, want 3", n)
		}
		if n := w.leakEvents(t, w.b.project.TeamID); n != 0 {
			t.Errorf("%d leak.reported events for team B, want 0", n)
		}
		for _, v := range report(t, w.e, w.key, w.a.secret, w.apiKey, w.pat) {
			if v.Label != "true_positive" {
				t.Errorf("second report: %+v", v)
			}
		}
		if n := w.leakEvents(t, w.a.project.TeamID); n != 3 {
			t.Errorf("after a second report: %d leak.reported events, want still 3", n)
		}
	})
}

// Under the notify policy the team's client secret and API key stay live, the report
// is in the audit log and the outbox; the personal access token is revoked anyway.
func TestLeakReportNotifies(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(testing.TB) *store.Store) {
		w := newLeakWorld(t, open)
		ctx := context.Background()
		if err := w.e.store.SetLeakPolicy(ctx, w.a.owner.actor, w.a.project.TeamID, models.LeakPolicyNotify); err != nil {
			t.Fatal(err)
		}
		for _, v := range report(t, w.e, w.key, w.a.secret, w.apiKey, w.pat) {
			if v.Label != "true_positive" {
				t.Errorf("%+v", v)
			}
		}
		if s, k, p := w.live(t); !s || !k || p {
			t.Errorf("secret %v, key %v, PAT %v live; want the secret and key only", s, k, p)
		}
		if n := w.leakEvents(t, w.a.project.TeamID); n != 3 {
			t.Errorf("%d leak.reported events, want 3", n)
		}
		evs, _, err := w.e.store.AuditLog(ctx, w.a.owner.actor, w.a.project.TeamID, models.AuditFilter{Action: "leak.reported"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 3 || evs[0].ActorLabel != "GitHub secret scanning" || !strings.Contains(evs[0].Details, "https://github.com/octo/leaky") {
			t.Errorf("audit events: %+v", evs)
		}
		for _, ev := range evs {
			if strings.Contains(ev.Details, w.a.secret) || strings.Contains(ev.Details, w.pat) {
				t.Error("a reported secret is in the audit log")
			}
		}
	})
}

// Reports that are unsigned, wrongly signed, signed by an unknown or withdrawn key,
// too large or malformed are refused with the right status, and change nothing.
func TestLeakReportRefused(t *testing.T) {
	w := newLeakWorld(t, storetest.SQLite)
	good := reportBody(t, w.a.secret, w.apiKey, w.pat)
	stranger := newGHKey(t, "gh-key-1") // the known id, another key
	other := newGHKey(t, "gh-key-2")
	many := make([]string, 101)
	for i := range many {
		many[i] = "x"
	}
	signed := func(body []byte) (string, []byte, string) { return w.key.id, body, w.key.sign(t, body) }
	for _, tc := range []struct {
		name   string
		id     string
		body   []byte
		sig    string
		status int
	}{
		{"Unsigned", "", good, "", http.StatusUnauthorized},
		{"NoKeyID", "", good, w.key.sign(t, good), http.StatusUnauthorized},
		{"SignatureOfAnotherBody", w.key.id, good, w.key.sign(t, reportBody(t, "x")), http.StatusUnauthorized},
		{"AnotherKeyUnderTheID", w.key.id, good, stranger.sign(t, good), http.StatusUnauthorized},
		{"UnknownKeyID", other.id, good, other.sign(t, good), http.StatusUnauthorized},
		{"SignatureNotBase64", w.key.id, good, "!!!", http.StatusUnauthorized},
		{"SignatureNotDER", w.key.id, good, base64.StdEncoding.EncodeToString(make([]byte, 64)), http.StatusUnauthorized},
		{"Oversized", w.key.id, bytes.Repeat([]byte(" "), 2<<20), w.key.sign(t, bytes.Repeat([]byte(" "), 2<<20)), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, raw := postLeak(t, w.e, tc.body, tc.id, tc.sig); status != tc.status {
				t.Errorf("%d %s, want %d", status, raw, tc.status)
			}
		})
	}
	for name, body := range map[string][]byte{
		"Garbage": []byte("garbage"), "NotAnArray": []byte(`{"token":"x"}`), "NoToken": []byte(`[{"type":"t"}]`),
		"TokenNotAString": []byte(`[{"token":42}]`), "NullElement": []byte(`[null]`), "TwoValues": []byte(`[] []`),
		"TooManyTokens": reportBody(t, many...),
	} {
		t.Run(name, func(t *testing.T) {
			id, b, sig := signed(body)
			if status, raw := postLeak(t, w.e, b, id, sig); status != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", status, raw)
			}
		})
	}
	// A key GitHub withdrew (no longer in the file) signs nothing any more.
	writeGHKeys(t, w.keyFile, other)
	if status, raw := postLeak(t, w.e, good, w.key.id, w.key.sign(t, good)); status != http.StatusUnauthorized {
		t.Errorf("withdrawn key: %d %s, want 401", status, raw)
	}
	if s, k, p := w.live(t); !s || !k || !p {
		t.Errorf("after refused reports: secret %v, key %v, PAT %v live; want all", s, k, p)
	}
	if n := w.leakEvents(t, w.a.project.TeamID); n != 0 {
		t.Errorf("%d leak.reported events after refused reports, want 0", n)
	}
	// The new key works at once.
	if v := report(t, w.e, other, w.a.secret); v[0].Label != "true_positive" {
		t.Errorf("report signed by the new key: %+v", v)
	}
}

// Without a configured key set the endpoint is off: 404, and nothing changes.
func TestLeakReportNotConfigured(t *testing.T) {
	e := newEnv(t)
	k := newGHKey(t, "gh-key-1")
	body := reportBody(t, models.NewClientSecret())
	status, raw := postLeak(t, e, body, k.id, k.sign(t, body))
	if status != http.StatusNotFound || !strings.Contains(raw, "GATEHOUSE_LEAK_GITHUB_KEYS_URL") {
		t.Errorf("%d %s, want 404 naming the settings", status, raw)
	}
}

// The keys may come from a URL, fetched by the portal's outbound fetcher (here allowed
// to reach a loopback server); when the URL cannot be read the answer is 503.
func TestLeakReportKeysFromURL(t *testing.T) {
	k := newGHKey(t, "gh-url-key")
	doc := ghKeyDocument(t, k)
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(keys.Close)
	st := storetest.SQLite(t)
	st.SetJWKSFetcher(store.NewJWKSFetcher(true))
	e := newEnv(t, func(o *envOptions) { o.store, o.leakKeysURL = st, keys.URL+"/meta/public_keys/secret_scanning" })
	c := newOAuthClient(t, e, "leak-url@example.com")
	if v := report(t, e, k, c.secret); v[0].Label != "true_positive" {
		t.Errorf("%+v", v)
	}
	body := reportBody(t, "x")
	if status, raw := postLeak(t, e, body, "gh-other", k.sign(t, body)); status != http.StatusUnauthorized {
		t.Errorf("unknown key id: %d %s", status, raw)
	}

	down := newEnv(t, func(o *envOptions) { o.leakKeysURL = "https://127.0.0.1:1/keys" })
	if status, raw := postLeak(t, down, body, k.id, k.sign(t, body)); status != http.StatusServiceUnavailable {
		t.Errorf("keys unreachable: %d %s, want 503", status, raw)
	}
}

// The team's Settings tab sets the leak policy: owners and admins choose revoke or
// notify (audited); anything else is refused with the form's message.
func TestLeakPolicySetting(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "leak-owner@example.com")
	teams, err := e.store.TeamsOf(context.Background(), owner.actor.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	team := teams[0].Team.ID
	settings := doc(t, owner.b.get("/teams/"+team+"/settings"))
	if _, checked := settings.Find(`[data-testid="leak-policy-revoke"]`).Attr("checked"); !checked {
		t.Errorf("the settings tab does not offer revoke, checked by default")
	}
	res := owner.b.post("/teams/"+team+"/leak-policy", url.Values{"_csrf": {owner.csrf}, "leak_policy": {"notify"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set notify: %d %s", res.StatusCode, readBody(res))
	}
	tv, err := e.store.TeamFor(context.Background(), owner.actor, team)
	if err != nil || tv.LeakPolicy != models.LeakPolicyNotify {
		t.Fatalf("policy %q, %v; want notify", tv.LeakPolicy, err)
	}
	if _, ok := doc(t, owner.b.get("/teams/"+team+"/settings")).Find(`[data-testid="leak-policy-notify"]`).Attr("checked"); !ok {
		t.Error("notify is not shown as chosen")
	}
	res = owner.b.post("/teams/"+team+"/leak-policy", url.Values{"_csrf": {owner.csrf}, "leak_policy": {"ignore"}}, nil)
	if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "revoke or notify") {
		t.Errorf("policy ignore: %d", res.StatusCode)
	}
	evs, _, err := e.store.AuditLog(context.Background(), owner.actor, team, models.AuditFilter{Action: "team.leak_policy"})
	if err != nil || len(evs) != 1 {
		t.Errorf("audit: %v, %v; want one team.leak_policy event", evs, err)
	}
}
