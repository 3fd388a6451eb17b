package e2e

import (
	"bytes"
	"compress/zlib"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	_ "github.com/mattn/go-sqlite3" // the driver the portal itself uses, to inspect its file

	"github.com/gatehouse-dev/gatehouse/devoidc"
	"github.com/gatehouse-dev/gatehouse/models"
)

// These tests put the real binary under concurrent load over plain HTTP (no browser):
// SIGKILL in the middle of key issuance and revocation, a burst of concurrent
// writers, and SIGTERM under read traffic. Their helpers carry a "stress" prefix.

const (
	// stressRequestTimeout bounds each HTTP request. It is above the portal's SQLite
	// busy_timeout (10 s), so a request queued on the write lock is not cut short.
	stressRequestTimeout = 15 * time.Second
	// crashCycles is how many kill-and-restart cycles TestCrashDuringKeyIssuance runs.
	crashCycles = 2
	// crashWriters is how many goroutines create and revoke keys until the kill.
	crashWriters = 4
	// crashEnoughKeys is how many keys, and at least one revocation, a cycle must have
	// acknowledged before the kill; crashKillAfter says how long each cycle loads at
	// least (different times, so the kills find the WAL in different states).
	crashEnoughKeys = 30
	// crashLoadLimit is how long a cycle may take to reach crashEnoughKeys.
	crashLoadLimit = 10 * time.Second
)

// stressClient is an HTTP client with its own cookie jar that does not follow
// redirects (so each hop is seen) and keeps enough idle connections for the
// concurrent goroutines of these tests. Its idle connections close when the test ends.
func stressClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 128, 128
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar: jar, Transport: tr, Timeout: stressRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// stressUser is a developer signed in over HTTP through the development provider, with
// the first project on their dashboard.
type stressUser struct {
	base     string // the portal's URL
	client   *http.Client
	csrf     string // the session's CSRF token
	project  string // prj_… id of the first project on the dashboard
	api      string // the API the key form chooses by default (its id)
	audience string // that API's identifier, the aud of keys for it
}

// stressSignIn signs email in at p the way a browser does (GET /login, the
// development provider's form, GET /auth/callback) and reads the CSRF token, the first
// project on the dashboard and that project's default audience.
func stressSignIn(t *testing.T, p *portal, email, name string) *stressUser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := &stressUser{base: p.URL, client: stressClient(t)}

	res, body := u.mustGet(t, ctx, p.URL+"/login", http.StatusFound)
	loc, err := res.Location()
	if err != nil {
		t.Fatalf("GET /login: got no usable Location (%v); body: %.300s", err, body)
	}
	if !strings.Contains(loc.Path, "/authorize") {
		t.Fatalf("GET /login: redirected to %s, want the development provider's authorize endpoint", loc)
	}
	cb, err := devoidc.Login(ctx, u.client, loc.String(), p.URL+"/auth/callback", email, name)
	if err != nil {
		t.Fatalf("signing in as %s at the development provider: %v", email, err)
	}
	res, body = u.mustGet(t, ctx, cb.String(), http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/" {
		t.Fatalf("GET /auth/callback: redirected to %q, want \"/\"; body: %.300s", got, body)
	}

	_, body = u.mustGet(t, ctx, p.URL+"/", http.StatusOK)
	dash := stressDoc(t, body)
	u.csrf, _ = dash.Find(`meta[name="csrf-token"]`).Attr("content")
	if u.csrf == "" {
		t.Fatalf("dashboard: got no <meta name=\"csrf-token\">, want one on a signed-in page")
	}
	u.readFirstProject(t, ctx, dash)
	return u
}

// readFirstProject sets u.project from the dashboard's first project card and
// u.api and u.audience from the API that project's key form (on its API keys page)
// chooses by default.
func (u *stressUser) readFirstProject(t *testing.T, ctx context.Context, dash *goquery.Document) {
	t.Helper()
	href, _ := dash.Find(`[data-testid="project-card"] a`).First().Attr("href")
	if !strings.HasPrefix(href, "/projects/prj_") {
		t.Fatalf("%s dashboard: first project link is %q, want /projects/prj_…", u.base, href)
	}
	u.project = strings.TrimPrefix(href, "/projects/")
	_, body := u.mustGet(t, ctx, u.base+href+"/keys", http.StatusOK)
	form := stressDoc(t, body).Find(`[data-testid="key-form"]`)
	opt := form.Find(`select[name="api"] option[selected]`).First()
	if opt.Length() == 0 {
		opt = form.Find(`select[name="api"] option`).First()
	}
	u.api, u.audience = opt.AttrOr("value", ""), opt.AttrOr("data-identifier", "")
	if u.api == "" || u.audience == "" {
		t.Fatalf("%s project page %s: the key form has no API to choose", u.base, href)
	}
}

