package e2e

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// This file runs two `gatehouse serve` processes on one PostgreSQL schema, as a
// load-balanced deployment does, and checks what they must share: the schema (both
// migrate at once), sessions, signing keys, revocations and rotations. Its helpers
// carry a "multi" prefix.

const (
	// multiRevocationLimit bounds how long a revocation made on one instance may take to
	// show in the other's status list. The design target is one poll (1 s) plus the
	// request time; anything above this is a failure.
	multiRevocationLimit = 5 * time.Second
	// multiRotationLimit bounds how long a rotation made by a third process may take to
	// show in both instances' JWKS (one poll, 1 s, plus slack).
	multiRotationLimit = 2500 * time.Millisecond
	// multiPollEvery is how often the test polls while it waits for propagation.
	multiPollEvery = 20 * time.Millisecond
	// The load on B runs before instance A is killed until B has given
	// multiLoadMinAnswers correct answers (a /readyz among them), and after the kill
	// until it has given as many again and multiLoadAfter has passed, both within
	// multiLoadDeadline. multiLoadAfter is a duration on purpose: it covers several of
	// B's 1 s refresh polls, which run inside B where the test cannot count them.
	multiLoadAfter      = 2500 * time.Millisecond
	multiLoadMinAnswers = 20
	multiLoadDeadline   = 60 * time.Second
	// multiLoadWorkers is how many goroutines send JWKS and account requests to B next
	// to the one that also probes /readyz.
	multiLoadWorkers = 2
)

// TestTwoInstancesOnPostgres starts instances A and B of the portal at the same moment
// on one fresh PostgreSQL schema, with the same master and session keys, and checks:
// both become ready and the schema is migrated exactly once; a session made on A is
// valid on B and signing out on A ends it on B too (server-side); an API key created on
// B verifies with A's JWKS, and its revocation on A shows in B's status list within
// multiRevocationLimit; a signing-key rotation by a third process shows in both JWKS
// within multiRotationLimit; killing A with SIGKILL does not disturb B, which answers
// a steady stream of requests with 200 throughout; B exits 0 on SIGTERM.
func TestTwoInstancesOnPostgres(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set: the two-instance test needs a PostgreSQL server "+
			"(CI sets it to postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", storetest.PostgresEnv)
	}
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	env := []string{
		"GATEHOUSE_DATABASE_URL=" + dbURL,
		"GATEHOUSE_MASTER_KEY=" + multiRandomKey(t),
		"GATEHOUSE_SESSION_KEYS=" + multiRandomKey(t),
	}

	// 1. Both instances start at the same moment; both migrate the empty schema.
	a, b := multiStartPair(t, env)
	t.Logf("instance A at %s, instance B at %s", a.URL, b.URL)
	multiCheckStartup(t, dbURL, a, b)
	if t.Failed() {
		t.FailNow()
	}

	// 2. A session made on A is a session on B; signing out on A ends it everywhere.
	const email, name = "multi@example.com", "Multi Instance"
	multiSharedSession(t, a, b, email, name)
	if t.Failed() {
		t.FailNow()
	}

	// 3. A key created on B, revoked on A: B's status list must follow.
	ua := stressSignIn(t, a, email, name)
	ub := multiUserOn(t, ua, b)
	key, setA, setB := multiKeyAcrossInstances(t, a, b, ua, ub)
	if t.Failed() {
		t.FailNow()
	}
	multiRevocationPropagates(t, a, b, ua, key, setA, setB)
	if t.Failed() {
		t.FailNow()
	}

	// 4. A rotation by a third process shows in both JWKS.
	multiRotationPropagates(t, env, a, b, key)
	if t.Failed() {
		t.FailNow()
	}

	// 5. A dies with SIGKILL while B is under a steady stream of requests.
	multiKillUnderLoad(t, a, b, ua.client.Jar, email)

	// 6. B stops cleanly.
	start := time.Now()
	if err := b.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stopping instance B with SIGTERM: got %v, want status 0", err)
	} else if code := b.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("instance B exit status: got %d, want 0", code)
	}
	t.Logf("instance B stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if log := b.Log(); !strings.Contains(log, "stopped") {
		t.Errorf("instance B log: got no \"stopped\" line after SIGTERM")
	}
	expectNoServerErrors(t, a)
	expectNoServerErrors(t, b)
	for _, p := range []struct {
		name string
		p    *portal
	}{{"A", a}, {"B", b}} {
		for _, line := range strings.Split(p.p.Log(), "\n") {
			if strings.Contains(line, "refreshing signing state failed") || strings.Contains(line, "signing-key maintenance failed") {
				t.Errorf("instance %s log: got %q, want the signer's polls to succeed", p.name, line)
			}
		}
	}
}

