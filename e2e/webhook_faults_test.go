package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// These tests put webhooks under faults with the real binary in development mode
// (which lets endpoints be plain http on loopback): a receiver that never answers, and
// SIGKILL in the middle of a burst of events. Their helpers carry a "wh" prefix.

// whClientTimeout bounds every request the tests make of the portal while deliveries
// hang: below the webhook timeout (10 s), so a request that waited on a delivery fails.
const whClientTimeout = 5 * time.Second

// whUser is a signed-in developer with a personal access token for /api/v1 and the
// team that owns their first project.
type whUser struct {
	*stressUser
	pat   string
	team  string
	httpc *http.Client
}

// whSetup signs a user in at p, creates a write token on the account page and reads
// the team of the user's first project through the management API.
func whSetup(t *testing.T, p *portal, email string) *whUser {
	t.Helper()
	u := stressSignIn(t, p, email, "Webhook Tester")
	w := &whUser{stressUser: u, httpc: &http.Client{Timeout: whClientTimeout}}
	w.pat = createTokenOverHTTP(t, u, url.Values{"name": {"webhooks"}, "scope": {"write"}, "expires_in_days": {"7"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, body, err := w.apiDo(ctx, http.MethodGet, "/projects/"+u.project, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET /api/v1/projects/%s: %d %v %.300s", u.project, status, err, body)
	}
	var pr struct {
		TeamID string `json:"team_id"`
	}
	if err := json.Unmarshal(body, &pr); err != nil || !strings.HasPrefix(pr.TeamID, "team_") {
		t.Fatalf("GET /api/v1/projects/%s: no team_id in %s (%v)", u.project, body, err)
	}
	w.team = pr.TeamID
	return w
}

// apiDo calls the management API with the token. status 0 means no complete answer.
func (w *whUser) apiDo(ctx context.Context, method, path string, in any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+"/api/v1"+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+w.pat)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := w.httpc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s, then reading the body: %w", res.Status, err)
	}
	return res.StatusCode, b, nil
}

// createKey creates an API key for the user's project through the API and returns its
// id. status 0 means no complete answer (err says why).
func (w *whUser) createKeyAPI(ctx context.Context, name string) (string, int, error) {
	status, body, err := w.apiDo(ctx, http.MethodPost, "/projects/"+w.project+"/keys",
		map[string]any{"name": name, "api": w.api, "expires_in_days": 30})
	if status == 0 {
		return "", 0, err
	}
	var k struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &k) != nil || !strings.HasPrefix(k.ID, "key_") || k.Value == "" {
		return "", status, fmt.Errorf("POST /api/v1/projects/%s/keys: got %d %.300s, want 201 with a key", w.project, status, body)
	}
	return k.ID, status, nil
}

// revokeKeyAPI revokes one of the project's keys through the API.
func (w *whUser) revokeKeyAPI(ctx context.Context, id string) error {
	status, body, err := w.apiDo(ctx, http.MethodPost, "/projects/"+w.project+"/keys/"+id+"/revoke", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("POST /api/v1/projects/%s/keys/%s/revoke: got %d %.300s, want 200", w.project, id, status, body)
	}
	return nil
}

// registerWebhook adds an endpoint for target on the team's Webhooks page, subscribed
// to events, and returns its id and the signing secret the page shows once.
func (w *whUser) registerWebhook(t *testing.T, target string, events ...string) (id, secret string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	form := url.Values{"_csrf": {w.csrf}, "url": {target}, "description": {"fault test"}, "events": events}
	status, _, body, err := w.stressPost(ctx, "/teams/"+w.team+"/webhooks", form)
	if err != nil || status != http.StatusOK {
		t.Fatalf("POST /teams/%s/webhooks: %d %v %.500s", w.team, status, err, body)
	}
	doc := stressDoc(t, string(body))
	secret = strings.TrimSpace(doc.Find(`[data-testid="secret"]`).First().Text())
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the new endpoint's page shows %q, want a whsec_ secret", secret)
	}
	href, _ := doc.Find(`a[href*="/webhooks/whk_"]`).First().Attr("href")
	if i := strings.LastIndex(href, "/webhooks/"); i >= 0 {
		id = href[i+len("/webhooks/"):]
	}
	if !strings.HasPrefix(id, "whk_") {
		t.Fatalf("the new endpoint's page links no /webhooks/whk_…")
	}
	return id, secret
}

// hangingReceiver accepts connections and never answers (nor closes them).
type hangingReceiver struct {
	ln       net.Listener
	accepted atomic.Int32
	gaveUp   atomic.Int32 // connections the sender closed (its attempt ran out)
	mu       sync.Mutex
	conns    []net.Conn
}

