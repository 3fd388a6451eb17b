package signing

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// FeedConfig tunes the revocation feed of one instance.
type FeedConfig struct {
	// MaxSubscribers caps the streams held at once (default 1000); beyond it a
	// subscriber is refused (503) and polls the lists meanwhile.
	MaxSubscribers int
	// Heartbeat is how often an idle stream gets a comment line (default 15 s).
	Heartbeat time.Duration
	// MaxLifetime closes a stream after this long (default 30 min); the client
	// reconnects with Last-Event-ID.
	MaxLifetime time.Duration
	// Poll is how often the change log is read (default 200 ms).
	Poll time.Duration
	// Buffer is how many events wait for one subscriber (default 256); a subscriber
	// that lets them pile up past it is dropped and reconnects.
	Buffer int
	// Keep is how many recent events are kept in memory to replay to reconnecting
	// subscribers (default 4096); a Last-Event-ID older than them gets a reset.
	Keep int
}

// ErrFeedFull refuses a subscriber over the cap (or while the process shuts down).
var ErrFeedFull = errors.New("the revocation feed is at its subscriber cap")

// Feed tails the change log (every instance reads it: a revocation made on another
// instance is pushed here too), signs each change once as a status event, and fans the
// events out to the subscribers from memory. No subscriber costs a database read; a
// slow one is dropped, never waited for.
type Feed struct {
	signer *Signer
	log    ChangeLog
	cfg    FeedConfig

	pollMu  sync.Mutex // one read of the log at a time
	mu      sync.Mutex
	subs    map[*Subscriber]struct{}
	recent  []feedEvent // in seq order, at most cfg.Keep
	floor   int64       // every change above floor is in recent or still to be read
	last    int64       // the last change read
	loaded  bool        // floor and last are known
	started bool
	closed  bool
	stop    chan struct{}
	done    chan struct{}
	wake    chan struct{}

	delivered, dropped, refused, events atomic.Int64
}

// feedEvent is one event as sent: its seq and its SSE frame.
type feedEvent struct {
	seq   int64
	frame []byte
}

// Subscriber is one stream. Frames carries SSE frames; Gone is closed when the feed
// drops the subscriber (too slow) or shuts down.
type Subscriber struct {
	Frames chan []byte
	Gone   chan struct{}
	once   sync.Once
}

func (s *Subscriber) drop() { s.once.Do(func() { close(s.Gone) }) }

// NewFeed builds the feed of this instance over the signer's change log (nil when the
// ring has none). It starts reading the log with its first subscriber.
func (s *Signer) NewFeed(cfg FeedConfig) *Feed {
	log, ok := s.ring.(ChangeLog)
	if !ok {
		return nil
	}
	if cfg.MaxSubscribers <= 0 {
		cfg.MaxSubscribers = 1000
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = 30 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 4096
	}
	return &Feed{signer: s, log: log, cfg: cfg, subs: map[*Subscriber]struct{}{}, stop: make(chan struct{}), done: make(chan struct{}),
		wake: make(chan struct{}, 1)}
}

// Config is the feed's configuration, defaults filled in.
func (f *Feed) Config() FeedConfig { return f.cfg }

// Subscribe adds a stream. lastEventID is the client's Last-Event-ID ("" for none):
// backlog is what it missed, or reset is true when that cannot be told (older than
// what is kept, unknown, ahead of this instance): the client must refetch its lists.
func (f *Feed) Subscribe(ctx context.Context, lastEventID string) (sub *Subscriber, backlog [][]byte, reset bool, err error) {
	n, perr := strconv.ParseInt(lastEventID, 10, 64)
	f.mu.Lock()
	full := f.closed || len(f.subs) >= f.cfg.MaxSubscribers
	catchUp := !full && (!f.loaded || (lastEventID != "" && perr == nil && n > f.last))
	f.mu.Unlock()
	if full {
		f.refused.Add(1)
		return nil, nil, false, ErrFeedFull
	}
	if catchUp {
		// The first subscriber fixes where "from now on" starts (before it returns, so
		// that no change committed after it is lost); a client ahead of this instance
		// (it was on another) waits for one read of the log — a bounded wait: while
		// the database is down the stream opens anyway, with nothing new to say.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = f.poll(pctx)
		cancel()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, nil, false, ErrFeedFull
	}
	if !f.started {
		f.started = true
		go f.tail()
	}
	if lastEventID != "" {
		switch {
		case perr != nil || n < 0 || !f.loaded || n < f.floor || n > f.last:
			reset = true
		default:
			for _, e := range f.recent {
				if e.seq > n {
					backlog = append(backlog, e.frame)
				}
			}
		}
	}
	sub = &Subscriber{Frames: make(chan []byte, f.cfg.Buffer), Gone: make(chan struct{})}
	f.subs[sub] = struct{}{}
	return sub, backlog, reset, nil
}

// Unsubscribe removes a stream (its handler returned).
func (f *Feed) Unsubscribe(sub *Subscriber) {
	f.mu.Lock()
	delete(f.subs, sub)
	f.mu.Unlock()
	sub.drop()
}