// multiRandomKey returns base64 of 32 random bytes, a master or session key.
func multiRandomKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// multiLaunch starts `gatehouse serve` on addr with env (the database and keys) and
// does not wait for it to be ready. The process is stopped when the test ends, and its
// output is logged if the test failed.
func multiLaunch(t *testing.T, name, addr string, env []string) *portal {
	t.Helper()
	p := &portal{URL: "http://" + addr, Addr: addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(gatehouseBin, "serve")
	p.cmd.Env = childEnv(append([]string{"GATEHOUSE_ADDR=" + addr, "GATEHOUSE_BASE_URL=" + p.URL}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	setChildAttrs(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting instance %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			if err := p.Stop(syscall.SIGTERM); err != nil {
				t.Errorf("stopping instance %s at the end of the test: got %v, want a clean exit", name, err)
			}
		}
		if t.Failed() {
			t.Logf("instance %s (%s) output:\n%s", name, p.URL, p.Log())
		}
	})
	return p
}

// multiStartPair starts instances A and B back to back on two free loopback ports,
// each with its own base URL and the same env, and waits until both answer /readyz.
// An instance that lost its probed port to someone else is started again alone.
func multiStartPair(t *testing.T, env []string) (a, b *portal) {
	t.Helper()
	addrA, addrB := freeAddr(t), freeAddr(t)
	for addrB == addrA {
		addrB = freeAddr(t)
	}
	start := time.Now()
	a = multiLaunch(t, "A", addrA, env)
	b = multiLaunch(t, "B", addrB, env)
	gap := time.Since(start)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	ready := make([]time.Duration, 2)
	for i, p := range []*portal{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.waitReady()
			ready[i] = time.Since(start)
		}()
	}
	wg.Wait()
	t.Logf("started A and B %s apart: A ready after %s, B after %s",
		gap.Round(time.Microsecond), ready[0].Round(time.Millisecond), ready[1].Round(time.Millisecond))

	ps := []*portal{a, b}
	for i, name := range []string{"A", "B"} {
		for attempt := 1; errs[i] != nil; attempt++ {
			p := ps[i]
			if attempt > 3 || !p.Exited() || !strings.Contains(p.Log(), "address already in use") {
				t.Fatalf("instance %s did not become ready: %v\n%s", name, errs[i], p.Log())
			}
			t.Logf("instance %s: port race, starting it again alone: %v", name, errs[i])
			p = multiLaunch(t, name, freeAddr(t), env)
			ps[i], errs[i] = p, p.waitReady()
		}
	}
	return ps[0], ps[1]
}