// mustGet GETs target, reads the whole body and fails the test unless the status is want.
func (u *stressUser) mustGet(t *testing.T, ctx context.Context, target string, want int) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", target, err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: got %s, want %d; body: %.300s", target, res.Status, want, b)
	}
	return res, string(b)
}

// stressDoc parses an HTML page.
func stressDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return d
}

// stressPost posts form to path and returns the status and the whole body. status 0
// means that no complete answer arrived (err is the transport error, or the error that
// cut the body short): the request may or may not have taken effect.
func (u *stressUser) stressPost(ctx context.Context, path string, form url.Values) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := u.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s, then reading the body: %w", res.Status, err)
	}
	return res.StatusCode, res.Header, b, nil
}

// stressKey is an API key the portal acknowledged: its id, the key itself and the
// status-list entry its token names.
type stressKey struct {
	ID, Token, ListID string
	Idx               int
}

// createKey asks for a key with a fresh form token. status 0 means no complete answer
// (err says why); any other status with a nil error is a 200 page that showed the key.
func (u *stressUser) createKey(ctx context.Context, name string) (stressKey, int, error) {
	form := url.Values{
		"_csrf": {u.csrf}, "name": {name}, "api": {u.api},
		"expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()},
	}
	status, _, body, err := u.stressPost(ctx, "/projects/"+u.project+"/keys", form)
	if status == 0 {
		return stressKey{}, 0, err
	}
	if status != http.StatusOK {
		return stressKey{}, status, fmt.Errorf("POST /projects/%s/keys: got %d, want 200; body: %.300s", u.project, status, body)
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return stressKey{}, status, err
	}
	id := strings.TrimSpace(d.Find(`[data-testid="new-key-id"]`).Text())
	token := strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text())
	var claims models.APIKeyClaims
	if err := stressPayload(token, &claims); err != nil {
		return stressKey{}, status, fmt.Errorf("POST /projects/%s/keys: 200 without a readable key (id %q): %v", u.project, id, err)
	}
	if claims.ID != id || !strings.HasPrefix(id, "key_") {
		return stressKey{}, status, fmt.Errorf("POST /projects/%s/keys: page says key id %q, the key's jti is %q", u.project, id, claims.ID)
	}
	uri := claims.Status.StatusList.URI
	i := strings.LastIndex(uri, "/statuslists/")
	if i < 0 {
		return stressKey{}, status, fmt.Errorf("key %s: status list uri %q has no /statuslists/", id, uri)
	}
	return stressKey{ID: id, Token: token, ListID: uri[i+len("/statuslists/"):], Idx: claims.Status.StatusList.Idx}, status, nil
}

// revokeKey revokes the project's key id. status 0 means no complete answer (err says
// why); any other status with a nil error is the expected 303 back to the project.
func (u *stressUser) revokeKey(ctx context.Context, id string) (int, error) {
	path := "/projects/" + u.project + "/keys/" + id + "/revoke"
	status, hdr, body, err := u.stressPost(ctx, path, url.Values{"_csrf": {u.csrf}})
	if status == 0 {
		return 0, err
	}
	if status != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/projects/"+u.project) {
		return status, fmt.Errorf("POST %s: got %d to %q, want 303 to the project; body: %.300s", path, status, hdr.Get("Location"), body)
	}
	return status, nil
}

// stressPayload decodes a JWT's payload into out without checking its signature.
func stressPayload(token string, out any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a compact JWT (%d parts)", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return json.Unmarshal(raw, out)
}

// crashRecord collects what the portal acknowledged, from every writer goroutine.
type crashRecord struct {
	mu      sync.Mutex
	keys    []stressKey     // every key answered with 200 and shown
	revoked map[string]bool // every key whose revocation was answered with 303
}

func (r *crashRecord) addKey(k stressKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, k)
}

