package handlers_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// twoInstances starts instance A on s and instance B on a second store over the same
// database, with A's public URL: they are one portal (one issuer) behind a load
// balancer. via dials B whatever URL is asked for, as a client balanced onto B would.
func twoInstances(t *testing.T, s *store.Store, opts ...func(*envOptions)) (a, b *env, via *http.Client) {
	t.Helper()
	mk := storetest.MasterKeys(t)
	a = newEnv(t, append([]func(*envOptions){func(o *envOptions) { o.store, o.masterKeys = s, mk }}, opts...)...)
	b = newEnv(t, append([]func(*envOptions){func(o *envOptions) {
		o.store, o.baseURL, o.masterKeys = storetest.SameDatabase(t, s), a.portal.URL, mk
	}}, opts...)...)
	addr := b.portal.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return a, b, &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// A key revoked through instance A is rejected by a verifier subscribed through
// instance B, on SQLite (one file) and PostgreSQL: B tails the change log A wrote in
// the revocation's transaction and pushes the signed event; the verifier applies it
// before any list fetch (its clock does not move, so its cached list never expires).
func TestRevocationPushedThroughAnotherInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b, via := twoInstances(t, s)
		ctx := context.Background()
		cl := newOAuthClient(t, a, "feed@example.com")
		key, token, err := a.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := a.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
		if err != nil {
			t.Fatal(err)
		}
		v := occVerifierAt(t, a.portal.URL, cl.api.Identifier, verify.HTTPClient(via), verify.Clock(b.clock))
		if _, err := v.Verify(ctx, token); err != nil {
			t.Fatalf("before the revocation: %v", err)
		}
		if !eventually(10*time.Second, func() bool { return v.Stats().Feed.Connected }) {
			t.Fatalf("the verifier never connected to the feed: %+v", v.Stats().Feed)
		}
		fetches := v.Stats().StatusFetches
		if err := a.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		if !eventually(10*time.Second, func() bool {
			_, err := v.Verify(ctx, token)
			return errors.Is(err, verify.ErrRevoked)
		}) {
			t.Fatalf("the revoked key is still accepted: %+v", v.Stats().Feed)
		}
		st := v.Stats()
		if st.StatusFetches != fetches || st.Feed.Applied != 1 || st.Feed.Rejected != 0 || st.Feed.LastEventID == 0 {
			t.Errorf("want the rejection from one pushed event and no list fetch: fetches %d → %d, feed %+v", fetches, st.StatusFetches, st.Feed)
		}
		if _, err := v.Verify(ctx, other); err != nil {
			t.Errorf("another key of the same list: %v", err)
		}
		// B's own list has the bit too, re-signed from memory.
		if revoked, err := b.signer.Revoked(ctx, key.StatusListID, key.StatusIdx); err != nil || !revoked {
			t.Errorf("B's list: revoked %v, %v", revoked, err)
		}
		if b.h.FeedStats().Events == 0 || b.h.FeedStats().Delivered == 0 {
			t.Errorf("B's feed: %+v", b.h.FeedStats())
		}
	})
}

// occVerifierAt is a verifier for issuer, closed at the end of the test.
func occVerifierAt(t *testing.T, issuer, audience string, opts ...verify.Option) *verify.Verifier {
	t.Helper()
	v, err := verify.New(context.Background(), issuer, append([]verify.Option{verify.Audience(audience)}, opts...)...)
	if err != nil {
		t.Fatalf("verify.New: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// A verifier whose feed is cut (its instance drains) still learns of a revocation from
// the status list once the list's ttl has passed on its clock; and NoStatusFeed never
// subscribes.
func TestFeedCutFallsBackToTheList(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl := newOAuthClient(t, e, "cut@example.com")
	key, token, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
	if err != nil {
		t.Fatal(err)
	}
	v := occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock))
	off := occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock), verify.NoStatusFeed())
	for _, x := range []*verify.Verifier{v, off} {
		if _, err := x.Verify(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if !eventually(10*time.Second, func() bool { return v.Stats().Feed.Connected }) {
		t.Fatal("the verifier never connected to the feed")
	}
	e.h.Drain() // the feed ends and refuses new streams; the lists are still served
	if !eventually(10*time.Second, func() bool { return !v.Stats().Feed.Connected }) {
		t.Fatal("the verifier did not see its feed end")
	}
	if err := e.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("within the ttl, without a feed, the cached list still says valid: %v", err)
	}
	e.advance(e.signer.Config().StatusListTTL)
	if !eventually(15*time.Second, func() bool {
		_, err := v.Verify(ctx, token)
		return errors.Is(err, verify.ErrRevoked)
	}) {
		t.Fatalf("a ttl later the list was not refetched: %+v", v.Stats())
	}
	if st := v.Stats(); st.Feed.Applied != 0 || st.StatusFetches < 2 {
		t.Errorf("want the revocation from a fetched list, not the feed: %+v", st)
	}
	if st := off.Stats().Feed; st.Enabled || st.Connected {
		t.Errorf("NoStatusFeed subscribed: %+v", st)
	}
}