// multiCheckStartup checks that both instances migrated the same schema to the same
// version, that every migration was applied exactly once, and that their simultaneous
// first start made exactly one signing key, which both publish.
func multiCheckStartup(t *testing.T, dbURL string, a, b *portal) {
	t.Helper()
	versionRe := regexp.MustCompile(`msg="database ready" dialect=postgres schema_version=(\d+)`)
	var versions []string
	for _, p := range []*portal{a, b} {
		m := versionRe.FindStringSubmatch(p.Log())
		if m == nil {
			t.Errorf("instance %s log: got no postgres \"database ready\" line with a schema_version, want one", p.URL)
			continue
		}
		versions = append(versions, m[1])
	}
	if len(versions) == 2 && versions[0] != versions[1] {
		t.Errorf("schema versions: A reports %s, B reports %s; want the same", versions[0], versions[1])
	}

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("opening the test schema: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT version_id, COUNT(*) FROM goose_db_version
		WHERE is_applied GROUP BY version_id HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		t.Errorf("goose_db_version: migration %d recorded %d times, want once (both instances migrated it)", v, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var applied int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	var states []string
	srows, err := db.QueryContext(ctx, `SELECT state FROM signing_keys ORDER BY created_at`)
	if err != nil {
		t.Fatalf("reading signing_keys: %v", err)
	}
	for srows.Next() {
		var s string
		if err := srows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		states = append(states, s)
	}
	srows.Close()
	if !slices.Equal(states, []string{models.KeyActive}) {
		t.Errorf("signing_keys after two simultaneous first starts: got states %v, want exactly one active key", states)
	}

	setA, setB := multiJWKS(t, a), multiJWKS(t, b)
	if ka, kb := multiKIDs(setA), multiKIDs(setB); len(ka) != 1 || !slices.Equal(ka, kb) {
		t.Errorf("JWKS after start: A publishes %v, B publishes %v; want the same one key", ka, kb)
	}
	t.Logf("schema migrated once to version %v (%d migrations applied), one signing key %v published by both",
		versions, applied, multiKIDs(setA))
}

// multiJWKS fetches p's JWKS and fails the test unless it is a key set.
func multiJWKS(t *testing.T, p *portal) jose.JSONWebKeySet {
	t.Helper()
	status, _, body := stressGet(t, p.URL+"/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	if status != http.StatusOK {
		t.Fatalf("GET %s/.well-known/jwks.json: got %d, want 200; body: %.200s", p.URL, status, body)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("GET %s/.well-known/jwks.json: %v in %.200s", p.URL, err, body)
	}
	return set
}

// multiKIDs returns the kids of set, sorted.
func multiKIDs(set jose.JSONWebKeySet) []string {
	kids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

// multiUserOn reads, with u's client (and so u's session cookie, which the jar sends to
// every port of 127.0.0.1), the CSRF token, first project and default audience from
// p's pages, and returns a user that talks to p.
func multiUserOn(t *testing.T, u *stressUser, p *portal) *stressUser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	on := &stressUser{base: p.URL, client: u.client}
	_, body := on.mustGet(t, ctx, p.URL+"/", http.StatusOK)
	dash := stressDoc(t, body)
	on.csrf, _ = dash.Find(`meta[name="csrf-token"]`).Attr("content")
	if on.csrf == "" {
		t.Fatalf("%s dashboard with the session from %s: got no <meta name=\"csrf-token\">, want a signed-in page", p.URL, u.base)
	}
	if on.csrf != u.csrf {
		t.Errorf("CSRF token of the same session: %s shows %q, %s showed %q; want the same", p.URL, on.csrf, u.base, u.csrf)
	}
	on.readFirstProject(t, ctx, dash)
	if on.project != u.project {
		t.Errorf("first project of the same user: %s shows %s, %s showed %s; want the same", p.URL, on.project, u.base, u.project)
	}
	return on
}

// multiSessionCookie returns the session cookie the jar holds for base ("" if none).
func multiSessionCookie(t *testing.T, jar http.CookieJar, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range jar.Cookies(u) {
		if c.Name == "gatehouse_session" {
			return c.Value
		}
	}
	return ""
}

// multiAccount GETs base/account with client, adding cookie as the session cookie when
// it is not empty, and returns the status, Location and the account email shown.
func multiAccount(t *testing.T, client *http.Client, base, cookie string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stressRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/account", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: cookie})
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s/account: %v", base, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s/account: reading the body: %v", base, err)
	}
	shown := ""
	if res.StatusCode == http.StatusOK {
		shown = strings.TrimSpace(stressDoc(t, string(body)).Find(`[data-testid="account-email"]`).Text())
	}
	return res.StatusCode, res.Header.Get("Location"), shown
}