func (r *crashRecord) addRevoked(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.revoked == nil {
		r.revoked = map[string]bool{}
	}
	r.revoked[id] = true
}

func (r *crashRecord) counts() (keys, revoked int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys), len(r.revoked)
}

// crashKillAfter is the least time each cycle loads the portal before the kill.
var crashKillAfter = [crashCycles]time.Duration{1500 * time.Millisecond, 700 * time.Millisecond}

// TestCrashDuringKeyIssuance kills the portal with SIGKILL while four goroutines create
// API keys and revoke every other one, then checks the SQLite file directly: the
// integrity and foreign-key checks pass, every acknowledged key is there with the
// status-list entry its token names, every acknowledged revocation is recorded, no two
// keys share a status-list index, every list's next index is past all of its keys,
// and each key and revocation has its audit event and each key its form submission (one
// transaction each: all or nothing). A new process on the same file must then become
// ready, verify the acknowledged keys with its JWKS and serve status lists whose bits
// agree with the database, acknowledged revocations set. The cycle runs twice, the
// second against the restarted portal; the checks cover every cycle's acknowledgements.
func TestCrashDuringKeyIssuance(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	dbPath := p.DBPath
	var all crashRecord // acknowledgements of every cycle so far
	for cycle := 1; cycle <= crashCycles; cycle++ {
		// The development provider's issuer is the portal's URL, whose port changes
		// with each process: the same email is a new user, with a new project, after
		// a restart. The database keeps every cycle's keys.
		u := stressSignIn(t, p, "crash@example.com", "Crash Test")
		rec := crashLoadAndKill(t, p, u, cycle)
		for _, k := range rec.keys {
			all.addKey(k)
		}
		for id := range rec.revoked {
			all.addRevoked(id)
		}
		if t.Failed() {
			t.FailNow()
		}

		rows := stressCheckDB(t, dbPath, &all)
		if t.Failed() {
			t.FailNow()
		}

		next := stressRelaunch(t, dbPath)
		stressCheckServed(t, next, rows, &all)
		p = next
		if t.Failed() {
			t.FailNow()
		}
	}
	start := time.Now()
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stopping the last portal with SIGTERM: got %v, want status 0", err)
	}
	t.Logf("last portal stopped in %s", time.Since(start).Round(time.Millisecond))
}

// crashLoadAndKill runs crashWriters goroutines that create keys and revoke every other
// one against p, SIGKILLs p while they run and returns what was acknowledged. Every
// answer the portal gives must be the expected one; transport errors are allowed only
// once the kill is under way.
func crashLoadAndKill(t *testing.T, p *portal, u *stressUser, cycle int) *crashRecord {
	t.Helper()
	var (
		rec      = &crashRecord{}
		killed   atomic.Bool
		inFlight atomic.Int32
		cut      atomic.Int32 // requests without a complete answer after the kill
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// noAnswer handles a request that got no complete answer: expected after the kill,
	// a failure before it. Either way the writer stops.
	noAnswer := func(what string, err error) {
		if killed.Load() {
			cut.Add(1)
			return
		}
		t.Errorf("cycle %d: %s: no answer before the kill: %v", cycle, what, err)
	}
	for w := 0; w < crashWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var prev *stressKey
			for n := 0; ctx.Err() == nil; n++ {
				inFlight.Add(1)
				k, status, err := u.createKey(ctx, fmt.Sprintf("crash-c%d-w%d-%d", cycle, w, n))
				inFlight.Add(-1)
				switch {
				case status == 0:
					noAnswer("creating a key", err)
					return
				case err != nil:
					t.Errorf("cycle %d: %v", cycle, err)
					return
				}
				rec.addKey(k)
				if n%2 == 1 && prev != nil {
					inFlight.Add(1)
					status, err := u.revokeKey(ctx, prev.ID)
					inFlight.Add(-1)
					switch {
					case status == 0:
						noAnswer("revoking "+prev.ID, err)
						return
					case err != nil:
						t.Errorf("cycle %d: %v", cycle, err)
						return
					}
					rec.addRevoked(prev.ID)
				}
				prev = &k
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-writersDone:
			t.Fatalf("cycle %d: every writer stopped before the kill (see the errors above)", cycle)
		case <-tick.C:
		}
		keys, revoked := rec.counts()
		elapsed := time.Since(start)
		switch {
		case revoked > 0 && keys >= crashEnoughKeys && elapsed >= crashKillAfter[cycle-1]:
			break wait
		case elapsed >= crashLoadLimit:
			cancel()
			<-writersDone
			t.Fatalf("cycle %d: %d keys and %d revocations acknowledged in %s, want at least %d and 1", cycle, keys, revoked, elapsed, crashEnoughKeys)
		}
	}
	if p.Exited() {
		cancel()
		<-writersDone
		t.Fatalf("cycle %d: the portal exited under load before the kill: %v", cycle, p.waitErr)
	}
	atKill := inFlight.Load()
	killed.Store(true)
	elapsed := time.Since(start)
	err := p.Stop(syscall.SIGKILL)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("cycle %d: portal exit after SIGKILL: got %v, want killed by SIGKILL", cycle, err)
	}
	cancel()
	select {
	case <-writersDone:
	case <-time.After(stressRequestTimeout + 5*time.Second):
		t.Fatalf("cycle %d: the writers did not stop after the kill", cycle)
	}
	expectNoServerErrors(t, p)
	stressExpectNoLocked(t, p.Log())
	keys, revoked := rec.counts()
	wal := "no WAL file"
	if fi, err := os.Stat(p.DBPath + "-wal"); err == nil {
		wal = fmt.Sprintf("WAL file of %d KiB", fi.Size()>>10)
	}
	t.Logf("cycle %d: killed after %s with %d requests in flight and a %s; acknowledged %d keys and %d revocations; %d requests cut off",
		cycle, elapsed.Round(time.Millisecond), atKill, wal, keys, revoked, cut.Load())
	return rec
}

