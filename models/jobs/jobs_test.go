package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models/jobs"
)

// deadline bounds every wait in these tests; reaching it is a failure.
const deadline = 5 * time.Second

// clock is the runner's time in these tests: tickers whose ticks the test sends (one
// per interval, so each job in a test has an interval of its own) and a settable now.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	tickers map[time.Duration]*fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	stopped atomic.Bool
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }
func (t *fakeTicker) Stop()               { t.stopped.Store(true) }

func newClock() *clock {
	return &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), tickers: map[time.Duration]*fakeTicker{}}
}

// ticker is the ticker of the job that runs every d, made by whichever asks first: the
// runner or the test.
func (c *clock) ticker(d time.Duration) *fakeTicker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tickers[d]
	if t == nil {
		// Unbuffered: a tick is taken only when the job's loop waits for one, that is
		// when its previous run has been recorded and logged.
		t = &fakeTicker{c: make(chan time.Time)}
		c.tickers[d] = t
	}
	return t
}

func (c *clock) newTicker(d time.Duration) jobs.Ticker { return c.ticker(d) }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tick delivers one tick to the job that runs every d, once its loop takes it.
func (c *clock) tick(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c.ticker(d).c <- c.Now():
	case <-time.After(deadline):
		t.Fatalf("the job that runs every %s did not take a tick within %s", d, deadline)
	}
}

// record is one logged line.
type record struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// recorder is a slog.Handler keeping what is logged.
type recorder struct {
	mu   sync.Mutex
	recs []record
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler       { panic("not used by the runner") }
func (h *recorder) WithGroup(string) slog.Handler            { panic("not used by the runner") }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	rec := record{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, rec)
	return nil
}

func (h *recorder) records() []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs)
}

// newRunner is a runner on c logging to a new recorder.
func newRunner(c *clock) (*jobs.Runner, *recorder) {
	rec := &recorder{}
	return &jobs.Runner{Logger: slog.New(rec), NewTicker: c.newTicker, Now: c.Now}, rec
}

// start runs r until the returned cancel is called; done is closed when Run returns.
func start(t *testing.T, r *jobs.Runner) (cancel context.CancelFunc, done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	go func() {
		defer close(d)
		r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-d
	})
	return cancel, d
}

// receive waits for a value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(deadline):
		t.Fatalf("%s: nothing within %s", what, deadline)
		panic("unreachable")
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, deadline)
		}
		<-tk.C
	}
}

// statsOf is the named job's stats.
func statsOf(t *testing.T, r *jobs.Runner, name string) jobs.Stats {
	t.Helper()
	for _, s := range r.Stats() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stats for job %q", name)
	return jobs.Stats{}
}

// TestJobRunsAtEachTick: a job runs once per tick and never without one, its ticker has
// the job's interval and is stopped when the runner stops, and its stats count the runs.
func TestJobRunsAtEachTick(t *testing.T) {
	c := newClock()
	r, rec := newRunner(c)
	var runs atomic.Int64
	ran := make(chan int64)
	r.Add(jobs.Job{Name: "count", Every: time.Second, Run: func(ctx context.Context) error {
		ran <- runs.Add(1)
		return nil
	}})
	cancel, done := start(t, r)
	for want := int64(1); want <= 3; want++ {
		c.tick(t, time.Second)
		if got := receive(t, ran, "run after a tick"); got != want {
			t.Errorf("run after tick %d: got run number %d", want, got)
		}
	}
	cancel()
	receive(t, done, "Run returning after its ctx ended")

	if got := runs.Load(); got != 3 {
		t.Errorf("runs: got %d for 3 ticks, want 3", got)
	}
	s := statsOf(t, r, "count")
	if s.Runs != 3 || s.Failures != 0 || s.LastError != "" || s.Every != time.Second {
		t.Errorf("stats: got %+v, want 3 runs, no failure, every 1s", s)
	}
	if s.LastRun.IsZero() || !s.LastSuccess.Equal(s.LastRun) {
		t.Errorf("stats: last run %v, last success %v; want both set and equal", s.LastRun, s.LastSuccess)
	}
	if !c.ticker(time.Second).stopped.Load() {
		t.Error("the job's ticker was not stopped when the runner stopped")
	}
	if recs := rec.records(); len(recs) != 0 {
		t.Errorf("log: got %v, want nothing from successful runs", recs)
	}
}