// multiSharedSession signs in on A and checks that B knows the session (the same user
// on /account), then signs out on A and checks that B no longer accepts the session —
// not just because the jar dropped the cookie: the old cookie, sent again by hand, must
// be refused by B (and A) because the session row is gone.
func multiSharedSession(t *testing.T, a, b *portal, email, name string) {
	t.Helper()
	ua := stressSignIn(t, a, email, name)
	cookie := multiSessionCookie(t, ua.client.Jar, b.URL)
	if cookie == "" {
		t.Fatalf("after signing in on A: the jar sends no gatehouse_session cookie to B (%s)", b.URL)
	}
	status, loc, shown := multiAccount(t, ua.client, b.URL, "")
	if status != http.StatusOK || shown != email {
		t.Fatalf("GET B/account with the session made on A: got %d (Location %q) showing %q, want 200 showing %q",
			status, loc, shown, email)
	}
	// The same cookie sent by hand, without the jar: the control for the check after
	// sign-out below.
	bare := &http.Client{Timeout: stressRequestTimeout, CheckRedirect: ua.client.CheckRedirect}
	defer bare.CloseIdleConnections()
	if status, loc, shown := multiAccount(t, bare, b.URL, cookie); status != http.StatusOK || shown != email {
		t.Fatalf("GET B/account with the session cookie sent by hand: got %d (Location %q) showing %q, want 200 showing %q",
			status, loc, shown, email)
	}
	t.Logf("session made on A is valid on B: B/account shows %s", shown)

	ctx, cancel := context.WithTimeout(context.Background(), stressRequestTimeout)
	defer cancel()
	st, hdr, body, err := ua.stressPost(ctx, "/logout", url.Values{"_csrf": {ua.csrf}})
	if err != nil || st != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("POST A/logout: got %d to %q (%v), want 303 to \"/\"; body: %.300s", st, hdr.Get("Location"), err, body)
	}
	for _, c := range []struct {
		what, base, cookie string
		client             *http.Client
	}{
		{"B/account with the jar after signing out on A", b.URL, "", ua.client},
		{"B/account with the old session cookie sent by hand after signing out on A", b.URL, cookie, bare},
		{"A/account with the old session cookie sent by hand after signing out on A", a.URL, cookie, bare},
	} {
		status, loc, shown := multiAccount(t, c.client, c.base, c.cookie)
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("GET %s: got %d to %q (showing %q), want 303 to /login…", c.what, status, loc, shown)
		}
	}
	t.Logf("after POST A/logout: B refuses the session, even with the old cookie (the session row is gone)")
}

// multiKeyAcrossInstances creates an API key on B and checks that it verifies with A's
// JWKS as well as B's, names B as issuer and B's status list, and that neither
// instance marks it revoked yet (which also puts the list in both instances' caches).
func multiKeyAcrossInstances(t *testing.T, a, b *portal, ua, ub *stressUser) (stressKey, jose.JSONWebKeySet, jose.JSONWebKeySet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stressRequestTimeout)
	defer cancel()
	k, status, err := ub.createKey(ctx, "multi-instance")
	if err != nil {
		t.Fatalf("creating a key on B (status %d): %v", status, err)
	}
	setA, setB := multiJWKS(t, a), multiJWKS(t, b)
	var claimsA, claimsB models.APIKeyClaims
	if err := stressVerify(setA, k.Token, &claimsA); err != nil {
		t.Errorf("key %s created on B: does not verify with A's JWKS: %v", k.ID, err)
	}
	if err := stressVerify(setB, k.Token, &claimsB); err != nil {
		t.Errorf("key %s created on B: does not verify with B's JWKS: %v", k.ID, err)
	}
	if claimsB.Issuer != b.URL {
		t.Errorf("key %s created on B: iss %q, want B's base URL %q", k.ID, claimsB.Issuer, b.URL)
	}
	if want := b.URL + "/statuslists/" + k.ListID; claimsB.Status.StatusList.URI != want {
		t.Errorf("key %s created on B: status list uri %q, want %q", k.ID, claimsB.Status.StatusList.URI, want)
	}
	client := &http.Client{Timeout: stressRequestTimeout}
	defer client.CloseIdleConnections()
	for _, p := range []struct {
		name string
		base string
		set  jose.JSONWebKeySet
	}{{"A", a.URL, setA}, {"B", b.URL, setB}} {
		set, err := multiStatusBit(ctx, client, p.set, p.base, k.ListID, k.Idx)
		if err != nil {
			t.Fatalf("instance %s before the revocation: %v", p.name, err)
		}
		if set {
			t.Errorf("instance %s: status list %s bit %d of the new key %s is set before any revocation", p.name, k.ListID, k.Idx, k.ID)
		}
	}
	t.Logf("key %s created on B (status list %s[%d]) verifies with A's JWKS", k.ID, k.ListID, k.Idx)
	if ua.project != ub.project {
		t.Fatalf("project on A %s, on B %s: want the same", ua.project, ub.project)
	}
	return k, setA, setB
}