// Close ends every stream and stops reading the log (the process is shutting down).
func (f *Feed) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	started := f.started
	for sub := range f.subs {
		sub.drop()
		delete(f.subs, sub)
	}
	close(f.stop)
	f.mu.Unlock()
	if started {
		<-f.done
	}
}

// FeedStats are the feed's counters.
type FeedStats struct {
	Subscribers                         int
	Events, Delivered, Dropped, Refused int64
	LastSeq                             int64
}

// Stats returns the feed's counters.
func (f *Feed) Stats() FeedStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FeedStats{Subscribers: len(f.subs), Events: f.events.Load(), Delivered: f.delivered.Load(), Dropped: f.dropped.Load(),
		Refused: f.refused.Load(), LastSeq: f.last}
}

// tail reads the log every Poll until Close. While the database cannot be read it
// keeps trying: the streams stay open and simply carry nothing new.
func (f *Feed) tail() {
	defer close(f.done)
	if n, ok := f.log.(ChangeNotifier); ok {
		ctx, cancel := context.WithCancel(context.Background())
		listening := make(chan struct{})
		go f.listen(ctx, n, listening)
		defer func() {
			cancel()
			<-listening
		}()
	}
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = f.poll(ctx)
		cancel()
		select {
		case <-f.stop:
			return
		case <-t.C:
		case <-f.wake:
		}
	}
}

// Wake reads the log now instead of at the next poll: this instance committed a
// revocation (other instances' are read within a Poll).
func (f *Feed) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// listen wakes the tail on every notification of a committed change, listening again
// a second after a failure; where the database cannot notify it returns at once and
// the poll alone carries the feed.
func (f *Feed) listen(ctx context.Context, n ChangeNotifier, done chan<- struct{}) {
	defer close(done)
	for {
		err := n.ListenStatusChanges(ctx, f.Wake)
		if ctx.Err() != nil || errors.Is(err, errors.ErrUnsupported) {
			return
		}
		f.Wake() // what was committed while not listening
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Poll reads the change log once and sends what is new (tests and benchmarks call it
// to move on without waiting for the ticker; the tail calls it every Poll).
func (f *Feed) Poll(ctx context.Context) error { return f.poll(ctx) }

func (f *Feed) poll(ctx context.Context) error {
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	f.mu.Lock()
	loaded, last := f.loaded, f.last
	f.mu.Unlock()
	if !loaded {
		first, end, err := f.log.StatusChangeBounds(ctx)
		if err != nil {
			return err
		}
		// Replayable from what is loaded now: the last Keep changes.
		floor := max(first-1, end-int64(f.cfg.Keep), 0)
		if end == 0 {
			floor = 0
		}
		f.mu.Lock()
		f.floor, f.last, f.loaded = floor, floor, true
		f.mu.Unlock()
		last = floor
	}
	for {
		batch, err := f.log.StatusChangesAfter(ctx, last, 500)
		if err != nil || len(batch) == 0 {
			return err
		}
		f.signer.ApplyStatusChanges(batch)
		events := make([]feedEvent, 0, len(batch))
		for _, c := range batch {
			frame, err := f.frame(c)
			if err != nil {
				return err
			}
			events = append(events, feedEvent{seq: c.ID, frame: frame})
		}
		f.publish(events)
		last = batch[len(batch)-1].ID
		if len(batch) < 500 {
			return nil
		}
	}
}

// statusEventClaims is a status event's payload (docs: the feed's wire format).
type statusEventClaims struct {
	Iss    string `json:"iss"`
	URI    string `json:"uri"`
	Idx    int    `json:"idx"`
	Status int    `json:"status"`
	Ver    int64  `json:"ver"`
	Seq    int64  `json:"seq"`
	Iat    int64  `json:"iat"`
}

// frame signs a change as a status event and frames it for the stream.
func (f *Feed) frame(c models.StatusChange) ([]byte, error) {
	tok, _, err := f.signer.Sign(models.TypStatusEvent, statusEventClaims{Iss: f.signer.cfg.Issuer, URI: f.signer.StatusListURI(c.StatusListID),
		Idx: c.StatusIdx, Status: c.Status, Ver: c.Version, Seq: c.ID, Iat: c.CreatedAt.Unix()})
	if err != nil {
		return nil, err
	}
	seq := strconv.FormatInt(c.ID, 10)
	return []byte("id: " + seq + "\nevent: status\ndata: " + tok + "\n\n"), nil
}

// publish keeps events for replays and hands them to every subscriber without
// blocking: a subscriber whose buffer is full is dropped (it reconnects with its
// Last-Event-ID and gets the rest from memory).
func (f *Feed) publish(events []feedEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recent = append(f.recent, events...)
	if over := len(f.recent) - f.cfg.Keep; over > 0 {
		f.floor = f.recent[over-1].seq
		f.recent = append(f.recent[:0:0], f.recent[over:]...)
	}
	f.last = events[len(events)-1].seq
	f.events.Add(int64(len(events)))
	for sub := range f.subs {
		for _, e := range events {
			select {
			case sub.Frames <- e.frame:
				f.delivered.Add(1)
				continue
			default:
			}
			f.dropped.Add(1)
			delete(f.subs, sub)
			sub.drop()
			break
		}
	}
}