// TestJobsAreIndependent: while one job is stuck in a run, and another fails at every
// run, a third still runs at each of its ticks; and at stop, the third's final step
// does not wait for the stuck one.
func TestJobsAreIndependent(t *testing.T) {
	c := newClock()
	r, _ := newRunner(c)
	const slowEvery, failingEvery, fastEvery = time.Second, 2 * time.Second, 3 * time.Second
	slowStarted, release := make(chan struct{}), make(chan struct{})
	r.Add(jobs.Job{Name: "slow", Every: slowEvery, Run: func(ctx context.Context) error {
		slowStarted <- struct{}{}
		<-release // even past the runner's stop
		return nil
	}})
	r.Add(jobs.Job{Name: "failing", Every: failingEvery, Run: func(ctx context.Context) error {
		return errors.New("broken")
	}})
	fastRan, fastStopped := make(chan struct{}), make(chan struct{})
	r.Add(jobs.Job{Name: "fast", Every: fastEvery,
		Run:    func(ctx context.Context) error { fastRan <- struct{}{}; return nil },
		AtStop: func(ctx context.Context) error { close(fastStopped); return nil },
	})
	cancel, done := start(t, r)

	c.tick(t, slowEvery)
	receive(t, slowStarted, "the slow job starting")
	c.tick(t, failingEvery)
	c.tick(t, failingEvery)
	for i := 0; i < 3; i++ {
		c.tick(t, fastEvery)
		receive(t, fastRan, fmt.Sprintf("fast run %d while the slow one is stuck", i+1))
	}
	waitFor(t, "two failures of the failing job", func() bool { return statsOf(t, r, "failing").Failures == 2 })
	waitFor(t, "three runs of the fast job", func() bool { return statsOf(t, r, "fast").Runs == 3 })
	if s := statsOf(t, r, "fast"); s.Failures != 0 {
		t.Errorf("fast job stats: got %+v, want no failure", s)
	}
	if s := statsOf(t, r, "slow"); s.Runs != 0 {
		t.Errorf("slow job stats: got %d finished runs while it is stuck, want 0", s.Runs)
	}

	cancel()
	receive(t, fastStopped, "the fast job's final step while the slow one is stuck")
	select {
	case <-done:
		t.Fatal("Run returned while the slow job's run had not")
	default:
	}
	close(release)
	receive(t, done, "Run returning once the slow job's run did")
	if s := statsOf(t, r, "slow"); s.Runs != 1 {
		t.Errorf("slow job stats: got %d runs, want 1", s.Runs)
	}
}

// TestAtStopRunsOnceWithALiveContext: once the runner's ctx ends, each job's AtStop
// runs once — after its last run has returned, even for a job that never ticked — with
// a context that is not cancelled but has a deadline, and Run returns only when it has
// finished. A run cut short by the stop is neither a failure nor logged.
func TestAtStopRunsOnceWithALiveContext(t *testing.T) {
	c := newClock()
	r, rec := newRunner(c)
	r.StopTimeout = time.Minute
	var (
		mu    sync.Mutex
		order []string
	)
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	type stopCall struct {
		err         error
		hasDeadline bool
		left        time.Duration
	}
	running, stopping, finish := make(chan struct{}), make(chan stopCall, 2), make(chan struct{})
	r.Add(jobs.Job{Name: "flush", Every: time.Second,
		Run: func(ctx context.Context) error {
			close(running)
			<-ctx.Done()
			note("run returned")
			return ctx.Err()
		},
		AtStop: func(ctx context.Context) error {
			note("at stop")
			dl, ok := ctx.Deadline()
			stopping <- stopCall{ctx.Err(), ok, time.Until(dl)}
			<-finish
			return nil
		},
	})
	idleStopped := make(chan struct{}, 2)
	r.Add(jobs.Job{Name: "idle", Every: 2 * time.Second,
		Run:    func(ctx context.Context) error { return errors.New("never ticked") },
		AtStop: func(ctx context.Context) error { idleStopped <- struct{}{}; return nil },
	})
	cancel, done := start(t, r)
	c.tick(t, time.Second)
	receive(t, running, "the run starting")
	cancel()

	call := receive(t, stopping, "AtStop after the ctx ended")
	if call.err != nil {
		t.Errorf("AtStop's ctx: got %v, want it live", call.err)
	}
	if !call.hasDeadline || call.left <= 0 || call.left > time.Minute {
		t.Errorf("AtStop's ctx: deadline %v, %s left; want one within StopTimeout (1m)", call.hasDeadline, call.left)
	}
	receive(t, idleStopped, "AtStop of the job that never ticked")
	select {
	case <-done:
		t.Fatal("Run returned before AtStop finished")
	default:
	}
	close(finish)
	receive(t, done, "Run returning after AtStop")

	if len(stopping) != 0 || len(idleStopped) != 0 {
		t.Errorf("AtStop calls: %d more of flush and %d more of idle, want each once", len(stopping), len(idleStopped))
	}
	mu.Lock()
	if want := []string{"run returned", "at stop"}; !slices.Equal(order, want) {
		t.Errorf("order: got %q, want %q", order, want)
	}
	mu.Unlock()
	// The cut-short run is not counted; the final step is.
	if s := statsOf(t, r, "flush"); s.Runs != 1 || s.Failures != 0 {
		t.Errorf("stats: got %+v, want 1 run (the final step) and no failure", s)
	}
	if recs := rec.records(); len(recs) != 0 {
		t.Errorf("log: got %v, want nothing (a run cut short by the stop is no failure)", recs)
	}
}