// stressKeyRow is an api_keys row as the checks read it.
type stressKeyRow struct {
	ID, ListID string
	Idx        int
	Revoked    bool
}

// stressOpenDB opens the portal's SQLite file with the driver the portal uses. It runs
// no pragma that changes the file; opening it recovers the WAL left by a crash.
func stressOpenDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		t.Fatalf("opening %s: %v", path, err)
	}
	return db
}

// stressStrings runs query and returns its one text column.
func stressStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// stressCheckDB checks the SQLite file at path, with no portal running on it, against
// what the portal acknowledged (rec may be nil), and returns its api_keys rows by id.
func stressCheckDB(t *testing.T, path string, rec *crashRecord) map[string]stressKeyRow {
	t.Helper()
	db := stressOpenDB(t, path)
	defer db.Close()

	if got := stressStrings(t, db, "PRAGMA integrity_check"); len(got) != 1 || got[0] != "ok" {
		t.Errorf("PRAGMA integrity_check: got %q, want [\"ok\"]", got)
	}
	fk, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("PRAGMA foreign_key_check: %v", err)
	}
	cols, _ := fk.Columns()
	nfk := 0
	for fk.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		_ = fk.Scan(ptrs...)
		if nfk++; nfk <= 5 {
			t.Errorf("PRAGMA foreign_key_check: got violation %v, want none", vals)
		}
	}
	fk.Close()

	rows := map[string]stressKeyRow{}
	q, err := db.Query("SELECT id, status_list_id, status_idx, revoked_at IS NOT NULL FROM api_keys")
	if err != nil {
		t.Fatalf("reading api_keys: %v", err)
	}
	for q.Next() {
		var r stressKeyRow
		if err := q.Scan(&r.ID, &r.ListID, &r.Idx, &r.Revoked); err != nil {
			t.Fatalf("reading api_keys: %v", err)
		}
		rows[r.ID] = r
	}
	if err := q.Err(); err != nil {
		t.Fatalf("reading api_keys: %v", err)
	}
	q.Close()

	if rec != nil {
		rec.mu.Lock()
		lost, lostRev := 0, 0
		for _, k := range rec.keys {
			r, ok := rows[k.ID]
			switch {
			case !ok:
				if lost++; lost <= 5 {
					t.Errorf("acknowledged key %s: not in api_keys after the crash (lost write)", k.ID)
				}
			case r.ListID != k.ListID || r.Idx != k.Idx:
				t.Errorf("acknowledged key %s: row has status entry %s[%d], its token names %s[%d]", k.ID, r.ListID, r.Idx, k.ListID, k.Idx)
			}
		}
		for id := range rec.revoked {
			if r, ok := rows[id]; ok && !r.Revoked {
				if lostRev++; lostRev <= 5 {
					t.Errorf("acknowledged revocation of %s: revoked_at is NULL after the crash (lost write)", id)
				}
			}
		}
		if lost+lostRev > 0 {
			t.Errorf("lost acknowledged writes: %d of %d keys, %d of %d revocations", lost, len(rec.keys), lostRev, len(rec.revoked))
		}
		rec.mu.Unlock()
	}

	for _, dup := range stressStrings(t, db, `SELECT status_list_id || '[' || status_idx || '] x' || COUNT(*) FROM api_keys
		GROUP BY status_list_id, status_idx HAVING COUNT(*) > 1`) {
		t.Errorf("api_keys: status entry %s shared by several keys, want one key per index", dup)
	}
	for _, bad := range stressStrings(t, db, `SELECT l.id || ': next_idx ' || l.next_idx || ', size ' || l.size || ', ' ||
			COUNT(k.id) || ' keys, highest index ' || COALESCE(MAX(k.status_idx), -1)
		FROM status_lists l LEFT JOIN api_keys k ON k.status_list_id = l.id GROUP BY l.id
		HAVING l.next_idx < COUNT(k.id) OR l.next_idx <= COALESCE(MAX(k.status_idx), -1) OR l.next_idx > l.size`) {
		t.Errorf("status list %s: want next_idx at least the key count and above every key's index", bad)
	}
	// Each write is one transaction with its audit event (and, for a key, its form
	// submission): after a crash, either all of it is there or none.
	for _, id := range stressStrings(t, db, `SELECT k.id FROM api_keys k WHERE
		(SELECT COUNT(*) FROM audit_events e WHERE e.action = 'key.create' AND e.target_id = k.id) != 1`) {
		t.Errorf("api key %s: want exactly one key.create audit event", id)
	}
	for _, id := range stressStrings(t, db, `SELECT k.id FROM api_keys k WHERE
		(SELECT COUNT(*) FROM audit_events e WHERE e.action LIKE 'key.revoke%' AND e.target_id = k.id) != (k.revoked_at IS NOT NULL)`) {
		t.Errorf("api key %s: want one key.revoke audit event if revoked, none otherwise", id)
	}
	for _, id := range stressStrings(t, db, `SELECT e.target_id FROM audit_events e WHERE e.action IN ('key.create', 'key.revoke')
		AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = e.target_id)`) {
		t.Errorf("audit event for key %s: the key is not in api_keys", id)
	}
	// Every key of these tests is created with a form token.
	for _, id := range stressStrings(t, db, `SELECT k.id FROM api_keys k
		WHERE NOT EXISTS (SELECT 1 FROM form_submissions f WHERE f.result = k.id)`) {
		t.Errorf("api key %s: its form submission is missing", id)
	}
	return rows
}