// multiStatusBit fetches base/statuslists/listID, verifies it with set and returns bit
// idx.
func multiStatusBit(ctx context.Context, client *http.Client, set jose.JSONWebKeySet, base, listID string, idx int) (bool, error) {
	target := base + "/statuslists/" + listID
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return false, err
	}
	res, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return false, fmt.Errorf("GET %s: %s, reading the body: %w", target, res.Status, err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/statuslist+jwt" {
		return false, fmt.Errorf("GET %s: got %s %q, want 200 application/statuslist+jwt; body: %.200s",
			target, res.Status, res.Header.Get("Content-Type"), body)
	}
	var claims struct {
		jwt.Claims
		StatusList struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		} `json:"status_list"`
	}
	if err := stressVerify(set, string(body), &claims); err != nil {
		return false, fmt.Errorf("GET %s: the status list does not verify: %w", target, err)
	}
	if claims.StatusList.Bits != 1 {
		return false, fmt.Errorf("GET %s: bits %d, want 1", target, claims.StatusList.Bits)
	}
	z, err := base64.RawURLEncoding.DecodeString(claims.StatusList.Lst)
	if err != nil {
		return false, fmt.Errorf("GET %s: lst is not base64url: %w", target, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return false, fmt.Errorf("GET %s: lst is not zlib: %w", target, err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		return false, fmt.Errorf("GET %s: inflating lst: %w", target, err)
	}
	if idx < 0 || idx/8 >= len(bits) {
		return false, fmt.Errorf("GET %s: %d bytes, index %d is not in the list", target, len(bits), idx)
	}
	return bits[idx/8]&(1<<(idx%8)) != 0, nil
}

// multiRevocationPropagates revokes k on A and polls B's status list until its bit is
// set, failing if that takes longer than multiRevocationLimit. A must show the bit at
// once (it made the change).
func multiRevocationPropagates(t *testing.T, a, b *portal, ua *stressUser, k stressKey, setA, setB jose.JSONWebKeySet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), multiRevocationLimit+2*stressRequestTimeout)
	defer cancel()
	client := &http.Client{Timeout: stressRequestTimeout}
	defer client.CloseIdleConnections()

	sent := time.Now()
	if status, err := ua.revokeKey(ctx, k.ID); err != nil {
		t.Fatalf("revoking key %s on A (status %d): %v", k.ID, status, err)
	}
	acked := time.Now()
	if set, err := multiStatusBit(ctx, client, setA, a.URL, k.ListID, k.Idx); err != nil {
		t.Errorf("instance A right after the revocation: %v", err)
	} else if !set {
		t.Errorf("instance A: status list %s bit %d of key %s is not set right after A acknowledged its revocation", k.ListID, k.Idx, k.ID)
	}

	polls := 0
	for {
		polls++
		set, err := multiStatusBit(ctx, client, setB, b.URL, k.ListID, k.Idx)
		if err != nil {
			t.Fatalf("instance B, poll %d after the revocation on A: %v", polls, err)
		}
		if set {
			seen := time.Now()
			delay := seen.Sub(acked)
			t.Logf("revocation of %s on A (acknowledged in %s) seen in B's status list %s after acknowledgement (%s after the request was sent; %d polls)",
				k.ID, acked.Sub(sent).Round(time.Millisecond), delay.Round(time.Millisecond), seen.Sub(sent).Round(time.Millisecond), polls)
			if delay > multiRevocationLimit {
				t.Errorf("revocation propagation A→B: took %s, want at most %s (design target: 1 s poll plus request time)",
					delay.Round(time.Millisecond), multiRevocationLimit)
			}
			return
		}
		if since := time.Since(acked); since > multiRevocationLimit {
			t.Fatalf("revocation of %s on A: B's status list %s still has bit %d clear %s after A acknowledged it (%d polls); want it set within %s",
				k.ID, k.ListID, k.Idx, since.Round(time.Millisecond), polls, multiRevocationLimit)
		}
		time.Sleep(multiPollEvery)
	}
}