// TestAtStopIsBounded: a final step that outlives StopTimeout sees its ctx end, and
// its failure is logged (always: there is no later line to report it).
func TestAtStopIsBounded(t *testing.T) {
	c := newClock()
	r, rec := newRunner(c)
	r.StopTimeout = 20 * time.Millisecond
	r.Add(jobs.Job{Name: "flush", Every: time.Second, Failed: "saving failed",
		Run: func(ctx context.Context) error { return nil },
		AtStop: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
	})
	cancel, done := start(t, r)
	cancel()
	receive(t, done, "Run returning once AtStop timed out")
	recs := rec.records()
	if len(recs) != 1 {
		t.Fatalf("log: got %v, want one line", recs)
	}
	if got := recs[0]; got.Level != slog.LevelWarn || got.Msg != "saving failed" || got.Attrs["job"] != "flush" ||
		got.Attrs["error"] != context.DeadlineExceeded.Error() || got.Attrs["final"] != "true" {
		t.Errorf("log: got %+v, want WARN \"saving failed\" job=flush error=%q final=true", got, context.DeadlineExceeded)
	}
}

// TestPanicIsRecovered: a run that panics is logged with its stack and counted as a
// failure; the job takes its next tick and runs again.
func TestPanicIsRecovered(t *testing.T) {
	c := newClock()
	r, rec := newRunner(c)
	var n atomic.Int64
	ran := make(chan struct{})
	r.Add(jobs.Job{Name: "fragile", Every: time.Second, Run: func(ctx context.Context) error {
		if n.Add(1) == 1 {
			panic("boom")
		}
		ran <- struct{}{}
		return nil
	}})
	start(t, r)
	c.tick(t, time.Second)
	c.tick(t, time.Second) // taken only if the loop survived the panic
	receive(t, ran, "the run after the panic")
	c.tick(t, time.Second) // the second run has been recorded and logged
	receive(t, ran, "the third run")

	recs := rec.records()
	if len(recs) != 2 {
		t.Fatalf("log: got %v, want the panic and the recovery", recs)
	}
	if got := recs[0]; got.Level != slog.LevelError || got.Msg != "background job panicked" || got.Attrs["job"] != "fragile" ||
		got.Attrs["error"] != "panic: boom" || !strings.Contains(got.Attrs["stack"], "jobs_test.go") {
		t.Errorf("panic line: got %+v, want ERROR \"background job panicked\" job=fragile error=\"panic: boom\" with the stack", got)
	}
	if got := recs[1]; got.Level != slog.LevelInfo || got.Msg != "background job recovered" || got.Attrs["job"] != "fragile" || got.Attrs["failures"] != "1" {
		t.Errorf("recovery line: got %+v, want INFO \"background job recovered\" job=fragile failures=1", got)
	}
	waitFor(t, "three runs recorded", func() bool { return statsOf(t, r, "fragile").Runs == 3 })
	if s := statsOf(t, r, "fragile"); s.Failures != 1 || s.LastError != "" {
		t.Errorf("stats: got %+v, want 1 failure and no last error", s)
	}
}