// stressRelaunch starts a new portal process on the database file at dbPath (the
// development keys live in its directory) and waits until it is ready. A port taken
// between probe and bind is retried, as startPortal does.
func stressRelaunch(t *testing.T, dbPath string) *portal {
	t.Helper()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		p, err := launchPortal(t, dbPath, nil)
		if err == nil {
			t.Logf("restarted on the same database: ready in %s", time.Since(start).Round(time.Millisecond))
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.Log(), "address already in use") {
			t.Logf("port race, retrying: %v", err)
			continue
		}
		t.Fatalf("restarting the portal on %s after the crash: %v\n%s", dbPath, err, p.Log())
	}
}

// stressGet GETs target with a plain client and returns the status, content type and
// whole body.
func stressGet(t *testing.T, target string) (int, string, []byte) {
	t.Helper()
	client := &http.Client{Timeout: stressRequestTimeout}
	res, err := client.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", target, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// stressVerify checks token's signature with the key of its kid in set and decodes its
// claims into out.
func stressVerify(set jose.JSONWebKeySet, token string, out any) error {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		return err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		return fmt.Errorf("kid %q is not in the served JWKS", tok.Headers[0].KeyID)
	}
	return tok.Claims(keys[0].Key, out)
}

// stressCheckServed checks what the restarted portal p serves: every acknowledged key
// verifies with its JWKS, and every status list in rows is served, signed, with each
// key's bit set exactly when the database says the key is revoked.
func stressCheckServed(t *testing.T, p *portal, rows map[string]stressKeyRow, rec *crashRecord) {
	t.Helper()
	status, _, body := stressGet(t, p.URL+"/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	if status != http.StatusOK || json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
		t.Fatalf("restarted portal: GET /.well-known/jwks.json = %d %.200s, want a key set", status, body)
	}
	rec.mu.Lock()
	keys := slices.Clone(rec.keys)
	revoked := len(rec.revoked)
	rec.mu.Unlock()
	bad := 0
	for _, k := range keys {
		var claims models.APIKeyClaims
		if err := stressVerify(set, k.Token, &claims); err != nil {
			if bad++; bad <= 5 {
				t.Errorf("restarted portal: acknowledged key %s does not verify with the served JWKS: %v", k.ID, err)
			}
		}
	}

	byList := map[string][]stressKeyRow{}
	for _, r := range rows {
		byList[r.ListID] = append(byList[r.ListID], r)
	}
	lists := make([]string, 0, len(byList))
	for id := range byList {
		lists = append(lists, id)
	}
	sort.Strings(lists)
	setBits := 0
	for _, id := range lists {
		status, ctype, body := stressGet(t, p.URL+"/statuslists/"+id)
		if status != http.StatusOK || ctype != "application/statuslist+jwt" {
			t.Errorf("restarted portal: GET /statuslists/%s = %d %q, want 200 application/statuslist+jwt", id, status, ctype)
			continue
		}
		var claims struct {
			jwt.Claims
			StatusList struct {
				Bits int    `json:"bits"`
				Lst  string `json:"lst"`
			} `json:"status_list"`
		}
		if err := stressVerify(set, string(body), &claims); err != nil {
			t.Errorf("restarted portal: status list %s does not verify with the served JWKS: %v", id, err)
			continue
		}
		z, err := base64.RawURLEncoding.DecodeString(claims.StatusList.Lst)
		if err != nil {
			t.Errorf("status list %s: lst is not base64url: %v", id, err)
			continue
		}
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Errorf("status list %s: lst is not zlib: %v", id, err)
			continue
		}
		bits, err := io.ReadAll(zr)
		if err != nil || claims.StatusList.Bits != 1 {
			t.Errorf("status list %s: bits %d, inflating: %v; want 1 bit per key", id, claims.StatusList.Bits, err)
			continue
		}
		wrong := 0
		for _, r := range byList[id] {
			if r.Idx/8 >= len(bits) {
				t.Errorf("status list %s: %d bytes, key %s has index %d", id, len(bits), r.ID, r.Idx)
				continue
			}
			isSet := bits[r.Idx/8]&(1<<(r.Idx%8)) != 0
			if isSet {
				setBits++
			}
			if isSet != r.Revoked {
				if wrong++; wrong <= 5 {
					t.Errorf("restarted portal: status list %s bit %d (key %s): got set=%v, want %v (the database says revoked=%v)",
						id, r.Idx, r.ID, isSet, r.Revoked, r.Revoked)
				}
			}
		}
	}
	t.Logf("restarted portal: %d acknowledged keys verify, %d lists served, %d revoked bits set (%d revocations acknowledged)",
		len(keys)-bad, len(lists), setBits, revoked)
}

