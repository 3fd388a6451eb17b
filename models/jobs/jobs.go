// Package jobs runs the portal's periodic background work. Each job runs on its own
// goroutine at its own interval, so a slow or failing job never delays another; a
// failure is logged under the job's name without repeating itself every tick, a panic
// is recovered, and once the runner is told to stop each job may take a final step
// (the last usage flush) before Run returns.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// Job is one piece of periodic work.
type Job struct {
	// Name identifies the job in logs and stats ("signer.refresh").
	Name string
	// Every is the interval between runs. The first run is one interval after Run
	// starts; a tick that comes while the job is still running is dropped.
	Every time.Duration
	// Run does the work once. Its ctx ends when the runner stops.
	Run func(ctx context.Context) error
	// AtStop, if set, runs once after the runner's ctx has ended and the job's last
	// Run has returned, with a context that is not cancelled with the runner's but
	// times out after the runner's StopTimeout.
	AtStop func(ctx context.Context) error
	// Failed is the message a failure is logged with ("background job failed" if
	// empty); the line also carries the job's name and the error.
	Failed string
	// Recovered is the message logged when the job succeeds again after failing
	// ("background job recovered" if empty).
	Recovered string
	// Level is the level failures are logged at; slog.LevelWarn if nil.
	Level slog.Leveler
}

// Ticker delivers a job's ticks. The default wraps a *time.Ticker.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Stats describe a job's runs so far.
type Stats struct {
	Name  string
	Every time.Duration
	// Runs counts finished runs, failed ones included; Failures counts those that
	// returned an error or panicked. A run cut short by the runner stopping counts in
	// neither. The final AtStop step counts like a run.
	Runs, Failures int64
	// LastRun is when the last finished run started; LastSuccess when the last
	// successful one did.
	LastRun, LastSuccess time.Time
	// LastError is the last run's error, "" if it succeeded.
	LastError string
}

// Runner runs registered jobs periodically. Set its fields before Run; the zero value
// works (with slog.Default and the real clock).
type Runner struct {
	// Logger receives failures, recoveries and panics; slog.Default() if nil.
	Logger *slog.Logger
	// NewTicker makes a job's ticker; real time if nil. Tests deliver ticks themselves.
	NewTicker func(every time.Duration) Ticker
	// Now is the clock of stats and of the failure log's rate limit; time.Now if nil.
	Now func() time.Time
	// StopTimeout bounds each AtStop step; 10 s if zero.
	StopTimeout time.Duration
	// While a job keeps failing, a failure is logged again when its error changes,
	// but not more often than once per MinGap (1 min if zero), and when it stays the
	// same once per Repeat (10 min if zero), so a database outage does not write a
	// line every second.
	MinGap, Repeat time.Duration

	mu      sync.Mutex
	jobs    []*entry
	started bool
}

// entry is a registered job with its stats and log state.
type entry struct {
	Job
	mu    sync.Mutex
	stats Stats
	// failing counts consecutive failures; loggedErr and loggedAt are the last failure
	// logged in this streak.
	failing   int
	loggedErr string
	loggedAt  time.Time
}

// Add registers a job. It panics on a job without a name, interval or Run, on a name
// registered twice, and once Run has started: all are mistakes in the program.
func (r *Runner) Add(j Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		panic("jobs: Add after Run: " + j.Name)
	case j.Name == "":
		panic("jobs: a job needs a name")
	case j.Every <= 0:
		panic("jobs: job " + j.Name + " needs a positive interval")
	case j.Run == nil:
		panic("jobs: job " + j.Name + " has no Run")
	}
	for _, e := range r.jobs {
		if e.Name == j.Name {
			panic("jobs: job " + j.Name + " registered twice")
		}
	}
	r.jobs = append(r.jobs, &entry{Job: j, stats: Stats{Name: j.Name, Every: j.Every}})
}

// Run runs every job at its interval until ctx ends, then each job's AtStop once, and
// returns when all have finished. Jobs must return soon after their ctx ends. Run may
// be called once.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		panic("jobs: Run called twice")
	}
	r.started = true
	es := slices.Clone(r.jobs)
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range es {
		// Each job stops on its own: a job still finishing its last run does not hold
		// back another's final step.
		wg.Go(func() {
			r.loop(ctx, e)
			if e.AtStop != nil {
				r.atStop(ctx, e)
			}
		})
	}
	wg.Wait()
}

// Stats returns each job's stats, in the order they were added.
func (r *Runner) Stats() []Stats {
	r.mu.Lock()
	es := slices.Clone(r.jobs)
	r.mu.Unlock()
	out := make([]Stats, len(es))
	for i, e := range es {
		e.mu.Lock()
		out[i] = e.stats
		e.mu.Unlock()
	}
	return out
}

func (r *Runner) loop(ctx context.Context, e *entry) {
	newTicker := r.NewTicker
	if newTicker == nil {
		newTicker = func(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }
	}
	t := newTicker(e.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		// Both may be ready at once: do not start a run that would only be cancelled.
		if ctx.Err() != nil {
			return
		}
		start := r.now()
		stack, err := call(ctx, e.Run)
		if err != nil && stack == nil && ctx.Err() != nil {
			continue // cut short by the stop, not a failure; the loop ends next
		}
		r.finished(e, start, err, stack, false)
	}
}

func (r *Runner) atStop(ctx context.Context, e *entry) {
	timeout := r.StopTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	start := r.now()
	stack, err := call(sctx, e.AtStop)
	r.finished(e, start, err, stack, true)
}

// call runs f, turning a panic into an error with the panic's stack.
func call(ctx context.Context, f func(context.Context) error) (stack []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			stack, err = debug.Stack(), fmt.Errorf("panic: %v", v)
		}
	}()
	return nil, f(ctx)
}

// finished records a run and logs what needs saying. The final step's failure is
// always logged: there is no later line to report it.
func (r *Runner) finished(e *entry, start time.Time, err error, stack []byte, final bool) {
	now := r.now()
	e.mu.Lock()
	e.stats.Runs++
	e.stats.LastRun = start
	if err == nil {
		e.stats.LastSuccess, e.stats.LastError = start, ""
		failures := e.failing
		e.failing, e.loggedErr, e.loggedAt = 0, "", time.Time{}
		e.mu.Unlock()
		if failures > 0 {
			r.logger().Info(orDefault(e.Recovered, "background job recovered"), "job", e.Name, "failures", failures)
		}
		return
	}
	msg := err.Error()
	e.stats.Failures++
	e.stats.LastError = msg
	e.failing++
	failures := e.failing
	log := final || failures == 1 ||
		(msg != e.loggedErr && now.Sub(e.loggedAt) >= orDuration(r.MinGap, time.Minute)) ||
		now.Sub(e.loggedAt) >= orDuration(r.Repeat, 10*time.Minute)
	if log {
		e.loggedErr, e.loggedAt = msg, now
	}
	e.mu.Unlock()
	if !log {
		return
	}
	args := []any{"job", e.Name, "error", msg}
	if failures > 1 {
		args = append(args, "failures", failures)
	}
	if final {
		args = append(args, "final", true)
	}
	if stack != nil {
		r.logger().Error("background job panicked", append(args, "stack", string(stack))...)
		return
	}
	level := slog.LevelWarn
	if e.Level != nil {
		level = e.Level.Level()
	}
	r.logger().Log(context.Background(), level, orDefault(e.Failed, "background job failed"), args...)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.t.C }
func (t realTicker) Stop()               { t.t.Stop() }
