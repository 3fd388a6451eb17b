package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// The revocation feed (the portal's status_list_events_endpoint): one Server-Sent
// Events connection per Verifier pushes each revocation as a signed status event,
// which sets the bit in the cached list at once. The periodic list fetch stays the
// fallback and the source of truth; the feed can only set bits, never clear them.

// NoStatusFeed turns the revocation feed off: revocations are then seen when the status
// list is next fetched (within its ttl). By default a Verifier subscribes whenever the
// issuer's metadata offers status_list_events_endpoint.
func NoStatusFeed() Option { return func(c *config) { c.noFeed = true } }

// typStatusEvent is a status event's typ, compared exactly.
const typStatusEvent = "statuslist-event+jwt"

// maxEventLen bounds one event (and one line of the stream).
const maxEventLen = 8 << 10

// feedIdle is how long a stream may stay silent (heartbeats included) before it is
// taken for dead and reconnected: three of the portal's 15-second heartbeats.
const feedIdle = 45 * time.Second

// maxPushed bounds the pushed bits per list waiting for a fetched list to confirm them.
const maxPushed = 1 << 16

// eventClaims is a status event's payload.
type eventClaims struct {
	Iss    *string  `json:"iss"`
	URI    *string  `json:"uri"`
	Idx    *int64   `json:"idx"`
	Status *int64   `json:"status"`
	Ver    *int64   `json:"ver"`
	Seq    *int64   `json:"seq"`
	Iat    *float64 `json:"iat"`
}

var eventClaimNames = jsonstrict.NewNames("iss", "uri", "idx", "status", "ver", "seq", "iat")

// eventOutcome is what became of one event.
type eventOutcome int

const (
	eventApplied  eventOutcome = iota // its bit is set in a cached list
	eventIgnored                      // genuine, but for a list not held, not status 1, or a replay
	eventRejected                     // not a genuine event for this issuer: dropped
)

// feedState is the subscription's state and counters.
type feedState struct {
	connected                  atomic.Bool
	applied, rejected, ignored atomic.Int64
	reconnects, resets         atomic.Int64
	lastSeq                    atomic.Int64
	lastEventAt, lastIat       atomic.Int64 // unix nanoseconds, unix seconds
	cancel                     context.CancelFunc
	done                       chan struct{}
	url                        string
	mu                         sync.Mutex // serializes events (seq order)
	retryMin                   time.Duration
}

// handleEvent applies one event of the feed (the wire format's verifier rules): a
// genuine status event of this issuer for a list this verifier holds sets its bit;
// anything forged, misdirected or malformed is rejected and changes nothing.
func (v *Verifier) handleEvent(ctx context.Context, id, data string) eventOutcome {
	v.feed.mu.Lock()
	defer v.feed.mu.Unlock()
	out := v.checkEvent(ctx, id, data)
	switch out {
	case eventApplied:
		v.feed.applied.Add(1)
	case eventIgnored:
		v.feed.ignored.Add(1)
	case eventRejected:
		v.feed.rejected.Add(1)
	}
	return out
}