func newHangingReceiver(t *testing.T) *hangingReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &hangingReceiver{ln: ln}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			r.accepted.Add(1)
			go func() {
				_, _ = io.Copy(io.Discard, c) // read the request, answer nothing
				r.gaveUp.Add(1)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, c := range r.conns {
			c.Close()
		}
	})
	return r
}

// whSignatureOK checks a delivery's Standard Webhooks signature independently of the
// portal's code: HMAC-SHA256 keyed with the secret's 32 bytes over id.timestamp.body.
func whSignatureOK(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) != 32 {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" {
		return false
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// recordingReceiver answers 204 to every genuine delivery and records its webhook-id;
// a delivery whose signature does not verify is counted and answered 401.
type recordingReceiver struct {
	srv      *httptest.Server
	secret   atomic.Value // string, set once the endpoint exists
	mu       sync.Mutex
	seen     map[string]int
	subjects map[string]bool // data.subject_id of the genuine deliveries
	bad      atomic.Int32
	total    atomic.Int32
	// While hold is set, genuine deliveries get no answer until release closes; one
	// whose connection ends first is not recorded (the sender never heard back).
	hold    atomic.Bool
	held    atomic.Int32
	release chan struct{}
}

func newRecordingReceiver(t *testing.T) *recordingReceiver {
	r := &recordingReceiver{seen: map[string]int{}, subjects: map[string]bool{}, release: make(chan struct{})}
	r.secret.Store("")
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.total.Add(1)
		if !whSignatureOK(r.secret.Load().(string), req.Header, body) {
			r.bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.hold.Load() {
			r.held.Add(1)
			select {
			case <-r.release:
			case <-req.Context().Done():
				return
			}
		}
		var ev struct {
			Data struct {
				SubjectID string `json:"subject_id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &ev) // signed by the portal: a body it cannot parse only lacks a subject
		r.mu.Lock()
		r.seen[req.Header.Get("webhook-id")]++
		r.subjects[ev.Data.SubjectID] = true
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// hasSubject reports whether an event about id arrived.
func (r *recordingReceiver) hasSubject(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subjects[id]
}

// missing returns the ids of want not received yet.
func (r *recordingReceiver) missing(want []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range want {
		if r.seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// TestWebhookHangingReceiverDoesNotSlowRequests registers an endpoint whose receiver
// accepts the connection and never answers, then creates and revokes keys through the
// API while other clients ask for access tokens and load pages (the hanging endpoint's
// own page with its delivery log among them). It runs until the receiver has seen a
// first attempt run out and a retry begin, and asserts that every request completed
// within its client timeout (below the webhook timeout) and succeeded.
func TestWebhookHangingReceiverDoesNotSlowRequests(t *testing.T) {
	p := startPortal(t)
	w := whSetup(t, p, "hang@example.com")
	hang := newHangingReceiver(t)
	epID, _ := w.registerWebhook(t, "http://"+hang.ln.Addr().String()+"/hook", models.EventAPIKeyCreated, models.EventAPIKeyRevoked)
	healthy := newRecordingReceiver(t)
	_, healthySecret := w.registerWebhook(t, healthy.srv.URL+"/hook", models.EventAPIKeyCreated)
	healthy.secret.Store(healthySecret)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	status, body, err := w.apiDo(ctx, http.MethodPost, "/projects/"+w.project+"/secrets", map[string]any{"name": "hang", "expires_in_days": 30})
	var sec struct {
		Value string `json:"value"`
	}
	if err != nil || status != http.StatusCreated || json.Unmarshal(body, &sec) != nil || sec.Value == "" {
		t.Fatalf("POST /api/v1/projects/%s/secrets: %d %v %.300s", w.project, status, err, body)
	}
	pages := &http.Client{Jar: w.client.Jar, Timeout: whClientTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tokens := &http.Client{Timeout: whClientTimeout}

	var (
		stop   atomic.Bool
		wg     sync.WaitGroup
		errMu  sync.Mutex
		errs   []string
		counts [3]atomic.Int32 // writes, tokens, pages
	)
	fail := func(format string, args ...any) {
		errMu.Lock()
		defer errMu.Unlock()
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	// Writes: every create and revoke is an event for the hanging endpoint.
	for g := 0; g < 2; g++ {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				id, _, err := w.createKeyAPI(ctx, fmt.Sprintf("hang-%d-%d", g, i))
				if err != nil {
					fail("create key: %v", err)
					continue
				}
				counts[0].Add(1)
				if i%2 == 0 {
					if err := w.revokeKeyAPI(ctx, id); err != nil {
						fail("revoke key %s: %v", id, err)
						continue
					}
					counts[0].Add(1)
				}
			}
		})
	}
	// The token endpoint.
	wg.Go(func() {
		for !stop.Load() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/oauth/token", strings.NewReader(url.Values{
				"grant_type": {"client_credentials"}, "resource": {w.audience}}.Encode()))
			if err != nil {
				fail("token request: %v", err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(w.project), url.QueryEscape(sec.Value))
			res, err := tokens.Do(req)
			if err != nil {
				fail("POST /oauth/token: %v", err)
				continue
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err != nil || res.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
				fail("POST /oauth/token: %s %v %.200s", res.Status, err, b)
				continue
			}
			counts[1].Add(1)
		}
	})
	// Pages, among them the hanging endpoint's delivery log.
	wg.Go(func() {
		paths := []string{"/", "/projects/" + w.project + "/keys", "/teams/" + w.team + "/webhooks", "/teams/" + w.team + "/webhooks/" + epID}
		for i := 0; !stop.Load(); i++ {
			path := paths[i%len(paths)]
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
			if err != nil {
				fail("page request: %v", err)
				return
			}
			res, err := pages.Do(req)
			if err != nil {
				fail("GET %s: %v", path, err)
				continue
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK {
				fail("GET %s: %s %v", path, res.Status, err)
				continue
			}
			counts[2].Add(1)
		}
	})

	// While the first attempt hangs, a key created now reaches the healthy endpoint of
	// the same team: the hanging receiver delays only its own deliveries.
	var waitErr error
	for hang.accepted.Load() < 1 && ctx.Err() == nil && !p.Exited() {
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	probe, _, err := w.createKeyAPI(ctx, "probe")
	if err != nil {
		t.Errorf("the probe key: %v", err)
	} else if hang.gaveUp.Load() > 0 {
		t.Errorf("the first attempt to the hanging receiver ended before the probe key was created")
	}
	for err == nil && !healthy.hasSubject(probe) {
		if hang.gaveUp.Load() > 0 || ctx.Err() != nil {
			t.Errorf("the healthy endpoint did not get the probe key's event while the hanging one's attempt lasted: it waited for the hanging receiver")
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Run until a first attempt has hung for its whole timeout and a retry has begun.
	for hang.accepted.Load() < 2 {
		if ctx.Err() != nil || p.Exited() {
			waitErr = errors.New("the hanging receiver did not see a second attempt within 60 s")
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop.Store(true)
	wg.Wait()
	if waitErr != nil {
		t.Fatalf("%v (accepted %d connections)", waitErr, hang.accepted.Load())
	}
	for _, e := range errs {
		t.Errorf("while deliveries hung: %s", e)
	}
	t.Logf("while deliveries hung (%d attempts): %d key writes, %d tokens, %d pages, all completed within %s",
		hang.accepted.Load(), counts[0].Load(), counts[1].Load(), counts[2].Load(), whClientTimeout)
	if counts[0].Load() == 0 || counts[1].Load() == 0 || counts[2].Load() == 0 {
		t.Errorf("some kind of request never completed: writes %d, tokens %d, pages %d", counts[0].Load(), counts[1].Load(), counts[2].Load())
	}
	// The delivery log names the failed attempt.
	_, page := w.mustGet(t, ctx, p.URL+"/teams/"+w.team+"/webhooks/"+epID, http.StatusOK)
	rows := stressDoc(t, page).Find(`[data-testid="delivery-row"]`)
	if rows.Length() == 0 {
		t.Error("the hanging endpoint's page lists no deliveries")
	}
	// A send still hanging does not hold up a graceful shutdown.
	if hang.gaveUp.Load() >= hang.accepted.Load() {
		t.Fatalf("no attempt is hanging at the shutdown (%d accepted, %d given up)", hang.accepted.Load(), hang.gaveUp.Load())
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM while a delivery hangs: %v, want a clean exit", err)
	}
}

// whBurst is how many events TestWebhookKillDuringBurstLosesNone produces (at least),
// and whKillAt how many of them are acknowledged, at least, before the kill.
const (
	whBurst  = 1000
	whKillAt = 450
)

// TestWebhookKillDuringBurstLosesNone registers an endpoint with a healthy receiver
// that verifies every signature and records webhook-ids, creates 1,000 API keys
// through the management API from four clients, SIGKILLs the portal in the middle
// while a delivery waits for its answer,
// restarts it on the same SQLite file, creates the rest, and polls until every
// api_key.created event the database's outbox holds for the team has been received at
// least once, and every acknowledged key has such an event.
func TestWebhookKillDuringBurstLosesNone(t *testing.T) {
	p := startPortal(t)
	w := whSetup(t, p, "burst@example.com")
	recv := newRecordingReceiver(t)
	_, secret := w.registerWebhook(t, recv.srv.URL+"/hook", models.EventAPIKeyCreated)
	recv.secret.Store(secret)
	w.httpc.Timeout = stressRequestTimeout

	var (
		ackMu sync.Mutex
		acked []string
	)
	// burst creates keys from four clients until whBurst are acknowledged in total or
	// until kill, when it is not nil, says so; requests cut off by the kill are
	// expected and not acknowledged.
	burst := func(ctx context.Context, killed *atomic.Bool, limit int) {
		var wg sync.WaitGroup
		var next atomic.Int32
		next.Store(int32(len(acked)))
		for g := 0; g < 4; g++ {
			wg.Go(func() {
				for {
					if killed != nil && killed.Load() {
						return
					}
					n := next.Add(1)
					if int(n) > limit {
						return
					}
					id, _, err := w.createKeyAPI(ctx, fmt.Sprintf("burst-%d", n))
					if err != nil {
						if killed == nil || !killed.Load() {
							t.Errorf("key %d: %v", n, err)
						}
						return
					}
					ackMu.Lock()
					acked = append(acked, id)
					ackMu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// First one key, delivered: the delivery job is running when the burst starts.
	burst(ctx, nil, 1)
	for !recv.hasSubject(acked[0]) {
		select {
		case <-ctx.Done():
			t.Fatal("the first key's event never arrived")
		case <-time.After(20 * time.Millisecond):
		}
	}
	// From now on deliveries hang until the kill, so the kill finds one in flight.
	recv.hold.Store(true)
	var killed atomic.Bool
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		// Until the kill: it comes once whKillAt keys are acknowledged and a delivery
		// waits for its answer, however long the job takes to send one.
		burst(ctx, &killed, 10*whBurst)
	}()
	for {
		ackMu.Lock()
		n := len(acked)
		ackMu.Unlock()
		if n >= whKillAt && recv.held.Load() > 0 {
			break
		}
		select {
		case <-loaded:
			t.Fatalf("the burst ended with %d keys acknowledged before the kill", n)
		case <-ctx.Done():
			t.Fatalf("only %d keys acknowledged before the deadline", n)
		case <-time.After(20 * time.Millisecond):
		}
	}
	killed.Store(true)
	err := p.Stop(syscall.SIGKILL)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("portal exit after SIGKILL: got %v, want killed by SIGKILL", err)
	}
	recv.hold.Store(false)
	close(recv.release)
	<-loaded
	ackMu.Lock()
	atKill := len(acked)
	ackMu.Unlock()
	recv.mu.Lock()
	before := len(recv.seen)
	recv.mu.Unlock()
	t.Logf("killed with %d keys acknowledged, %d events received and a delivery in flight", atKill, before)
	if t.Failed() {
		t.FailNow()
	}

	p2 := stressRelaunch(t, p.DBPath)
	w.base = p2.URL
	burst(ctx, nil, whBurst)
	if len(acked) < whBurst {
		t.Fatalf("%d keys acknowledged, want %d", len(acked), whBurst)
	}

	// Every api_key.created event of the team's outbox arrives, at least once.
	db := stressOpenDB(t, p.DBPath)
	defer db.Close()
	want := stressStrings(t, db, `SELECT id FROM outbox_events WHERE team_id = ? AND type = ? ORDER BY id`, w.team, models.EventAPIKeyCreated)
	subjects := map[string]bool{}
	for _, s := range stressStrings(t, db, `SELECT subject_id FROM outbox_events WHERE team_id = ? AND type = ?`, w.team, models.EventAPIKeyCreated) {
		subjects[s] = true
	}
	for _, id := range acked {
		if !subjects[id] {
			t.Errorf("acknowledged key %s has no api_key.created event in the outbox", id)
		}
	}
	if len(want) < whBurst {
		t.Fatalf("the outbox holds %d api_key.created events for the team, want at least %d", len(want), whBurst)
	}
	var missing []string
	for {
		if missing = recv.missing(want); len(missing) == 0 || ctx.Err() != nil || p2.Exited() {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d events never arrived (first: %v)", len(missing), len(want), missing[:min(5, len(missing))])
	}
	if n := recv.bad.Load(); n != 0 {
		t.Errorf("%d deliveries had no valid signature", n)
	}
	recv.mu.Lock()
	dups := 0
	for _, n := range recv.seen {
		dups += n - 1
	}
	recv.mu.Unlock()
	t.Logf("%d events in the outbox, %d keys acknowledged, all %d received (%d repeated after the crash)",
		len(want), len(acked), len(want), dups)
}