// multiRotationPropagates runs `gatehouse signing-keys rotate` as a third process on
// the same database and waits until both instances publish the new key next to the
// active one.
func multiRotationPropagates(t *testing.T, env []string, a, b *portal, k stressKey) {
	t.Helper()
	before := multiKIDs(multiJWKS(t, a))
	if len(before) != 1 {
		t.Fatalf("A's JWKS before the rotation: got kids %v, want one", before)
	}
	stdout, stderr, code := runBinary(t, 60*time.Second, append([]string{"GATEHOUSE_BASE_URL=" + a.URL}, env...), "signing-keys", "rotate")
	done := time.Now()
	if code != 0 {
		t.Fatalf("gatehouse signing-keys rotate: exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`rotation started: key (\S+) is published now`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("gatehouse signing-keys rotate: got stdout %q, want \"rotation started: key KID is published now…\"", stdout)
	}
	newKID := m[1]
	want := slices.Sorted(slices.Values(append(slices.Clone(before), newKID)))

	client := &http.Client{Timeout: stressRequestTimeout}
	defer client.CloseIdleConnections()
	seen := map[string]time.Duration{}
	var last map[string][]string
	for len(seen) < 2 {
		last = map[string][]string{}
		for _, p := range []struct {
			name string
			p    *portal
		}{{"A", a}, {"B", b}} {
			if _, ok := seen[p.name]; ok {
				continue
			}
			res, err := client.Get(p.p.URL + "/.well-known/jwks.json")
			if err != nil {
				t.Fatalf("GET %s/.well-known/jwks.json during the rotation: %v", p.name, err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			var set jose.JSONWebKeySet
			if err != nil || res.StatusCode != http.StatusOK || json.Unmarshal(body, &set) != nil {
				t.Fatalf("GET %s/.well-known/jwks.json during the rotation: got %s (%v), want a key set; body: %.200s", p.name, res.Status, err, body)
			}
			kids := multiKIDs(set)
			last[p.name] = kids
			if slices.Equal(kids, want) {
				seen[p.name] = time.Since(done)
				// The key issued before the rotation still verifies: the active key did
				// not change, the new one only waits to sign.
				var claims models.APIKeyClaims
				if err := stressVerify(set, k.Token, &claims); err != nil {
					t.Errorf("%s's JWKS after the rotation: key %s issued before it no longer verifies: %v", p.name, k.ID, err)
				}
			} else if len(kids) > 2 || !slices.Contains(kids, before[0]) {
				t.Fatalf("%s's JWKS during the rotation: got kids %v, want %v then %v", p.name, kids, before, want)
			}
		}
		if len(seen) < 2 {
			if since := time.Since(done); since > multiRotationLimit {
				t.Fatalf("rotation by a third process (new key %s): after %s A publishes %v, B publishes %v; want both %v within %s",
					newKID, since.Round(time.Millisecond), multiOr(last["A"], want), multiOr(last["B"], want), want, multiRotationLimit)
			}
			time.Sleep(multiPollEvery)
		}
	}
	t.Logf("rotation by a third process: new key %s published by A after %s and by B after %s (JWKS now %v)",
		newKID, seen["A"].Round(time.Millisecond), seen["B"].Round(time.Millisecond), want)
}

// multiOr returns got, or want when got is nil (the instance already matched).
func multiOr(got, want []string) []string {
	if got == nil {
		return want
	}
	return got
}

// multiKillUnderLoad kills A with SIGKILL while B serves a steady stream of requests
// and checks that every request to B was answered 200 with the expected body, before
// and after the kill. One goroutine sends GET /readyz, GET /.well-known/jwks.json and
// GET /account (with the session in jar) in turn, as a load balancer's health check and
// a user would; multiLoadWorkers more send the last two concurrently.
//
// Only the one goroutine probes /readyz: on PostgreSQL each /readyz takes goose's
// database-wide migration advisory lock (Provider.GetDBVersion locks), and a probe that
// finds it held waits goose's 5 s retry interval, past /readyz's 2 s budget, and answers
// 503 "schema not migrated". Concurrent probes would measure that, not A's death.
func multiKillUnderLoad(t *testing.T, a, b *portal, jar http.CookieJar, email string) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2*(multiLoadWorkers+1), 2*(multiLoadWorkers+1)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Jar: jar, Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var (
		killed        atomic.Bool
		before, after atomic.Int64 // complete, correct 200s before and after the kill
		readyz        atomic.Int64 // of those, answers to /readyz
		failures      atomic.Int64
		slowest       atomic.Int64 // nanoseconds
		wg            sync.WaitGroup
		stop          = make(chan struct{})
	)
	fail := func(format string, args ...any) {
		phase := "before"
		if killed.Load() {
			phase = "after"
		}
		if n := failures.Add(1); n <= 10 {
			t.Errorf("B under load, %s A's kill: "+format, append([]any{phase}, args...)...)
		}
	}
	worker := func(paths []string) {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			path := paths[n%len(paths)]
			start := time.Now()
			res, err := client.Get(b.URL + path)
			if err != nil {
				fail("GET %s: %v", path, err)
				continue
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			for lat := int64(time.Since(start)); ; {
				cur := slowest.Load()
				if lat <= cur || slowest.CompareAndSwap(cur, lat) {
					break
				}
			}
			switch {
			case err != nil:
				fail("GET %s: %s with a body cut short: %v", path, res.Status, err)
			case res.StatusCode != http.StatusOK:
				fail("GET %s: got %s (Location %q), want 200; body: %.200s", path, res.Status, res.Header.Get("Location"), body)
			default:
				if err := multiCheckAnswer(path, body, email); err != nil {
					fail("GET %s: 200 with %v", path, err)
					continue
				}
				if path == "/readyz" {
					readyz.Add(1)
				}
				if killed.Load() {
					after.Add(1)
				} else {
					before.Add(1)
				}
			}
		}
	}
	wg.Add(1)
	go worker([]string{"/readyz", "/.well-known/jwks.json", "/account"})
	for w := 0; w < multiLoadWorkers; w++ {
		wg.Add(1)
		go worker([]string{"/.well-known/jwks.json", "/account"})
	}

	// Load B until it has answered correctly for a while (a number of answers, not a
	// time: under the race detector on a busy machine a request can take a second).
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(multiLoadDeadline); !cond(); {
			if time.Now().After(deadline) {
				t.Errorf("load on B: %s not reached within %s (%d correct 200s before A's kill, %d after, %d from /readyz, %d failures)",
					what, multiLoadDeadline, before.Load(), after.Load(), readyz.Load(), failures.Load())
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the answers before the kill", func() bool { return before.Load() >= multiLoadMinAnswers && readyz.Load() > 0 })
	killed.Store(true)
	readyzAtKill := readyz.Load()
	err := a.Stop(syscall.SIGKILL)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("instance A exit after SIGKILL: got %v, want killed by SIGKILL", err)
	}
	time.Sleep(multiLoadAfter)
	waitFor("the answers after the kill", func() bool {
		return after.Load() >= multiLoadMinAnswers && readyz.Load() > readyzAtKill
	})
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the load goroutines did not stop within 10 s of the end of the load")
	}

	if before.Load() == 0 || after.Load() == 0 || readyz.Load() == 0 {
		t.Errorf("load on B: %d correct 200s before A's kill and %d after (%d from /readyz), want some in both phases and from /readyz",
			before.Load(), after.Load(), readyz.Load())
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("load on B: %d requests failed, want none", n)
	}
	if status, _, body := stressGet(t, b.URL+"/readyz"); status != http.StatusOK {
		t.Errorf("GET B/readyz after A's death: got %d, want 200; body: %.200s", status, body)
	}
	t.Logf("A killed with SIGKILL under load on B: %d requests answered 200 before, %d in the %s (or more) after (%d of all from /readyz), %d failed; slowest %s",
		before.Load(), after.Load(), multiLoadAfter, readyz.Load(), failures.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))
}

// multiCheckAnswer checks the body of a 200 from B during the load.
func multiCheckAnswer(path string, body []byte, email string) error {
	switch path {
	case "/.well-known/jwks.json":
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) == 0 {
			return fmt.Errorf("not a non-empty key set (%v)", err)
		}
	case "/account":
		if !bytes.Contains(body, []byte(email)) {
			return fmt.Errorf("an account page that does not show %s", email)
		}
	case "/readyz":
		var r struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(body, &r); err != nil || r.Status != "ready" {
			return fmt.Errorf("status %q (%v), want \"ready\"", r.Status, err)
		}
	}
	return nil
}