func (v *Verifier) checkEvent(ctx context.Context, id, data string) eventOutcome {
	c, err := parseCompactMax(data, maxEventLen)
	if err != nil || c.header.Typ != typStatusEvent {
		return eventRejected
	}
	k, err := v.keyFor(ctx, c.header.Kid, c.header.Alg)
	if err != nil || !k.verifySignature(c.signingInput, c.signature) {
		return eventRejected
	}
	if jsonstrict.Check(c.payload, eventClaimNames) != nil {
		return eventRejected
	}
	var cl eventClaims
	if json.Unmarshal(c.payload, &cl) != nil {
		return eventRejected
	}
	if cl.Iss == nil || cl.URI == nil || cl.Idx == nil || cl.Status == nil || cl.Ver == nil || cl.Seq == nil || cl.Iat == nil {
		return eventRejected
	}
	name, under := strings.CutPrefix(*cl.URI, v.listPrefix)
	switch {
	case *cl.Iss != v.issuer, !under, name == "", strings.ContainsAny(name, `/?#\`):
		return eventRejected
	case *cl.Seq <= 0 || strconv.FormatInt(*cl.Seq, 10) != id:
		return eventRejected
	case *cl.Idx < 0 || *cl.Idx > 8*maxStatusBytes || !validNumericDate(*cl.Iat):
		return eventRejected
	}
	seq, idx := *cl.Seq, int(*cl.Idx)
	e := (*v.lists.Load())[*cl.URI]
	var out eventOutcome
	switch {
	case e == nil || e.current.Load() == nil:
		out = eventIgnored // a list this verifier does not hold: fetched when first needed
	case idx/8 >= len(e.current.Load().bits):
		return eventRejected
	case *cl.Status != 1:
		out = eventIgnored // only revocations are pushed; nothing is ever cleared
	default:
		v.pushBit(e, idx)
		out = eventApplied
		if seq <= v.feed.lastSeq.Load() {
			out = eventIgnored // a replay: the bit was set already
		}
	}
	if seq > v.feed.lastSeq.Load() {
		v.feed.lastSeq.Store(seq)
	}
	if out == eventApplied {
		v.feed.lastEventAt.Store(v.cfg.now().UnixNano())
		v.feed.lastIat.Store(int64(*cl.Iat))
	}
	return out
}

// pushBit sets idx in e's cached list (a copy: readers hold the old one without a
// lock) and remembers it until a fetched list confirms it.
func (v *Verifier) pushBit(e *statusEntry, idx int) {
	e.pushMu.Lock()
	defer e.pushMu.Unlock()
	if e.pushed == nil {
		e.pushed = map[int]bool{}
	}
	if len(e.pushed) < maxPushed {
		e.pushed[idx] = true
	}
	l := e.current.Load()
	if l.bits[idx/8]&(1<<(idx%8)) != 0 {
		return
	}
	next := *l
	next.bits = bytes.Clone(l.bits)
	next.bits[idx/8] |= 1 << (idx % 8)
	e.current.Store(&next)
}

// installList makes a fetched list current. Pushed bits it lacks (a copy signed before
// the revocation, from an instance's cache) are kept set, and the list is fetched again
// soon; pushed bits it has are confirmed and forgotten.
func (e *statusEntry) installList(l *statusList) {
	e.pushMu.Lock()
	defer e.pushMu.Unlock()
	e.behind = false
	for idx := range e.pushed {
		switch {
		case idx/8 >= len(l.bits):
			delete(e.pushed, idx)
		case l.bits[idx/8]&(1<<(idx%8)) != 0:
			delete(e.pushed, idx)
		default:
			l.bits[idx/8] |= 1 << (idx % 8)
			e.behind = true
		}
	}
	e.current.Store(l)
}

// isBehind reports whether the last fetched list lacked a pushed bit.
func (e *statusEntry) isBehind() bool {
	e.pushMu.Lock()
	defer e.pushMu.Unlock()
	return e.behind
}

// startFeed subscribes to url (under the issuer) in the background.
func (v *Verifier) startFeed(url string) {
	ctx, cancel := context.WithCancel(context.Background())
	v.feed.cancel, v.feed.done, v.feed.url = cancel, make(chan struct{}), url
	go v.runFeed(ctx)
}

// stopFeed ends the subscription and waits for it.
func (v *Verifier) stopFeed() {
	if v.feed.cancel != nil {
		v.feed.cancel()
		<-v.feed.done
	}
}

// runFeed keeps one connection to the feed, reconnecting with Last-Event-ID after a
// growing, jittered delay (1 s to 1 min; the portal's Retry-After when it is full).
func (v *Verifier) runFeed(ctx context.Context) {
	defer close(v.feed.done)
	backoff := time.Second
	for {
		start := time.Now()
		got, retryAfter, err := v.feedOnce(ctx)
		v.feed.connected.Store(false)
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, io.EOF):
			// The portal ended the stream (its lifetime, a shutdown): reconnect.
			v.cfg.logger.Debug("verify: the revocation feed ended; reconnecting", "url", v.feed.url)
		case err != nil:
			v.cfg.logger.Warn("verify: the revocation feed is down; status lists are still fetched within their ttl", "url", v.feed.url, "error", err.Error())
		}
		if got || time.Since(start) > time.Minute {
			backoff = time.Second
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		wait = max(wait, retryAfter, v.feed.retryMin)
		backoff = min(2*backoff, time.Minute)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		v.feed.reconnects.Add(1)
	}
}

// feedOnce holds one connection until it ends: got says whether it delivered anything,
// retryAfter what a 503 asked for.
func (v *Verifier) feedOnce(ctx context.Context) (got bool, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.feed.url, nil)
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if seq := v.feed.lastSeq.Load(); seq > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(seq, 10))
	}
	client := *v.cfg.client
	client.Timeout = 0 // the stream lives long; feedIdle bounds its silences
	res, err := client.Do(req)
	if err != nil {
		return false, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && n > 0 {
			retryAfter = min(time.Duration(n)*time.Second, 10*time.Minute)
		}
		return false, retryAfter, fmt.Errorf("GET %s: %s", v.feed.url, res.Status)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return false, 0, fmt.Errorf("GET %s: Content-Type %q is not text/event-stream", v.feed.url, truncate(ct, 40))
	}
	v.feed.connected.Store(true)
	idle := time.AfterFunc(feedIdle, cancel)
	defer idle.Stop()
	r := bufio.NewReaderSize(res.Body, maxEventLen+64)
	var id, event string
	var data strings.Builder
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return got, 0, errors.New("a line of the stream is too long")
			}
			return got, 0, err
		}
		idle.Reset(feedIdle)
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			if event == "" {
				event = "message"
			}
			got = v.dispatch(ctx, id, event, data.String()) || got
			id, event = "", ""
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(s, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "": // a comment (the heartbeat)
		case "id":
			id = value
		case "event":
			event = value
		case "data":
			if data.Len()+len(value) > maxEventLen {
				return got, 0, errors.New("an event of the stream is too long")
			}
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				v.feed.retryMin = min(time.Duration(ms)*time.Millisecond, time.Minute)
			}
		}
	}
}

// dispatch handles one complete event of the stream and reports whether it was one.
func (v *Verifier) dispatch(ctx context.Context, id, event, data string) bool {
	switch event {
	case "status":
		v.handleEvent(ctx, id, data)
		return true
	case "reset":
		v.feed.resets.Add(1)
		v.refetchAll(ctx)
		return true
	}
	return false
}

// refetchAll fetches every list held (the feed cannot replay what this verifier
// missed).
func (v *Verifier) refetchAll(ctx context.Context) {
	for _, e := range *v.lists.Load() {
		if e.current.Load() == nil {
			continue
		}
		if err := v.fetchStatusList(ctx, e); err != nil {
			v.logFetchError("status list", e.uri, err)
		}
	}
}

// FeedStats describe the revocation feed's subscription.
type FeedStats struct {
	// Enabled: the verifier subscribes (the issuer offers the feed, NoStatusFeed is not
	// set). Connected: a stream is open now.
	Enabled, Connected bool
	// Applied counts events that set a bit; Rejected events dropped as not genuine
	// (signature, typ, issuer, list, index); Ignored genuine events that changed
	// nothing (a list not held, a replay).
	Applied, Rejected, Ignored int64
	// Reconnects and Resets count new connections after the first, and resets (every
	// held list refetched).
	Reconnects, Resets int64
	// LastEventID is the highest seq seen; LastEvent when the last event was applied;
	// Lag how old it was then (its iat to its arrival: whole seconds).
	LastEventID int64
	LastEvent   time.Time
	Lag         time.Duration
}

// feedStats reads the subscription's counters.
func (v *Verifier) feedStats() FeedStats {
	f := &v.feed
	s := FeedStats{Enabled: f.url != "", Connected: f.connected.Load(), Applied: f.applied.Load(), Rejected: f.rejected.Load(),
		Ignored: f.ignored.Load(), Reconnects: f.reconnects.Load(), Resets: f.resets.Load(), LastEventID: f.lastSeq.Load()}
	if at := f.lastEventAt.Load(); at != 0 {
		s.LastEvent = time.Unix(0, at)
		s.Lag = max(0, s.LastEvent.Sub(time.Unix(f.lastIat.Load(), 0)))
	}
	return s
}