// TestConcurrentWritersNeverSeeLocked fires 50 key creations and 25 revocations at the
// portal at once, from one signed-in developer. SQLite has one writer at a time; the
// others must queue (WAL, busy_timeout, BEGIN IMMEDIATE) rather than fail: every
// creation is answered 200 with its key, every revocation 303, the portal logs no
// "database is locked"/SQLITE_BUSY and no 5xx, and afterwards the database holds
// exactly the 25 earlier keys plus one per 200, with the 25 revoked.
func TestConcurrentWritersNeverSeeLocked(t *testing.T) {
	t.Parallel()
	const creators, revokers = 50, 25
	p := startPortal(t)
	u := stressSignIn(t, p, "writers@example.com", "Many Writers")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	earlier := make([]stressKey, revokers)
	for i := range earlier {
		k, _, err := u.createKey(ctx, fmt.Sprintf("earlier-%d", i))
		if err != nil {
			t.Fatalf("creating key %d of %d before the burst: %v", i+1, revokers, err)
		}
		earlier[i] = k
	}

	type answer struct {
		status  int
		err     error
		key     stressKey
		latency time.Duration
	}
	var (
		created = make([]answer, creators)
		revoked = make([]answer, revokers)
		ready   sync.WaitGroup
		done    sync.WaitGroup
		gate    = make(chan struct{})
	)
	for i := range created {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			start := time.Now()
			k, status, err := u.createKey(ctx, fmt.Sprintf("burst-%d", i))
			created[i] = answer{status: status, err: err, key: k, latency: time.Since(start)}
		}()
	}
	for i := range revoked {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			start := time.Now()
			status, err := u.revokeKey(ctx, earlier[i].ID)
			revoked[i] = answer{status: status, err: err, latency: time.Since(start)}
		}()
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	done.Wait()
	burst := time.Since(start)

	ok, slowest := 0, time.Duration(0)
	ids := map[string]bool{}
	for i, a := range created {
		slowest = max(slowest, a.latency)
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("creation %d: got status %d, error %v; want 200 with the key", i, a.status, a.err)
			continue
		}
		ok++
		if ids[a.key.ID] {
			t.Errorf("creation %d: key id %s was answered twice", i, a.key.ID)
		}
		ids[a.key.ID] = true
	}
	for i, a := range revoked {
		slowest = max(slowest, a.latency)
		if a.err != nil || a.status != http.StatusSeeOther {
			t.Errorf("revocation of %s: got status %d, error %v; want 303", earlier[i].ID, a.status, a.err)
		}
	}
	t.Logf("%d creations and %d revocations at once: done in %s, slowest request %s",
		creators, revokers, burst.Round(time.Millisecond), slowest.Round(time.Millisecond))

	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stopping the portal: got %v, want status 0", err)
	}
	stressExpectNoLocked(t, p.Log())
	expectNoServerErrors(t, p)

	rows := stressCheckDB(t, p.DBPath, nil)
	db := stressOpenDB(t, p.DBPath)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM api_keys WHERE project_id = ?", u.project).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != revokers+ok {
		t.Errorf("keys in the database: got %d, want %d (%d before the burst + %d answered 200)", n, revokers+ok, revokers, ok)
	}
	for id := range ids {
		if _, found := rows[id]; !found {
			t.Errorf("key %s was answered 200 but is not in the database", id)
		}
	}
	for i, k := range earlier {
		if revoked[i].status == http.StatusSeeOther && !rows[k.ID].Revoked {
			t.Errorf("key %s: revocation answered 303, but revoked_at is NULL", k.ID)
		}
	}
}