// Over the subscriber cap the feed answers 503 with Retry-After; a stream opens with
// text/event-stream, and one with a Last-Event-ID the portal cannot replay (from the
// future) starts with a reset.
func TestStatusEventsCapAndReset(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.statusEvents = signing.FeedConfig{MaxSubscribers: 1} })
	first := openStream(t, e, "")
	if ct := first.res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	req, _ := http.NewRequest(http.MethodGet, e.portal.URL+"/statuslists/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("second subscriber over a cap of 1: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if e.h.FeedStats().Refused != 1 {
		t.Errorf("refused: %+v", e.h.FeedStats())
	}
	first.close()
	if !eventually(10*time.Second, func() bool { return e.h.FeedStats().Subscribers == 0 }) {
		t.Fatal("the closed stream was not let go")
	}
	again := openStream(t, e, "999999")
	if got := again.nextEvent(t); got != "reset" {
		t.Errorf("Last-Event-ID from the future: first event %q, want reset", got)
	}
}

// stream is an open GET /statuslists/events.
type stream struct {
	res    *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

func openStream(t *testing.T, e *env, lastEventID string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.portal.URL+"/statuslists/events", nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET /statuslists/events: %d", res.StatusCode)
	}
	s := &stream{res: res, r: bufio.NewReader(res.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	s.res.Body.Close()
}

// nextEvent reads up to the next event and returns its type.
func (s *stream) nextEvent(t *testing.T) string {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		if ev, ok := strings.CutPrefix(strings.TrimSpace(line), "event: "); ok {
			return ev
		}
	}
}

// An idle stream carries heartbeats and ends at its maximum lifetime; the verifier
// reconnects with its Last-Event-ID (no reset) and keeps receiving revocations.
func TestStatusEventsHeartbeatLifetimeAndReconnect(t *testing.T) {
	e := newEnv(t, func(o *envOptions) {
		o.statusEvents = signing.FeedConfig{Heartbeat: 20 * time.Millisecond, MaxLifetime: 300 * time.Millisecond}
	})
	s := openStream(t, e, "")
	sawPing := false
	for !sawPing {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended before a heartbeat: %v", err)
		}
		sawPing = line == ": ping\n"
	}
	for {
		if _, err := s.r.ReadString('\n'); err != nil {
			break // ended at its lifetime (the test's deadline bounds it otherwise)
		}
	}
	ctx := context.Background()
	cl := newOAuthClient(t, e, "lifetime@example.com")
	var keys []*models.APIKey
	var tokens []string
	for range 3 {
		k, token, err := e.store.CreateAPIKey(ctx, cl.owner.actor, cl.project.ID, apiKeyInput(cl), "")
		if err != nil {
			t.Fatal(err)
		}
		keys, tokens = append(keys, k), append(tokens, token)
	}
	v := occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock))
	if _, err := v.Verify(ctx, tokens[2]); err != nil {
		t.Fatal(err)
	}
	if !eventually(10*time.Second, func() bool { return v.Stats().Feed.Connected }) {
		t.Fatal("not connected")
	}
	fetches := v.Stats().StatusFetches
	for i, k := range keys[:2] {
		if i == 1 && !eventually(10*time.Second, func() bool { return v.Stats().Feed.Reconnects > 0 && v.Stats().Feed.Connected }) {
			t.Fatalf("the verifier did not reconnect after the stream's lifetime: %+v", v.Stats().Feed)
		}
		if err := e.store.RevokeAPIKey(ctx, cl.owner.actor, cl.project.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if !eventually(10*time.Second, func() bool { return v.Stats().Feed.Applied == int64(i+1) }) {
			t.Fatalf("revocation %d was not pushed: %+v", i, v.Stats().Feed)
		}
	}
	for _, tok := range tokens[:2] {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, verify.ErrRevoked) {
			t.Errorf("a revoked key: %v", err)
		}
	}
	if st := v.Stats(); st.Feed.Rejected != 0 || st.Feed.Resets != 0 || st.StatusFetches != fetches {
		t.Errorf("stats %+v: want the revocations pushed across a reconnect, no reset, no list fetch", st)
	}
}