// TestFailuresAreLoggedWithTheJobName: a failure is logged with the job's message,
// level, name and error; while it keeps failing the same way nothing more is logged
// until Repeat has passed; a changed error is logged, but not within MinGap of the
// last line; the recovery is logged once, with the number of failures.
func TestFailuresAreLoggedWithTheJobName(t *testing.T) {
	c := newClock()
	r, rec := newRunner(c)
	// Each run returns what the test sends it, so the test sets the clock a run logs
	// with before the run finishes.
	results := make(chan error)
	r.Add(jobs.Job{Name: "db.poll", Every: time.Second, Failed: "polling failed", Recovered: "polling works again",
		Level: slog.LevelError, Run: func(ctx context.Context) error {
			select {
			case err := <-results:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	start(t, r)
	c.tick(t, time.Second) // the first run waits for its result
	line := func(level slog.Level, msg, errText, failures string) record {
		attrs := map[string]string{"job": "db.poll"}
		if errText != "" {
			attrs["error"] = errText
		}
		if failures != "" {
			attrs["failures"] = failures
		}
		return record{level, msg, attrs}
	}
	// step lets the clock move by d, ends the waiting run with err and checks the log.
	step := func(what string, d time.Duration, err error, want ...record) {
		t.Helper()
		c.advance(d)
		select {
		case results <- err:
		case <-time.After(deadline):
			t.Fatalf("%s: no run waiting for its result", what)
		}
		c.tick(t, time.Second) // the run has been logged; the next one waits
		got := rec.records()
		if len(got) != len(want) {
			t.Fatalf("%s: log got %d lines %+v, want %d %+v", what, len(got), got, len(want), want)
		}
		for i := range want {
			if got[i].Level != want[i].Level || got[i].Msg != want[i].Msg || fmt.Sprint(got[i].Attrs) != fmt.Sprint(want[i].Attrs) {
				t.Errorf("%s: line %d got %+v, want %+v", what, i+1, got[i], want[i])
			}
		}
	}
	refused, timeout := errors.New("connection refused"), errors.New("timeout")
	first := line(slog.LevelError, "polling failed", "connection refused", "")
	step("the first failure", 0, refused, first)
	for i := 0; i < 4; i++ {
		step("the same failure again", time.Second, refused, first)
	}
	step("a changed failure within a minute of the last line", 30*time.Second, timeout, first)
	changed := line(slog.LevelError, "polling failed", "timeout", "7")
	step("a changed failure a minute after the last line", 31*time.Second, timeout, first, changed)
	step("the same failure within ten minutes of the last line", 9*time.Minute, timeout, first, changed)
	repeated := line(slog.LevelError, "polling failed", "timeout", "9")
	step("the same failure ten minutes after the last line", time.Minute, timeout, first, changed, repeated)
	recovered := line(slog.LevelInfo, "polling works again", "", "9")
	step("the recovery", time.Second, nil, first, changed, repeated, recovered)
	step("success after success", time.Second, nil, first, changed, repeated, recovered)
	step("a new failure after the recovery", time.Second, refused, first, changed, repeated, recovered, first)

	s := statsOf(t, r, "db.poll")
	if s.Runs != 12 || s.Failures != 10 || s.LastError != "connection refused" || s.LastSuccess.IsZero() || !s.LastRun.After(s.LastSuccess) {
		t.Errorf("stats: got %+v, want 12 runs, 10 failures, the last error, and a success before the last run", s)
	}
}

// TestRealTicker: without NewTicker, jobs run on real time.
func TestRealTicker(t *testing.T) {
	r := &jobs.Runner{Logger: slog.New(&recorder{})}
	ran := make(chan struct{}, 1)
	r.Add(jobs.Job{Name: "quick", Every: time.Millisecond, Run: func(ctx context.Context) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	}})
	start(t, r)
	for i := 0; i < 3; i++ {
		receive(t, ran, "a run on a real ticker")
	}
}

// TestAddRejectsMistakes: an unnamed job, one without an interval or Run, a name
// registered twice, a job added once Run has started and a second Run are programming
// errors.
func TestAddRejectsMistakes(t *testing.T) {
	ok := func(context.Context) error { return nil }
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		f()
	}
	c := newClock()
	r, _ := newRunner(c)
	r.Add(jobs.Job{Name: "a", Every: time.Second, Run: ok})
	for name, j := range map[string]jobs.Job{
		"no name":        {Every: time.Second, Run: ok},
		"no interval":    {Name: "b", Run: ok},
		"a negative one": {Name: "b", Every: -time.Second, Run: ok},
		"no Run":         {Name: "b", Every: time.Second},
		"a name twice":   {Name: "a", Every: time.Second, Run: ok},
	} {
		mustPanic("Add with "+name, func() { r.Add(j) })
	}
	start(t, r)
	c.tick(t, time.Second) // Run has started
	mustPanic("Add after Run started", func() { r.Add(jobs.Job{Name: "c", Every: time.Second, Run: ok}) })
	mustPanic("a second Run", func() { r.Run(context.Background()) })
	if got := len(r.Stats()); got != 1 {
		t.Errorf("jobs: got %d, want only the valid one", got)
	}
}