// stressExpectNoLocked fails the test if the portal's log shows SQLite's lock errors.
func stressExpectNoLocked(t *testing.T, log string) {
	t.Helper()
	lower := strings.ToLower(log)
	for _, bad := range []string{"database is locked", "database table is locked", "sqlite_busy", "sqlite_locked"} {
		if i := strings.Index(lower, bad); i >= 0 {
			lineStart := strings.LastIndexByte(log[:i], '\n') + 1
			lineEnd := strings.IndexByte(log[i:], '\n')
			if lineEnd < 0 {
				lineEnd = len(log) - i
			}
			t.Errorf("portal log: got %q (%d times), want no %q", log[lineStart:i+lineEnd], strings.Count(lower, bad), bad)
		}
	}
}

// TestGracefulShutdownUnderLoad sends SIGTERM while eight keep-alive clients hammer
// GET /.well-known/jwks.json and GET /healthz, as a load balancer's backends see it: the
// clients keep sending until /readyz has answered 503 (the load balancer noticing) and a
// little after. No request may go unanswered — none sent before the signal, none sent
// during the shutdown delay — and every answer is a complete 200 whose JSON parses. The
// process must exit with status 0 within its grace period and log "shutting down" then
// "stopped".
func TestGracefulShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	const (
		clients = 8
		// The load runs until the portal has answered signalAfter complete 200s before
		// SIGTERM, and, after /readyz turns 503, until it has answered lbAnswers more: the
		// traffic a load balancer still sends before it notices. Each client has at most
		// one request in flight when /readyz turns 503, so at least lbAnswers-clients of
		// those were sent after it. Both are counts, not durations, so that a slow machine
		// cannot leave either side without load; loadDeadline bounds the first wait, and
		// lbDeadline the second, well inside the 2 s shutdown delay during which the
		// portal must still answer.
		signalAfter  = 10 * clients
		lbAnswers    = 10 * clients
		loadDeadline = 30 * time.Second
		lbDeadline   = time.Second
	)
	p := startPortal(t, "GATEHOUSE_SHUTDOWN_DELAY=2s")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2*clients, 2*clients
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var (
		signalled atomic.Bool
		stop      atomic.Bool
		before    atomic.Int64 // complete 200s answered before SIGTERM was sent
		after     atomic.Int64 // complete 200s sent or answered after it
		wg        sync.WaitGroup
	)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				path := "/healthz"
				if (c+n)%2 == 0 {
					path = "/.well-known/jwks.json"
				}
				res, err := client.Get(p.URL + path)
				if err != nil {
					t.Errorf("GET %s (signal sent: %v): no answer: %v", path, signalled.Load(), err)
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Errorf("GET %s: %s with a body cut short: %v", path, res.Status, err)
					return
				}
				if res.StatusCode != http.StatusOK {
					t.Errorf("GET %s: got %s, want 200; body: %.200s", path, res.Status, body)
					return
				}
				if err := stressCheckJSON(path, body); err != nil {
					t.Errorf("GET %s: 200 with %v; body: %.200s", path, err, body)
					return
				}
				if signalled.Load() {
					after.Add(1)
				} else {
					before.Add(1)
				}
			}
		}()
	}

	// waitAnswers polls (it gives up after within, when the portal has exited, or when a
	// client has failed and stopped) until counter reaches n.
	waitAnswers := func(counter *atomic.Int64, n int64, within time.Duration) {
		for deadline := time.Now().Add(within); counter.Load() < n && time.Now().Before(deadline) && !p.Exited() && !t.Failed(); {
			time.Sleep(5 * time.Millisecond) // polling the clients' count
		}
	}
	waitAnswers(&before, signalAfter, loadDeadline) // let the load run before the signal
	if p.Exited() {
		t.Fatalf("the portal exited under load before SIGTERM: %v", p.waitErr)
	}
	signalled.Store(true)
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The load balancer: poll readiness; once it fails, stop sending a little later.
	sawNotReady := false
	for !sawNotReady && !p.Exited() {
		res, err := client.Get(p.URL + "/readyz")
		if err != nil {
			t.Errorf("GET /readyz after SIGTERM, before the delay ran out: %v", err)
			break
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		sawNotReady = res.StatusCode == http.StatusServiceUnavailable
	}
	if !sawNotReady {
		t.Error("/readyz never answered 503 after SIGTERM")
	}
	waitAnswers(&after, after.Load()+lbAnswers, lbDeadline) // traffic the load balancer still sends
	stop.Store(true)
	wg.Wait()
	err := p.Stop(syscall.SIGTERM) // already signalled: this waits for the exit
	exitIn := time.Since(start)

	if err != nil {
		t.Errorf("exit after SIGTERM under load: got %v, want status 0", err)
	} else if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status: got %d, want 0", code)
	}
	if before.Load() == 0 || after.Load() == 0 {
		t.Errorf("200s: %d before the signal, %d after; want load on both sides", before.Load(), after.Load())
	}
	t.Logf("exited %s after SIGTERM; 200s: %d before the signal, %d after it; none unanswered",
		exitIn.Round(time.Millisecond), before.Load(), after.Load())

	log := p.Log()
	shut, stopped := strings.Index(log, "shutting down"), strings.LastIndex(log, "stopped")
	switch {
	case shut < 0:
		t.Errorf("log: got no \"shutting down\" line, want one")
	case stopped < 0:
		t.Errorf("log: got no \"stopped\" line, want one")
	case stopped < shut:
		t.Errorf("log: got \"stopped\" before \"shutting down\", want it after")
	}
	expectNoServerErrors(t, p)
}

// stressCheckJSON checks the body of a 200 from /healthz or the JWKS.
func stressCheckJSON(path string, body []byte) error {
	if path == "/healthz" {
		var h struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(body, &h); err != nil {
			return fmt.Errorf("JSON that does not parse: %w", err)
		}
		if h.Status != "ok" {
			return fmt.Errorf("status %q, want \"ok\"", h.Status)
		}
		return nil
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("a key set that does not parse: %w", err)
	}
	if len(set.Keys) == 0 {
		return errors.New("an empty key set")
	}
	return nil
}
